"""Audit lines added by issue 15's check of the earlier apps: changes of where an instructor
is paid or what they charge are money-relevant and write a line naming the fields only."""

from __future__ import annotations

import pytest

from lms.audit.actions import AuditAction
from lms.audit.models import AuditLog

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def test_payout_details_change_writes_a_line_without_the_details(client_for, instructor):
    response = client_for(instructor).patch(
        ME,
        {"profile": {"hourly_rate": "55.00", "payout_details": {"iban": "DE89370400440532013000"}}},
        format="json",
        HTTP_USER_AGENT="pytest-agent",
    )

    assert response.status_code == 200, response.content
    line = AuditLog.objects.get(action=AuditAction.USER_PAYMENT_SETTINGS_CHANGED)
    assert line.actor_id == instructor.pk
    assert line.data == {"fields": ["hourly_rate", "payout_details"]}
    assert "DE89" not in str(line.data)
    assert line.user_agent == "pytest-agent"


def test_other_profile_changes_write_no_such_line(client_for, instructor, student):
    client_for(instructor).patch(ME, {"profile": {"headline": "New"}}, format="json")
    client_for(student).patch(ME, {"profile": {"currency": "EUR"}}, format="json")

    assert not AuditLog.objects.filter(action=AuditAction.USER_PAYMENT_SETTINGS_CHANGED).exists()
