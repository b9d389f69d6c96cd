"""Every denormalised counter is kept right by the services that change what it counts, one
test per counter, read back through the API where one shows it:

- Course: enrollment_count (learning's enroll/revoke), lesson_count and duration_seconds
  (catalog's lesson services), review_count and rating (community through
  catalog.services.set_review_figures);
- InstructorProfile: course_count (the publish/unpublish transitions), student_count
  (learning's enroll/revoke), review_count and rating (set_review_figures), shown by
  /instructors/;
- Coupon: redemption_count (commerce's fulfilment; a refund keeps the redemption counted).

Community's helpful/reply/upvote counts and tutoring's rating_count belong to those apps and
are tested there.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.accounts.models import InstructorProfile
from lms.accounts.tests.factories import InstructorProfileFactory
from lms.catalog import services as catalog_services
from lms.catalog.demo import publish_seeded_course
from lms.catalog.models import Course, CourseStatus, Lesson
from lms.catalog.tests.factories import (
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
)
from lms.commerce.models import Coupon, CouponKind, CouponScope
from lms.commerce.tests.conftest import add_to_cart, checkout, simulate
from lms.learning import services as learning_services

pytestmark = pytest.mark.django_db


def _profile(user) -> InstructorProfile:
    return InstructorProfile.objects.get(user=user)


def _instructor_card(client, user) -> dict:
    return client.get(f"/api/v1/instructors/{user.pk}/").json()


def test_course_count_follows_publish_and_unpublish(anon_client, admin_client_api):
    profile = InstructorProfileFactory()
    instructor = profile.user
    courses = []
    for _ in range(2):
        course = CourseFactory(instructor=instructor, status=CourseStatus.APPROVED)
        courses.append(course)
        assert admin_client_api.post(f"/api/v1/courses/{course.pk}/publish/").status_code == 200
    assert _instructor_card(anon_client, instructor)["course_count"] == 2
    admin_client_api.post(f"/api/v1/courses/{courses[0].pk}/unpublish/")
    assert _instructor_card(anon_client, instructor)["course_count"] == 1
    admin_client_api.post(f"/api/v1/courses/{courses[0].pk}/publish/")  # republish
    assert _instructor_card(anon_client, instructor)["course_count"] == 2


def test_a_drifted_course_count_is_right_again_at_the_next_publish(admin_client_api):
    """Recounted, not incremented: courses written without a service (the old demo seeders
    did) are counted at the instructor's next transition."""
    profile = InstructorProfileFactory()
    for _ in range(3):
        PublishedCourseFactory(instructor=profile.user)  # no service: the count stays 0
    assert _profile(profile.user).course_count == 0
    approved = CourseFactory(instructor=profile.user, status=CourseStatus.APPROVED)
    admin_client_api.post(f"/api/v1/courses/{approved.pk}/publish/")
    assert _profile(profile.user).course_count == 4


def test_a_seeded_draft_is_published_through_the_workflow(admin_user):
    profile = InstructorProfileFactory()
    CategoryFactory()
    course = CourseFactory(instructor=profile.user, category=None)
    LessonFactory.create_batch(2, section=SectionFactory(course=course))
    course = publish_seeded_course(course)
    assert course.status == CourseStatus.PUBLISHED
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (2, 600)
    assert _profile(profile.user).course_count == 1


def test_enrollment_count_follows_enroll_and_revoke(student, student_client, other_student):
    course = PublishedCourseFactory(price=Decimal("0"), is_free=True)
    LessonFactory(section=SectionFactory(course=course))
    assert student_client.post(f"/api/v1/courses/{course.slug}/enroll/").status_code == 201
    other = learning_services.enroll(student=other_student, course=course, source="free")
    assert student_client.get(f"/api/v1/courses/{course.slug}/").json()["enrollment_count"] == 2
    learning_services.revoke_enrollment(enrollment=other, reason="refund")
    course.refresh_from_db()
    assert course.enrollment_count == 1
    learning_services.revoke_enrollment(enrollment=other, reason="again")  # idempotent
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_student_count_counts_each_student_once_per_instructor(student, other_student):
    profile = InstructorProfileFactory()
    first, second = (
        PublishedCourseFactory(instructor=profile.user, price=Decimal("0"), is_free=True)
        for _ in range(2)
    )
    one = learning_services.enroll(student=student, course=first, source="free")
    learning_services.enroll(student=student, course=second, source="free")
    learning_services.enroll(student=other_student, course=first, source="free")
    assert _profile(profile.user).student_count == 2
    learning_services.revoke_enrollment(enrollment=one, reason="refund")
    assert _profile(profile.user).student_count == 2  # still theirs through `second`


