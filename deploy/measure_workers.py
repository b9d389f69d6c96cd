"""Measure what deploy/gunicorn.conf.py's worker settings rest on (no load generator needed).

    .venv/bin/python deploy/measure_workers.py [--database-url URL] [--requests N]

1. A fresh worker's first requests, with the warm-up (GUNICORN_WARMUP) off and on: gunicorn
   with one worker is started each way, and the first five requests to a path the warm-up
   does not touch (`/api/v1/courses/?page_size=5`) are timed one by one.
2. A worker's memory as it serves: resident set size after 0, N/4, N/2 and N requests of
   the course list, so `GUNICORN_MAX_REQUESTS` can be set from the growth, not a guess.
Production settings (DEBUG=false), the bench database by default. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import BIN, SECURE, free_port, gunicorn_command, http_get, start, wait_for

PATH = "/api/v1/courses/?page_size=5"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "measure-only-" + secrets.token_urlsafe(32),
        "DATABASE_URL": args.database_url,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "ALLOW_FAKE_PAYMENTS": "true",
        "THROTTLE_ANON": "1000000/hour",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    base.pop("REDIS_URL", None)  # each worker its own local cache: a fresh one misses
    first: dict[str, list[float]] = {}
    memory: list[tuple[int, int]] = []
    for warmup in ("false", "true"):
        port = free_port()
        env = {**base, "GUNICORN_WARMUP": warmup, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        server = start(f"warmup-{warmup}", gunicorn_command(), env, label="measure")
        try:
            # the worker is up once it answers anything; /health/live/ is not warmed either
            wait_for(lambda: http_get(port, "/health/live/", SECURE)[0] == 200, "gunicorn", 60)  # noqa: B023
            timings = []
            for _ in range(5):
                began = time.monotonic()
                status, _body = http_get(port, PATH, SECURE)
                timings.append((time.monotonic() - began) * 1000)
                assert status == 200, status
            first[warmup] = timings
            if warmup == "true":
                pid = worker_pid(server.pid)
                memory.append((5, rss_kib(pid)))
                for served in range(5, args.requests + 1):
                    http_get(port, PATH, SECURE)
                    if served in (args.requests // 4, args.requests // 2, args.requests):
                        memory.append((served, rss_kib(pid)))
        finally:
            server.stop()
    print("\nfirst five requests of a fresh worker (ms), GET " + PATH)
    for warmup, timings in first.items():
        print(f"  warm-up {warmup:5}: " + "  ".join(f"{t:7.1f}" for t in timings))
    print("\nworker RSS (KiB) after n requests")
    for served, kib in memory:
        print(f"  {served:6d}  {kib:8d}")
    (n0, m0), (n1, m1) = memory[0], memory[-1]
    print(f"  growth: {(m1 - m0) / max(n1 - n0, 1) * 1000:.0f} KiB per 1,000 requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
