"""Catalog's part of a person's export (lms.accounts.personal_data): the courses an
instructor authored and their media library's list.

Nothing is erased here: courses and their media are the platform's content that students
bought (they keep access); the author's name on them follows the account (the deletion
calls accounts' name-change and public-profile handlers, which refresh the search
documents and the cached pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lms.accounts.personal_data import ExportAttachment, ExportDocument
from lms.catalog.models import Course, MediaAsset


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    yield ExportDocument(
        "catalog/courses.json",
        list(
            Course.objects.filter(instructor=user)
            .order_by("created_at")
            .values("id", "slug", "title", "status", "price", "currency", "created_at")
        ),
    )
    yield ExportDocument(
        "catalog/media.json",
        list(
            MediaAsset.objects.filter(owner=user)
            .order_by("created_at")
            .values("id", "title", "kind", "size", "content_type", "created_at")
        ),
    )
