"""Run by test_media_isolation.py as another pytest session (not collected on its own: its
name does not match `test_*.py`): writes where that session's files go, as JSON, to the
file named by LMS_MEDIA_PROBE_OUT."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages

from lms.learning.models import Certificate


def test_write_where_this_session_stores_files():
    roots = {
        "session": os.environ["MEDIA_ROOT"],
        "media_root": str(settings.MEDIA_ROOT),
        "default": storages["default"].location,
        "private": storages["private"].location,
        "file_field": Certificate._meta.get_field("pdf").storage.location,
    }
    Path(os.environ["LMS_MEDIA_PROBE_OUT"]).write_text(json.dumps(roots))
