"""Every write of commerce: cart, wishlist, coupons, orders, checkout, provider events,
fulfilment, refunds and reconciliation.

Money rules: prices are snapshotted into order items when the order is placed; a payment is
fulfilled once, under the order's row lock, and only when the provider's amount and currency
are exactly the order's; redemptions of a coupon are counted at payment under the coupon's
lock. Side effects (receipt email, notification delivery) run after commit. Lock order:
`locks.py`.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef
from django.utils import timezone

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.audit.transitions import StateMachine
from lms.catalog.models import Course, CourseStatus
from lms.catalog.selectors import course_ref_filter, courses_editable_by
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.money import format_money, parse_amount
from lms.core.permissions import ADMIN, has_role
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts.services import LedgerReference, Sale, credit_sales, reverse_sale_earnings

from . import locks, selectors
from .course_kind import (
    COURSE,
    buyer_columns,
    check_buyable,
    course_for_purchase,
)
from .errors import CommerceError, ProviderUnavailable
from .models import (
    ZERO,
    CartItem,
    Coupon,
    CouponKind,
    CouponRedemption,
    CouponScope,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProviderEvent,
    Refund,
    RefundStatus,
    RevenueShare,
    WishlistItem,
)
from .pricing import CouponRules, Line, check_coupon_usable, coupon_exhausted_for, price_lines
from .providers import CreatedPayment, PaymentEvent, ProviderError, get_provider
from .providers.fake import simulated_event
from .sellables import Offer, by_kind, sellable_kinds, splits_of

logger = logging.getLogger(__name__)

# Amounts above this are refused as input (a coupon's fixed value); course prices cap lower.
MAX_AMOUNT = Decimal("1000000")
FREE_PROVIDER = "free"  # a zero total: fulfilled at checkout, no provider involved

# The state machine of an order: which statuses may follow which.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (
        OrderStatus.PAID,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDED,
    ),
    # A late success (the buyer retried the card) still pays a failed or cancelled order:
    # money received is honoured, never ignored.
    OrderStatus.FAILED: (OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED),
    OrderStatus.CANCELLED: (OrderStatus.PAID, OrderStatus.REFUNDED),
    OrderStatus.PAID: (OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
    OrderStatus.PARTIALLY_REFUNDED: (OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
    OrderStatus.REFUNDED: (),
}
FULFILLED = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
ORDER_STATES = StateMachine(
    name="order",
    moves=ORDER_TRANSITIONS,
    actions={
        OrderStatus.PAID: AuditAction.ORDER_PAID,
        OrderStatus.FAILED: AuditAction.ORDER_FAILED,
        OrderStatus.CANCELLED: AuditAction.ORDER_CANCELLED,
        OrderStatus.PARTIALLY_REFUNDED: AuditAction.ORDER_PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED: AuditAction.ORDER_REFUNDED,
    },
    conflict_code=CommerceError.INVALID_ORDER_STATE,
)


def _transition(
    order: Order,
    to: str,
    *,
    actor: Any = None,
    request: AnyRequest = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked order to `to` (409 when not allowed) and write the audit line."""
    ORDER_STATES.apply(
        order, to, actor=actor, request=request, data={"number": order.number, **(data or {})}
    )


# --- cart -------------------------------------------------------------------------------------


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
        Line(r["course_id"], r["course__instructor_id"], r["course__price"], r["course__currency"])
        for r in rows
    ]
    price_lines(lines, CouponRules.of(coupon), lines[0].currency)  # raises when it cannot apply
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


# --- coupons ----------------------------------------------------------------------------------


def _coupon_error(message: str) -> Invalid:
    return Invalid(message, code=CommerceError.INVALID_COUPON)


