"""Support tickets and their messages.

Invariants kept by the database: status, priority and category are one of their choices; a
resolved ticket has its `resolved_at` (the latest resolution; a reopening clears it), and
`closed_at` is set exactly while a ticket is closed; subjects and bodies are not empty and
bodies at most 10,000 characters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from lms.core.models import BaseModel

MAX_BODY_LENGTH = 10_000
MAX_SUBJECT_LENGTH = 200


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Most urgent first: the staff queue's `?ordering=priority`.
PRIORITY_RANK = {
    TicketPriority.URGENT: 0,
    TicketPriority.HIGH: 1,
    TicketPriority.MEDIUM: 2,
    TicketPriority.LOW: 3,
}


class TicketCategory(models.TextChoices):
    ACCOUNT = "account", "Account and sign-in"
    BILLING = "billing", "Payments, refunds and invoices"
    COURSES = "courses", "Courses and learning"
    TUTORING = "tutoring", "Tutoring and bookings"
    PAYOUTS = "payouts", "Earnings and payouts"
    TECHNICAL = "technical", "Technical problem"
    OTHER = "other", "Something else"


def _body_length(field: str, most: int) -> models.Q:
    return models.Q(GreaterThanOrEqual(Length(field), 1)) & models.Q(
        LessThanOrEqual(Length(field), most)
    )


class Ticket(BaseModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_tickets"
    )
    subject = models.CharField(max_length=MAX_SUBJECT_LENGTH)
    body = models.TextField()
    priority = models.CharField(
        max_length=10, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    category = models.CharField(
        max_length=20, choices=TicketCategory.choices, default=TicketCategory.OTHER
    )
    status = models.CharField(
        max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    # Staff only (admins and managers): the services check the role.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    # The newest message's time (the opening time until one arrives): the queue sorts by it.
    last_activity_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="ticket_owner_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=TicketPriority.values),
                name="ticket_priority_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=TicketCategory.values),
                name="ticket_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_at__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                name="ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=_body_length("body", MAX_BODY_LENGTH)
                & models.Q(GreaterThanOrEqual(Length("subject"), 1)),
                name="ticket_text_length",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class TicketMessage(BaseModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_messages"
    )
    body = models.TextField()
    # Written by staff for the owner (not the owner's own words): kept as it was when sent,
    # whatever the author's role becomes.
    from_staff = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticket_message_thread_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=_body_length("body", MAX_BODY_LENGTH), name="ticket_message_body_length"
            ),
        ]

    def __str__(self) -> str:
        return self.body[:50]
