"""Container health check: GET http://127.0.0.1:$HEALTHCHECK_PORT$HEALTHCHECK_PATH, exit 0 on 200.

Sent as the proxy would send it (Host: localhost, X-Forwarded-Proto: https), so the HTTPS
redirect and ALLOWED_HOSTS answer as for a real request. Standard library only: it runs in
the image's own interpreter, every 15 s, and must start fast. It asks liveness by default:
readiness (/health/ready/) fails while Redis is down, when the API still serves.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("HEALTHCHECK_PORT", "8000")
    path = os.environ.get("HEALTHCHECK_PATH", "/health/live/")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (loopback)
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
