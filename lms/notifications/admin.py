from django.contrib import admin

from lms.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("created_at", "user", "category", "title", "read_at")
    list_filter = ("category",)
    search_fields = ("user__email", "title")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