@transaction.atomic
def create_coupon(*, by: User, data: dict[str, Any], request: AnyRequest = None) -> Coupon:
    """An instructor's coupon for their own courses (or all of them); admins may go wider."""
    is_admin = has_role(by, ADMIN)
    code = str(data["code"]).strip().upper()
    kind = data["kind"]
    value = Decimal(data["value"])
    currency = str(data.get("currency") or "").upper()
    scope = data.get("scope") or CouponScope.COURSES
    if not value.is_finite() or value <= 0 or value >= MAX_AMOUNT:
        raise _coupon_error("The value must be positive.")
    if kind == CouponKind.PERCENT:
        if value > 100:
            raise _coupon_error("A percent coupon takes at most 100 percent.")
        currency = ""
    else:
        if not currency:
            raise Invalid("A fixed coupon needs its currency.", code=CommerceError.INVALID_COUPON)
        value = parse_amount(value, currency, allow_zero=False).amount
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise _coupon_error("The coupon must end after it starts.")
    if scope == CouponScope.PLATFORM and not is_admin:
        raise PermissionDenied("Only administrators create platform-wide coupons.")
    courses: list[Course] = []
    instructor: User | None = by
    if scope == CouponScope.COURSES:
        wanted = list(dict.fromkeys(data.get("courses") or []))
        if not wanted:
            raise _coupon_error("Choose the courses this coupon is for.")
        courses = list(courses_editable_by(by).filter(pk__in=wanted))
        if len(courses) != len(wanted):
            raise Invalid(
                "A coupon can only cover your own courses.", code=CommerceError.NOT_YOUR_COURSE
            )
    elif scope == CouponScope.INSTRUCTOR and is_admin and data.get("instructor_id"):
        instructor = User.objects.filter(pk=data["instructor_id"]).first()
        if instructor is None:
            raise _coupon_error("No such instructor.")
    elif scope == CouponScope.PLATFORM:
        instructor = None
    if Coupon.objects.filter(code=code).exists():
        raise Conflict("This code is taken.", code=CommerceError.COUPON_CODE_TAKEN)
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(
                code=code,
                kind=kind,
                value=value,
                currency=currency,
                scope=scope,
                instructor=instructor,
                created_by=by,
                starts_at=starts_at,
                ends_at=ends_at,
                max_redemptions=data.get("max_redemptions"),
                per_user_limit=data.get("per_user_limit"),
            )
    except IntegrityError:
        raise Conflict("This code is taken.", code=CommerceError.COUPON_CODE_TAKEN) from None
    coupon.courses.set(courses)
    record(
        action=AuditAction.COUPON_CREATED,
        actor=by,
        target=coupon,
        request=request,
        data={"code": code, "kind": kind, "value": str(value), "scope": scope},
    )
    return coupon


@transaction.atomic
def deactivate_coupon(*, coupon: Coupon, by: User, request: AnyRequest = None) -> Coupon:
    coupon.is_active = False
    coupon.save(update_fields=["is_active", "updated_at"])
    record(action=AuditAction.COUPON_DEACTIVATED, actor=by, target=coupon, request=request)
    return coupon


# --- revenue shares ---------------------------------------------------------------------------


@transaction.atomic
def set_revenue_shares(
    *, course: Course, by: User, shares: Sequence[tuple[Any, Decimal]], request: AnyRequest = None
) -> list[RevenueShare]:
    """The owner splits the instructors' part of each sale; an empty list means all to them."""
    if course.instructor_id != by.pk and not has_role(by, ADMIN):
        raise PermissionDenied("Only the course's owner sets the revenue shares.")
    teachers = {course.instructor_id, *course.co_instructors.values_list("id", flat=True)}
    seen: set[Any] = set()
    for instructor_id, percent in shares:
        if instructor_id not in teachers:
            raise Invalid(
                "Only the course's instructors can have a share.", code=CommerceError.INVALID_SHARES
            )
        if instructor_id in seen:
            raise Invalid("An instructor appears twice.", code=CommerceError.INVALID_SHARES)
        seen.add(instructor_id)
        if percent <= 0 or percent > 100:
            raise Invalid(
                "Every share is above 0 and at most 100.", code=CommerceError.INVALID_SHARES
            )
    if shares and sum((p for _, p in shares), Decimal(0)) != 100:
        raise Invalid("The shares must add up to 100.", code=CommerceError.INVALID_SHARES)
    RevenueShare.objects.filter(course=course).delete()
    rows = RevenueShare.objects.bulk_create(
        RevenueShare(course=course, instructor_id=i, percent=p) for i, p in shares
    )
    record(
        action=AuditAction.COURSE_REVENUE_SHARES_SET,
        actor=by,
        target=course,
        request=request,
        data={"shares": {str(i): str(p) for i, p in shares}},
    )
    return rows


# --- orders -----------------------------------------------------------------------------------


def _new_order_number() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"LF-{timezone.now():%Y%m%d}-{suffix}"


@transaction.atomic
def place_order(
    *, user: User, billing_address: dict[str, str] | None = None, request: AnyRequest = None
) -> Order:
    """Turn the cart into a pending order with price snapshots and empty the cart, at once.

    A course that was unpublished or became owned since it went into the cart refuses the
    whole order with its code; the cart is left as it was.
    """
    cart = locks.lock_cart(user=user)
    items = list(
        CartItem.objects.filter(cart=cart)
        .select_related("course")
        .annotate(**buyer_columns(user, OuterRef("course_id")))
        .order_by("created_at", "id")
    )
    if not items:
        raise Invalid("Your cart is empty.", code=CommerceError.CART_EMPTY)
    courses = [item.course for item in items]
    currency = courses[0].currency
    for item, course in zip(items, courses, strict=True):
        check_buyable(
            user=user,
            course=course,
            co_teaches=item.buyer_co_teaches,  # type: ignore[attr-defined]
            enrolled=item.buyer_enrolled,  # type: ignore[attr-defined]
        )
        if course.currency != currency:
            raise Conflict("Your cart mixes currencies.", code=CommerceError.CURRENCY_MISMATCH)
    coupon = cart.coupon
    rules = None
    if coupon is not None:
        check_coupon_usable(coupon, user=user)
        rules = CouponRules.of(coupon)
    lines = [Line(c.pk, c.instructor_id, c.price, c.currency) for c in courses]
    priced = price_lines(
        lines, rules, currency, payable_exponent=get_provider().payable_exponent(currency)
    )
    order = Order.objects.create(
        number=_new_order_number(),
        user=user,
        currency=currency,
        subtotal=priced.subtotal,
        discount=priced.discount,
        total=priced.total,
        coupon=coupon,
        coupon_code=coupon.code if coupon else "",
        billing_address=billing_address or {},
    )
    by_id = {c.pk: c for c in courses}
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            kind=COURSE,
            reference_id=line.line.course_id,
            course_id=line.line.course_id,
            title=by_id[line.line.course_id].title,
            instructor_id=line.line.instructor_id,
            currency=currency,
            price=line.line.price,
            discount=line.discount,
            amount_paid=line.amount_paid,
        )
        for line in priced.lines
    )
    CartItem.objects.filter(cart=cart).delete()
    if cart.coupon_id is not None:
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    record(
        action=AuditAction.ORDER_PLACED,
        actor=user,
        target=order,
        request=request,
        data={
            "number": order.number,
            "total": str(order.total),
            "currency": currency,
            "coupon": order.coupon_code,
        },
    )
    return order


