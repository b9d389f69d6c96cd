"""Every non-trivial read of commerce; access functions scope to what the user may see (404)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Prefetch, QuerySet

from lms.catalog.models import Course
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import DomainError, Invalid, NotFound
from lms.core.ids import as_uuid
from lms.core.money import DEFAULT_CURRENCY, Money
from lms.core.permissions import ADMIN, has_role

from .errors import CommerceError
from .models import (
    Cart,
    CartItem,
    Coupon,
    Order,
    OrderItem,
    Payment,
    RevenueShare,
    WishlistItem,
)
from .pricing import CouponRules, Line, Priced, price_lines
from .providers import get_provider

# --- cart -------------------------------------------------------------------------------------

_CART_ITEM_FIELDS = (
    "id",
    "course_id",
    "course__slug",
    "course__title",
    "course__price",
    "course__currency",
    "course__instructor_id",
    "course__thumbnail",
)


@dataclass
class CartView:
    """The cart as shown. `priced` is None when its courses are in more than one currency
    (an instructor changed a carted course's currency): the rows are shown, each with its
    price and currency, but no total can be, and the cart cannot be ordered until the buyer
    removes the courses of the other currency."""

    items: list[dict[str, Any]]
    coupon: Coupon | None
    priced: Priced | None
    coupon_error: str = ""

    @property
    def currency_mismatch(self) -> bool:
        return self.priced is None

    @property
    def currency(self) -> str | None:
        """The cart's currency; None while it is empty (its zero totals are in the default)
        or while it mixes currencies."""
        return self.priced.currency if self.items and self.priced is not None else None


def cart_lines(*, cart_id: Any) -> list[dict[str, Any]]:
    """The cart's items with the live price of each course, in one query."""
    return list(
        CartItem.objects.filter(cart_id=cart_id)
        .order_by("created_at", "id")
        .values(*_CART_ITEM_FIELDS)
    )


def cart_view(*, user: Any) -> CartView:
    """The cart with its current prices and the coupon's discount (three queries at most)."""
    cart = Cart.objects.filter(user_id=user.pk).select_related("coupon").first()
    rows = cart_lines(cart_id=cart.pk) if cart is not None else []
    lines = [
        Line(
            row["course_id"],
            row["course__instructor_id"],
            Money(row["course__price"], row["course__currency"]),
        )
        for row in rows
    ]
    coupon = cart.coupon if cart is not None else None
    if len({line.currency for line in lines}) > 1:
        return CartView(items=rows, coupon=coupon, priced=None)
    currency = lines[0].currency if lines else DEFAULT_CURRENCY
    error = ""
    payable = get_provider().payable_exponent(currency) if lines else None
    priced = price_lines(lines, None, currency, payable_exponent=payable)
    if coupon is not None and lines:
        try:
            priced = price_lines(lines, CouponRules.of(coupon), currency, payable_exponent=payable)
        except DomainError as exc:
            # The cart changed since the coupon was applied: show it without a discount.
            error = str(exc.code)
    return CartView(items=rows, coupon=coupon, priced=priced, coupon_error=error)


# --- wishlist ---------------------------------------------------------------------------------


def wishlist_of(*, user: Any) -> QuerySet[WishlistItem]:
    return (
        WishlistItem.objects.filter(user_id=user.pk)
        .select_related("course")
        .order_by("-created_at")
    )


def wishlist_item(*, user: Any, course_ref: Any) -> WishlistItem:
    item = (
        wishlist_of(user=user)
        .filter(course__in=Course.objects.filter(course_ref_filter(course_ref)))
        .first()
    )
    if item is None:
        raise NotFound("This course is not in your wishlist.")
    return item


# --- coupons ----------------------------------------------------------------------------------


def coupons_visible_to(*, user: Any) -> QuerySet[Coupon]:
    """Admins see every coupon; instructors the coupons they created."""
    queryset = Coupon.objects.prefetch_related(Prefetch("courses", to_attr="course_list"))
    if has_role(user, ADMIN):
        return queryset.order_by("-created_at")
    return queryset.filter(created_by_id=user.pk).order_by("-created_at")


def coupon_for_user(*, user: Any, coupon_id: Any) -> Coupon:
    pk = as_uuid(coupon_id)
    coupon = coupons_visible_to(user=user).filter(pk=pk).first() if pk else None
    if coupon is None:
        raise NotFound("No such coupon.")
    return coupon


def coupon_by_code(*, code: str) -> Coupon:
    coupon = Coupon.objects.filter(code=code.strip().upper()).first()
    if coupon is None:
        raise Invalid("This coupon code is not valid.", code=CommerceError.COUPON_INVALID)
    return coupon


# --- orders -----------------------------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("payment").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("created_at", "id"))
    )


