"""One rule for an unpublished course on every path (issue 10, item 14).

Students who hold it keep it: detail, curriculum, lessons, completion, continue-learning and
certificates. Nobody new finds, buys or joins it: it leaves the list, search, related courses
and recommendations; the enroll endpoint is 404, the cart, orders and the checkout of an
order placed before 400 `course_not_available`. A revoked enrollment holds nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import CourseStatus
from lms.commerce.models import CartItem, Payment
from lms.commerce.tests.conftest import place_order
from lms.conftest import error_codes
from lms.learning import services
from lms.learning.tests.conftest import Curriculum, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(student, manager_client) -> Curriculum:
    """A paid course the student bought, then unpublished by staff through the API."""
    made = make_course(lessons=2, sections=1, price=Decimal("30.00"), is_free=False)
    services.enroll(student=student, course=made.course, source="purchase")
    response = manager_client.post(f"/api/v1/courses/{made.course.pk}/unpublish/")
    assert response.json()["status"] == CourseStatus.UNPUBLISHED
    return made


def test_the_buyer_keeps_the_course_its_curriculum_and_its_lessons(student_client, bought):
    course, lesson = bought.course, bought.lessons[0]
    detail = student_client.get(f"/api/v1/courses/{course.slug}/")
    assert detail.status_code == 200
    assert detail.json()["is_enrolled"] is True
    curriculum = student_client.get(f"/api/v1/courses/{course.pk}/curriculum/")
    assert curriculum.status_code == 200
    shown = [item for section in curriculum.json() for item in section["lessons"]]
    assert [item["locked"] for item in shown] == [False, False]
    response = student_client.get(f"/api/v1/lessons/{lesson.pk}/")
    assert response.status_code == 200
    assert response.json()["content"] == lesson.content


def test_the_buyer_keeps_learning_to_the_certificate(
    student, student_client, bought, django_capture_on_commit_callbacks
):
    enrollment = student.enrollments.get()
    url = f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/"
    # continue-learning points at a lesson the buyer can open
    listed = student_client.get("/api/v1/dashboard/continue-learning/").json()["results"]
    next_lesson = listed[0]["next_lesson"]["id"]
    assert next_lesson == str(bought.lessons[0].pk)
    assert student_client.get(f"/api/v1/lessons/{next_lesson}/").status_code == 200
    # completion works, to the end, and the certificate is issued and verifies
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in bought.lessons:
            response = student_client.post(url, {"lesson_id": str(lesson.pk)})
            assert response.status_code == 200
    assert response.json()["status"] == "completed"
    certificates = student_client.get("/api/v1/certificates/").json()["results"]
    assert len(certificates) == 1
    verified = student_client.get(f"/api/v1/certificates/verify/{certificates[0]['code']}/")
    assert verified.json()["valid"] is True


def test_nobody_new_sees_it(anon_client, client_for, bought):
    course, lesson = bought.course, bought.lessons[0]
    stranger = client_for(UserFactory())
    for client in (anon_client, stranger):
        assert client.get(f"/api/v1/courses/{course.pk}/").status_code == 404
        assert client.get(f"/api/v1/courses/{course.pk}/curriculum/").status_code == 404
        assert client.get(f"/api/v1/courses/{course.pk}/related/").status_code == 404
        assert client.get(f"/api/v1/lessons/{lesson.pk}/").status_code == 404
        listed = client.get("/api/v1/courses/").json()["results"]
        assert str(course.pk) not in {item["id"] for item in listed}
        found = client.get("/api/v1/search/", {"q": course.title}).json()["results"]
        assert str(course.pk) not in {item["id"] for item in found}
    recommended = stranger.get("/api/v1/dashboard/recommendations/").json()["results"]
    assert str(course.pk) not in {item["id"] for item in recommended}


def test_nobody_new_can_enrol_cart_or_order_it(client_for, bought):
    course = bought.course
    buyer = client_for(UserFactory())
    assert buyer.post(f"/api/v1/courses/{course.pk}/enroll/").status_code == 404
    response = buyer.post("/api/v1/cart/items/", {"course_id": str(course.pk)})
    assert response.status_code == 400
    assert error_codes(response) == ["course_not_available"]
    assert not CartItem.objects.exists()


def test_a_revoked_buyer_keeps_nothing(student, student_client, bought):
    services.revoke_enrollment(enrollment=student.enrollments.get(), reason="refund")
    assert student_client.get(f"/api/v1/courses/{bought.course.pk}/").status_code == 404
    assert student_client.get(f"/api/v1/lessons/{bought.lessons[0].pk}/").status_code == 404


def test_a_republished_course_is_public_again(anon_client, manager_client, bought):
    manager_client.post(f"/api/v1/courses/{bought.course.pk}/publish/")
    assert anon_client.get(f"/api/v1/courses/{bought.course.pk}/").status_code == 200


def test_an_order_placed_before_the_unpublishing_cannot_be_paid(client_for, manager_client):
    # given: an order placed while the course was published
    made = make_course(lessons=1, price=Decimal("30.00"), is_free=False)
    buyer = client_for(UserFactory())
    order = place_order(buyer, made.course)
    manager_client.post(f"/api/v1/courses/{made.course.pk}/unpublish/")
    # when
    response = buyer.post("/api/v1/payments/checkout/", {"order_id": order["id"]})
    # then
    assert response.status_code == 400
    assert error_codes(response) == ["course_not_available"]
    assert not Payment.objects.exists()
