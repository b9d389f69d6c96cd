"""Input validation and output shapes of commerce: one output serializer per shape, the one
the schema documents; money leaves through lms.core.serializers.AmountField ("49.99" USD,
"5000" JPY, "12.345" KWD) with the currency beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.serializers import (
    AmountField,
    AmountInputField,
    CurrencyInputField,
    FileUrlField,
    check_amount_decimals,
)

from ..errors import CommerceError
from ..models import (
    Coupon,
    CouponKind,
    CouponScope,
    OrderItem,
    OrderStatus,
    Payment,
    RevenueShare,
)
from ..pricing import PERCENT, coupon_value_string

# --- cart -------------------------------------------------------------------------------------


class CartCourseSerializer(serializers.Serializer[Any]):
    """The course of a cart row (a `.values()` row of `selectors.cart_view`)."""

    id = serializers.UUIDField(source="course_id")
    slug = serializers.CharField(source="course__slug")
    title = serializers.CharField(source="course__title")
    thumbnail = FileUrlField(source="course__thumbnail")


class CartItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    course = CartCourseSerializer(source="*")
    price = AmountField(
        source="course__price",
        currency_source="course__currency",
        help_text="The course's current price.",
    )
    currency = serializers.CharField(source="course__currency")


class CartSerializer(serializers.Serializer[Any]):
    """A `selectors.CartView`: its rows, the coupon and the priced totals (null, with
    `currency_mismatch`, while the cart mixes currencies)."""

    items = CartItemSerializer(many=True)
    coupon = serializers.CharField(source="coupon.code", allow_null=True, default=None)
    coupon_error = serializers.CharField(allow_blank=True)
    subtotal = AmountField(source="priced.subtotal", allow_null=True)
    discount = AmountField(source="priced.discount", allow_null=True)
    total = AmountField(source="priced.total", allow_null=True)
    currency = serializers.CharField(allow_null=True)
    currency_mismatch = serializers.BooleanField(
        help_text=(
            "True while the cart holds courses in more than one currency (a course's currency "
            "changed after it was added): the totals and `currency` are null, and ordering or "
            "applying a coupon answers 409 `currency_mismatch` until the courses of all but "
            "one currency are removed."
        )
    )


class CartItemInputSerializer(serializers.Serializer[Any]):
    course_id = serializers.CharField(max_length=220, help_text="The course's id (or slug).")


class CouponCodeInputSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40, trim_whitespace=True)


# --- wishlist ---------------------------------------------------------------------------------


class WishlistInputSerializer(serializers.Serializer[Any]):
    course_id = serializers.CharField(max_length=220)


class WishlistCourseSerializer(serializers.Serializer[Any]):
    """The course of a wishlist row (the `Course` selected with it): its current price."""

    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()
    price = AmountField()
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    thumbnail = FileUrlField()


class WishlistItemSerializer(serializers.Serializer[Any]):
    """A `WishlistItem` of `selectors.wishlist_of` (its course joined: no query per row)."""

    id = serializers.UUIDField()
    course = WishlistCourseSerializer()
    created_at = serializers.DateTimeField()


# --- coupons ----------------------------------------------------------------------------------


class CouponInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{3,40}$", max_length=40)
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    value = AmountInputField(min_value=Decimal("0.001"))
    currency = CurrencyInputField(required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=CouponScope.choices, default=CouponScope.COURSES)
    courses = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=500)
    instructor_id = serializers.UUIDField(required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    max_redemptions = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10_000_000
    )
    per_user_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1000
    )
    # a fixed coupon names its currency: the document's anyOf (lms.core.schema)
    required_together = [({"kind": CouponKind.FIXED.value}, "currency")]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == CouponKind.PERCENT and (
            attrs["value"] > 100 or attrs["value"] != attrs["value"].quantize(PERCENT)
        ):
            raise serializers.ValidationError(
                {"value": "A percent coupon takes up to 100, with two decimals."},
                code="invalid_coupon",
            )
        if attrs["kind"] == CouponKind.FIXED and not attrs.get("currency"):
            raise serializers.ValidationError(
                {"currency": "A fixed coupon needs its currency."}, code="required"
            )
        if attrs["kind"] == CouponKind.FIXED:
            check_amount_decimals(
                attrs, amount="value", currency=attrs["currency"], allow_zero=False
            )
        return attrs


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "example": "20",
        "description": "Percent for a percent coupon; an amount of `currency` for a fixed one.",
    }
)
class CouponValueField(AmountField):
    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return coupon_value_string(amount, currency)


class CouponSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    value = CouponValueField()
    currency = serializers.CharField(allow_blank=True)
    scope = serializers.ChoiceField(choices=CouponScope.choices)
    instructor = serializers.UUIDField(source="instructor_id", allow_null=True)
    courses = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    max_redemptions = serializers.IntegerField(allow_null=True)
    per_user_limit = serializers.IntegerField(allow_null=True)
    redemption_count = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_courses(self, coupon: Coupon) -> list[str]:
        courses = getattr(coupon, "course_list", None)
        if courses is None:
            courses = list(coupon.courses.all())
        return [str(course.pk) for course in courses]


# --- orders -----------------------------------------------------------------------------------


class BillingAddressSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text="ISO 3166-1 alpha-2")

    def validate_country(self, value: str) -> str:
        return value.upper()


class OrderBillingAddressSerializer(serializers.Serializer[Any]):
    """The address an order was placed with (`BillingAddressSerializer`'s validated data:
    all six keys), or `{}` when none was given: each key is left out when absent."""

    name = serializers.CharField(required=False)
    line1 = serializers.CharField(required=False)
    line2 = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    postal_code = serializers.CharField(required=False)
    country = serializers.CharField(required=False, help_text="ISO 3166-1 alpha-2")


class OrderInputSerializer(serializers.Serializer[Any]):
    """Only the billing address is read: a price, total or status in the body is ignored."""

    billing_address = BillingAddressSerializer(required=False)


class OrderItemCourseSerializer(serializers.Serializer[Any]):
    """The course of a course item: its id and the title snapshotted at ordering (the
    item's own columns, no query); null for an item of another kind."""

    id = serializers.UUIDField(source="course_id")
    title = serializers.CharField()

    # Declared with source="*" on the item: None (rendered null by DRF) when the item sells
    # another kind. lms.core.rendering reads by source and would not call this; the item's
    # serializer is rendered by DRF (its `refunded` is a method field).
    def get_attribute(self, instance: OrderItem) -> OrderItem | None:
        return instance if instance.course_id is not None else None


class OrderItemSerializer(serializers.Serializer[Any]):
    """One item of an order: its sellable `kind` and `reference` (the course's or the
    booking's id); `course` is set for course items only."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    reference = serializers.UUIDField(source="reference_id")
    course = OrderItemCourseSerializer(source="*", allow_null=True)
    title = serializers.CharField()
    price = AmountField()
    discount = AmountField()
    amount_paid = AmountField()
    currency = serializers.CharField()
    refunded = serializers.SerializerMethodField()

    def get_refunded(self, item: OrderItem) -> bool:
        return item.refund_id is not None


class PaymentBriefSerializer(serializers.Serializer[Any]):
    """An order's payment (selected with the order: `selectors`' `select_related("payment")`)."""

    id = serializers.UUIDField()
    provider = serializers.CharField()
    status = serializers.CharField()


class OrderSerializer(serializers.Serializer[Any]):
    """An order with its (prefetched) items and its payment, if any."""

    id = serializers.UUIDField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    items = OrderItemSerializer(many=True, source="items.all")
    subtotal = AmountField()
    discount = AmountField()
    total = AmountField()
    currency = serializers.CharField()
    coupon_code = serializers.CharField(allow_blank=True)
    billing_address = OrderBillingAddressSerializer()
    # null while the order has no payment (DRF reads the missing one-to-one as None)
    payment = PaymentBriefSerializer(allow_null=True)
    refunded_amount = AmountField()
    failure_code = serializers.CharField(allow_blank=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class RefundInputSerializer(serializers.Serializer[Any]):
    course_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=200,
        help_text="Refund only these items of the order, by their reference (a course's or a "
        "booking's id; the name is from when only courses were sold); all that are left by "
        "default.",
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RefundSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    amount = AmountField()
    currency = serializers.CharField()
    # the refunded items' references, course or booking ids (the API's name: see the input)
    course_ids = serializers.ListField(child=serializers.CharField(), source="reference_ids")
    reason = serializers.CharField()
    order = OrderSerializer()


# --- payments ---------------------------------------------------------------------------------


class CheckoutInputSerializer(serializers.Serializer[Any]):
    order_id = serializers.UUIDField(required=False)
    booking_id = serializers.UUIDField(required=False)
    mode = serializers.ChoiceField(
        choices=[("intent", "PaymentIntent"), ("hosted", "Checkout Session")],
        default="intent",
        help_text="`hosted` asks Stripe for a Checkout Session page (checkout_url).",
    )
    required_together = [("order_id",), ("booking_id",)]  # the document's anyOf

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("order_id") and attrs.get("booking_id"):
            raise serializers.ValidationError(
                "Give order_id or booking_id, not both.", code=CommerceError.AMBIGUOUS_CHECKOUT
            )
        if not attrs.get("order_id") and not attrs.get("booking_id"):
            raise serializers.ValidationError(
                {"order_id": "This field is required."}, code="required"
            )
        return attrs


class CheckoutSerializer(serializers.Serializer[Any]):
    """The order's payment, with what the client needs to pay it."""

    payment_id = serializers.UUIDField(source="id")
    provider = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField(allow_null=True)
    checkout_url = serializers.CharField(allow_null=True)
    order_id = serializers.UUIDField()

    def to_representation(self, instance: Payment) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["client_secret"] = data["client_secret"] or None
        data["checkout_url"] = data["checkout_url"] or None
        return data


