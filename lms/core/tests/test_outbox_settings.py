"""The outbox's settings (CELERY_OUTBOX_*) are declared once, in config/settings.py, from the
environment, listed in the README's settings table, and read plainly where they are used: no
default of their own beside a getattr (issue 9's review found each default in three places,
config/celery.py, lms/core/tasks.py and lms/core/admin.py)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS_FILE = ROOT / "config" / "settings.py"
NAME = re.compile(r"\bCELERY_OUTBOX_[A-Z_]+\b")


def _declared() -> set[str]:
    """The CELERY_OUTBOX_* names config/settings.py assigns."""
    tree = ast.parse(SETTINGS_FILE.read_text())
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and NAME.fullmatch(target.id)
    }


def _sources() -> list[Path]:
    """The code that may read settings: lms/ and config/, tests and migrations aside."""
    paths = [*(ROOT / "lms").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    return [
        path
        for path in paths
        if path != SETTINGS_FILE and not {"tests", "migrations"} & set(path.parts)
    ]


def test_every_outbox_setting_the_code_names_is_declared_and_in_the_readme():
    declared = _declared()
    named = {name for path in _sources() for name in NAME.findall(path.read_text())}
    readme_rows = [
        line for line in (ROOT / "README.md").read_text().splitlines() if line[:1] == "|"
    ]

    assert declared >= {
        "CELERY_OUTBOX_COOLDOWN_SECONDS",
        "CELERY_OUTBOX_MAX_ROWS",
        "CELERY_OUTBOX_MAX_ATTEMPTS",
    }
    assert named <= declared, named - declared
    for name in declared:
        assert any(f"`{name}`" in row for row in readme_rows), name


def test_no_code_passes_an_outbox_setting_by_name_with_a_default_of_its_own():
    """`getattr(settings, "CELERY_OUTBOX_...", default)`, or any helper taking the name as a
    string: a second default that can drift from the declared one."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and NAME.fullmatch(str(arg.value)):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {arg.value}")
    assert found == []


def test_the_outbox_settings_come_from_the_environment():
    script = (
        "import json, config.settings as s; print(json.dumps([s.CELERY_OUTBOX_COOLDOWN_SECONDS,"
        " s.CELERY_OUTBOX_MAX_ROWS, s.CELERY_OUTBOX_MAX_ATTEMPTS]))"
    )
    variables = {
        "CELERY_OUTBOX_COOLDOWN_SECONDS": "2.5",
        "CELERY_OUTBOX_MAX_ROWS": "7",
        "CELERY_OUTBOX_MAX_ATTEMPTS": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == [2.5, 7, 3]
