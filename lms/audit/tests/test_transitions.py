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


WRITERS = ("record", "record_many")


def typed_in_place(source: str, path: str = "<source>") -> list[str]:
    """`path:line` of every `record(...)` / `record_many(...)` call (by name or attribute) whose
    `action=` holds a string literal or an f-string anywhere inside it: directly, in either
    branch of a conditional, in a call's arguments, a subscript, a boolean expression."""
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in WRITERS:
            continue
        for keyword in node.keywords:
            if keyword.arg == "action" and any(
                isinstance(part, ast.JoinedStr)
                or (isinstance(part, ast.Constant) and isinstance(part.value, str))
                for part in ast.walk(keyword.value)
            ):
                offenders.append(f"{path}:{node.lineno}")
    return offenders


@pytest.mark.parametrize(
    "action",
    [
        '"user.deactivated"',
        'f"user.{what}"',
        'AuditAction.USER_ACTIVATED if on else "user.deactivated"',
        'AuditAction.USER_ACTIVATED if on else f"user.{what}"',
        'on and "user.activated" or AuditAction.USER_DEACTIVATED',
        'AuditAction("user.deactivated")',
        '"user." + what',
        '"user.{}".format(what)',
        'ACTIONS["deactivated"]',
    ],
)
@pytest.mark.parametrize("call", ["record", "record_many", "audit.record"])
def test_the_guard_finds_a_string_anywhere_in_the_action(call, action):
    # F3 of issue 9: a literal in a conditional's branch passed the guard's older, top-level check
    source = f"{call}(actor=None, action={action}, target=None)\n"
    assert typed_in_place(source) == ["<source>:1"]


@pytest.mark.parametrize(
    "action", ["AuditAction.USER_ACTIVATED if on else AuditAction.USER_DEACTIVATED", "move.action"]
)
def test_the_guard_passes_an_enum_member_or_a_name(action):
    assert typed_in_place(f'record(action={action}, data={{"from": "a"}})\n') == []


def test_no_audit_action_is_a_string_built_or_typed_in_place():
    # every `record(action=...)` / `record_many(action=...)` outside tests names an AuditAction
    # (mypy holds the type too: lms.audit.services.record takes `action: AuditAction`)
    offenders = []
    for path in pathlib.Path("lms").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        offenders += typed_in_place(path.read_text(), str(path))
    assert offenders == []
