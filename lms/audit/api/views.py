import django_filters
from rest_framework import generics

from lms.audit.api.serializers import AuditLogSerializer
from lms.audit.models import AuditLog
from lms.core.permissions import IsAdmin


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.UUIDFilter(field_name="actor_id")
    action = django_filters.CharFilter()
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditLog
        fields = ["actor", "action", "target_type", "target_id"]


class AuditLogListView(generics.ListAPIView[AuditLog]):
    """Admins read the audit log, newest first, filtered by actor, action, target or time."""

    permission_classes = [IsAdmin]
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilter
    queryset = AuditLog.objects.select_related("actor", "impersonator").order_by("-created_at")
