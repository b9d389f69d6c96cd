"""Commerce data: carts, wishlists, coupons, orders, payments, provider events and refunds.

Workflows (pricing, placing an order, fulfilment, refunds) live in `services.py`; this module
states the data and the invariants the database enforces: one cart item per course, one
payment per order, one inbox row per provider event, idempotency keys under unique
constraints, amounts never negative.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lms.catalog.models import Course
from lms.core.models import BaseModel, CurrencyField, MoneyAmountField
from lms.core.money import MoneyColumn

ZERO = Decimal("0.00")


def money_field(**kwargs: Any) -> MoneyAmountField:
    return MoneyAmountField(**kwargs)


# --- cart and wishlist ----------------------------------------------------------------------


class Cart(BaseModel):
    """One persistent cart per user; its currency is the currency of its items."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart"
    )
    coupon = models.ForeignKey(
        "Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"cart of {self.user_id}"


class CartItem(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "course"], name="commerce_one_cart_item_per_course"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} in {self.cart_id}"


class WishlistItem(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="commerce_one_wish_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} wished by {self.user_id}"


# --- coupons --------------------------------------------------------------------------------


class CouponKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Fixed amount off"


class CouponScope(models.TextChoices):
    COURSES = "courses", "Chosen courses"
    INSTRUCTOR = "instructor", "All of an instructor's courses"
    PLATFORM = "platform", "Every course (admins only)"


class Coupon(BaseModel):
    """A discount code. Redemptions are counted when a payment succeeds, never at apply."""

    code = models.CharField(max_length=40, unique=True, help_text="Stored upper case.")
    kind = models.CharField(max_length=10, choices=CouponKind.choices)
    # Percent (0 < value ≤ 100) or an amount in `currency` (fixed coupons only).
    value = money_field()
    currency = CurrencyField(blank=True)
    scope = models.CharField(max_length=12, choices=CouponScope.choices)
    # The instructor whose courses an `instructor` coupon covers; the creator otherwise.
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    courses = models.ManyToManyField(Course, blank=True, related_name="coupons")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupons_created"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    per_user_limit = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Moved only by fulfilment, under the coupon's row lock, in the payment's transaction.
    redemption_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="commerce_coupon_value_gt_0"),
            models.CheckConstraint(
                condition=~Q(kind=CouponKind.PERCENT) | Q(value__lte=100),
                name="commerce_coupon_percent_lte_100",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CouponKind.FIXED) | ~Q(currency=""),
                name="commerce_coupon_fixed_has_currency",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redemption_count__lte=F("max_redemptions")),
                name="commerce_coupon_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="commerce_coupon_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(BaseModel):
    """One use of a coupon by a paid order; written by fulfilment only."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField("Order", on_delete=models.PROTECT, related_name="redemption")
    amount = money_field()
    currency = CurrencyField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["coupon", "user"])]

    def __str__(self) -> str:
        return f"{self.coupon_id} on {self.order_id}"


# --- revenue shares -------------------------------------------------------------------------


class RevenueShare(BaseModel):
    """The owner-set split of a course's instructor earnings; none means all to the owner."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="revenue_shares")
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["course_id", "-percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instructor"], name="commerce_one_share_each"
            ),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="commerce_share_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_id} {self.percent}% of {self.course_id}"


# --- orders ---------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    FAILED = "failed", "Payment failed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"


class Order(BaseModel):
    number = models.CharField(max_length=24, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    currency = CurrencyField()
    subtotal = money_field()
    discount = money_field(default=ZERO)
    total = money_field()
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    coupon_code = models.CharField(max_length=40, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = money_field(default=ZERO)
    failure_code = models.CharField(max_length=40, blank=True)

    total_money = MoneyColumn("total")
    refunded_money = MoneyColumn("refunded_amount")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="commerce_order_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(discount__gte=0)
                & Q(total__gte=0)
                & Q(refunded_amount__gte=0),
                name="commerce_order_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("discount")),
                name="commerce_order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("total")), name="commerce_order_refund_lte_total"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderItem(BaseModel):
    """One thing bought, of a sellable kind (lms.commerce.sellables), with the price snapshot
    taken when the order was placed. A course item also keeps its course as a foreign key."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=30, default="course")
    reference_id = models.UUIDField()
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    currency = CurrencyField()
    price = money_field()
    discount = money_field(default=ZERO)
    amount_paid = money_field()
    refund = models.ForeignKey(
        "Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )

    paid = MoneyColumn("amount_paid")  # what the ledger credits for this item

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "reference_id"], name="commerce_one_item_per_reference"
            ),
            models.CheckConstraint(
                condition=~Q(kind="course") | Q(course_id=F("reference_id")),
                name="commerce_course_item_names_its_course",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(discount__gte=0) & Q(amount_paid__gte=0),
                name="commerce_item_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid=F("price") - F("discount")), name="commerce_item_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.amount_paid} {self.currency})"


# --- payments -------------------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # The provider reported an amount or currency that is not the order's: never fulfilled.
    MISMATCH = "mismatch", "Amount or currency mismatch"


class Payment(BaseModel):
    """The one payment of an order at its provider (checkout reuses it)."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=20)
    # The provider's object: a PaymentIntent (pi_…) or Checkout Session (cs_…) id.
    provider_ref = models.CharField(max_length=255, null=True, blank=True)
    # The PaymentIntent behind a Checkout Session, learnt from the session's events.
    provider_payment_ref = models.CharField(max_length=255, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    amount = money_field()
    currency = CurrencyField()
    client_secret = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    amount_refunded = money_field(default=ZERO)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    money = MoneyColumn("amount")
    refunded_money = MoneyColumn("amount_refunded")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="commerce_payment_provider_ref_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount_refunded__gte=0),
                name="commerce_payment_amounts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_ref or '-'} ({self.status})"


class ProviderEvent(BaseModel):
    """The inbox: every provider event recorded once by its id, handled exactly once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (not for us)"
        FAILED = "failed", "Failed (will be retried)"

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="commerce_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


# --- refunds --------------------------------------------------------------------------------


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending at the provider"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(BaseModel):
    """Money returned for some items of an order; the key is derived from this row's id."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    currency = CurrencyField()
    reason = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The `OrderItem.reference_id`s (of any kind: course ids, booking ids) this refund covers
    # while it is pending (OrderItem.refund is set on success). The column keeps its first
    # name, `course_ids` (from when commerce sold courses only), as does the API's field.
    reference_ids = models.JSONField(default=list, db_column="course_ids")
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING, db_index=True
    )
    provider_ref = models.CharField(max_length=255, null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    # Started outside this service (the provider's dashboard, a dispute): no provider call.
    external = models.BooleanField(default=False)
    money = MoneyColumn("amount")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="commerce_refund_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} of {self.order_id} ({self.status})"
