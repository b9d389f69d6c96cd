"""Someone else's private object answers 404 to every other signed-in caller, whatever their
role (API.md: "never leak another user's object: answer 404"), on each detail endpoint of
commerce, payouts, catalog's media library, learning and assessments. A role check that
answered 403 before the object was looked up would tell a student the id exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory, ManagerFactory, UserFactory
from lms.assessments.models import Submission
from lms.assessments.services import start_attempt
from lms.assessments.tests.factories import assignment_in, free_course, quiz_in, single_choice
from lms.catalog.tests.factories import MediaAssetFactory
from lms.commerce.models import Coupon, CouponKind, CouponScope
from lms.commerce.tests.conftest import checkout, place_order
from lms.learning.models import Enrollment, EnrollmentStatus
from lms.learning.services import enroll, issue_certificate
from lms.payouts.tests.factories import earn, request_withdrawal

pytestmark = pytest.mark.django_db


def _objects(client_for: Callable[[Any], Any], course_factory: Callable[..., Any]) -> list[str]:
    """One private object of each kind, owned by `owner` (an instructor) or `buyer`."""
    owner = InstructorFactory()
    buyer = UserFactory()
    earn(owner, "100.00")
    withdrawal = request_withdrawal(owner, "20.00")
    coupon = Coupon.objects.create(
        code="MINE10",
        kind=CouponKind.PERCENT,
        value=10,
        scope=CouponScope.PLATFORM,
        created_by=owner,
    )
    media = MediaAssetFactory(owner=owner)
    buyer_client = client_for(buyer)
    order = place_order(buyer_client, course_factory())
    payment = checkout(buyer_client, order["id"])
    course = free_course(instructor=owner)
    enrollment = enroll(student=buyer, course=course, source="free")
    quiz = quiz_in(course)
    single_choice(quiz)
    attempt = start_attempt(quiz=quiz, student=buyer)
    assignment = assignment_in(course)
    submission = Submission.objects.create(
        assignment=assignment, student=buyer, text="mine", submitted_at=timezone.now()
    )
    finished = enroll(student=buyer, course=free_course(instructor=owner), source="free")
    Enrollment.objects.filter(pk=finished.pk).update(
        completed_at=timezone.now(), status=EnrollmentStatus.COMPLETED
    )
    certificate = issue_certificate(enrollment_id=finished.pk)
    cart_item = buyer_client.post("/api/v1/cart/items/", {"course_id": str(course_factory().pk)})
    return [
        f"/api/v1/withdrawals/{withdrawal.pk}/",
        f"/api/v1/coupons/{coupon.pk}/",
        f"/api/v1/media/{media.pk}/",
        f"/api/v1/orders/{order['id']}/",
        f"/api/v1/orders/{order['id']}/receipt/",
        f"/api/v1/payments/{payment['payment_id']}/",
        f"/api/v1/enrollments/{enrollment.pk}/",
        f"/api/v1/attempts/{attempt.pk}/",
        f"/api/v1/certificates/{certificate.pk}/",
        f"/api/v1/certificates/{certificate.pk}/pdf/",
        f"/api/v1/cart/items/{cart_item.json()['id']}/",
        f"/api/v1/submissions/{submission.pk}/",
    ]


@pytest.mark.parametrize(
    "caller",
    [UserFactory, InstructorFactory, ManagerFactory],
    ids=["student", "instructor", "manager"],
)
def test_another_users_object_is_404_on_every_detail(client_for, course_factory, caller):
    paths = _objects(client_for, course_factory)
    client = client_for(caller())
    cart_item = paths.pop(-2)  # a cart line is only deleted
    assert client.delete(cart_item).status_code == 404
    answers = {path: client.get(path).status_code for path in paths}
    expected = dict.fromkeys(paths, 404)
    if caller is ManagerFactory:  # staff read a course's submissions to moderate (assessments.md)
        expected[paths[-1]] = 200
    assert answers == expected


@pytest.mark.parametrize("caller", [UserFactory, InstructorFactory], ids=["student", "instructor"])
def test_deleting_another_users_object_is_404(client_for, course_factory, caller):
    paths = _objects(client_for, course_factory)
    client = client_for(caller())
    deletable = [p for p in paths if p.startswith(("/api/v1/coupons/", "/api/v1/media/"))]
    assert {path: client.delete(path).status_code for path in deletable} == dict.fromkeys(
        deletable, 404
    )


def test_student_asking_for_a_withdrawal_is_404(client_for):
    owner = InstructorFactory()
    earn(owner, "100.00")
    withdrawal = request_withdrawal(owner, "20.00")
    response = client_for(UserFactory()).get(f"/api/v1/withdrawals/{withdrawal.pk}/")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    # the owner still reads it
    assert client_for(owner).get(f"/api/v1/withdrawals/{withdrawal.pk}/").status_code == 200