@transaction.atomic
def place_item_order(
    *, user: User, kind: str, reference_id: Any, request: AnyRequest = None
) -> Order:
    """A pending order of one item of any registered sellable kind (a tutoring booking is
    paid this way, through the same checkout): the kind prices it and says whether `user`
    may buy it. The same item asked for again while its order is pending reuses that order.
    An unregistered kind is 400 `unknown_sellable_kind`."""
    if kind not in sellable_kinds:
        raise Invalid(f"{kind!r} cannot be bought here.", code=CommerceError.UNKNOWN_SELLABLE_KIND)
    offer: Offer = sellable_kinds.get(kind).offer(buyer=user, reference_id=reference_id)
    pending = (
        Order.objects.select_for_update()
        .filter(
            user=user,
            status=OrderStatus.PENDING,
            items__kind=offer.kind,
            items__reference_id=offer.reference_id,
        )
        .first()
    )
    if pending is not None:
        return pending
    lines = [Line(offer.reference_id, offer.seller_id, offer.price, offer.currency)]
    priced = price_lines(
        lines,
        None,
        offer.currency,
        payable_exponent=get_provider().payable_exponent(offer.currency),
    )
    order = Order.objects.create(
        number=_new_order_number(),
        user=user,
        currency=offer.currency,
        subtotal=priced.subtotal,
        discount=priced.discount,
        total=priced.total,
    )
    [line] = priced.lines
    OrderItem.objects.create(
        order=order,
        kind=offer.kind,
        reference_id=offer.reference_id,
        course_id=offer.reference_id if offer.kind == COURSE else None,
        title=offer.title[:200],
        instructor_id=offer.seller_id,
        currency=offer.currency,
        price=offer.price,
        discount=line.discount,
        amount_paid=line.amount_paid,
    )
    record(
        action=AuditAction.ORDER_PLACED,
        actor=user,
        target=order,
        request=request,
        data={"number": order.number, "total": str(order.total), "currency": order.currency,
              "kind": offer.kind, "reference": str(offer.reference_id)},
    )  # fmt: skip
    return order


# --- checkout ---------------------------------------------------------------------------------


def checkout_order(
    *, order_id: Any, by: User, hosted: bool = False, request: AnyRequest = None
) -> Payment:
    """The order's one payment at the provider: created once, reused by every later call.

    As payouts send transfers: claim, commit, call the provider outside any lock or
    transaction, complete. The claim is the order's `Payment` row, written under the order's
    lock with no provider object yet; the provider is then asked with an idempotency key
    derived from that row, so a retry, or two checkouts at once, get the same provider object;
    the first answer is stored under the payment's lock. A provider failure answers 502 and
    leaves the claim for the next checkout; the order stays pending. Only the buyer pays an
    order: anybody else's is 404. A free order is fulfilled at once, without a provider.
    """
    payment = _claim_payment(order_id=order_id, by=by)
    if payment.provider_ref or payment.provider == FREE_PROVIDER:
        return payment
    provider = get_provider(payment.provider)
    try:
        created = provider.create_payment(payment=payment, order=payment.order, hosted=hosted)
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:500])
        logger.warning(
            "commerce.checkout_provider_error",
            extra={"order": str(payment.order_id), "error": str(exc)[:200]},
        )
        raise ProviderUnavailable() from exc
    return _complete_checkout(payment_id=payment.pk, created=created, by=by, request=request)


