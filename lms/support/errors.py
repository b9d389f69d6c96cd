"""The error codes of support, in one place."""

from enum import StrEnum


class SupportError(StrEnum):
    # 409: a status move the state table does not allow (docs/support.md)
    INVALID_TICKET_STATE = "invalid_ticket_state"
    # 409: a closed ticket takes no message or change
    TICKET_CLOSED = "ticket_closed"
    # 400: an assignee who is not an active admin or manager
    ASSIGNEE_NOT_STAFF = "assignee_not_staff"
    # 403: an owner changing what only staff change (assignee, priority, category, a status
    # other than reopening or closing)
    STAFF_ONLY = "staff_only"
