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

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=models.Q(read_at=None)
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