@transaction.atomic
def _claim_payment(*, order_id: Any, by: User) -> Payment:
    """The order's payment row, written on the first call under the order's lock."""
    order = locks.lock_order(order_id, owner=by)
    existing = Payment.objects.filter(order=order).first()
    if existing is not None:
        existing.order = order
        return existing
    if order.status != OrderStatus.PENDING:
        raise Conflict(
            f"A {order.status} order cannot be paid.", code=CommerceError.ORDER_NOT_PAYABLE
        )
    if order.coupon_id is not None and coupon_exhausted_for(order.coupon, user=by):  # type: ignore[arg-type]
        raise Conflict(
            "The coupon of this order has been used up.", code=CommerceError.COUPON_EXHAUSTED
        )
    # What was withdrawn since the order was placed (an unpublished course, docs/catalog.md)
    # is sold to nobody new: each kind says.
    for kind, group in by_kind(OrderItem.objects.filter(order=order)).items():
        kind.check_still_for_sale(order=order, items=group)
    payment = Payment(
        order=order,
        amount=order.total,
        currency=order.currency,
        idempotency_key=f"order-{order.pk}",
        provider=FREE_PROVIDER if order.total == 0 else get_provider().name,
    )
    payment.save()
    if order.total == 0:
        _apply_success_locked(
            order=order,
            payment=payment,
            amount=Decimal(0),
            currency=order.currency,
            payment_ref="",
            source="checkout",
        )
    return payment


@transaction.atomic
def _complete_checkout(
    *, payment_id: Any, created: CreatedPayment, by: User, request: AnyRequest
) -> Payment:
    """Store the provider's object on the claimed payment, once (a concurrent checkout may
    have stored the same object first)."""
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment_id)
    if payment.provider_ref:
        return payment
    payment.provider_ref = created.ref
    payment.client_secret = created.client_secret
    payment.checkout_url = created.checkout_url
    payment.last_error = ""
    payment.save(
        update_fields=[
            "provider_ref", "client_secret", "checkout_url", "last_error", "updated_at"
        ]
    )  # fmt: skip
    record(
        action=AuditAction.PAYMENT_CREATED,
        actor=by,
        target=payment,
        request=request,
        data={
            "order": payment.order.number,
            "provider": payment.provider,
            "amount": str(payment.amount),
            "currency": payment.currency,
        },
    )
    return payment


# --- provider events: the inbox ----------------------------------------------------------------


def record_provider_event(
    *, provider: str, event_id: str, type: str, payload: dict[str, Any]
) -> str:
    """Write the event to the inbox once (INSERT … ON CONFLICT DO NOTHING: a second delivery,
    even a concurrent one, leaves the first row as it is). Returns the stored event id."""
    event_id = event_id[:255]
    ProviderEvent.objects.bulk_create(
        [ProviderEvent(provider=provider, event_id=event_id, type=type[:100], payload=payload)],
        ignore_conflicts=True,
    )
    return event_id


def process_provider_event(*, provider: str, event_id: str) -> str:
    """Handle an inbox event exactly once: under its row lock, in one transaction with the
    effects; a crash rolls the effects back and leaves it for the next delivery."""
    try:
        with transaction.atomic():
            event = locks.lock_event(provider=provider, event_id=event_id)
            if event.processed_at is not None:
                return "duplicate"
            outcome = _handle_event(event)
            event.status = (
                ProviderEvent.Status.IGNORED
                if outcome == "ignored"
                else ProviderEvent.Status.PROCESSED
            )
            event.processed_at = timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(
                update_fields=["status", "processed_at", "attempts", "last_error", "updated_at"]
            )
            return outcome
    except Exception as exc:
        ProviderEvent.objects.filter(provider=provider, event_id=event_id).update(
            attempts=F("attempts") + 1,
            status=ProviderEvent.Status.FAILED,
            last_error=repr(exc)[:2000],
        )
        logger.exception("commerce.event_failed", extra={"event": event_id})
        raise


# A signed event whose fields have shapes no real event has (a list where an object goes).
_UNREADABLE_EVENT_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def _handle_event(event: ProviderEvent) -> str:
    """Apply one inbox event. An event we cannot use (unreadable, or naming no payment of
    ours) is ignored: recorded and answered 200, never retried by the provider for days.

    A payment row exists before the provider hears of it (checkout claims and commits it
    first) and is looked up on the primary, so "unknown" never means "not visible yet".
    """
    try:
        parsed = get_provider(event.provider).parse_event(event.payload)
    except _UNREADABLE_EVENT_ERRORS:
        logger.warning("commerce.event_unreadable", extra={"event": event.event_id})
        return "ignored"
    if parsed.kind == "ignored":
        return "ignored"
    payment = selectors.payment_by_reference(
        payment_id=parsed.payment_id, refs=(parsed.provider_ref, parsed.payment_ref)
    )
    if payment is None or payment.provider != event.provider:
        logger.warning(
            "commerce.event_not_ours",
            extra={"event": event.event_id, "payment_id": parsed.payment_id[:64]},
        )
        return "ignored"
    source = f"{event.provider}:{event.event_id}"
    if parsed.kind == "succeeded":
        return apply_payment_succeeded(
            payment_id=payment.pk,
            amount=parsed.amount,
            currency=parsed.currency,
            payment_ref=parsed.payment_ref,
            source=source,
        )
    if parsed.kind == "failed":
        return apply_payment_failed(payment_id=payment.pk, error=parsed.error, source=source)
    if parsed.kind == "refunded":
        return apply_provider_refund(payment_id=payment.pk, event=parsed, source=source)
    return apply_dispute(payment_id=payment.pk, event=parsed, source=source)


