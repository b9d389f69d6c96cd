from __future__ import annotations

import pytest

from lms.accounts.models import InstructorProfile
from lms.accounts.tests.factories import InstructorFactory
from lms.audit.models import AuditLog
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.conftest import error_codes
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db


def url(course, action: str) -> str:
    return f"/api/v1/courses/{course.pk}/{action}/"


def complete_course(instructor, **kwargs):
    course = CourseFactory(instructor=instructor, **kwargs)
    LessonFactory(section=SectionFactory(course=course))
    return course


def test_submit_moves_a_complete_draft_to_pending(instructor_client, instructor):
    # given
    course = complete_course(instructor)
    # when
    response = instructor_client.post(url(course, "submit"))
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    course.refresh_from_db()
    assert course.status == CourseStatus.PENDING
    assert course.submitted_at is not None
    line = AuditLog.objects.get(action="course.submit")
    assert line.actor == instructor
    assert line.data == {"from": "draft", "to": "pending"}
    assert Notification.objects.filter(user=instructor, data__course_id=str(course.pk)).exists()


def test_submit_without_lessons_is_400(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.post(url(course, "submit"))
    assert response.status_code == 400
    assert error_codes(response) == ["course_has_no_lessons"]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_submit_names_every_missing_field(instructor_client, instructor):
    course = complete_course(instructor, description="", category=None, price=0)
    response = instructor_client.post(url(course, "submit"))
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {
        "description",
        "category",
        "price",
    }
    assert set(error_codes(response)) == {"course_incomplete"}


def test_free_course_needs_no_price(instructor_client, instructor):
    course = complete_course(instructor, price=0, is_free=True)
    assert instructor_client.post(url(course, "submit")).status_code == 200


def test_submit_by_others(anon_client, student_client, client_for, instructor):
    course = complete_course(instructor)
    assert anon_client.post(url(course, "submit")).status_code == 401
    assert student_client.post(url(course, "submit")).status_code == 403
    assert client_for(InstructorFactory()).post(url(course, "submit")).status_code == 404


def test_submit_twice_is_409(instructor_client, instructor):
    course = complete_course(instructor, status=CourseStatus.PENDING)
    response = instructor_client.post(url(course, "submit"))
    assert response.status_code == 409
    assert error_codes(response) == ["invalid_status_transition"]


def test_full_review_path(instructor_client, manager_client, admin_client_api, instructor):
    # given a submitted course
    course = complete_course(instructor)
    assert instructor_client.post(url(course, "submit")).status_code == 200
    profile = InstructorProfile.objects.get(user=instructor)
    assert profile.course_count == 0
    # when the staff approve and publish it
    assert manager_client.post(url(course, "approve")).json()["status"] == "approved"
    response = admin_client_api.post(url(course, "publish"))
    # then it is public and counted
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None
    profile.refresh_from_db()
    assert profile.course_count == 1
    # and unpublishing takes it back out
    assert manager_client.post(url(course, "unpublish")).json()["status"] == "unpublished"
    profile.refresh_from_db()
    assert profile.course_count == 0
    # republishing is allowed and counts again
    assert manager_client.post(url(course, "publish")).json()["status"] == "published"
    profile.refresh_from_db()
    assert profile.course_count == 1
    actions = list(
        AuditLog.objects.filter(target_id=str(course.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == [
        "course.submit",
        "course.approve",
        "course.publish",
        "course.unpublish",
        "course.publish",
    ]
    assert Notification.objects.filter(user=instructor).count() == 5


def test_reject_keeps_the_reason_and_allows_resubmission(
    instructor_client, manager_client, instructor
):
    course = complete_course(instructor, status=CourseStatus.PENDING)
    response = manager_client.post(url(course, "reject"), {"reason": "Audio is too quiet."})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Audio is too quiet."
    notification = Notification.objects.get(user=instructor)
    assert notification.body == "Audio is too quiet."
    # the instructor sees the reason on their course
    assert instructor_client.get(f"/api/v1/courses/{course.pk}/").json()["rejection_reason"]
    assert instructor_client.post(url(course, "submit")).json()["status"] == "pending"


def test_reject_needs_a_reason(manager_client, instructor):
    course = complete_course(instructor, status=CourseStatus.PENDING)
    response = manager_client.post(url(course, "reject"), {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"


@pytest.mark.parametrize("action", ["approve", "reject", "publish", "unpublish"])
def test_moderation_is_staff_only(action, anon_client, instructor_client, instructor):
    course = complete_course(instructor, status=CourseStatus.PENDING)
    assert anon_client.post(url(course, action), {"reason": "x"}).status_code == 401
    assert instructor_client.post(url(course, action), {"reason": "x"}).status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.PENDING


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (CourseStatus.DRAFT, "approve"),
        (CourseStatus.DRAFT, "publish"),
        (CourseStatus.PENDING, "publish"),
        (CourseStatus.APPROVED, "reject"),
        (CourseStatus.PUBLISHED, "approve"),
        (CourseStatus.REJECTED, "publish"),
        (CourseStatus.DRAFT, "unpublish"),
    ],
)
def test_wrong_transitions_are_409(manager_client, instructor, status, action):
    course = complete_course(instructor, status=status)
    response = manager_client.post(url(course, action), {"reason": "x"})
    assert response.status_code == 409
    assert error_codes(response) == ["invalid_status_transition"]
    course.refresh_from_db()
    assert course.status == status
    assert not AuditLog.objects.filter(action__startswith="course.").exists()


def test_moderating_a_missing_course_is_404(manager_client):
    response = manager_client.post("/api/v1/courses/no-such-course/approve/")
    assert response.status_code == 404
