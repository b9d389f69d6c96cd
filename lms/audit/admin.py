from django.contrib import admin

from lms.audit.models import AuditLog
from lms.core.admin import ViewOnlyAdmin


@admin.register(AuditLog)
class AuditLogAdmin(ViewOnlyAdmin):
    list_display = ("position", "created_at", "action", "actor", "target_type", "target_repr", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "target_repr", "actor__email", "ip")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
