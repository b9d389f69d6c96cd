"""The cart and the wishlist: what a buyer collects before ordering."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction

from lms.accounts.models import User
from lms.catalog.models import Course, CourseStatus
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.money import Money

from .. import locks, selectors
from ..course_kind import (
    check_buyable,
    course_for_purchase,
)
from ..errors import CommerceError
from ..models import (
    CartItem,
    Coupon,
    WishlistItem,
)
from ..pricing import CouponRules, Line, check_coupon_usable, price_lines

logger = logging.getLogger(__name__)


@transaction.atomic
def add_to_cart(*, user: User, course_ref: Any) -> CartItem:
    """Put a published, paid course of someone else in the cart (one currency per cart)."""
    course = course_for_purchase(course_ref, buyer=user)
    cart = locks.lock_cart(user=user)
    check_buyable(
        user=user,
        course=course,
        co_teaches=course.buyer_co_teaches,  # type: ignore[attr-defined]
        enrolled=course.buyer_enrolled,  # type: ignore[attr-defined]
    )
    in_cart = dict(CartItem.objects.filter(cart=cart).values_list("course_id", "course__currency"))
    if course.pk in in_cart:
        raise Conflict("This course is already in your cart.", code=CommerceError.ALREADY_IN_CART)
    currencies = set(in_cart.values())
    if currencies and course.currency not in currencies:
        raise Conflict(
            f"Your cart is in {', '.join(sorted(currencies))}; "
            f"this course is in {course.currency}.",
            code=CommerceError.CURRENCY_MISMATCH,
        )
    return CartItem.objects.create(cart=cart, course=course)


@transaction.atomic
def remove_cart_item(*, user: User, item_id: Any) -> None:
    cart = locks.lock_cart(user=user)
    deleted, _ = CartItem.objects.filter(cart=cart, pk=item_id).delete()
    if not deleted:
        raise NotFound("No such cart item.")


@transaction.atomic
def clear_cart(*, user: User) -> None:
    cart = locks.lock_cart(user=user)
    CartItem.objects.filter(cart=cart).delete()
    if cart.coupon_id is not None:
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])


@transaction.atomic
def apply_coupon(*, user: User, code: str) -> Coupon:
    """Attach a coupon to the cart after checking it applies; nothing is counted yet."""
    coupon = selectors.coupon_by_code(code=code)
    cart = locks.lock_cart(user=user)
    check_coupon_usable(coupon, user=user)
    rows = selectors.cart_lines(cart_id=cart.pk)
    if not rows:
        raise Invalid("Your cart is empty.", code=CommerceError.CART_EMPTY)
    lines = [
        Line(
            r["course_id"],
            r["course__instructor_id"],
            Money(r["course__price"], r["course__currency"]),
        )
        for r in rows
    ]
    # Raises when it cannot apply: 400 with the coupon's code, 409 `currency_mismatch` when
    # the cart mixes currencies (a carted course's currency changed since).
    price_lines(lines, CouponRules.of(coupon), lines[0].currency)
    cart.coupon = coupon
    cart.save(update_fields=["coupon", "updated_at"])
    return coupon


@transaction.atomic
def remove_coupon(*, user: User) -> None:
    cart = locks.lock_cart(user=user)
    cart.coupon = None
    cart.save(update_fields=["coupon", "updated_at"])


# --- wishlist ---------------------------------------------------------------------------------


def add_to_wishlist(*, user: User, course_ref: Any) -> WishlistItem:
    course = course_for_purchase(course_ref)
    if course.status != CourseStatus.PUBLISHED:
        raise NotFound("No such course.")
    try:
        with transaction.atomic():
            return WishlistItem.objects.create(user=user, course=course)
    except IntegrityError:
        raise Conflict(
            "This course is already in your wishlist.", code=CommerceError.ALREADY_IN_WISHLIST
        ) from None


def remove_from_wishlist(*, user: User, course_ref: Any) -> None:
    deleted, _ = WishlistItem.objects.filter(
        user=user, course__in=Course.objects.filter(course_ref_filter(course_ref))
    ).delete()
    if not deleted:
        raise NotFound("This course is not in your wishlist.")
