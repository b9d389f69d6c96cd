"""Serving private files (CVs, certificates, submissions) after the view has checked access,
and media streams that players seek in (HTTP Range)."""

from __future__ import annotations

import re
import sys
from typing import Any

from django.core.files.base import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.utils.http import content_disposition_header
from ranged_response import RangedFileReader, RangedFileResponse


def private_file_response(file: FieldFile, *, filename_stem: str) -> FileResponse:
    """The file as a download: attachment, never sniffed or cached by shared caches.

    The download name is ours (`<stem>.<stored extension>`), never the uploader's.
    """
    extension = str(file.name).rsplit(".", 1)[-1]
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=f"{filename_stem}.{extension}",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# One range, RFC 9110 §14.1.2: `bytes=first-last`, `bytes=first-`, `bytes=-suffix`.
_RANGE = re.compile(
    r"\s*bytes\s*=\s*(?P<first>\d*)\s*-\s*(?P<last>\d*)\s*", re.ASCII | re.IGNORECASE
)


def _position(digits: str) -> int:
    """A byte position; one beyond any file (sys.maxsize) when longer than any file can be,
    so a thousand-digit number neither costs a big-integer parse nor trips Python's limit
    on the digits `int()` reads."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 19 else sys.maxsize


class _SizedRangedFileReader(RangedFileReader):
    """django-ranged-response's reader, told the file's size instead of learning it by reading
    the whole file into memory (its own `__init__` does `len(file.read())`: a whole video per
    seek), and closable, so the response closes the file when it is done."""

    def __init__(self, file_like: Any, *, size: int) -> None:
        self.f = file_like
        self.size = size
        self.block_size = RangedFileReader.block_size
        self.start = 0
        self.stop = size

    def close(self) -> None:
        self.f.close()

    def parse_range_header(self, header: str, resource_size: int) -> list[tuple[int, int]] | None:
        """The one range of `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, as
        (start, stop) with stop exclusive; None (ignored: the whole file) for anything else:
        another unit, several ranges, `last` before `first`, something not digits.

        A start at or past the end is returned as it is, however large, so the response
        answers it 416 (the library's own parse drops an open range past the end as malformed,
        and compares its numbers with the file's size in ways that let a huge first byte
        through as a 200 with the whole file).
        """
        match = _RANGE.fullmatch(header)
        if match is None:
            return None
        first, last = match.group("first"), match.group("last")
        if not first:
            if not last:
                return None
            suffix = _position(last)
            return [(max(resource_size - suffix, 0), resource_size)]
        start = _position(first)
        if not last:
            return [(start, max(resource_size, start + 1))]
        stop = _position(last) + 1
        if stop <= start:
            return None
        return [(start, stop)]


class RangedMediaResponse(RangedFileResponse):
    """A file answered whole (200) or in the one byte range asked for (206), RFC 9110 §14.

    The parsing and the slicing are django-ranged-response's (`parse_range_header`,
    `add_range_headers`, the reader). What its response leaves out with Django 5.2, because
    its reader is an iterator and not a file, so `FileResponse` sets no header of its own, is
    set here: `Content-Length` and `Content-Disposition` on every answer, `Accept-Ranges:
    bytes` also on a 200 (a player learns it can seek from the first answer), and a 416 with
    `Content-Range: bytes */<size>` and no body for a range that starts at or past the end,
    however large its first byte (the library would send the whole file with it). A HEAD
    gets a GET's status and headers without the body. A malformed or multi-range header is
    ignored: 200 with the whole file.
    """

    def __init__(
        self,
        request: HttpRequest,
        file: File[bytes],
        *,
        content_type: str,
        as_attachment: bool = False,
        filename: str = "",
    ) -> None:
        size = int(file.size)
        self.ranged_file = _SizedRangedFileReader(file, size=size)
        # FileResponse's own __init__, not RangedFileResponse's (which reads the whole file).
        FileResponse.__init__(
            self,
            self.ranged_file,
            content_type=content_type,
            as_attachment=as_attachment,
            filename=filename,
        )
        self["Content-Length"] = str(size)
        disposition = content_disposition_header(as_attachment, filename)
        if disposition:
            self["Content-Disposition"] = disposition
        self["Accept-Ranges"] = "bytes"
        if "HTTP_RANGE" in request.META:
            self.add_range_headers(request.META["HTTP_RANGE"])
        if self.status_code == 416:
            self["Content-Range"] = f"bytes */{size}"
            self["Content-Length"] = "0"
        if self.status_code == 416 or request.method == "HEAD":
            # No body; the file is still closed with the response (FileResponse keeps the
            # reader's close among its closers). A HEAD keeps the headers a GET would get.
            nothing: list[bytes] = []
            self.streaming_content = nothing


def ranged_file_response(
    request: HttpRequest,
    file: FieldFile,
    *,
    content_type: str,
    as_attachment: bool = False,
    filename: str = "",
) -> RangedMediaResponse:
    """`file` opened and answered with Range support (`RangedMediaResponse`)."""
    return RangedMediaResponse(
        request,
        file.open("rb"),
        content_type=content_type,
        as_attachment=as_attachment,
        filename=filename,
    )
