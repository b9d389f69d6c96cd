"""The sweep of stored uploads that no row names (a file left by a rolled-back insert)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.core import tasks
from lms.core.orphans import sweep_orphan_files, upload_folders

pytestmark = pytest.mark.django_db
# Other tests of this worker store files in the same media root, all of them recent: these
# tests age their own files and look only at those.


def _stored(storage, name: str, *, age: timedelta) -> str:
    saved = storage.save(name, ContentFile(b"bytes"))
    when = (timezone.now() - age).timestamp()
    os.utime(storage.path(saved), (when, when))
    return saved


def test_upload_folders_cover_every_upload_field():
    folders = {folder for _, folder in upload_folders()}
    assert {"avatars", "applications/cv", "catalog/media", "certificates"} <= folders
    assert "assessments/submissions" in folders


def test_old_unreferenced_files_go_and_everything_else_stays():
    # given: an avatar in use, a public and a private file that no row names (a day and a
    # half old), and an orphan of a minute ago (its transaction may still commit)
    kept = _stored(default_storage, "avatars/in-use.png", age=timedelta(days=3))
    UserFactory(avatar=kept)
    public_orphan = _stored(default_storage, "avatars/orphan.png", age=timedelta(hours=36))
    private = storages["private"]
    private_orphan = _stored(private, "applications/cv/orphan.pdf", age=timedelta(days=2))
    recent = _stored(default_storage, "avatars/just-now.png", age=timedelta(minutes=1))

    # when
    sweep = sweep_orphan_files(older_than=timedelta(days=1))

    # then
    assert {public_orphan, private_orphan} <= set(sweep.removed)
    assert kept not in sweep.removed
    assert recent not in sweep.removed
    assert not default_storage.exists(public_orphan)
    assert not private.exists(private_orphan)
    assert default_storage.exists(kept)
    assert default_storage.exists(recent)
    assert sweep.referenced >= 1
    assert sweep.kept_recent >= 1


def test_the_daily_task_sweeps():
    orphan = _stored(default_storage, "avatars/left-behind.png", age=timedelta(days=2))

    result = tasks.sweep_orphan_files.apply()  # eagerly, as the beat would have it run
    assert result.successful()
    assert result.result >= 1
    assert not default_storage.exists(orphan)


def test_a_missing_folder_is_nothing_to_sweep(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "empty")

    assert sweep_orphan_files().removed == []
