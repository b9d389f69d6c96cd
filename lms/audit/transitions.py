"""The one state-transition helper: a table of allowed moves, one function that applies a move
and writes its audit line. Courses (review workflow), orders, withdrawals and instructor
applications each declare one `StateMachine`:

    ORDER_STATES = StateMachine(
        name="order",
        moves={PENDING: (PAID, FAILED, ...), PAID: (PARTIALLY_REFUNDED, REFUNDED), ...},
        actions={PAID: AuditAction.ORDER_PAID, ...},
        conflict_code=CommerceError.INVALID_ORDER_STATE,
    )
    ORDER_STATES.apply(order, OrderStatus.PAID, actor=None, data={"source": source})

`apply` checks the move (409 with the machine's code and the allowed moves otherwise), sets
the state on the (locked) row, and writes the audit line in the caller's transaction; the
caller saves the row with the fields it changed and sends its notification (what it says
differs per machine, and notifications sit beside audit in the layers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from lms.core.errors import Conflict
from lms.core.requests import AnyRequest

from .actions import AuditAction
from .services import record


@dataclass(frozen=True)
class StateMachine:
    """Allowed moves of one model's state field, and the audit action of each target."""

    name: str  # "order": the noun used in messages
    moves: Mapping[str, tuple[str, ...]]  # from → the states it may become
    actions: Mapping[str, AuditAction]  # target → the action its audit line records
    conflict_code: str  # the 409's code when a move is not allowed
    field: str = "status"

    def __post_init__(self) -> None:
        targets = {target for targets in self.moves.values() for target in targets}
        missing = targets - set(self.actions)
        if missing:
            raise ValueError(f"{self.name}: no audit action for {sorted(missing)}")

    def allowed(self, state: str) -> tuple[str, ...]:
        """The states `state` may become (empty for a final state)."""
        return tuple(self.moves.get(state, ()))

    def can(self, state: str, to: str) -> bool:
        return to in self.allowed(state)

    def check(self, state: str, to: str) -> None:
        """409 `conflict_code` when `state` may not become `to`."""
        if not self.can(state, to):
            allowed = ", ".join(self.allowed(state)) or "none"
            raise Conflict(
                f"A {state} {self.name} cannot become {to} (allowed: {allowed}).",
                code=self.conflict_code,
            )

    def apply(
        self,
        instance: models.Model,
        to: str,
        *,
        actor: Any = None,
        request: AnyRequest = None,
        data: dict[str, Any] | None = None,
    ) -> str:
        """Move the locked `instance` to `to` and write the audit line (`from`, `to` and
        `data`); returns the previous state. The caller saves the row."""
        previous = str(getattr(instance, self.field))
        self.check(previous, to)
        setattr(instance, self.field, to)
        record(
            action=self.actions[to],
            actor=actor,
            target=instance,
            request=request,
            data={"from": previous, "to": to, **(data or {})},
        )
        return previous