class PaymentSerializer(serializers.Serializer[Any]):
    """A payment with its order's status (the order is loaded with it)."""

    id = serializers.UUIDField()
    order = serializers.UUIDField(source="order_id")
    order_status = serializers.CharField(source="order.status")
    provider = serializers.CharField()
    status = serializers.CharField()
    amount = AmountField()
    currency = serializers.CharField()
    amount_refunded = AmountField()
    succeeded_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SimulateInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=[("succeeded", "succeeded"), ("failed", "failed")])


class WebhookAckSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    outcome = serializers.CharField()


# --- revenue shares ---------------------------------------------------------------------------


# 0.01 to 100 with at most two decimals, as the field below reads it (the document's pattern)
SHARE_PERCENT_PATTERN = r"^([1-9][0-9]?(\.[0-9]{0,2})?|0?\.(0[1-9]|[1-9][0-9]?)|100(\.0{0,2})?)$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": SHARE_PERCENT_PATTERN})
class SharePercentField(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=5,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=Decimal("100"),
            **kwargs,
        )


class RevenueShareItemSerializer(serializers.Serializer[Any]):
    instructor_id = serializers.UUIDField()
    percent = SharePercentField()


class RevenueSharesInputSerializer(serializers.Serializer[Any]):
    shares = RevenueShareItemSerializer(many=True, allow_empty=True)


class RevenueShareSerializer(serializers.ModelSerializer[RevenueShare]):
    instructor_id = serializers.UUIDField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        model = RevenueShare
        fields = ["instructor_id", "percent"]
