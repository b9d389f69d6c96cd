"""Notifications are written by `notifications.services.notify` only; staff read them here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lms.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("created_at", "user", "category", "title", "read_at", "email_status")
    list_filter = ("category", "email_status")
    search_fields = ("user__email", "title")
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a notification sent here would skip the e-mail, push and preferences

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
