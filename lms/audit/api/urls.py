from django.urls import path

from lms.audit.api.views import AuditLogListView

urlpatterns = [path("audit-logs/", AuditLogListView.as_view(), name="audit-log-list")]
