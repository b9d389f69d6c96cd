"""Every write of support: open a ticket, change it (status, assignee, priority, category),
add a message. Locks follow `lms/support/locks.py`; status moves follow `lms/support/states.py`
and write their audit lines; notifications go to the owner on staff replies and status
changes, and to the assignee on assignment and owner replies."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.permissions import ADMIN, MANAGER
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.support import locks
from lms.support.errors import SupportError
from lms.support.models import Ticket, TicketMessage, TicketStatus
from lms.support.states import OWNER_MOVES, TICKET_STATES

_UNSET: Any = object()


def _title(text: str, ticket: Ticket) -> str:
    return f"{text}: {ticket.subject}"[:200]


def _ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_id": str(ticket.pk)}


@transaction.atomic
def open_ticket(
    *,
    owner: Any,
    subject: str,
    body: str,
    priority: str,
    category: str,
    request: AnyRequest = None,
) -> Ticket:
    """A new open ticket of `owner` (any signed-in user)."""
    ticket = Ticket.objects.create(
        owner=owner,
        subject=subject,
        body=body,
        priority=priority,
        category=category,
        last_activity_at=timezone.now(),
    )
    record(
        action=AuditAction.SUPPORT_TICKET_OPENED,
        actor=owner,
        target=ticket,
        request=request,
        data={"priority": priority, "category": category},
    )
    return ticket


def _staff_assignee(assignee_id: Any) -> Any:
    assignee = (
        get_user_model()
        .objects.filter(pk=assignee_id, is_active=True, role__in=(ADMIN, MANAGER))
        .first()
    )
    if assignee is None:
        raise Invalid(
            "Tickets are assigned to staff (an active admin or manager) only.",
            code=SupportError.ASSIGNEE_NOT_STAFF,
        )
    return assignee


def _staff_only(what: str) -> PermissionDenied:
    return PermissionDenied(f"Only staff change {what}.", code=SupportError.STAFF_ONLY)


@transaction.atomic
def update_ticket(
    *,
    ticket: Ticket,
    by: Any,
    by_staff: bool,
    status: str | None = None,
    assignee_id: Any = _UNSET,
    priority: str | None = None,
    category: str | None = None,
    request: AnyRequest = None,
) -> Ticket:
    """Change a ticket under its row lock. Staff (`by_staff`) change anything; the owner only
    reopens a resolved ticket or closes theirs (403 `staff_only` otherwise). A status move the
    table refuses is 409 `invalid_ticket_state`; any other change to a closed ticket 409
    `ticket_closed`; an assignee who is not staff 400 `assignee_not_staff` (`None`
    unassigns). The owner is notified of a status change made by someone else, a new
    assignee of their assignment."""
    if not by_staff:
        if assignee_id is not _UNSET or priority is not None or category is not None:
            raise _staff_only("the assignee, priority and category")
        if status is not None and status not in OWNER_MOVES:
            raise _staff_only(f"a ticket's status to {status}")
    locked = locks.lock_ticket(ticket.pk)
    changed: list[str] = []
    others = {"assignee": assignee_id is not _UNSET, "priority": priority, "category": category}
    if locked.status == TicketStatus.CLOSED and any(others.values()):
        raise Conflict("A closed ticket cannot change.", code=SupportError.TICKET_CLOSED)
    if status is not None and status != locked.status:
        _move(locked, status, by=by, request=request)
        changed += ["status", "resolved_at", "closed_at"]
    elif status is not None:
        TICKET_STATES.check(locked.status, status)  # the same state again: 409 as well
    if assignee_id is not _UNSET:
        assignee = _staff_assignee(assignee_id) if assignee_id is not None else None
        if (assignee.pk if assignee else None) != locked.assignee_id:
            previous = locked.assignee_id
            locked.assignee = assignee
            changed.append("assignee")
            record(
                action=AuditAction.SUPPORT_TICKET_ASSIGNED,
                actor=by,
                target=locked,
                request=request,
                data={
                    "from": str(previous) if previous else None,
                    "to": str(assignee.pk) if assignee else None,
                },
            )
            if assignee is not None and assignee.pk != by.pk:
                notify(
                    user=assignee,
                    category=Category.SUPPORT,
                    title=_title("Ticket assigned to you", locked),
                    data=_ticket_data(locked),
                )
    for field, value in (("priority", priority), ("category", category)):
        if value is not None and value != getattr(locked, field):
            record(
                action=AuditAction.SUPPORT_TICKET_UPDATED,
                actor=by,
                target=locked,
                request=request,
                data={"field": field, "from": getattr(locked, field), "to": value},
            )
            setattr(locked, field, value)
            changed.append(field)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


def _move(ticket: Ticket, status: str, *, by: Any, request: AnyRequest) -> None:
    """Apply one status move (checked and audited by the table) and its timestamps; tell the
    owner when someone else made it."""
    TICKET_STATES.apply(ticket, status, actor=by, request=request)
    now = timezone.now()
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.OPEN:
        ticket.resolved_at = None
    ticket.closed_at = now if status == TicketStatus.CLOSED else None
    if by.pk != ticket.owner_id:
        notify(
            user=get_user_model()(pk=ticket.owner_id),
            category=Category.SUPPORT,
            title=_title(f"Your ticket is {ticket.get_status_display().lower()}", ticket),
            data={**_ticket_data(ticket), "status": status},
        )


@transaction.atomic
def add_message(*, ticket: Ticket, author: Any, body: str) -> TicketMessage:
    """A message on a ticket by its owner or staff, under the ticket's row lock; 409
    `ticket_closed` on a closed ticket. A staff reply notifies the owner; the owner's
    message notifies the assignee (if any)."""
    locked = locks.lock_ticket(ticket.pk)
    if locked.status == TicketStatus.CLOSED:
        raise Conflict("This ticket is closed; open a new one.", code=SupportError.TICKET_CLOSED)
    from_staff = author.pk != locked.owner_id
    message = TicketMessage.objects.create(
        ticket=locked, author=author, body=body, from_staff=from_staff
    )
    locked.last_activity_at = message.created_at
    locked.save(update_fields=["last_activity_at", "updated_at"])
    recipient_id = locked.owner_id if from_staff else locked.assignee_id
    if recipient_id is not None and recipient_id != author.pk:
        notify(
            user=get_user_model()(pk=recipient_id),
            category=Category.SUPPORT,
            title=_title("Support replied" if from_staff else "New reply on a ticket", locked),
            body=body[:200],
            data={**_ticket_data(locked), "message_id": str(message.pk)},
        )
    return message
