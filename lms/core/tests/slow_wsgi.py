"""The project's WSGI application with one extra path for the graceful-shutdown test.

`/__slow__/?seconds=N` sleeps N seconds, then answers 200 `slow done`; every other path goes
to config.wsgi.application unchanged. Only lms/core/tests/test_server_lifecycle.py serves it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from config.wsgi import application as project_application


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/__slow__/":
        seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["2"])[0])
        time.sleep(min(seconds, 10.0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slow done"]
    return project_application(environ, start_response)
