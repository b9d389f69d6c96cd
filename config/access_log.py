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

import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "~"
SHOWN_PARAMETERS = frozenset(
    {
        "page",
        "page_size",
        "ordering",
        "status",
        "format",
        "granularity",
        "from",
        "to",
        "currency",
        "level",
        "language",
        "kind",
    }
)
HIDDEN_HEADERS = frozenset({"{authorization}i", "{cookie}i", "{x-csrftoken}i"})


_NAME = re.compile(r"[a-z_]{1,40}")
# The path segment after these names a credential (lms/catalog/api/urls.py, learning's).
_SECRET_AFTER = re.compile(r"(/media/stream/|/certificates/verify/)[^/]+")
_SEPARATORS = re.compile(r"[&;]")


def redact_path(path: str) -> str:
    """`path` with the segments that carry a credential written as `~` (module docstring)."""
    path = _SECRET_AFTER.sub(lambda match: f"{match.group(1)}{REDACTED}", path)
    if ":" in path:
        path = "/".join(REDACTED if ":" in part else part for part in path.split("/"))
    return path


def redact_query(query: str) -> str:
    """`query` with the value of every parameter outside `SHOWN_PARAMETERS` replaced by `~`,
    and every name that does not look like one (lower-case letters and `_`, as this API's
    parameters are: a bare `?<token>` has no `=`) replaced too; `&` and `;` both separate
    parameters (written back as `&`); order kept."""
    if not query:
        return ""
    shown = []
    for part in _SEPARATORS.split(query):
        name, equals, value = part.partition("=")
        if not equals or not _NAME.fullmatch(name):
            shown.append(REDACTED)
        else:
            shown.append(f"{name}={value if name in SHOWN_PARAMETERS else REDACTED}")
    return "&".join(shown)


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
