"""A pytest plugin (pyproject.toml's addopts, `-p lms.core.pytest_media`): every test session
stores its files under a media root of its own.

One fixed MEDIA_ROOT for every run on a machine let two runs at once delete each other's
files (a test's cleanup, the orphan sweep), failing tests that had done nothing wrong. Here
the session makes a new directory, `<tmp>/lms-test-media-<pid>-<random>`, and puts it in the
environment before pytest-django reads the settings, so MEDIA_ROOT and everything built on
it are the session's: PUBLIC_MEDIA_ROOT, PRIVATE_MEDIA_ROOT, STORAGES, and the private
storage the models' FileFields take when they are imported. The directory is 0755 (nginx's
workers, another user, read public files under it: accounts' test_public_media_served) and
is removed when the session ends; one left behind by a session that was killed is removed
by the next session that finds its process gone.

Who shares it: xdist's workers, started by the session, keep its directory (config/settings.py
puts each worker's files under its id), and so do the processes a test starts with its
environment. A pytest session started by a test (or by one of its workers) is a session of
its own and makes its own directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

PREFIX = "lms-test-media-"
# The pid of the session that made the directory in MEDIA_ROOT: its xdist workers are its
# children, and only they take the directory over.
OWNER = "LMS_TEST_MEDIA_OWNER"

_made: Path | None = None  # the directory this process made, removed at its end


def _is_worker_of_owner() -> bool:
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) and os.environ.get(OWNER) == str(
        os.getppid()
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _sweep_abandoned(parent: Path) -> None:
    """Remove this user's media directories whose session no longer runs (killed runs)."""
    pattern = re.compile(rf"{re.escape(PREFIX)}(\d+)-")
    for path in parent.glob(f"{PREFIX}*"):
        match = pattern.match(path.name)
        with contextlib.suppress(OSError):
            if match and path.stat().st_uid == os.getuid() and not _alive(int(match[1])):
                shutil.rmtree(path, ignore_errors=True)


def session_media_root() -> Path:
    """A new media root for this session: empty, 0755, named after this process."""
    parent = Path(tempfile.gettempdir())
    _sweep_abandoned(parent)
    root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
    root.chmod(0o755)
    return root


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    global _made
    if _is_worker_of_owner():
        return
    _made = session_media_root()
    os.environ["MEDIA_ROOT"] = str(_made)
    os.environ[OWNER] = str(os.getpid())


def pytest_unconfigure(config: pytest.Config) -> None:
    global _made
    if _made is not None:
        shutil.rmtree(_made, ignore_errors=True)
        _made = None
