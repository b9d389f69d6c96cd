"""Staff hear of new work in their queues (a course submitted, an instructor application, a
withdrawal requested) and instructors hear of their sales: explicit calls from the services,
sent once the transaction commits (never for work that rolled back)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.accounts.tests.factories import AdminFactory, InstructorFactory, ManagerFactory
from lms.accounts.tests.helpers import pdf_upload, png_upload
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.commerce.tests.conftest import buy
from lms.notifications.models import Notification
from lms.payouts.tests.factories import VALID_DETAILS, earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    inactive = ManagerFactory(is_active=False)
    return {"admin": AdminFactory(), "manager": ManagerFactory(), "inactive": inactive}


def _told(user, **data) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user, **{f"data__{k}": v for k, v in data.items()})
    )


def test_staff_are_told_of_a_submitted_course(
    staff, instructor, instructor_client, django_capture_on_commit_callbacks
):
    course = CourseFactory(instructor=instructor)
    LessonFactory(section=SectionFactory(course=course))
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(f"/api/v1/courses/{course.pk}/submit/")
    assert response.status_code == 200
    for member in (staff["admin"], staff["manager"]):
        [note] = _told(member, course_id=str(course.pk))
        assert note.category == "courses"
        assert note.title == "Course submitted for review"
        assert course.title in note.body
    assert _told(staff["inactive"]) == []


def test_a_refused_submission_tells_nobody(staff, instructor, instructor_client):
    course = CourseFactory(instructor=instructor)  # no lesson: 400
    response = instructor_client.post(f"/api/v1/courses/{course.pk}/submit/")
    assert response.status_code == 400
    assert _told(staff["admin"]) == []


def test_staff_are_told_of_an_application(
    staff, student_client, django_capture_on_commit_callbacks
):
    form = {
        "headline": "Data engineer",
        "bio": "Ten years of pipelines.",
        "expertise": "python, sql",
        "cv": pdf_upload(),
        "certificate": png_upload(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post("/api/v1/instructor-applications/", form, format="multipart")
    assert response.status_code == 201
    for member in (staff["admin"], staff["manager"]):
        [note] = _told(member, application_id=response.json()["id"])
        assert note.category == "account"
        assert note.title == "New instructor application"


def test_admins_are_told_of_a_withdrawal_request(
    staff, instructor, instructor_client, django_capture_on_commit_callbacks
):
    earn(instructor, "100.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(
            "/api/v1/withdrawals/",
            {"amount": "30.00", "method": "paypal", "details": VALID_DETAILS["paypal"]},
            format="json",
        )
    assert response.status_code == 201
    [note] = _told(staff["admin"], withdrawal_id=response.json()["id"])
    assert (note.category, note.title) == ("payouts", "Withdrawal requested")
    assert "$30.00" in note.body or "30.00" in note.body
    # payouts are the admins' work: managers are not told
    assert _told(staff["manager"]) == []


def test_a_refused_withdrawal_tells_nobody(staff, instructor, instructor_client):
    response = instructor_client.post(
        "/api/v1/withdrawals/",
        {"amount": "30.00", "method": "paypal", "details": VALID_DETAILS["paypal"]},
        format="json",
    )
    assert response.status_code == 400
    assert _told(staff["admin"]) == []


def test_instructors_are_told_of_their_sales(
    student_client, course_factory, django_capture_on_commit_callbacks
):
    seller = InstructorFactory()
    other = InstructorFactory()
    first = course_factory(instructor=seller, price=Decimal("100.00"))
    second = course_factory(instructor=seller, price=Decimal("20.00"))
    third = course_factory(instructor=other, price=Decimal("10.00"))
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(student_client, first, second, third)
    # one notification per seller and order, with their share after the 15 % fee
    [note] = _told(seller, order_id=order["id"])
    assert note.category == "commerce"
    assert note.title == "You made a sale"
    assert (note.data["amount"], note.data["currency"]) == ("102.00", "USD")
    assert sorted(note.data["titles"]) == sorted([first.title, second.title])
    [theirs] = _told(other, order_id=order["id"])
    assert theirs.data["amount"] == "8.50"
