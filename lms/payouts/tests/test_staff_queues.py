"""The staff's other queues: instructor applications (admin, manager) and withdrawals (admin),
one status at a time, oldest first, with the page's `count`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts.models import InstructorApplication
from lms.accounts.tests.factories import InstructorApplicationFactory, InstructorFactory
from lms.payouts.models import Withdrawal
from lms.payouts.tests.factories import earn, request_withdrawal

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v1/instructor-applications/"
WITHDRAWALS = "/api/v1/withdrawals/"


def _aged(model, rows, *, days):
    for row, age in zip(rows, days, strict=True):
        model.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=age))


@pytest.mark.parametrize("staff", ["admin_client_api", "manager_client"])
def test_application_queue_oldest_first(request, staff):
    pending = InstructorApplicationFactory.create_batch(3)
    _aged(InstructorApplication, pending, days=[1, 5, 3])
    InstructorApplicationFactory(status=InstructorApplication.Status.REJECTED)
    response = request.getfixturevalue(staff).get(f"{APPLICATIONS}?status=pending")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [
        str(pending[1].pk),
        str(pending[2].pk),
        str(pending[0].pk),
    ]


def test_application_list_without_a_status_stays_newest_first(admin_client_api):
    rows = InstructorApplicationFactory.create_batch(2)
    _aged(InstructorApplication, rows, days=[4, 2])
    ids = [item["id"] for item in admin_client_api.get(APPLICATIONS).json()["results"]]
    assert ids == [str(rows[1].pk), str(rows[0].pk)]


def test_application_queue_query_count(admin_client_api, django_assert_max_num_queries):
    InstructorApplicationFactory.create_batch(8)
    with django_assert_max_num_queries(4):
        assert admin_client_api.get(f"{APPLICATIONS}?status=pending").json()["count"] == 8


def test_a_student_sees_only_their_own_applications(student, student_client):
    own = InstructorApplicationFactory(user=student)
    InstructorApplicationFactory()
    body = student_client.get(f"{APPLICATIONS}?status=pending").json()
    assert [item["id"] for item in body["results"]] == [str(own.pk)]


def _withdrawals(count: int) -> list[Withdrawal]:
    rows = []
    for _ in range(count):
        instructor = InstructorFactory()
        earn(instructor, "100.00")
        rows.append(request_withdrawal(instructor, "10.00"))
    return rows


def test_withdrawal_queue_oldest_first(admin_client_api):
    rows = _withdrawals(3)
    _aged(Withdrawal, rows, days=[2, 6, 4])
    response = admin_client_api.get(f"{WITHDRAWALS}?status=pending")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [
        str(rows[1].pk),
        str(rows[2].pk),
        str(rows[0].pk),
    ]
    # without a status: the history, newest first
    history = [item["id"] for item in admin_client_api.get(WITHDRAWALS).json()["results"]]
    assert history == [str(rows[0].pk), str(rows[2].pk), str(rows[1].pk)]


def test_withdrawal_queue_query_count(admin_client_api, django_assert_max_num_queries):
    _withdrawals(6)
    with django_assert_max_num_queries(4):
        assert admin_client_api.get(f"{WITHDRAWALS}?status=pending").json()["count"] == 6


def test_withdrawals_are_money_an_admin_handles(manager_client, student_client, anon_client):
    """Managers approve courses and applications; payouts stay with admins (403)."""
    assert manager_client.get(f"{WITHDRAWALS}?status=pending").status_code == 403
    assert student_client.get(f"{WITHDRAWALS}?status=pending").status_code == 403
    assert anon_client.get(f"{WITHDRAWALS}?status=pending").status_code == 401


def test_an_unknown_withdrawal_status_is_400(admin_client_api):
    response = admin_client_api.get(f"{WITHDRAWALS}?status=lost")
    assert response.status_code == 400
