"""A private file written first must not close the media root to nginx's workers."""

from __future__ import annotations

import stat
from pathlib import Path

from django.core.files.base import ContentFile

from lms.core.local_storage import PrivateFileSystemStorage


def test_a_private_file_written_first_leaves_the_media_root_traversable(tmp_path: Path):
    media_root = tmp_path / "media"
    private = PrivateFileSystemStorage(
        location=str(media_root / "private"),
        file_permissions_mode=0o640,
        directory_permissions_mode=0o750,
    )

    name = private.save("applications/cv.pdf", ContentFile(b"%PDF-1.7"))

    assert stat.S_IMODE(media_root.stat().st_mode) & 0o005 == 0o005  # others may traverse
    assert stat.S_IMODE((media_root / "private").stat().st_mode) == 0o750
    assert stat.S_IMODE((media_root / "private" / name).stat().st_mode) == 0o640
