from rest_framework import generics

from lms.audit.api.filters import AuditLogFilter
from lms.audit.api.serializers import AuditLogSerializer
from lms.audit.models import AuditLog
from lms.core.permissions import IsAdmin


class AuditLogListView(generics.ListAPIView[AuditLog]):
    """Admins read the audit log, newest first, filtered by actor, action, target or time."""

    permission_classes = [IsAdmin]
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilter
    queryset = AuditLog.objects.select_related("actor", "impersonator").order_by("-created_at")
