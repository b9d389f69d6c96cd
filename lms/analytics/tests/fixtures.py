"""Hand-countable data for the analytics tests: every figure the tests expect is worked out
in the comments next to the rows that make it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine

from lms.accounts.models import InstructorProfile, StudentProfile
from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.assessments.models import Attempt
from lms.assessments.tests.factories import quiz_in
from lms.catalog.models import CourseStatus, Lesson
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.commerce.models import Order, OrderItem
from lms.community.models import Review, Visibility
from lms.learning.models import EnrollmentStatus, LessonProgress
from lms.learning.tests.factories import EnrollmentFactory
from lms.payouts import services as payouts
from lms.payouts.services import LedgerReference
from lms.tutoring.models import Booking, BookingStatus

BERLIN = "Europe/Berlin"


def at(text: str) -> datetime:
    """An instant in UTC: `at("2026-10-31 23:30")`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def set_timezone(user: Any, name: str) -> None:
    StudentProfile.objects.filter(user=user).update(timezone=name)
    InstructorProfile.objects.filter(user=user).update(timezone=name)


def order_item(
    *, buyer: Any, instructor: Any, amount: str, course: Any = None, kind: str = "course"
) -> OrderItem:
    price = Decimal(amount)
    order = Order.objects.create(
        number=f"T-{uuid.uuid4().hex[:12]}",
        user=buyer,
        currency="USD",
        subtotal=price,
        total=price,
        status="paid",
    )
    return OrderItem.objects.create(
        order=order,
        kind=kind,
        reference_id=course.pk if course is not None else uuid.uuid4(),
        course=course,
        title=course.title if course is not None else "Tutoring lesson",
        instructor=instructor,
        currency="USD",
        price=price,
        amount_paid=price,
    )


def sell(item: OrderItem, *, when: datetime, splits: list[tuple[Any, int]] | None = None) -> None:
    """Post the item's sale to the ledger at `when` (PLATFORM_FEE_PERCENT 15)."""
    with time_machine.travel(when, tick=False):
        payouts.credit_sale_earnings(
            reference=LedgerReference.of(item),
            amount_paid=item.paid,
            splits=splits or [(item.instructor, 100)],
        )


def refund(item: OrderItem, *, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        payouts.reverse_sale_earnings(
            reference=LedgerReference.of(item),
            refund_reference=LedgerReference(type="commerce.refund", id=str(uuid.uuid4())),
        )


@dataclass
class Teaching:
    instructor: Any
    course: Any
    draft: Any
    lessons: list[Lesson]
    students: list[Any]


def teaching(*, timezone: str = BERLIN) -> Teaching:
    """One instructor (in Berlin) with a published course of three lessons and a draft.

    Published course "Compilers":
    - enrollments: s1 completed (all three lessons), s2 and s3 active (lesson 1 only),
      s4 revoked (not counted anywhere). Enrolled 2026-10-15 12:00 UTC (October),
      2026-10-31 23:30 UTC (November in Berlin, October in UTC), 2026-11-20, 2026-11-05
      (revoked). So 3 enrollments, 1 completed: completion rate 33.33 %.
    - funnel: lesson 1 completed by 3 (drop 0 from 3 enrollments), lesson 2 by 1 (drop 2),
      lesson 3 by 1 (drop 0): the drop-off lesson is lesson 2.
    - reviews: 5 (s1), 4 (s2), 1 (s3, hidden by staff): distribution [0, 0, 0, 1, 1],
      average 4.5, 2 reviews.
    - sales (USD, fee 15 %): 100.00 at 2026-10-31 23:30 UTC (November in Berlin) and 50.00
      at 2026-11-15 10:00, refunded 2026-11-20: gross 100.00, fees 15.00, net 85.00, all in
      November for Berlin.
    Draft course "Interpreters": a quiz with 3 submitted attempts (2 passed: 66.67 %) and one
    not submitted. Tutoring: 2 completed bookings of 60 and 30 minutes (1.5 hours), one
    cancelled; one booking sale of 40.00 (fees 6.00, net 34.00).
    """
    instructor = InstructorFactory(first_name="Ina", last_name="Struct")
    set_timezone(instructor, timezone)
    course = CourseFactory(instructor=instructor, title="Compilers", status=CourseStatus.PUBLISHED)
    draft = CourseFactory(instructor=instructor, title="Interpreters", status=CourseStatus.DRAFT)
    section = SectionFactory(course=course, order=1)
    lessons = [LessonFactory(section=section, title=f"Lesson {n}", order=n) for n in (1, 2, 3)]
    students = [UserFactory() for _ in range(4)]
    enrolled = [
        (at("2026-10-15 12:00"), EnrollmentStatus.COMPLETED),
        (at("2026-10-31 23:30"), EnrollmentStatus.ACTIVE),
        (at("2026-11-20 09:00"), EnrollmentStatus.ACTIVE),
        (at("2026-11-05 09:00"), EnrollmentStatus.REVOKED),
    ]
    enrollments = [
        EnrollmentFactory(student=student, course=course, enrolled_at=when, status=status)
        for student, (when, status) in zip(students, enrolled, strict=True)
    ]
    done = {0: lessons, 1: lessons[:1], 2: lessons[:1], 3: lessons}  # the revoked one too
    for index, finished in done.items():
        for lesson in finished:
            LessonProgress.objects.create(
                enrollment=enrollments[index], lesson=lesson, completed_at=at("2026-11-01 10:00")
            )
    Review.objects.create(course=course, student=students[0], rating=5)
    Review.objects.create(course=course, student=students[1], rating=4)
    Review.objects.create(
        course=course, student=students[2], rating=1, visibility=Visibility.HIDDEN
    )
    first = order_item(buyer=students[0], instructor=instructor, amount="100.00", course=course)
    sell(first, when=at("2026-10-31 23:30"))
    second = order_item(buyer=students[1], instructor=instructor, amount="50.00", course=course)
    sell(second, when=at("2026-11-15 10:00"))
    refund(second, when=at("2026-11-20 10:00"))
    quiz = quiz_in(draft)
    for number, (passed, submitted) in enumerate(
        [(True, True), (True, True), (False, True), (None, False)], start=1
    ):
        Attempt.objects.create(
            quiz=quiz,
            student=students[0],
            number=number,
            started_at=at("2026-11-02 10:00"),
            submitted_at=at("2026-11-02 10:30") if submitted else None,
            percent=Decimal("80") if passed else Decimal("40"),
            passed=passed if submitted else None,
        )
    start = at("2026-11-03 10:00")
    for minutes, status in (
        (60, BookingStatus.COMPLETED),
        (30, BookingStatus.COMPLETED),
        (45, BookingStatus.CANCELLED),
    ):
        end = start + timedelta(minutes=minutes)
        Booking.objects.create(
            student=students[0],
            tutor=instructor,
            start=start,
            end=end,
            blocked_end=end,
            duration_minutes=minutes,
            status=status,
            hourly_rate=Decimal("40"),
            price=Decimal("40"),
            platform_fee=Decimal("6"),
            tutor_earning=Decimal("34"),
            currency="USD",
            refund_cutoff_hours=24,
        )
        start = end + timedelta(hours=1)
    lesson_sale = order_item(
        buyer=students[0], instructor=instructor, amount="40.00", kind="booking"
    )
    sell(lesson_sale, when=at("2026-11-03 12:00"))
    return Teaching(
        instructor=instructor, course=course, draft=draft, lessons=lessons, students=students
    )
