"""Absolute URLs in responses: the one rule for every image, file and signed link.

A URL is built from the request that asked (its scheme, host and port, through Django's
`request.build_absolute_uri`, so it follows ALLOWED_HOSTS, USE_X_FORWARDED_HOST and the
trusted proxy's scheme); `settings.BACKEND_URL` is used only where there is no request
(emails, Celery tasks, PDFs). Serializers get the request through their context
(`context={"request": request}`). A URL a storage already made absolute (S3, R2, a CDN)
is returned as it is.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages


def absolute_url(url: str, request: Any = None) -> str:
    """`url` (a path such as `/media/x.webp`) made absolute for `request`, else BACKEND_URL."""
    if "://" in url or url.startswith("//"):
        return url
    path = url if url.startswith("/") else f"/{url}"
    if request is not None:
        return str(request.build_absolute_uri(path))
    return f"{settings.BACKEND_URL}{path}"


def file_url(value: Any, request: Any = None, *, storage: Storage | None = None) -> str | None:
    """The absolute URL of a stored file, from its field value or stored name; None if empty.

    Public files only: private ones are served by permission-checked views, whose URL is
    `absolute_url(reverse(...), request)`.
    """
    name = getattr(value, "name", value)
    if not name:
        return None
    return absolute_url((storage or storages["default"]).url(name), request)


class FileUrls:
    """`file_url` for many rows of one request (the list pages): the storage is found once."""

    def __init__(self, request: Any, *, storage: Storage | None = None) -> None:
        self.request = request
        self.storage = storage or storages["default"]

    def __call__(self, value: Any) -> str | None:
        return file_url(value, self.request, storage=self.storage)
