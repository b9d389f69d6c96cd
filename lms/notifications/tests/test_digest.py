"""A digest email instead of one email per notification past NOTIFICATION_EMAILS_PER_HOUR in
an hour, honouring each category's email preference (issue 12 item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.notifications import services, tasks
from lms.notifications.models import Category, EmailPreference, EmailStatus, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_per_hour(settings):
    settings.NOTIFICATION_EMAILS_PER_HOUR = 3


def notify_many(user, count, capture, category=Category.COMMUNITY, **kwargs):
    with capture(execute=True):
        return [
            services.notify(user=user, category=category, title=f"event {index}", **kwargs)
            for index in range(count)
        ]


def statuses(user):
    return list(
        Notification.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("email_status", flat=True)
    )


def test_past_the_hourly_limit_notifications_wait_for_the_digest(
    student, django_capture_on_commit_callbacks
):
    # when: five notifications within the hour
    notify_many(student, 5, django_capture_on_commit_callbacks)

    # then: three emails on their own, two waiting
    assert len(mail.outbox) == 3
    assert sorted(statuses(student)) == ["pending", "pending", "sent", "sent", "sent"]

    # when: the hourly digest runs
    mail.outbox.clear()
    assert tasks.send_notification_digests.apply().result == 1

    # then: one email lists both, and a second run sends nothing
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [student.email]
    assert digest.subject == "2 new notifications on LearnFlow"
    assert digest.body.count("- event") == 2
    assert sorted(statuses(student)) == ["digest", "digest", "sent", "sent", "sent"]
    assert tasks.send_notification_digests.apply().result == 0
    assert len(mail.outbox) == 1


def test_the_hour_is_rolling(student, django_capture_on_commit_callbacks):
    notify_many(student, 3, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        notify_many(student, 1, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 4
    assert "pending" not in statuses(student)


def test_the_digest_honours_preferences_as_they_stand_when_it_goes(
    student, django_capture_on_commit_callbacks
):
    # given: three sent, then two community and one commerce waiting
    notify_many(student, 3, django_capture_on_commit_callbacks)
    notify_many(student, 2, django_capture_on_commit_callbacks, category=Category.COMMUNITY)
    notify_many(student, 1, django_capture_on_commit_callbacks, category=Category.COMMERCE)
    mail.outbox.clear()
    # when: community is turned off before the digest
    services.update_email_preferences(user=student, changes={"community": False})
    tasks.send_notification_digests.delay()

    # then: only the commerce one is listed
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "1 new notification on LearnFlow"
    waiting = Notification.objects.filter(user=student, category=Category.COMMUNITY).exclude(
        email_status=EmailStatus.SENT
    )
    assert set(waiting.values_list("email_status", flat=True)) == {"skipped"}


def test_a_category_turned_off_is_neither_mailed_nor_queued(
    student, django_capture_on_commit_callbacks
):
    EmailPreference.objects.create(user=student, category=Category.MESSAGES, enabled=False)

    notify_many(student, 5, django_capture_on_commit_callbacks, category=Category.MESSAGES)

    assert mail.outbox == []
    assert set(statuses(student)) == {""}
    assert tasks.send_notification_digests.apply().result == 0


def test_notifications_read_in_the_app_leave_the_digest(
    student, django_capture_on_commit_callbacks
):
    notify_many(student, 5, django_capture_on_commit_callbacks)
    services.mark_all_read(user=student)
    mail.outbox.clear()

    assert tasks.send_notification_digests.apply().result == 0
    assert mail.outbox == []


def test_in_app_only_notifications_do_not_count(student, django_capture_on_commit_callbacks):
    notify_many(student, 5, django_capture_on_commit_callbacks, email=False)
    notify_many(student, 1, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_each_user_has_their_own_hour(django_capture_on_commit_callbacks):
    busy, quiet = UserFactory(), UserFactory()
    notify_many(busy, 4, django_capture_on_commit_callbacks)
    notify_many(quiet, 1, django_capture_on_commit_callbacks)

    assert [message.to for message in mail.outbox].count([quiet.email]) == 1
    assert statuses(quiet) == ["sent"]


def test_a_retried_delivery_never_mails_twice(student, django_capture_on_commit_callbacks):
    [notification] = notify_many(student, 1, django_capture_on_commit_callbacks)

    tasks.deliver_notification.delay(str(notification.pk))

    assert len(mail.outbox) == 1