def simulate_payment(*, payment: Payment, outcome: str) -> str:
    """The fake provider's webhook: the same inbox and the same handlers as Stripe's."""
    if payment.provider != "fake" or settings.PAYMENT_PROVIDER != "fake":
        raise Conflict(
            "Payments can be simulated only with the fake provider.",
            code=CommerceError.SIMULATION_UNAVAILABLE,
        )
    payload = simulated_event(payment=payment, outcome=outcome)
    event_id = record_provider_event(
        provider="fake", event_id=payload["id"], type=payload["type"], payload=payload
    )
    return process_provider_event(provider="fake", event_id=event_id)


# --- fulfilment -----------------------------------------------------------------------------


def _lock_order_and_payment(payment_id: Any) -> tuple[Order, Payment]:
    """Lock a payment's order, then the payment (the documented order), with the buyer loaded."""
    order = locks.lock_order_of_payment(payment_id)
    return order, locks.lock_payment(payment_id)


# The provider-event handlers below join their caller's transaction without a savepoint: they
# are all or nothing, and an error in one rolls back the caller's whole transaction (the
# inbox's, which records the failure after the rollback and lets the provider retry).


@transaction.atomic(savepoint=False)
def apply_payment_succeeded(
    *,
    payment_id: Any,
    amount: Decimal | None,
    currency: str,
    payment_ref: str = "",
    source: str = "",
) -> str:
    """The provider says the money arrived: fulfil the order once (or refuse a mismatch).

    `amount` is of `currency`, converted from the provider's units at its edge; it must be
    exactly the order's total in the order's currency."""
    order, payment = _lock_order_and_payment(payment_id)
    return _apply_success_locked(
        order=order,
        payment=payment,
        amount=amount,
        currency=currency,
        payment_ref=payment_ref,
        source=source,
    )


def _apply_success_locked(
    *,
    order: Order,
    payment: Payment,
    amount: Decimal | None,
    currency: str,
    payment_ref: str,
    source: str,
) -> str:
    if payment_ref and not payment.provider_payment_ref:
        payment.provider_payment_ref = payment_ref
    if order.status in FULFILLED or order.status == OrderStatus.REFUNDED:
        if payment.status != PaymentStatus.SUCCEEDED and payment.status != PaymentStatus.MISMATCH:
            payment.status = PaymentStatus.SUCCEEDED
            payment.succeeded_at = payment.succeeded_at or timezone.now()
        payment.save()
        return "already_handled"
    expected = order.total
    reported = str(amount) if amount is not None else None
    if amount is None or amount != expected or currency.upper() != order.currency:
        payment.status = PaymentStatus.MISMATCH
        payment.last_error = (
            f"Provider reported {reported} {currency.upper()[:8]}, "
            f"order is {format_money(expected, order.currency)}"
        )[:500]
        payment.save()
        logger.error(
            "commerce.payment_mismatch",
            extra={
                "order": str(order.pk),
                "payment": str(payment.pk),
                "reported": reported,
                "reported_currency": currency,
                "expected": str(expected),
                "currency": order.currency,
            },
        )
        record(
            action=AuditAction.PAYMENT_AMOUNT_MISMATCH,
            target=payment,
            data={
                "source": source,
                "reported": reported,
                "reported_currency": currency,
                "expected": str(expected),
                "currency": order.currency,
            },
        )
        return "mismatch"
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.save()
    coupon = locks.lock_coupon(order.coupon_id) if order.coupon_id else None
    if coupon is not None and coupon_exhausted_for(coupon, user=order.user):
        _refuse_for_exhausted_coupon(order=order, payment=payment, source=source)
        return "coupon_exhausted"
    _fulfil(order=order, payment=payment, coupon=coupon, source=source)
    return "fulfilled"


def _refuse_for_exhausted_coupon(*, order: Order, payment: Payment, source: str) -> None:
    """Another buyer took the coupon's last use first: nothing is granted, money goes back."""
    _transition(order, OrderStatus.FAILED, data={"source": source, "reason": "coupon_exhausted"})
    order.failure_code = CommerceError.COUPON_EXHAUSTED
    order.save(update_fields=["status", "failure_code", "updated_at"])
    refund_id = uuid.uuid4()
    Refund.objects.create(
        id=refund_id,
        order=order,
        payment=payment,
        amount=order.total,
        currency=order.currency,
        reason="The coupon was used up before this payment arrived.",
        course_ids=[str(i) for i in order.items.values_list("reference_id", flat=True)],
        idempotency_key=f"refund-{refund_id}",
    )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Your order could not be completed",
        body=f"The coupon of order {order.number} ran out before your payment arrived; "
        f"{format_money(order.total, order.currency)} is being refunded.",
        data={"order_id": str(order.pk), "status": order.status},
    )
    transaction.on_commit(lambda: _execute_refund_quietly(refund_id))


