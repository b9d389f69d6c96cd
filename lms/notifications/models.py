from django.conf import settings
from django.db import models

from lms.core.models import BaseModel


class Category(models.TextChoices):
    ACCOUNT = "account", "Account"
    COURSES = "courses", "Courses"
    LEARNING = "learning", "Learning"
    COMMERCE = "commerce", "Orders and payments"
    PAYOUTS = "payouts", "Earnings and payouts"
    COMMUNITY = "community", "Reviews and discussions"
    MESSAGES = "messages", "Messages"
    TUTORING = "tutoring", "Tutoring"
    SUPPORT = "support", "Support"


class EmailStatus(models.TextChoices):
    """Where a notification's email stands (docs/messaging.md, "Digest")."""

    NONE = "", "No email"
    SENT = "sent", "Sent on its own"
    PENDING = "pending", "Waiting for the digest"
    DIGEST = "digest", "Sent in a digest"
    SKIPPED = "skipped", "Dropped before the digest (read, or its category turned off)"


class Notification(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            # the hourly count of emails sent on their own, per user
            models.Index(
                fields=["user", "emailed_at"],
                name="notification_sent_email_idx",
                condition=models.Q(email_status="sent"),
            ),
            # the digest's queue
            models.Index(
                fields=["user", "created_at"],
                name="notification_digest_queue_idx",
                condition=models.Q(email_status="pending"),
            ),
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=models.Q(read_at=None)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
            # an email that went (alone or in a digest) has its time
            models.CheckConstraint(
                condition=~models.Q(email_status__in=["sent", "digest"])
                | models.Q(emailed_at__isnull=False),
                name="notification_emailed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EmailPreference(BaseModel):
    """Whether a user wants email for one category; no row means yes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="one_preference_per_category")
        ]
