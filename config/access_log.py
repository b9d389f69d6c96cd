"""gunicorn's access log without the values a URL may carry as credentials.

A query string can hold a secret: the personal-data export's download link carries its
24-hour token (`?token=`), a WebSocket connects with `?token=<access JWT>`, and a client may
put anything in a filter. The access log keeps each parameter's name (what was asked) and
only the values of the parameters listed in `SHOWN_PARAMETERS`, which name nothing secret
(pages, orderings, filters by status, dates and currency); every other value is written as
`~`. Two routes carry a credential in the path itself, the media stream's signed link
(`/media/stream/<token>/`, a bearer link to paid media for ten minutes) and a certificate's
verification code (`/certificates/verify/<code>/`): that segment is written as `~` too, as is
any segment holding `:` (what django.core.signing's tokens contain). The request line
(`%(r)s`) is rebuilt from that path and the redacted query, and the
request headers that carry credentials (`Authorization`, `Cookie`, `X-CSRFToken`) are never
offered to the format. deploy/gunicorn.conf.py sets it as `logger_class`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.redaction import redact_path, redact_query

HIDDEN_HEADERS = frozenset({"{authorization}i", "{cookie}i", "{x-csrftoken}i"})


class RedactingLogger(Logger):
    """gunicorn's Logger whose access-log atoms carry no credential (module docstring)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        query = redact_query(environ.get("QUERY_STRING", ""))
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["q"] = query
        atoms["r"] = "{} {}{} {}".format(
            environ.get("REQUEST_METHOD", "-"),
            path,
            f"?{query}" if query else "",
            environ.get("SERVER_PROTOCOL", "-"),
        )
        for name in HIDDEN_HEADERS:
            atoms.pop(name, None)
        return atoms