def _execute_refund_quietly(refund_id: Any) -> None:
    try:
        execute_refund(refund_id=refund_id)
    except ProviderUnavailable:
        logger.warning("commerce.refund_deferred", extra={"refund": str(refund_id)})


def _fulfil(*, order: Order, payment: Payment, coupon: Coupon | None, source: str) -> None:
    """Paid: grant every item (each kind its own way), count the coupon, credit the sellers;
    then tell.

    The rows that every sale of a popular course or instructor touches (the course's and the
    instructor's counters, the instructor's wallet) are written last, so concurrent sales wait
    on them for the shortest time.
    """
    now = timezone.now()
    _transition(order, OrderStatus.PAID, data={"source": source, "payment": str(payment.pk)})
    order.paid_at = now
    order.failure_code = ""
    order.save(update_fields=["status", "paid_at", "failure_code", "updated_at"])
    items = list(order.items.order_by("created_at", "id"))
    splits = splits_of(items)
    if coupon is not None:
        Coupon.objects.filter(pk=coupon.pk).update(redemption_count=F("redemption_count") + 1)
        CouponRedemption.objects.create(
            coupon=coupon,
            user=order.user,
            order=order,
            amount=order.discount,
            currency=order.currency,
        )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Payment received",
        body=f"Order {order.number} is paid: {format_money(order.total, order.currency)}. "
        "Your courses are ready.",
        data={"order_id": str(order.pk), "status": order.status},
        email=False,
    )
    for kind, group in by_kind(items).items():
        kind.fulfil(order=order, items=group)
    credit_sales(
        [
            Sale(
                reference=LedgerReference.of(item),
                currency=item.currency,
                amount_paid=item.amount_paid,
                splits=splits[item.pk],
            )
            for item in items
        ]
    )
    order_id = str(order.pk)

    def send_receipt() -> None:
        from .tasks import send_order_receipt

        send_order_receipt.delay(order_id)

    transaction.on_commit(send_receipt)


@transaction.atomic(savepoint=False)
def apply_payment_failed(
    *, payment_id: Any, error: str = "", source: str = "", cancelled: bool = False
) -> str:
    """A declined or cancelled payment; a paid order never goes back."""
    order, payment = _lock_order_and_payment(payment_id)
    if (
        payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.MISMATCH)
        or order.status != OrderStatus.PENDING
    ):
        return "ignored"
    payment.status = PaymentStatus.CANCELLED if cancelled else PaymentStatus.FAILED
    payment.failed_at = timezone.now()
    payment.last_error = error[:500]
    payment.save()
    to = OrderStatus.CANCELLED if cancelled else OrderStatus.FAILED
    _transition(order, to, data={"source": source, "error": error[:200]})
    order.failure_code = "payment_cancelled" if cancelled else "payment_failed"
    order.save(update_fields=["status", "failure_code", "updated_at"])
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Payment failed",
        body=f"The payment for order {order.number} did not go through. {error}".strip(),
        data={"order_id": str(order.pk), "status": order.status},
    )
    return "failed"


@transaction.atomic(savepoint=False)
def apply_provider_refund(*, payment_id: Any, event: PaymentEvent, source: str = "") -> str:
    """The provider reports money returned (ours, or started from its dashboard)."""
    order, payment = _lock_order_and_payment(payment_id)
    refunded = event.amount_refunded or ZERO
    if event.currency and event.currency != order.currency:
        logger.error("commerce.refund_currency_mismatch", extra={"order": str(order.pk)})
        return "refund_currency_mismatch"
    ours = list(Refund.objects.select_for_update().filter(order=order).order_by("created_at"))
    settled = sum((r.amount for r in ours if r.status == RefundStatus.SUCCEEDED), ZERO)
    # The provider confirms our pending refunds (their own API answer may not have come back).
    for refund in ours:
        if refund.status == RefundStatus.PENDING and settled + refund.amount <= refunded:
            _complete_refund(
                order=order, payment=payment, refund=refund, provider_ref=refund.provider_ref
            )
            settled += refund.amount
    excess = refunded - settled
    if excess <= 0:
        return "refund_confirmed"
    if order.status not in FULFILLED:
        # A refund that overtook the success (or an unfulfilled order): nothing was granted,
        # so the order converges to refunded and a later success finds nothing to do.
        payment.amount_refunded = min(payment.amount, payment.amount_refunded + excess)
        payment.save(update_fields=["amount_refunded", "updated_at"])
        if payment.amount_refunded >= payment.amount and order.status != OrderStatus.REFUNDED:
            _transition(
                order, OrderStatus.REFUNDED, data={"source": source, "before_fulfilment": True}
            )
            order.refunded_at = timezone.now()
            order.refunded_amount = order.total
            order.save(update_fields=["status", "refunded_at", "refunded_amount", "updated_at"])
        return "refunded_unfulfilled"
    open_items = list(order.items.filter(refund__isnull=True))
    open_total = sum((item.amount_paid for item in open_items), ZERO)
    if excess != open_total:
        payment.amount_refunded = min(payment.amount, payment.amount_refunded + excess)
        payment.save(update_fields=["amount_refunded", "updated_at"])
        logger.warning(
            "commerce.external_partial_refund",
            extra={"order": str(order.pk), "amount": str(excess), "currency": order.currency},
        )
        record(
            action=AuditAction.REFUND_EXTERNAL_PARTIAL,
            target=order,
            data={"source": source, "amount": str(excess), "currency": order.currency},
        )
        return "external_partial"
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=excess,
        currency=order.currency,
        reason="Refunded at the payment provider.",
        external=True,
        course_ids=[str(item.course_id) for item in open_items],
        idempotency_key=f"external-{payment.pk}-{refunded}",
    )
    _complete_refund(order=order, payment=payment, refund=refund, provider_ref=None)
    return "refunded_external"


