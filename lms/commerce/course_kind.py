"""Courses as a sellable kind (lms.commerce.sellables): who may buy one, how a sale of one is
split among its instructors, what paying grants (an enrollment) and what a refund takes back.

Registered by commerce's own `AppConfig.ready`, since learning, which owns enrollments, sits
below commerce. The rules of buying a course (API.md, "Commerce") live here, used by the
cart, by orders and by this kind alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Exists, OuterRef

from lms.accounts.models import User
from lms.catalog.models import Course, CourseStatus
from lms.catalog.permissions import is_course_instructor
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.money import Money, check_currency
from lms.core.permissions import ADMIN, has_role
from lms.learning import selectors as learning_selectors
from lms.learning import services as learning_services
from lms.learning.models import EnrollmentSource

from . import selectors
from .errors import CommerceError
from .models import Order, OrderItem, Refund
from .sellables import Offer, Splits

COURSE = "course"
# A student who has gone through this much of a course no longer gets a refund (unless staff).
REFUND_PROGRESS_LIMIT = 30.0


def buyer_columns(user: User, course: Any) -> dict[str, Exists]:
    """Whether the buyer co-teaches `course` (an `OuterRef` to a course id) or may already study
    it, as two columns of the query that loads the course: no query of their own."""
    return {
        "buyer_co_teaches": Exists(
            Course.co_instructors.through.objects.filter(course_id=course, user_id=user.pk)
        ),
        "buyer_enrolled": Exists(
            learning_selectors.access_enrollments(student_id=user.pk, course=course)
        ),
    }


def course_for_purchase(course_ref: Any, *, buyer: User | None = None) -> Course:
    """The course by id or slug; with `buyer`, with the columns of `buyer_columns` too."""
    courses = Course.objects.filter(course_ref_filter(course_ref))
    if buyer is not None:
        courses = courses.annotate(**buyer_columns(buyer, OuterRef("pk")))
    course = courses.first()
    if course is None:
        raise NotFound("No such course.")
    return course


def check_buyable(*, user: User, course: Course, co_teaches: bool, enrolled: bool) -> None:
    """The rules of API.md for putting a course in a cart or an order (and a currency the
    platform still sells in)."""
    if course.status != CourseStatus.PUBLISHED:
        raise Invalid(
            f"“{course.title}” is not available.", code=CommerceError.COURSE_NOT_AVAILABLE
        )
    if co_teaches or is_course_instructor(user, instructor_id=course.instructor_id):
        raise Invalid(f"You teach “{course.title}”.", code=CommerceError.OWN_COURSE)
    if course.is_free or course.price <= 0:
        raise Invalid(
            f"“{course.title}” is free: enroll directly.", code=CommerceError.COURSE_IS_FREE
        )
    if enrolled:
        raise Conflict(
            f"You are already enrolled in “{course.title}”.", code=CommerceError.ALREADY_ENROLLED
        )
    # A currency dropped from SUPPORTED_CURRENCIES since the course was priced: refused here,
    # before any payment, rather than by the ledger after one (400 unsupported_currency).
    check_currency(course.currency)


def co_instructor_ids(course_ids: Iterable[Any]) -> dict[Any, set[Any]]:
    result: dict[Any, set[Any]] = {}
    rows = Course.co_instructors.through.objects.filter(course_id__in=list(course_ids))
    for course_id, user_id in rows.values_list("course_id", "user_id"):
        result.setdefault(course_id, set()).add(user_id)
    return result


class CourseKind:
    """Courses: paying enrolls the buyer; a refund revokes a purchased enrollment."""

    kind = COURSE

    def offer(self, *, buyer: User, reference_id: uuid.UUID) -> Offer:
        course = course_for_purchase(reference_id, buyer=buyer)
        check_buyable(
            user=buyer,
            course=course,
            co_teaches=course.buyer_co_teaches,  # type: ignore[attr-defined]
            enrolled=course.buyer_enrolled,  # type: ignore[attr-defined]
        )
        return Offer(
            kind=COURSE,
            reference_id=course.pk,
            title=course.title,
            seller_id=course.instructor_id,
            price=Money(course.price, course.currency),
        )

    def check_still_for_sale(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        """A course unpublished since the order was placed is sold to nobody new."""
        withdrawn = (
            Course.objects.filter(pk__in=[item.reference_id for item in items])
            .exclude(status=CourseStatus.PUBLISHED)
            .values_list("title", flat=True)
        )
        for title in withdrawn[:1]:
            raise Invalid(f"“{title}” is not available.", code=CommerceError.COURSE_NOT_AVAILABLE)

    def splits(self, items: Sequence[OrderItem]) -> dict[uuid.UUID, Splits]:
        """Each item's (instructor, percent) split, the owner first, in three queries."""
        course_ids = [item.reference_id for item in items]
        co = co_instructor_ids(course_ids)
        shares = selectors.revenue_share_rows(course_ids=course_ids)
        raw = {
            item.pk: selectors.revenue_splits(
                rows=shares.get(item.reference_id, []),
                owner_id=item.instructor_id,
                instructor_ids={item.instructor_id, *co.get(item.reference_id, set())},
            )
            for item in items
        }
        people = User.objects.in_bulk({i for split in raw.values() for i, _ in split})
        return {pk: [(people[i], p) for i, p in split] for pk, split in raw.items()}

    def fulfil(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        courses = Course.objects.in_bulk([item.reference_id for item in items])
        learning_services.enroll_many(
            student=order.user,
            courses=[courses[item.reference_id] for item in items],
            source=EnrollmentSource.PURCHASE,
            if_exists="return",
        )

    def check_refundable(self, *, order: Order, items: Sequence[OrderItem], by: User) -> None:
        """Students: not past REFUND_PROGRESS_LIMIT percent of any course (staff: always)."""
        if has_role(by, ADMIN):
            return
        percents = learning_selectors.progress_percents_for(
            user=order.user, course_ids=[item.reference_id for item in items]
        )
        for item in items:
            progress = percents[item.reference_id]
            if progress >= REFUND_PROGRESS_LIMIT:
                raise PermissionDenied(
                    f"You completed {progress:.0f}% of “{item.title}”; refunds stop at 30%.",
                    code=CommerceError.TOO_MUCH_PROGRESS,
                )

    def revoke(self, *, order: Order, items: Sequence[OrderItem], refund: Refund) -> None:
        """Revoke the buyer's purchased enrollments of these courses (others stay): one query
        finds them, one revocation takes them all (constant queries)."""
        enrollments = learning_selectors.purchased_access_enrollments(
            user=order.user, course_ids=[item.reference_id for item in items]
        )
        if enrollments:
            learning_services.revoke_enrollments(
                student_id=order.user_id,
                enrollment_ids=[enrollment.pk for enrollment in enrollments],
                reason=f"Refund of order {order.number}",
                actor=refund.requested_by,
            )
