"""What a URL may carry as a credential, hidden for logs: one rule for gunicorn's access log
(config/access_log.py) and the application's own log lines that name a request
(config/log_filters.RedactRequestCredentials).

A query's values are written as `~` unless the parameter is in `SHOWN_PARAMETERS` (pages,
orderings, plain filters by status, dates and currency); a name that does not look like one
of this API's (a bare `?<token>`) is hidden too. Two routes carry a credential in the path,
the media stream's signed link (`/media/stream/<token>/`) and a certificate's verification
code (`/certificates/verify/<code>/`): that segment is written as `~`, as is any segment
holding `:` (what django.core.signing's tokens contain).
"""

from __future__ import annotations

import re

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


def redact_url(path: str, query: str) -> str:
    """`path?query` as a log may show it."""
    shown = redact_query(query)
    return f"{redact_path(path)}?{shown}" if shown else redact_path(path)
