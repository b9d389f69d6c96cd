"""The admin index: the staff queues with counts and links, the platform figures as SVG bar
charts; the queue's approve action goes through the catalog's service."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from lms.accounts.tests.factories import InstructorApplicationFactory
from lms.audit.models import AuditLog
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.support.models import TicketPriority
from lms.support.tests.factories import TicketFactory

from ..charts import bar_chart

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_of(page: str, queue: str) -> int:
    found = re.search(rf'data-queue="{queue}">(\d+)<', page)
    assert found, queue
    return int(found.group(1))


def test_the_index_shows_the_queues_and_the_charts(admin_user):
    InstructorApplicationFactory()
    CourseFactory(status=CourseStatus.PENDING)
    CourseFactory(status=CourseStatus.PENDING)
    TicketFactory(priority=TicketPriority.URGENT)

    page = signed_in(admin_user).get("/admin/").content.decode()

    assert count_of(page, "instructor-applications") == 1
    assert count_of(page, "courses-pending-review") == 2
    assert count_of(page, "withdrawals") == 0
    assert count_of(page, "open-tickets") == 1
    assert "/admin/catalog/course/?status__exact=pending" in page
    assert page.count("<svg") >= 4
    assert "Open tickets by priority" in page
    assert "<title>urgent: 1</title>" in page
    assert "cdn" not in page.lower()


def test_a_manager_sees_it_too_and_a_student_never_reaches_it(manager, student):
    assert "staff-dashboard" in signed_in(manager).get("/admin/").content.decode()
    assert signed_in(student).get("/admin/").status_code == 302  # to the admin's login


def test_the_queue_approve_action_goes_through_the_service(admin_user):
    course = CourseFactory(status=CourseStatus.PENDING, title="Pending one")
    LessonFactory(section=SectionFactory(course=course))

    response = signed_in(admin_user).post(
        "/admin/catalog/course/",
        {"action": "approve", "_selected_action": [str(course.pk)]},
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.APPROVED
    assert AuditLog.objects.filter(target_id=str(course.pk)).exists()


def test_bar_chart_geometry():
    chart = bar_chart("t", ["a", "b", "c"], [0, "5.00", 10])

    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0
    assert heights[2] == chart.baseline - 16  # the tallest bar fills the plot
    assert heights[1] == pytest.approx(heights[2] / 2, abs=0.01)
    assert [bar.value for bar in chart.bars] == ["0", "5.00", "10"]
    assert not chart.empty
    assert bar_chart("t", ["a"], [0]).empty


def test_course_is_published_after_approval_and_publish(admin_user):
    course = CourseFactory(status=CourseStatus.PENDING)
    LessonFactory(section=SectionFactory(course=course))
    client = signed_in(admin_user)
    client.post(
        "/admin/catalog/course/", {"action": "approve", "_selected_action": [str(course.pk)]}
    )
    client.post(
        "/admin/catalog/course/", {"action": "publish", "_selected_action": [str(course.pk)]}
    )

    assert Course.objects.get(pk=course.pk).status == CourseStatus.PUBLISHED