@transaction.atomic(savepoint=False)
def apply_dispute(*, payment_id: Any, event: PaymentEvent, source: str = "") -> str:
    """A chargeback was opened: flagged for staff, audited; access stays until it is decided."""
    order, payment = _lock_order_and_payment(payment_id)
    if payment.disputed_at is None:
        payment.disputed_at = timezone.now()
        payment.save(update_fields=["disputed_at", "updated_at"])
    logger.warning("commerce.dispute_opened", extra={"order": str(order.pk), **event.extra})
    record(
        action=AuditAction.PAYMENT_DISPUTED,
        target=payment,
        data={
            "source": source,
            "order": order.number,
            **{k: str(v) for k, v in event.extra.items()},
        },
    )
    return "disputed"


# --- refunds ----------------------------------------------------------------------------------


def request_refund(
    *,
    order_id: Any,
    by: User,
    course_ids: Sequence[str] | None = None,
    reason: str = "",
    request: AnyRequest = None,
) -> Refund:
    """Refund some or all courses of a paid order through its provider, then take them back."""
    refund = _claim_refund(
        order_id=order_id, by=by, course_ids=course_ids, reason=reason, request=request
    )
    return execute_refund(refund_id=refund.pk)


@transaction.atomic
def _claim_refund(
    *, order_id: Any, by: User, course_ids: Sequence[str] | None, reason: str, request: AnyRequest
) -> Refund:
    order = locks.lock_order(order_id)
    if order.status == OrderStatus.REFUNDED:
        raise Conflict("This order is already refunded.", code=CommerceError.ALREADY_REFUNDED)
    if order.status not in FULFILLED:
        raise Conflict(
            f"A {order.status} order cannot be refunded.", code=CommerceError.INVALID_ORDER_STATE
        )
    payment = locks.lock_payment(Payment.objects.values_list("pk", flat=True).get(order=order))
    items = list(order.items.all())
    if course_ids:
        wanted = {str(i) for i in course_ids}
        chosen = [item for item in items if str(item.reference_id) in wanted]
        if len(chosen) != len(wanted):
            raise Invalid(
                "Some of these courses are not in the order.",
                code=CommerceError.INVALID_ORDER_STATE,
            )
        if any(item.refund_id is not None for item in chosen):
            raise Conflict(
                "Some of these courses are already refunded.", code=CommerceError.ALREADY_REFUNDED
            )
    else:
        chosen = [item for item in items if item.refund_id is None]
    pending = Refund.objects.select_for_update().filter(order=order, status=RefundStatus.PENDING)
    claimed = {course for refund in pending for course in refund.course_ids}
    if any(str(item.reference_id) in claimed for item in chosen):
        raise Conflict(
            "A refund of these courses is already under way.", code=CommerceError.REFUND_IN_PROGRESS
        )
    if not has_role(by, ADMIN):
        deadline = (order.paid_at or order.created_at) + timedelta(days=settings.REFUND_WINDOW_DAYS)
        if timezone.now() > deadline:
            raise PermissionDenied(
                f"Refunds can be asked within {settings.REFUND_WINDOW_DAYS} days of payment.",
                code=CommerceError.REFUND_WINDOW_CLOSED,
            )
    for kind, group in by_kind(chosen).items():
        kind.check_refundable(order=order, items=group, by=by)
    refund_id = uuid.uuid4()
    refund = Refund.objects.create(
        id=refund_id,
        order=order,
        payment=payment,
        amount=sum((item.amount_paid for item in chosen), ZERO),
        currency=order.currency,
        reason=reason[:500],
        requested_by=by,
        course_ids=[str(item.reference_id) for item in chosen],
        # Derived from our row: a retried call (Celery, reconciliation) reuses it.
        idempotency_key=f"refund-{refund_id}",
    )
    record(
        action=AuditAction.REFUND_REQUESTED,
        actor=by,
        target=refund,
        request=request,
        data={
            "order": order.number,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "courses": refund.course_ids,
        },
    )
    return refund


