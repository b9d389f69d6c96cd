"""Stored files that no row points at, and their removal.

A file is written to storage when its row is saved, inside the request's transaction; when
that transaction then rolls back (a failed insert, a lost race), the row is gone and the file
stays. Django has no hook on rollback, so a periodic sweep removes such files instead:
`sweep_orphan_files` lists every upload folder (each `UploadPath` prefix of every FileField of
every installed model, on that field's storage), and deletes what no row of those fields
names, once it is older than `older_than`: an upload whose transaction has not committed yet
is never that old, and a file is never removed while a row could still commit with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.files.storage import Storage
from django.db import models
from django.utils import timezone

from lms.core.uploads import UploadPath

logger = logging.getLogger(__name__)


@dataclass
class Sweep:
    removed: list[str] = field(default_factory=list)
    kept_recent: int = 0
    referenced: int = 0


def upload_folders() -> dict[tuple[int, str], tuple[Storage, list[models.FileField]]]:
    """Every (storage, folder) that FileFields upload to, with the fields that use it."""
    folders: dict[tuple[int, str], tuple[Storage, list[models.FileField]]] = {}
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField) and isinstance(
                model_field.upload_to, UploadPath
            ):
                key = (id(model_field.storage), model_field.upload_to.prefix)
                folders.setdefault(key, (model_field.storage, []))[1].append(model_field)
    return folders


def _names_in_use(fields: Iterable[models.FileField]) -> set[str]:
    names: set[str] = set()
    for model_field in fields:
        model: Any = model_field.model
        names.update(
            name
            for name in model._default_manager.exclude(**{model_field.name: ""})
            .values_list(model_field.name, flat=True)
            .iterator()
            if name
        )
    return names


def _files_under(storage: Storage, folder: str) -> Iterable[str]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _files_under(storage, f"{folder}/{directory}")


def sweep_orphan_files(
    *, older_than: timedelta = timedelta(days=1), now: datetime | None = None
) -> Sweep:
    """Delete the stored files of upload folders that no row names, once `older_than` old."""
    cutoff = (now or timezone.now()) - older_than
    sweep = Sweep()
    for (_, folder), (storage, fields) in upload_folders().items():
        in_use = _names_in_use(fields)
        for name in _files_under(storage, folder):
            if name in in_use:
                sweep.referenced += 1
            elif storage.get_modified_time(name) > cutoff:
                sweep.kept_recent += 1
            else:
                storage.delete(name)
                sweep.removed.append(name)
    if sweep.removed:
        logger.info("core.orphan_files_removed", extra={"count": len(sweep.removed)})
    return sweep
