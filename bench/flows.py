"""Closed-loop drivers for request sequences that change state, which wrk's one repeated
request cannot measure: a purchase (cart add → order → checkout → simulate), a lesson
completed for the first time.

`run_flows` starts gunicorn as the harness does (`bench.server.Gunicorn`), then N virtual
users (coroutines on one event loop) each take the next job from a queue and run it; a job
is an async callable that makes its requests through `Client` (a failed assertion counts as
a failed job).
A warm-up batch of jobs runs first and is not measured (workers connect to the database and
compile their queries, as in the harness's warm-up seconds). `report` prints p50/p90/p99/max
per step and for the whole job, and says whether every step's p99 is under the budget.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import seeding, server


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Client:
    """One virtual user's HTTP calls, timed into the step they belong to.

    Raw HTTP/1.1 over asyncio (one event loop drives every user, like bench.loadgen, so no
    thread waits for the GIL to read its answer); a new connection per call, as gunicorn's
    sync workers close it after each answer. The time runs from writing the request to
    having read the whole answer.
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.timings: dict[str, list[float]] = {}

    async def call(
        self, step: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        status, data, elapsed_ms = await send(self.port, method, path, body, token=self.token)
        self.timings.setdefault(step, []).append(elapsed_ms)
        return status, json.loads(data) if data else None


async def send(
    port: int, method: str, path: str, body: dict[str, Any] | None, *, token: str | None
) -> tuple[int, bytes, float]:
    """One request to 127.0.0.1:`port` on a new connection, `body` as JSON, `token` as the
    bearer (no Authorization header without one): the status, the answer's body bytes and
    the milliseconds from writing the request to having read the whole answer. A broken
    connection raises (OSError, asyncio.IncompleteReadError)."""
    payload = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        started = time.perf_counter()
        writer.write(head + payload)
        await writer.drain()
        status, data = await _read_answer(reader)
        return status, data, (time.perf_counter() - started) * 1000
    finally:
        writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    data = await (reader.readexactly(length) if length is not None else reader.read())
    return status, data


Job = Callable[[Client], Awaitable[None]]


def fresh_students(count: int, *, label: str, domain: str) -> list[Any]:
    """New verified students for one run (each used once), `<label>-<time>-<n>@<domain>`."""
    from django.utils import timezone

    from lms.accounts.models import User

    return User.objects.bulk_create(
        seeding.students(
            count, label=f"{label}-{int(time.time())}", domain=domain, now=timezone.now()
        )
    )


def access_token(user: Any) -> str:
    from lms.accounts import tokens

    return str(tokens.issue_token_pair(user)["access"])


@dataclass
class FlowResult:
    steps: dict[str, list[float]] = field(default_factory=dict)
    jobs_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_flows(
    *,
    env: dict[str, str],
    jobs: Sequence[tuple[str, Job]],
    warmup: Sequence[tuple[str, Job]],
    users: int,
    workers: int = 2,
) -> FlowResult:
    """Run `warmup` then `jobs` ((token, job) pairs) with `users` concurrent virtual users
    against a fresh gunicorn; only `jobs` are measured."""
    result = FlowResult()
    queue: list[tuple[str, Job]] = []

    async def user(port: int, measure: bool) -> None:
        while queue:
            token, job = queue.pop(0)
            client = Client(port, token)
            started = time.perf_counter()
            try:
                await job(client)
            except Exception as exc:
                result.errors.append(repr(exc))
                continue
            if measure:
                result.jobs_ms.append((time.perf_counter() - started) * 1000)
                for step, values in client.timings.items():
                    result.steps.setdefault(step, []).extend(values)

    async def run(port: int, batch: Sequence[tuple[str, Job]], *, measure: bool) -> float:
        queue[:] = list(batch)
        began = time.perf_counter()
        await asyncio.gather(*(user(port, measure) for _ in range(users)))
        return time.perf_counter() - began

    with server.Gunicorn(env, workers=workers) as gunicorn:
        asyncio.run(run(gunicorn.port, warmup, measure=False))
        result.seconds = asyncio.run(run(gunicorn.port, jobs, measure=True))
    return result


def report(result: FlowResult, *, steps: Sequence[str], budget_ms: float, title: str) -> bool:
    """Print the table; True when every step's p99 is under `budget_ms` and nothing failed."""
    print(f"\n{title}")
    print(f"{'step':16} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    met = not result.errors
    rows = [(step, result.steps.get(step, [])) for step in steps]
    rows.append(("whole job", result.jobs_ms))
    for step, values in rows:
        if not values:
            continue
        p99 = percentile(values, 0.99)
        if step != "whole job":
            met = met and p99 < budget_ms
        print(
            f"{step:16} {len(values):6} {statistics.median(values):8.1f} "
            f"{percentile(values, 0.9):8.1f} {p99:8.1f} {max(values):8.1f}"
        )
    if result.errors:
        print(f"{len(result.errors)} jobs failed, first: {result.errors[0]}")
    print(f"budget p99 < {budget_ms:.0f} ms per request:", "met" if met else "missed")
    return met
