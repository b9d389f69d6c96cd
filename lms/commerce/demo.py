"""Demo commerce data for `manage.py seed_demo`: paid orders, so a demo instructor's wallet
has money, and a coupon to try.

The orders go through the real flow with the fake provider (cart → order → checkout →
simulated success), so enrollments, earnings in the ledger, receipts and notifications are
all there. Idempotent: a buyer who already paid for the demo course is skipped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from lms.accounts.models import User
from lms.catalog.demo import publish_seeded_course
from lms.catalog.models import Course, CourseStatus, Lesson, LessonType, Section

from . import services
from .models import Coupon, CouponKind, CouponScope, OrderItem, OrderStatus

SELLER = "grace@demo.learnflow.local"
BUYERS = ["student@demo.learnflow.local", "lee@demo.learnflow.local"]
COURSE_SLUG = "demo-compilers-from-scratch"
COUPON_CODE = "WELCOME10"


def _course(seller: User) -> Course:
    course, created = Course.objects.get_or_create(
        slug=COURSE_SLUG,
        defaults={
            "title": "Compilers from scratch",
            "subtitle": "Write a small language, from tokens to machine code",
            "description": "Lexing, parsing, type checking and code generation, one step a week.",
            "instructor": seller,
            "status": CourseStatus.DRAFT,  # published below, through the workflow
            "price": Decimal("39.00"),
            "currency": "USD",
        },
    )
    if created:
        section = Section.objects.create(course=course, title="Front end", order=0)
        for order, title in enumerate(["Tokens", "A recursive-descent parser", "Types"]):
            Lesson.objects.create(
                course=course,
                section=section,
                title=title,
                type=LessonType.TEXT,
                order=order,
                content=f"{title}: the idea, the code and an exercise.",
                duration_seconds=600,
            )
    return publish_seeded_course(course)


def _coupon(seller: User, course: Course) -> Coupon:
    coupon, created = Coupon.objects.get_or_create(
        code=COUPON_CODE,
        defaults={
            "kind": CouponKind.PERCENT,
            "value": Decimal("10"),
            "scope": CouponScope.INSTRUCTOR,
            "instructor": seller,
            "created_by": seller,
            "per_user_limit": 1,
        },
    )
    if created:
        coupon.courses.set([course])
    return coupon


def seed(stdout: Any) -> None:
    if settings.PAYMENT_PROVIDER != "fake":
        stdout.write("commerce demo: skipped (PAYMENT_PROVIDER is not 'fake')")
        return
    seller = User.objects.filter(email=SELLER).first()
    if seller is None:
        return
    course = _course(seller)
    _coupon(seller, course)
    paid = 0
    for index, email in enumerate(BUYERS):
        buyer = User.objects.filter(email=email).first()
        if (
            buyer is None
            or OrderItem.objects.filter(
                order__user=buyer, course=course, order__status=OrderStatus.PAID
            ).exists()
        ):
            continue
        services.clear_cart(user=buyer)
        services.add_to_cart(user=buyer, course_ref=course.pk)
        if index == 1:
            services.apply_coupon(user=buyer, code=COUPON_CODE)
        order = services.place_order(
            user=buyer,
            billing_address={
                "name": buyer.full_name,
                "line1": "1 Demo Street",
                "line2": "",
                "city": "Lisbon",
                "postal_code": "1000-001",
                "country": "PT",
            },
        )
        payment = services.checkout_order(order_id=order.pk, by=buyer)
        services.simulate_payment(payment=payment, outcome="succeeded")
        paid += 1
    stdout.write(f"commerce demo: {paid} order(s) paid for “{course.title}”; coupon {COUPON_CODE}")