def execute_refund(*, refund_id: Any) -> Refund:
    """Ask the provider to return the money (same key on every retry), then apply it."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    provider_ref: str | None = None
    if not refund.external and refund.amount > 0 and payment.provider != FREE_PROVIDER:
        try:
            created = get_provider(payment.provider).refund(
                payment=payment, amount=refund.amount, idempotency_key=refund.idempotency_key
            )
        except ProviderError as exc:
            Refund.objects.filter(pk=refund.pk).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:500]
            )
            logger.warning("commerce.refund_provider_error", extra={"refund": str(refund.pk)})
            raise ProviderUnavailable() from exc
        if created.status == "failed":
            with transaction.atomic():
                refund = locks.lock_refund(refund.pk)
                refund.status = RefundStatus.FAILED
                refund.provider_ref = created.ref
                refund.save(update_fields=["status", "provider_ref", "updated_at"])
                record(
                    action=AuditAction.REFUND_FAILED,
                    target=refund,
                    data={"provider_ref": created.ref},
                )
            raise Conflict(
                "The payment provider declined the refund.", code=CommerceError.REFUND_FAILED
            )
        provider_ref = created.ref
    with transaction.atomic():
        order, payment = _lock_order_and_payment(payment.pk)
        refund = locks.lock_refund(refund.pk)
        if refund.status == RefundStatus.PENDING:
            _complete_refund(order=order, payment=payment, refund=refund, provider_ref=provider_ref)
    refund.refresh_from_db()
    return refund


def _complete_refund(
    *, order: Order, payment: Payment, refund: Refund, provider_ref: str | None
) -> None:
    """Money is back with the buyer: revoke, reverse the earnings, mark the order (locked)."""
    refund.status = RefundStatus.SUCCEEDED
    refund.provider_ref = provider_ref or refund.provider_ref
    refund.completed_at = timezone.now()
    refund.attempts += 1
    refund.save()
    if order.status in FULFILLED:
        items = list(order.items.filter(reference_id__in=refund.course_ids, refund__isnull=True))
        for kind, group in by_kind(items).items():
            kind.revoke(order=order, items=group, refund=refund)
        for item in items:
            if item.amount_paid > 0:
                reverse_sale_earnings(
                    reference=LedgerReference.of(item), refund_reference=LedgerReference.of(refund)
                )
            item.refund = refund
            item.save(update_fields=["refund", "updated_at"])
        order.refunded_amount = min(order.total, order.refunded_amount + refund.amount)
        still_open = order.items.filter(refund__isnull=True).exists()
        _transition(
            order,
            OrderStatus.PARTIALLY_REFUNDED if still_open else OrderStatus.REFUNDED,
            actor=refund.requested_by,
            data={"refund": str(refund.pk), "amount": str(refund.amount)},
        )
        order.refunded_at = timezone.now()
        order.save(update_fields=["status", "refunded_amount", "refunded_at", "updated_at"])
    payment.amount_refunded = min(payment.amount, payment.amount_refunded + refund.amount)
    payment.save(update_fields=["amount_refunded", "updated_at"])
    record(
        action=AuditAction.REFUND_SUCCEEDED,
        actor=refund.requested_by,
        target=refund,
        data={
            "order": order.number,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "provider_ref": refund.provider_ref or "",
            "external": refund.external,
        },
    )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Refund issued",
        body=f"{format_money(refund.amount, refund.currency)} of order {order.number} "
        "is on its way back to you.",
        data={"order_id": str(order.pk), "refund_id": str(refund.pk), "status": order.status},
    )


# --- reconciliation -----------------------------------------------------------------------------


def reconcile_pending_payments(
    *, older_than: timedelta = timedelta(hours=1), limit: int = 200
) -> dict[str, int]:
    """Ask the provider about payments pending for too long (a webhook lost or not sent)."""
    counts = {"checked": 0, "fulfilled": 0, "failed": 0, "errors": 0}
    cutoff = timezone.now() - older_than
    pending = (
        Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff)
        .exclude(provider=FREE_PROVIDER)
        .exclude(provider_ref__isnull=True)
        .order_by("created_at")[:limit]
    )
    for payment in pending:
        counts["checked"] += 1
        try:
            remote = get_provider(payment.provider).retrieve(payment=payment)
        except ProviderError:
            counts["errors"] += 1
            logger.warning("commerce.reconcile_provider_error", extra={"payment": str(payment.pk)})
            continue
        if remote.state == "succeeded":
            outcome = apply_payment_succeeded(
                payment_id=payment.pk,
                amount=remote.amount,
                currency=remote.currency,
                payment_ref=remote.payment_ref,
                source="reconciliation",
            )
            counts["fulfilled"] += outcome == "fulfilled"
        elif remote.state in ("failed", "cancelled"):
            apply_payment_failed(
                payment_id=payment.pk,
                source="reconciliation",
                cancelled=remote.state == "cancelled",
            )
            counts["failed"] += 1
    return counts


def retry_pending_refunds(*, older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> int:
    """Send refunds whose provider call failed again, with the very same idempotency key."""
    done = 0
    cutoff = timezone.now() - older_than
    for refund_id in (
        Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ):
        try:
            refund = execute_refund(refund_id=refund_id)
        except (ProviderUnavailable, Conflict):
            continue
        done += refund.status == RefundStatus.SUCCEEDED
    return done
