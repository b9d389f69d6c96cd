"""The one state-transition helper, and the rule that audit actions come from one enum."""

import ast
import pathlib

import pytest

from lms.audit.actions import AuditAction
from lms.audit.models import AuditLog
from lms.audit.transitions import StateMachine
from lms.core.errors import Conflict

pytestmark = pytest.mark.django_db

DOOR = StateMachine(
    name="door",
    moves={"shut": ("open",), "open": ("shut",)},
    actions={"open": AuditAction.ORDER_PAID, "shut": AuditAction.ORDER_CANCELLED},
    conflict_code="invalid_door_state",
)


def test_apply_moves_and_writes_one_audit_line(student):
    # given
    target = student  # any model row can be the audit target; the state lives on it
    target.status = "shut"

    # when
    previous = DOOR.apply(target, "open", actor=student, data={"why": "air"})

    # then
    assert (previous, target.status) == ("shut", "open")
    line = AuditLog.objects.get()
    assert (line.action, line.actor_id) == (AuditAction.ORDER_PAID, student.pk)
    assert line.data == {"from": "shut", "to": "open", "why": "air"}


def test_a_move_that_is_not_in_the_table_is_409_and_writes_nothing(student):
    student.status = "open"
    with pytest.raises(Conflict) as refused:
        DOOR.apply(student, "open")
    assert refused.value.code == "invalid_door_state"
    assert "allowed: shut" in str(refused.value.detail)
    assert not AuditLog.objects.exists()


def test_every_target_needs_its_audit_action():
    with pytest.raises(ValueError, match="no audit action"):
        StateMachine(name="x", moves={"a": ("b",)}, actions={}, conflict_code="x")


def test_no_audit_action_is_a_string_built_or_typed_in_place():
    # every `record(action=...)` / `record_many(action=...)` outside tests names an AuditAction
    offenders = []
    for path in pathlib.Path("lms").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "record",
                "record_many",
            ):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(
                        keyword.value, ast.Constant | ast.JoinedStr
                    ):
                        offenders.append(f"{path}:{node.lineno}")
    assert offenders == []
