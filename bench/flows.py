"""Closed-loop drivers for request sequences that change state, which wrk's one repeated
request cannot measure: a purchase (cart add → order → checkout → simulate), a lesson
completed for the first time.

`run_flows` starts gunicorn as the harness does (`bench.server.Gunicorn`), then N virtual
users each take the next job from a queue and run it; a job is a callable that makes its
requests through `Client` and returns nothing (a failed assertion counts as a failed job).
A warm-up batch of jobs runs first and is not measured (workers connect to the database and
compile their queries, as in the harness's warm-up seconds). `report` prints p50/p90/p99/max
per step and for the whole job, and says whether every step's p99 is under the budget.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import server


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Client:
    """One virtual user's HTTP calls (a new connection each, as separate page actions are),
    timed into the step they belong to."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.timings: dict[str, list[float]] = {}

    def call(
        self, step: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        payload = json.dumps(body).encode() if body is not None else b""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.timings.setdefault(step, []).append((time.perf_counter() - started) * 1000)
        connection.close()
        return response.status, json.loads(data) if data else None


Job = Callable[[Client], None]


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
    lock = threading.Lock()
    queue: list[tuple[str, Job]] = []

    with server.Gunicorn(env, workers=workers) as gunicorn:

        def user(measure: bool) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    token, job = queue.pop(0)
                client = Client(gunicorn.port, token)
                started = time.perf_counter()
                try:
                    job(client)
                except Exception as exc:
                    with lock:
                        result.errors.append(repr(exc))
                    continue
                if not measure:
                    continue
                with lock:
                    result.jobs_ms.append((time.perf_counter() - started) * 1000)
                    for step, values in client.timings.items():
                        result.steps.setdefault(step, []).extend(values)

        def run(batch: Sequence[tuple[str, Job]], *, measure: bool) -> float:
            queue[:] = list(batch)
            began = time.perf_counter()
            threads = [threading.Thread(target=user, args=(measure,)) for _ in range(users)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - began

        run(warmup, measure=False)
        result.seconds = run(jobs, measure=True)
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
