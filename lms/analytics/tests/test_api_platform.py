"""Platform analytics for staff, counted by hand."""

from __future__ import annotations

from typing import Any

import pytest

from lms.accounts.models import Affiliation, University, User
from lms.accounts.tests.factories import InstructorApplicationFactory
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory
from lms.payouts.tests.factories import earn, request_withdrawal
from lms.support.models import TicketPriority, TicketStatus
from lms.support.tests.factories import TicketFactory

from .fixtures import at, teaching

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/platform/"
NOVEMBER = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}


@pytest.fixture
def data() -> Any:
    return teaching()


def test_platform_figures(client_for, admin_user, data):
    # Users: teaching() makes 1 instructor and 4 students; the admin is one more.
    User.objects.filter(pk=data.students[0].pk).update(created_at=at("2026-11-10 10:00"))
    User.objects.filter(pk=data.students[1].pk).update(created_at=at("2026-10-31 23:30"))
    InstructorApplicationFactory(user=data.students[2])  # pending
    CourseFactory(instructor=data.instructor, status=CourseStatus.PENDING)
    TicketFactory(owner=data.students[0], priority=TicketPriority.HIGH)
    TicketFactory(
        owner=data.students[0], priority=TicketPriority.HIGH, status=TicketStatus.IN_PROGRESS
    )
    TicketFactory(
        owner=data.students[0],
        priority=TicketPriority.URGENT,
        status=TicketStatus.CLOSED,
        closed_at=at("2026-11-01 10:00"),
    )

    mit = University.objects.create(name="MIT", country="US", domains=["mit.edu"])
    eth = University.objects.create(name="ETH Zurich", country="CH", domains=["ethz.ch"])
    University.objects.create(name="Nobody's", country="GB", domains=["nobody.ac.uk"])
    for student in data.students[:2]:
        Affiliation.objects.create(user=student, university=mit)
    Affiliation.objects.create(user=data.students[2], university=eth)
    Affiliation.objects.create(user=data.students[3], university=eth)
    User.objects.filter(pk=data.students[3].pk).update(is_active=False)

    response = client_for(admin_user).get(URL, NOVEMBER)

    assert response.status_code == 200, response.content
    body = response.json()
    # active affiliated users, most first; a university with none is left out
    assert body["users_by_university"] == {"labels": ["MIT", "ETH Zurich"], "counts": [2, 1]}
    assert body["users_by_role"] == {
        "labels": ["student", "instructor", "manager", "admin"],
        "counts": [4, 1, 0, 1],
    }
    assert body["total_users"] == 6
    growth = {d["label"]: d["data"] for d in body["user_growth"]["datasets"]}
    assert growth["student"] == [1, 1]  # the admin is in UTC: 23:30 on 31 Oct is October
    assert body["courses_by_status"]["labels"] == list(CourseStatus.values)
    assert dict(
        zip(body["courses_by_status"]["labels"], body["courses_by_status"]["counts"], strict=True)
    ) == {
        "draft": 1,
        "pending": 1,
        "approved": 0,
        "rejected": 0,
        "published": 1,
        "unpublished": 0,
    }
    assert body["total_enrollments"] == 3
    assert body["enrollments"]["datasets"][0]["data"] == [2, 1]
    # 100 + 50 - 50 (refunded) + 40 (tutoring): gross 140, fees 21, net (instructors) 119.
    assert body["revenue"] == [
        {"currency": "USD", "gross": "140.00", "fees": "21.00", "net": "119.00"}
    ]
    assert body["revenue_series"]["datasets"][0] == {
        "label": "gross",
        "currency": "USD",
        "data": ["100.00", "40.00"],
    }
    assert body["refund_series"] == {
        "labels": ["2026-10", "2026-11"],
        "datasets": [{"label": "refunds", "currency": "USD", "data": ["0.00", "50.00"]}],
    }
    assert body["refunds"] == {"count": 0, "amounts": []}  # no commerce refund rows here
    assert body["pending_approvals"] == {
        "instructor_applications": 1,
        "courses": 1,
        "withdrawals": 0,
    }
    assert body["open_tickets_by_priority"] == {
        "labels": ["low", "medium", "high", "urgent"],
        "counts": [0, 0, 2, 0],
    }


def test_pending_withdrawals_are_counted(client_for, manager, instructor):
    earn(instructor, "100.00")
    request_withdrawal(instructor, "50.00")

    body = client_for(manager).get(URL).json()

    assert body["pending_approvals"]["withdrawals"] == 1


def test_permissions(anon_client, client_for, student, instructor):
    assert anon_client.get(URL).status_code == 401
    assert client_for(student).get(URL).status_code == 403
    assert client_for(instructor).get(URL).status_code == 403


def test_constant_queries(client_for, admin_user, data, django_assert_max_num_queries):
    teaching()
    with django_assert_max_num_queries(18):
        assert client_for(admin_user).get(URL, NOVEMBER).status_code == 200


def test_csv(client_for, manager, data):
    response = client_for(manager).get(URL, {**NOVEMBER, "format": "csv"})

    lines = response.content.decode().splitlines()
    assert "pending_approvals.courses,,,0" in lines
    assert "refund_series,2026-11,refunds USD,50.00" in lines
    assert "revenue[0] USD.gross,,,140.00" in lines
