"""The admin index (issue 15, items 7-8): the staff queues with counts and links, shown only
to staff who may act on them; each queue's change list lists what waits and its approve /
reject actions go through the services; the platform figures as Chart.js charts, the
library a pinned file among the static files (no CDN)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from lms.accounts.models import InstructorApplication
from lms.accounts.services import sync_staff_groups
from lms.accounts.tests.factories import (
    InstructorApplicationFactory,
    InstructorFactory,
    ManagerFactory,
)
from lms.audit.models import AuditLog
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.payouts.models import Withdrawal
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import earn, request_withdrawal
from lms.support.models import Ticket, TicketPriority, TicketStatus
from lms.support.tests.factories import TicketFactory

from ..admin_dashboard import CHART_JS, CHARTS_SCRIPT
from .fixtures import at

pytestmark = pytest.mark.django_db

ALL_QUEUES = ["instructor-applications", "courses-pending-review", "withdrawals", "open-tickets"]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queue_counts(page: str) -> dict[str, int]:
    return {slug: int(count) for slug, count in re.findall(r'data-queue="([a-z-]+)">(\d+)<', page)}


def queue_links(page: str) -> dict[str, str]:
    """Queue name's link, from the dashboard's table."""
    table = page.split('id="staff-dashboard"', 1)[1].split('id="platform-charts"', 1)[0]
    return {
        name: href.replace("&amp;", "&")
        for href, name in re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a>', table)
    }


def chart_data(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="platform-chart-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, "no chart data on the page"
    charts: list[dict[str, Any]] = json.loads(found.group(1))["charts"]
    return {chart["key"]: chart for chart in charts}


def a_manager() -> Any:
    """A manager as the product makes one: in the "Managers" group (the role change does it)."""
    manager = ManagerFactory()
    sync_staff_groups(manager)
    return manager


# --- the queues ---------------------------------------------------------------------------


def test_an_admin_sees_every_queue_with_its_count(admin_user):
    InstructorApplicationFactory()
    InstructorApplicationFactory(status="approved")
    CourseFactory(status=CourseStatus.PENDING)
    CourseFactory(status=CourseStatus.PENDING)
    CourseFactory(status=CourseStatus.PUBLISHED)
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    request_withdrawal(instructor, "10.00")
    TicketFactory(status=TicketStatus.OPEN)
    TicketFactory(status=TicketStatus.IN_PROGRESS)
    TicketFactory(status=TicketStatus.RESOLVED, resolved_at=timezone.now())

    page = signed_in(admin_user).get("/admin/").content.decode()

    assert queue_counts(page) == {
        "instructor-applications": 1,
        "courses-pending-review": 2,
        "withdrawals": 1,
        "open-tickets": 2,  # open and in progress
    }
    assert queue_links(page) == {
        "Instructor applications": "/admin/accounts/instructorapplication/?status__exact=pending",
        "Courses pending review": "/admin/catalog/course/?status__exact=pending",
        "Withdrawals": "/admin/payouts/withdrawal/?status__exact=pending",
        "Open tickets": "/admin/support/ticket/?status__in=open,in_progress",
    }
    client = signed_in(admin_user)
    for name, link in queue_links(page).items():  # each link lists exactly what it counts
        listing = client.get(link)
        assert listing.status_code == 200, link
        assert (
            listing.context["cl"].result_count
            == {
                "Instructor applications": 1,
                "Courses pending review": 2,
                "Withdrawals": 1,
                "Open tickets": 2,
            }[name]
        )


def test_a_manager_sees_only_the_queues_the_role_may_act_on():
    manager = a_manager()
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    request_withdrawal(instructor, "10.00")
    client = signed_in(manager)

    page = client.get("/admin/").content.decode()

    assert sorted(queue_counts(page)) == sorted(
        ["instructor-applications", "courses-pending-review", "open-tickets"]
    )
    assert "/admin/payouts/withdrawal/" not in page
    assert client.get("/admin/payouts/withdrawal/?status__exact=pending").status_code == 403
    for link in queue_links(page).values():
        assert client.get(link).status_code == 200, link
    assert "platform-charts" in page  # the figures are every staff member's (API: admin, manager)


def test_staff_who_may_act_on_no_queue_get_no_dead_link():
    manager = ManagerFactory()  # not (yet) in the Managers group: no admin permission at all

    page = signed_in(manager).get("/admin/").content.decode()

    assert queue_counts(page) == {}
    assert "No queue of yours." in page


def test_a_student_and_an_instructor_never_reach_it(student, instructor):
    for user in (student, instructor):
        assert signed_in(user).get("/admin/").status_code == 302  # to the admin's login


def test_the_index_runs_a_fixed_number_of_queries(admin_user, django_assert_max_num_queries):
    for _ in range(3):
        CourseFactory(status=CourseStatus.PENDING)
        InstructorApplicationFactory()
        TicketFactory()
    client = signed_in(admin_user)
    # 22 measured: session and user, the user's timezone, the 4 counts, the platform figures
    # (15; their own bound is 18, test_api_platform.py); 8 once the figures are cached
    with django_assert_max_num_queries(25):
        assert client.get("/admin/").status_code == 200


# --- each queue: the change list of what waits, its actions through the services -----------


def _pending_application() -> tuple[Any, Any]:
    application = InstructorApplicationFactory()
    InstructorApplicationFactory(status="rejected")  # not waiting: not listed
    return application, lambda: InstructorApplication.objects.get(pk=application.pk).status


def _pending_course() -> tuple[Any, Any]:
    course = CourseFactory(status=CourseStatus.PENDING, title="Waiting course")
    LessonFactory(section=SectionFactory(course=course))
    CourseFactory(status=CourseStatus.DRAFT)
    return course, lambda: Course.objects.get(pk=course.pk).status


def _pending_withdrawal() -> tuple[Any, Any]:
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00")
    return withdrawal, lambda: Withdrawal.objects.get(pk=withdrawal.pk).status


def _open_ticket() -> tuple[Any, Any]:
    ticket = TicketFactory(status=TicketStatus.OPEN)
    TicketFactory(status=TicketStatus.RESOLVED, resolved_at=timezone.now())
    return ticket, lambda: Ticket.objects.get(pk=ticket.pk).status


@pytest.mark.parametrize(
    ("queue", "make", "action", "status", "audit_action"),
    [
        ("Instructor applications", _pending_application, "approve", "approved",
         "instructor_application.approved"),
        ("Instructor applications", _pending_application, "reject", "rejected",
         "instructor_application.rejected"),
        ("Courses pending review", _pending_course, "approve", "approved", "course.approve"),
        ("Courses pending review", _pending_course, "reject", "rejected", "course.reject"),
        ("Withdrawals", _pending_withdrawal, "approve", "approved", "withdrawal.approved"),
        ("Withdrawals", _pending_withdrawal, "reject", "rejected", "withdrawal.rejected"),
        ("Open tickets", _open_ticket, "mark_resolved", "resolved", "support.ticket_resolved"),
        ("Open tickets", _open_ticket, "mark_closed", "closed", "support.ticket_closed"),
    ],
)  # fmt: skip
def test_each_queue_lists_what_waits_and_its_actions_go_through_the_service(
    admin_user, queue, make, action, status, audit_action
):
    waiting, status_of = make()
    client = signed_in(admin_user)
    link = queue_links(client.get("/admin/").content.decode())[queue]

    listing = client.get(link)

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert f'value="{waiting.pk}"' in listing.content.decode()
    assert f'<option value="{action}">' in listing.content.decode()

    response = client.post(link, {"action": action, "_selected_action": [str(waiting.pk)]})

    assert response.status_code == 302
    assert status_of() == status
    assert AuditLog.objects.filter(
        action=audit_action, actor=admin_user, target_id=str(waiting.pk)
    ).exists()
    after = client.get("/admin/").content.decode()
    slug = {"Instructor applications": "instructor-applications",
            "Courses pending review": "courses-pending-review",
            "Withdrawals": "withdrawals", "Open tickets": "open-tickets"}[queue]  # fmt: skip
    assert queue_counts(after)[slug] == 0
    assert_payouts_consistent()


def test_a_course_approved_then_published_from_the_queue_is_published(admin_user):
    course = CourseFactory(status=CourseStatus.PENDING)
    LessonFactory(section=SectionFactory(course=course))
    client = signed_in(admin_user)
    for action in ("approve", "publish"):
        client.post(
            "/admin/catalog/course/", {"action": action, "_selected_action": [str(course.pk)]}
        )

    assert Course.objects.get(pk=course.pk).status == CourseStatus.PUBLISHED
    assert AuditLog.objects.filter(action="course.publish", target_id=str(course.pk)).exists()


# --- the charts -----------------------------------------------------------------------------


def test_the_charts_carry_the_platform_figures(admin_user):
    with time_machine.travel(at("2026-11-20 12:00"), tick=True):
        CourseFactory(status=CourseStatus.PENDING)
        CourseFactory(status=CourseStatus.PENDING)
        TicketFactory(priority=TicketPriority.URGENT)
        earn(InstructorFactory(), "100.00")  # gross 100.00, fees 15 % = 15.00, net 85.00

        page = signed_in(admin_user).get("/admin/").content.decode()

    charts = chart_data(page)
    assert set(charts) >= {
        "enrollments", "new-users", "revenue-usd", "open-tickets", "courses-by-status",
    }  # fmt: skip
    assert charts["enrollments"]["labels"][-1] == "2026-11"
    assert len(charts["enrollments"]["labels"]) == 12  # every month present, zeros filled
    revenue = {d["label"]: d["data"] for d in charts["revenue-usd"]["datasets"]}
    assert revenue["gross"][-1] == "100.00"
    assert revenue["fees"][-1] == "15.00"
    assert revenue["gross"][:-1] == ["0.00"] * 11
    assert charts["revenue-usd"]["currency"] == "USD"
    tickets = charts["open-tickets"]
    assert dict(zip(tickets["labels"], tickets["datasets"][0]["data"], strict=True))["urgent"] == 1
    statuses = charts["courses-by-status"]
    assert (
        dict(zip(statuses["labels"], statuses["datasets"][0]["data"], strict=True))["pending"] == 2
    )
    assert charts["new-users"]["stacked"] is True
    # the same figures readable without the script, in the table under each chart
    assert '<th scope="row">urgent</th><td>1</td>' in page


def test_the_chart_library_is_a_pinned_static_file_never_a_cdn(admin_user):
    page = signed_in(admin_user).get("/admin/").content.decode()

    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert f"/static/{CHART_JS.path}" in scripts
    assert f"/static/{CHARTS_SCRIPT}" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert "cdn" not in page.lower()

    library = finders.find(CHART_JS.path)
    assert library, "the vendored Chart.js is not among the static files"
    body = Path(library).read_bytes()
    assert hashlib.sha256(body).hexdigest() == CHART_JS.sha256  # the file npm published
    assert f"Chart.js v{CHART_JS.version}".encode() in body[:200]
    folder = Path(library).parent
    assert (folder / "LICENSE.md").read_text().startswith("The MIT License")
    # the source map the file names: a manifest storage (STORAGE_BACKEND=s3) rewrites it
    assert (folder / "chart.umd.min.js.map").is_file()
    assert finders.find(CHARTS_SCRIPT)
