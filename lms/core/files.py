"""Serving private files (CVs, certificates, submissions) after the view has checked access."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


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