def orders_visible_to(*, user: Any) -> QuerySet[Order]:
    """The user's own orders; admins see every order."""
    queryset = _orders().order_by("-created_at", "-id")
    if has_role(user, ADMIN):
        return queryset
    return queryset.filter(user_id=user.pk)


def order_for_user(*, user: Any, order_id: Any) -> Order:
    """An order the user owns (or any, for an admin), else 404."""
    pk = as_uuid(order_id)
    order = orders_visible_to(user=user).filter(pk=pk).first() if pk else None
    if order is None:
        raise NotFound("No such order.")
    return order


def owned_order(*, user: Any, order_id: Any) -> Order:
    """An order of the user's own (checkout, receipt): never another's, even for an admin."""
    pk = as_uuid(order_id)
    order = _orders().filter(pk=pk, user_id=user.pk).first() if pk else None
    if order is None:
        raise NotFound("No such order.")
    return order


def payment_for_owner(*, user: Any, payment_id: Any) -> Payment:
    pk = as_uuid(payment_id)
    payment = (
        Payment.objects.select_related("order").filter(pk=pk, order__user_id=user.pk).first()
        if pk
        else None
    )
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def payment_by_reference(*, payment_id: str = "", refs: tuple[str, ...] = ()) -> Payment | None:
    """The payment an event names: by our id in the metadata, else by the provider's ids.

    Read on the primary: a replica's lag must not make one of our payments look unknown.
    """
    payments = Payment.objects.using(DEFAULT_DB_ALIAS)
    pk = as_uuid(payment_id) if payment_id else None
    if pk is not None:
        found = payments.filter(pk=pk).first()
        if found is not None:
            return found
    for ref in refs:
        if not isinstance(ref, str) or not ref:
            continue
        found = (
            payments.filter(provider_ref=ref).first()
            or payments.filter(provider_payment_ref=ref).first()
        )
        if found is not None:
            return found
    return None


# --- revenue shares ---------------------------------------------------------------------------


def revenue_share_rows(*, course_ids: list[Any]) -> dict[Any, list[tuple[Any, Decimal]]]:
    """The owner-set shares of several courses, in one query."""
    result: dict[Any, list[tuple[Any, Decimal]]] = {}
    for course_id, instructor_id, percent in RevenueShare.objects.filter(
        course_id__in=course_ids
    ).values_list("course_id", "instructor_id", "percent"):
        result.setdefault(course_id, []).append((instructor_id, percent))
    return result


def revenue_splits(
    *, rows: list[tuple[Any, Decimal]], owner_id: Any, instructor_ids: set[Any]
) -> list[tuple[Any, Decimal]]:
    """(user id, percent) of a course's earnings, the owner first; default all to the owner.

    Shares of people who no longer teach the course fall back to the owner.
    """
    shares = {instructor: percent for instructor, percent in rows if instructor in instructor_ids}
    owner_share = Decimal(100) - sum((p for i, p in shares.items() if i != owner_id), Decimal(0))
    others = [(i, p) for i, p in sorted(shares.items(), key=lambda kv: str(kv[0])) if i != owner_id]
    if owner_share > 0:
        return [(owner_id, owner_share), *others]
    return others


def revenue_shares_of(*, course_id: Any) -> QuerySet[RevenueShare]:
    return RevenueShare.objects.filter(course_id=course_id).select_related("instructor")
