"""`{% load analytics_admin %}{% staff_dashboard %}`: the admin index's queues and charts
(lms/analytics/admin_dashboard.py), for admins and managers; nothing for anyone else."""

from __future__ import annotations

from typing import Any

from django import template

from lms.core.permissions import is_staff_member

from ..admin_dashboard import dashboard

register = template.Library()


@register.inclusion_tag("analytics/admin_dashboard.html", takes_context=True)
def staff_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not is_staff_member(getattr(request, "user", None)):
        return {"show": False}
    return {"show": True, **dashboard(request)}