def test_lesson_count_and_duration_follow_the_curriculum(instructor, instructor_client):
    course = CourseFactory(instructor=instructor)
    section = SectionFactory(course=course)
    created = [
        instructor_client.post(
            f"/api/v1/sections/{section.pk}/lessons/",
            {"title": f"Lesson {n}", "type": "text", "content": "x", "duration_seconds": 120},
            format="json",
        )
        for n in range(3)
    ]
    assert all(response.status_code == 201 for response in created)
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (3, 360)
    instructor_client.delete(f"/api/v1/lessons/{created[0].json()['id']}/")
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (2, 240)
    assert Lesson.objects.filter(course=course).count() == 2


def test_review_figures_reach_the_course_and_its_instructor(anon_client):
    profile = InstructorProfileFactory()
    first = PublishedCourseFactory(instructor=profile.user)
    second = PublishedCourseFactory(instructor=profile.user)
    # what community's review services store after recounting a course's visible reviews
    catalog_services.set_review_figures(course_id=first.pk, rating=5.0, review_count=3)
    catalog_services.set_review_figures(course_id=second.pk, rating=3.0, review_count=1)
    detail = anon_client.get(f"/api/v1/courses/{first.slug}/").json()
    assert (detail["rating"], detail["review_count"]) == (5.0, 3)
    card = _instructor_card(anon_client, profile.user)
    assert (card["review_count"], card["rating"]) == (4, 4.5)  # (3 x 5 + 1 x 3) / 4
    catalog_services.set_review_figures(course_id=first.pk, rating=0.0, review_count=0)
    card = _instructor_card(anon_client, profile.user)
    assert (card["review_count"], card["rating"]) == (1, 3.0)


def test_redemption_count_follows_paid_orders(student_client, course_factory):
    coupon = Coupon.objects.create(
        code="TEN",
        kind=CouponKind.PERCENT,
        value=Decimal("10"),
        scope=CouponScope.PLATFORM,
        created_by=InstructorProfileFactory().user,
    )
    add_to_cart(student_client, course_factory())
    assert student_client.post("/api/v1/cart/coupon/", {"code": "TEN"}).status_code == 200
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    coupon.refresh_from_db()
    assert coupon.redemption_count == 0  # an unpaid order redeems nothing
    payment = checkout(student_client, order["id"])
    simulate(student_client, payment["payment_id"])
    simulate(student_client, payment["payment_id"])  # a repeated event counts once
    coupon.refresh_from_db()
    assert coupon.redemption_count == 1
    refund = student_client.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
    assert refund.status_code == 200, refund.json()
    coupon.refresh_from_db()
    assert coupon.redemption_count == 1  # a refund keeps the redemption (no buy-refund loop)
    assert Course.objects.count() == 1


def test_revoking_several_at_once_counts_as_revoking_each(student):
    # Two courses of one instructor and one of another revoked together, a third course of the
    # first instructor kept: the first keeps the student, the second loses them, each course -1.
    first, second = InstructorProfileFactory(), InstructorProfileFactory()
    courses = [
        PublishedCourseFactory(instructor=owner.user, price=Decimal("0"), is_free=True)
        for owner in (first, first, second, first)
    ]
    enrollments = [
        learning_services.enroll(student=student, course=course, source="free")
        for course in courses
    ]
    assert (_profile(first.user).student_count, _profile(second.user).student_count) == (1, 1)

    revoked = learning_services.revoke_enrollments(
        student_id=student.pk,
        enrollment_ids=[enrollment.pk for enrollment in enrollments[:3]],
        reason="refund",
    )
    again = learning_services.revoke_enrollments(
        student_id=student.pk, enrollment_ids=[enrollments[0].pk], reason="again"
    )

    assert (revoked, again) == (3, 0)
    assert (_profile(first.user).student_count, _profile(second.user).student_count) == (1, 0)
    counts = [
        c.enrollment_count
        for c in type(courses[0])
        .objects.filter(pk__in=[c.pk for c in courses])
        .order_by("created_at")
    ]
    assert sorted(counts) == [0, 0, 0, 1]
