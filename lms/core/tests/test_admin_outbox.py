"""The task outbox in the admin: staff read the waiting tasks; nobody edits them there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.core.models import UnsentTask

pytestmark = pytest.mark.django_db


def test_staff_see_the_tasks_waiting_for_the_broker(admin_client):
    # given
    UnsentTask.objects.create(
        task="lms.commerce.tasks.send_order_receipt", args=["0f0e"], last_error="OperationalError"
    )

    # when
    page = admin_client.get(reverse("admin:core_unsenttask_changelist"))

    # then
    assert page.status_code == 200
    assert b"lms.commerce.tasks.send_order_receipt" in page.content
    assert b"OperationalError" in page.content


def test_the_outbox_cannot_be_added_to_changed_or_deleted_in_the_admin(admin_client):
    row = UnsentTask.objects.create(task="lms.commerce.tasks.send_order_receipt", args=["0f0e"])

    assert admin_client.get(reverse("admin:core_unsenttask_add")).status_code == 403
    deleted = admin_client.post(
        reverse("admin:core_unsenttask_delete", args=[row.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert UnsentTask.objects.filter(pk=row.pk).exists()


def test_rows_given_up_are_shown_apart(admin_client, settings):
    settings.CELERY_OUTBOX_MAX_ATTEMPTS = 20
    UnsentTask.objects.create(task="lms.tasks.still_waiting", args=[], attempts=3)
    UnsentTask.objects.create(
        task="lms.tasks.given_up", args=[], attempts=20, last_error="TypeError"
    )
    page = reverse("admin:core_unsenttask_changelist")

    given_up = admin_client.get(page, {"state": "given_up"})
    waiting = admin_client.get(page, {"state": "waiting"})

    assert shown(given_up) == ["lms.tasks.given_up"]
    assert shown(waiting) == ["lms.tasks.still_waiting"]
    assert b"given up" in admin_client.get(page).content  # the column


def shown(page) -> list[str]:
    return [row.task for row in page.context["cl"].result_list]
