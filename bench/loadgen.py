"""The Python load client, run as its own process: `python -m bench.loadgen < job.json`.

N asyncio connections speak raw HTTP/1.1 to one host for a fixed time, each sending the
next request as soon as the previous answer is read (a closed loop, like wrk), and the
latency of every request is recorded from the moment it is written until its whole body
has been read. gunicorn's sync workers close the connection after each answer; the client
then reconnects, and the connect is not part of the latency (wrk does the same).

The job (JSON on stdin): host, port, method, path, headers, body (latin-1 string),
connections, duration, warmup, and optionally bodies (latin-1 strings): then each request,
warm-up included, sends the next one of them, each once, and a connection that finds none
left stops and counts one error. The result (JSON on stdout): requests, seconds,
requests_per_s, p50_ms, p90_ms, p99_ms, max_ms, statuses, errors, bodies_left.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any


def build_request(job: dict[str, Any], body_text: str | None = None) -> bytes:
    """The raw request; `body_text` (latin-1) instead of the job's body when given."""
    body = (job.get("body", "") if body_text is None else body_text).encode("latin-1")
    lines = [f"{job['method']} {job['path']} HTTP/1.1", f"Host: {job['host']}:{job['port']}"]
    headers = {"Connection": "keep-alive", "User-Agent": "lms-bench/1", **job.get("headers", {})}
    if body or job["method"] not in ("GET", "HEAD"):
        headers["Content-Length"] = str(len(body))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole response; return its status and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    close = lines[0].startswith("HTTP/1.0")
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value == "close"
        elif name == "transfer-encoding":
            chunked = "chunked" in value
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()  # until the server closes
        close = True
    return status, close


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors = 0


class Requests:
    """The requests to send: the job's one request again and again, or, with `bodies`, one
    request per body, shared by every connection, until none is left (None)."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.fixed = build_request(job) if job.get("bodies") is None else None
        self.bodies: Iterator[str] = iter(job.get("bodies") or ())
        self.job = job
        self.left = len(job.get("bodies") or ())

    def next(self) -> bytes | None:
        if self.fixed is not None:
            return self.fixed
        body = next(self.bodies, None)
        if body is None:
            return None
        self.left -= 1
        return build_request(self.job, body)


async def connection_loop(
    job: dict[str, Any], requests: Requests, deadline: float, recorder: Recorder
) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    request: bytes | None = None
    try:
        while time.perf_counter() < deadline:
            request = request or requests.next()
            if request is None:
                recorder.errors += 1  # the bodies ran out before the time did
                return
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(job["host"], job["port"])
                except OSError:
                    recorder.errors += 1
                    await asyncio.sleep(0.01)
                    continue
            assert reader is not None
            started = time.perf_counter()
            try:
                writer.write(request)
                status, close = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                recorder.errors += 1
                writer.close()
                writer = None
                continue
            recorder.latencies.append(time.perf_counter() - started)
            recorder.statuses[status] += 1
            request = None
            if close:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def run_for(
    job: dict[str, Any], requests: Requests, seconds: float
) -> tuple[Recorder, float]:
    recorder = Recorder()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(connection_loop(job, requests, deadline, recorder) for _ in range(job["connections"]))
    )
    return recorder, time.perf_counter() - started


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def main_async(job: dict[str, Any]) -> dict[str, Any]:
    requests = Requests(job)
    if job.get("warmup"):
        await run_for(job, requests, float(job["warmup"]))
    recorder, seconds = await run_for(job, requests, float(job["duration"]))
    latencies = sorted(recorder.latencies)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "requests_per_s": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else 0.0,
        "statuses": {str(code): count for code, count in sorted(recorder.statuses.items())},
        "errors": recorder.errors,
        "bodies_left": requests.left,
    }


def main() -> None:
    job = json.load(sys.stdin)
    result = asyncio.run(main_async(job))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
