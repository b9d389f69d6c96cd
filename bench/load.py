"""Run one load measurement from a second process: wrk when installed, else bench.loadgen."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.registry import ResolvedRequest

BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"


@dataclass(frozen=True)
class Measurement:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad: int  # unexpected statuses plus socket errors
    detail: str


def choose_tool(wanted: str) -> str:
    if wanted == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if wanted == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--tool wrk: wrk is not installed (apt-get install wrk)")
    return wanted


def describe_tool(tool: str) -> str:
    if tool == "wrk":
        completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        first = (completed.stdout or completed.stderr).splitlines()[:1]
        version = first[0].split(" [")[0] if first else "wrk"
        return f"{version} with bench/wrk_report.lua"
    return "bench.loadgen (Python asyncio, raw HTTP/1.1)"


def measure(
    *,
    tool: str,
    host: str,
    port: int,
    request: ResolvedRequest,
    connections: int,
    duration: float,
    warmup: float,
    expect_status: int,
) -> Measurement:
    if tool == "wrk" and not request.bodies:  # wrk repeats one body
        return _measure_wrk(host, port, request, connections, duration, warmup, expect_status)
    return _measure_python(host, port, request, connections, duration, warmup, expect_status)


def _measure_python(
    host: str,
    port: int,
    request: ResolvedRequest,
    connections: int,
    duration: float,
    warmup: float,
    expect_status: int,
) -> Measurement:
    job = {
        "host": host,
        "port": port,
        "method": request.method,
        "path": request.path,
        "headers": request.headers,
        "body": request.body.decode("latin-1"),
        "bodies": [body.decode("latin-1") for body in request.bodies] or None,
        "connections": connections,
        "duration": duration,
        "warmup": warmup,
    }
    completed = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=BENCH_DIR.parent,
        timeout=duration + warmup + 120,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.loadgen failed:\n{completed.stderr}")
    result = json.loads(completed.stdout)
    expected = result["statuses"].get(str(expect_status), 0)
    return Measurement(
        requests=result["requests"],
        requests_per_s=result["requests_per_s"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        max_ms=result["max_ms"],
        bad=result["requests"] - expected + result["errors"],
        detail=f"statuses {result['statuses']}, socket errors (or bodies run out) "
        f"{result['errors']}",
    )


def _measure_wrk(
    host: str,
    port: int,
    request: ResolvedRequest,
    connections: int,
    duration: float,
    warmup: float,
    expect_status: int,
) -> Measurement:
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_BODY": request.body.decode("latin-1"),
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in request.headers.items()),
    }
    url = f"http://{host}:{port}{request.path}"
    threads = max(1, min(connections, os.cpu_count() or 1))

    def run(seconds: float) -> str:
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ]
        completed = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=seconds + 120
        )
        if completed.returncode != 0:
            raise RuntimeError(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")
        return completed.stdout

    if warmup:
        run(warmup)
    output = run(duration)
    match = re.search(r"^BENCH_RESULT (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no BENCH_RESULT line:\n{output}")
    result = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    socket_errors = sum(
        result[key] for key in ("errors_connect", "errors_read", "errors_write", "errors_timeout")
    )
    # wrk counts statuses >= 400 only; a scenario expecting one of those is not supported.
    return Measurement(
        requests=result["requests"],
        requests_per_s=result["requests"] / seconds if seconds else 0.0,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        max_ms=result["max_us"] / 1000,
        bad=result["errors_status"] + socket_errors,
        detail=f"status errors {result['errors_status']}, socket errors {socket_errors}",
    )
