from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lms.audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    list_display = ("created_at", "action", "actor", "target_type", "target_repr", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "target_repr", "actor__email", "ip")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
