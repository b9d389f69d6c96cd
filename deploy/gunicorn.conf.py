"""gunicorn settings for the HTTP service.

    gunicorn --config deploy/gunicorn.conf.py config.wsgi:application

Sync workers on purpose: SPEC.md measured Django's ASGI path with these sync DRF views ten
times slower. WebSockets are served by a separate daphne process (config.asgi, /ws/ only).
Every value can be changed from the environment.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "sync"
# A sync worker serves one request at a time; 2 x cores + 1 keeps the CPUs busy while some
# workers wait on PostgreSQL.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
timeout = _int("GUNICORN_TIMEOUT", 30)  # a worker silent this long is killed and replaced
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 2  # ignored by sync workers; the load balancer keeps its own connections
backlog = _int("GUNICORN_BACKLOG", 2048)
# Recycle workers now and then so a slow leak cannot grow forever; jitter avoids all at once.
# Measured (deploy/measure_workers.py, course list): a worker starts at ~112 MiB resident and
# grows ~0.45 MiB per 1,000 requests, so 50,000 requests add ~22 MiB (a fifth) before it is
# replaced. The old 5,000 recycled each worker every few seconds under load, and each
# replacement's slow first requests were the p99 spikes of `make bench`.
max_requests = _int("GUNICORN_MAX_REQUESTS", 50_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5_000)
# Import Django once in the arbiter, then fork: faster start, shared memory pages. No
# database connection is opened at import time, so none is shared between workers.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() == "true"
# Heartbeat files on tmpfs: a container's overlay filesystem can stall them.
_SHARED_MEMORY = "/dev/shm"  # noqa: S108 (a tmpfs, not a world-writable temp file)
worker_tmp_dir = _SHARED_MEMORY if os.path.isdir(_SHARED_MEMORY) else None

# Only the proxy in front may set X-Forwarded-* for gunicorn (scheme, client address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100

# Logs on stdout/stderr for the container runtime. The access log is one JSON-like object
# per line; values are gunicorn's (not JSON-escaped), which log shippers parse well enough.
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
errorlog = "-"
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log.lower() in ("", "off", "none") else _access_log
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"user_agent": "%(a)s", "forwarded_for": "%({x-forwarded-for}i)s"}'
)
# Parameter values other than pages, orderings and plain filters are logged as `~`: a query
# can carry a token (the export's download link, a WebSocket's ?token=) (config/access_log.py).
logger_class = "config.access_log.RedactingLogger"
proc_name = "lms-web"
# No control socket (gunicorn >= 25.1 opens one for `gunicornc` by default): its default
# path is fixed per user ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl), so
# concurrent gunicorns of one user (tests, smoke runs, the benchmark) take it from each
# other, and in the image the app user's home is read-only. Nothing here uses gunicornc;
# signals (HUP, TERM, TTIN/TTOU) manage the arbiter.
control_socket_disable = True


# The garbage collector's full (oldest-generation) pass walks every tracked object, and a
# worker holds ~200,000 of them from importing Django and the project: measured here, one
# pass every ~100 requests took 40-70 ms, the slowest request of the hundred. Objects that
# exist before the fork live as long as the process, so they are frozen out of the
# collector (gc.freeze: the full passes then walk only what requests left behind, and the
# preloaded pages stay shared between workers instead of being copied when the collector
# writes to them).


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


# A fresh worker's first requests are slow (100-250 ms): Django resolves its URLs, DRF
# builds its serializers and renderers, psycopg connects and prepares the hot queries. With
# recycling (max_requests) that happens every few seconds under load, and those first
# requests were every p99 spike of `make bench`. So each worker serves a few requests to
# itself before it takes traffic (GUNICORN_WARMUP=false turns it off): through the WSGI
# application directly, as the proxy would send them (HTTPS, an allowed host), never
# failing the worker if one of them does.
WARMUP = os.environ.get("GUNICORN_WARMUP", "true").lower() == "true"
WARMUP_PATHS = ("/health/ready/", "/api/v1/courses/", "/api/v1/categories/")


def _warm(worker: Any) -> None:
    import io
    import sys
    import time

    from django.conf import settings

    hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host]
    host = (hosts or ["localhost"])[0].lstrip(".")
    started = time.monotonic()
    for path in WARMUP_PATHS:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": host,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": host,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_ACCEPT": "application/json",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        try:
            body = worker.wsgi(environ, lambda status, headers, exc_info=None: None)
            for _chunk in body:
                pass
            getattr(body, "close", lambda: None)()
        except Exception:  # a warm-up never stops a worker from serving
            worker.log.exception("warm-up request %s failed", path)
    worker.log.info("worker warmed in %.0f ms", (time.monotonic() - started) * 1000)


def post_worker_init(worker: Any) -> None:
    if WARMUP:
        _warm(worker)
    gc.freeze()  # without preload_app, the application was imported by the worker itself
