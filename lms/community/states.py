"""The state tables of community: an item's visibility, and a discussion's three flags.

Visibility (reviews, lesson comments, discussions, replies), moved by staff only:

    visible → hidden (hide), hidden → visible (restore)

Discussion flags, moved by the course's instructors and platform staff (the accepted answer
also resolves a question, see services.accept_answer):

    pin:     is_pinned   False → True      unpin:     True → False
    lock:    is_locked   False → True      unlock:    True → False
    resolve: is_resolved False → True      unresolve: True → False

A move from a state that does not allow it (hide a hidden item, pin a pinned discussion) is
409 with the table's code; every move writes its audit line in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.audit.transitions import StateMachine
from lms.core.errors import Conflict
from lms.core.requests import AnyRequest

from .errors import CommunityError
from .models import Discussion, Visibility

VISIBILITY = StateMachine(
    name="item",
    moves={
        Visibility.VISIBLE: (Visibility.HIDDEN,),
        Visibility.HIDDEN: (Visibility.VISIBLE,),
    },
    actions={
        Visibility.HIDDEN: AuditAction.COMMUNITY_ITEM_HIDDEN,
        Visibility.VISIBLE: AuditAction.COMMUNITY_ITEM_RESTORED,
    },
    conflict_code=CommunityError.INVALID_MODERATION_STATE,
    field="visibility",
)


@dataclass(frozen=True, slots=True)
class FlagMove:
    field: str  # the Discussion boolean it sets
    value: bool  # what it sets it to
    action: AuditAction


DISCUSSION_FLAG_MOVES: dict[str, FlagMove] = {
    "pin": FlagMove("is_pinned", True, AuditAction.COMMUNITY_DISCUSSION_PINNED),
    "unpin": FlagMove("is_pinned", False, AuditAction.COMMUNITY_DISCUSSION_UNPINNED),
    "lock": FlagMove("is_locked", True, AuditAction.COMMUNITY_DISCUSSION_LOCKED),
    "unlock": FlagMove("is_locked", False, AuditAction.COMMUNITY_DISCUSSION_UNLOCKED),
    "resolve": FlagMove("is_resolved", True, AuditAction.COMMUNITY_DISCUSSION_RESOLVED),
    "unresolve": FlagMove("is_resolved", False, AuditAction.COMMUNITY_DISCUSSION_UNRESOLVED),
}


def apply_flag_move(
    discussion: Discussion, move_name: str, *, actor: Any, request: AnyRequest = None
) -> str:
    """Set the flag of `move_name` on the locked discussion and write the audit line; 409
    `invalid_discussion_state` when it already holds that value. Returns the changed field
    (the caller saves it)."""
    move = DISCUSSION_FLAG_MOVES[move_name]
    if getattr(discussion, move.field) == move.value:
        state = move.field.removeprefix("is_")
        raise Conflict(
            f"The discussion is already {'' if move.value else 'not '}{state}.",
            code=CommunityError.INVALID_DISCUSSION_STATE,
        )
    setattr(discussion, move.field, move.value)
    record(
        action=move.action,
        actor=actor,
        target=discussion,
        request=request,
        data={"field": move.field, "from": not move.value, "to": move.value},
    )
    return move.field
