from __future__ import annotations

import pytest
from django.core import mail

from lms.accounts.models import InstructorProfile
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.learning import selectors, services
from lms.learning.models import (
    ActivityEvent,
    Certificate,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
)
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def test_enroll_creates_one_enrollment_and_counts_it(student, free_course):
    # when
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    # then
    free_course.course.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.source == EnrollmentSource.FREE
    assert free_course.course.enrollment_count == 1
    free_course.course.instructor.instructor_profile.refresh_from_db()
    assert free_course.course.instructor.instructor_profile.student_count == 1


def test_enroll_twice_raises_or_returns(student, free_course):
    first = services.enroll(student=student, course=free_course.course, source="free")
    with pytest.raises(Conflict) as raised:
        services.enroll(student=student, course=free_course.course, source="free")
    assert raised.value.code == "already_enrolled"
    again = services.enroll(
        student=student, course=free_course.course, source="purchase", if_exists="return"
    )
    assert again.pk == first.pk
    free_course.course.refresh_from_db()
    assert free_course.course.enrollment_count == 1


def test_revoke_then_purchase_reactivates(student, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    services.revoke_enrollment(enrollment=enrollment, reason="refund")
    free_course.course.refresh_from_db()
    assert free_course.course.enrollment_count == 0
    assert selectors.active_enrollment(user=student, course_id=free_course.course.pk) is None
    with pytest.raises(PermissionDenied):
        services.enroll(student=student, course=free_course.course, source="free")

    again = services.enroll(student=student, course=free_course.course, source="purchase")

    assert again.pk == enrollment.pk
    assert again.status == EnrollmentStatus.ACTIVE
    assert again.source == EnrollmentSource.PURCHASE
    free_course.course.refresh_from_db()
    assert free_course.course.enrollment_count == 1


def test_one_order_reactivating_a_course_and_adding_another_counts_the_student_once(student):
    # given: two courses of one instructor; the student's access to the first was revoked
    first = make_course(lessons=1).course
    second = make_course(lessons=1, instructor=first.instructor).course
    revoked = services.enroll(student=student, course=first, source="purchase")
    services.revoke_enrollment(enrollment=revoked, reason="refund")
    profile = InstructorProfile.objects.get(user=first.instructor)
    assert profile.student_count == 0

    # when: one order buys both (the first comes back, the second is new)
    services.enroll_many(
        student=student, courses=[first, second], source="purchase", if_exists="return"
    )

    # then: the student is the instructor's again, once; each course counts them once
    profile.refresh_from_db()
    assert profile.student_count == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.enrollment_count, second.enrollment_count) == (1, 1)


def test_completing_every_lesson_completes_and_issues_one_certificate(
    student, free_course, django_capture_on_commit_callbacks
):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in free_course.lessons:
            enrollment = services.complete_lesson(enrollment=enrollment, lesson=lesson)
        # idempotent: a second completion changes nothing and issues nothing
        enrollment = services.complete_lesson(enrollment=enrollment, lesson=free_course.lessons[0])

    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None
    assert enrollment.status == EnrollmentStatus.COMPLETED
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.code.startswith("LF-")
    assert certificate.pdf.name.endswith(".pdf")
    assert [message.subject for message in mail.outbox] == [
        f"Your certificate for {free_course.course.title}"
    ]
    assert certificate.code in mail.outbox[0].body
    assert services.issue_certificate(enrollment_id=enrollment.pk).pk == certificate.pk
    assert ActivityEvent.objects.filter(user=student, kind="lesson_completed").count() == 4


def test_progress_counts_current_lessons_only(student):
    made = make_course(lessons=4)
    enrollment = services.enroll(student=student, course=made.course, source="free")
    enrollment = services.complete_lesson(enrollment=enrollment, lesson=made.lessons[0])
    assert enrollment.progress_percent == 25

    # a lesson added later lowers it
    from lms.catalog.tests.factories import LessonFactory

    LessonFactory(section=made.lessons[0].section)
    assert _progress(student, made.course) == 20
    # a removed lesson is not counted
    made.lessons[1].delete()
    made.lessons[2].delete()
    assert selectors.progress_percents_for(user=student, course_ids=[made.course.pk])[
        made.course.pk
    ] == pytest.approx(33.3)


def test_lesson_of_another_course_is_refused(student, free_course):
    other = make_course(lessons=1)
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    with pytest.raises(Invalid) as raised:
        services.complete_lesson(enrollment=enrollment, lesson=other.lessons[0])
    assert raised.value.code == "lesson_not_in_course"


def test_revoked_enrollment_cannot_progress(student, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    services.revoke_enrollment(enrollment=enrollment, reason="staff")
    enrollment.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.complete_lesson(enrollment=enrollment, lesson=free_course.lessons[0])
    assert not Enrollment.objects.filter(lesson_progress__isnull=False).exists()


def test_repeated_completion_takes_no_lock_and_writes_nothing(student, free_course):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    lesson = free_course.lessons[0]
    enrollment = services.complete_lesson(enrollment=enrollment, lesson=lesson)

    with CaptureQueriesContext(connection) as queries:
        again = services.complete_lesson(enrollment=enrollment, lesson=lesson)

    sql = " ".join(query["sql"].upper() for query in queries)
    assert "UPDATE" not in sql
    assert "INSERT" not in sql
    assert again.progress_percent == 25
    assert again.lessons_done == 1


def _progress(student, course) -> float:
    return selectors.progress_percents_for(user=student, course_ids=[course.pk])[course.pk]
