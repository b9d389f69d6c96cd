"""The private storage on a local disk (STORAGE_BACKEND=local).

Private files keep folders of 0750 and files of 0640 (settings.STORAGES), but Django creates
any missing folder above a file with the mode of its own storage, the media root included:
if a private file is written first, MEDIA_ROOT becomes 0750 and nginx's workers, another
user, can no longer reach MEDIA_ROOT/public beside it (every avatar answered 403). This
storage creates the media root itself, traversable (0755 under the usual umask), before its
first file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        root = Path(self.location).parent
        if not root.is_dir():
            root.mkdir(mode=0o755, parents=True, exist_ok=True)
        return super().save(name, content, max_length=max_length)
