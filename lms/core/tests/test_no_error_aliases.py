"""An error class is used by its own name: no module binds it to a short alias (issue 9's
review: `E = TutoringError` in lms/tutoring/api/views.py, which a reader then has to look up
at every `E.CODE`)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

LMS = Path(settings.BASE_DIR) / "lms"


def _aliased_class(value: ast.expr) -> str | None:
    """The class name `value` refers to (`X` or `module.X`), if it names an error class."""
    if isinstance(value, ast.Name):
        name = value.id
    elif isinstance(value, ast.Attribute):
        name = value.attr
    else:
        return None
    return name if name.endswith(("Error", "Exception")) else None


def test_no_module_gives_an_error_class_another_name():
    aliases = []
    for path in LMS.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                aliased = _aliased_class(node.value)
                for target in targets:
                    if aliased and isinstance(target, ast.Name) and target.id != aliased:
                        aliases.append(f"{path.relative_to(LMS)}: {target.id} = {aliased}")
    assert aliases == []
