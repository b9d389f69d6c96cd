"""Each test session stores its files under a media root of its own (lms.core.pytest_media,
loaded by pyproject.toml's addopts): with one MEDIA_ROOT for every run on a machine, two runs
at once deleted each other's files and failed tests that had done nothing wrong (issue 9's
review)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import storages

from lms.core import pytest_media
from lms.learning.models import Certificate

PROBE = Path(__file__).with_name("media_probe.py")

pytestmark = pytest.mark.skipif(
    settings.STORAGE_BACKEND != "local", reason="the local storage's directories"
)


def _within(path: str | Path, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


def test_this_session_stores_every_file_under_a_directory_of_its_own():
    session = Path(os.environ["MEDIA_ROOT"])

    # the session made it (named after it), not the root every run used to share
    assert session.name.startswith(pytest_media.PREFIX)
    assert session != Path("/tmp/lms-test-media")
    assert session.is_dir()
    # every setting and storage built on MEDIA_ROOT is under it, the FileFields' private
    # storage (taken when the models were imported) included
    media_root = Path(settings.MEDIA_ROOT)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    assert media_root == (session / worker if worker else session)
    for path in (
        settings.PUBLIC_MEDIA_ROOT,
        settings.PRIVATE_MEDIA_ROOT,
        storages["default"].location,
        storages["private"].location,
        Certificate._meta.get_field("pdf").storage.location,
    ):
        assert _within(path, media_root), path
    # nginx's workers (another user) go through it to the public files
    assert stat.S_IMODE(session.stat().st_mode) & 0o005 == 0o005


def _session(out: Path, *extra: str) -> subprocess.Popen[str]:
    """Another pytest session (the probe alone) started from here, with this test's
    environment as it is (xdist's worker variables included when this runs in a worker) and
    no Redis (its cache cleanup must not touch this run's keys)."""
    env = {**os.environ, "LMS_MEDIA_PROBE_OUT": str(out), "REDIS_URL": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", str(PROBE), "-q", *extra],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_sessions_at_once_never_share_a_media_root(tmp_path):
    # given: two more sessions started at once, the second with an xdist worker
    outputs = [tmp_path / "plain.json", tmp_path / "xdist.json"]
    runs = [_session(outputs[0]), _session(outputs[1], "-n", "1")]
    for run in runs:
        output, _ = run.communicate(timeout=180)
        assert run.returncode == 0, output
    plain, xdist = (json.loads(path.read_text()) for path in outputs)
    ours = Path(os.environ["MEDIA_ROOT"])

    # then: three sessions, three media roots
    roots: list[Any] = [ours, Path(plain["session"]), Path(xdist["session"])]
    assert len(set(roots)) == 3
    for seen in (plain, xdist):
        session = Path(seen["session"])
        assert session.name.startswith(pytest_media.PREFIX)
        for name in ("media_root", "default", "private", "file_field"):
            assert _within(seen[name], session), (name, seen)
        # and each removed its own when it ended
        assert not session.exists()
    # the worker stored under its session's directory, in its own folder
    assert Path(xdist["media_root"]) == Path(xdist["session"]) / "gw0"
    # ours is still there
    assert ours.is_dir()


def test_a_directory_left_by_a_killed_session_is_removed_by_the_next(tmp_path):
    # given: the directory of a session whose process is gone, and one of a running session
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{pytest_media.PREFIX}{int(ended.stdout)}-abc"
    running = tmp_path / f"{pytest_media.PREFIX}{os.getpid()}-def"
    for directory in (dead, running):
        (directory / "public").mkdir(parents=True)
        (directory / "public" / "avatar.png").write_bytes(b"x")

    # when: a session looks for abandoned directories there
    pytest_media._sweep_abandoned(tmp_path)

    # then: the dead session's is gone, the running one's untouched
    assert not dead.exists()
    assert (running / "public" / "avatar.png").exists()
