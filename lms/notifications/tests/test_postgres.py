"""The digest's hourly limit under concurrent deliveries (PostgreSQL row locks)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from lms.accounts.tests.factories import UserFactory
from lms.notifications import services
from lms.notifications.models import Category, Notification
from lms.payouts.tests.test_postgres import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_never_pass_the_hourly_limit(settings):
    # given: six notifications of one user, not yet delivered
    settings.NOTIFICATION_EMAILS_PER_HOUR = 3
    user = UserFactory()
    rows = [
        Notification.objects.create(user=user, category=Category.COMMUNITY, title=f"n{index}")
        for index in range(6)
    ]

    # when: their six deliveries decide about email at the same instant
    outcomes = run_at_once(6, lambda index: services.route_email(notification_id=rows[index].pk))

    # then: three go on their own, three wait for the digest
    assert sorted(str(result) for _, result in outcomes) == ["pending"] * 3 + ["sent"] * 3
    statuses = Notification.objects.filter(user=user).values_list("email_status", flat=True)
    assert sorted(statuses) == ["pending"] * 3 + ["sent"] * 3
    assert mail.outbox == []  # route_email decides; the task sends
