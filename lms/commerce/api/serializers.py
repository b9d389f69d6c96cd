"""Input validation and output shapes of commerce; money leaves as a decimal string
quantised to its currency ("49.99" USD, "5000" JPY), with the currency beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from rest_framework import serializers

from lms.core.money import is_currency, quantize

from ..models import Coupon, CouponKind, CouponScope, Order, OrderItem, Payment, RevenueShare

# Largest amount accepted as input: below the columns' 12 digits with 2 decimals.
MAX_INPUT = Decimal("9999999999.99")


def amount(value: Decimal | None, currency: str) -> str | None:
    if value is None:
        return None
    return str(quantize(value, currency)) if is_currency(currency) else str(value)


def _money_field() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)


class _QuantisedMoney:
    """Re-render the declared money fields in their currency's minor unit."""

    money_fields: tuple[str, ...] = ()

    def quantise(self, data: dict[str, Any], currency: str, source: Any) -> dict[str, Any]:
        for name in self.money_fields:
            if name in data:
                data[name] = amount(getattr(source, name), currency)
        return data


# --- cart -------------------------------------------------------------------------------------


class CourseBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()
    thumbnail = serializers.CharField(allow_null=True)


class CartItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    course = CourseBriefSerializer()
    price = serializers.CharField(help_text="Decimal string, the course's current price.")
    currency = serializers.CharField()


class CartSerializer(serializers.Serializer[Any]):
    items = CartItemSerializer(many=True)
    coupon = serializers.CharField(allow_null=True)
    coupon_error = serializers.CharField(allow_blank=True)
    subtotal = serializers.CharField()
    discount = serializers.CharField()
    total = serializers.CharField()
    currency = serializers.CharField(allow_null=True)


def _thumbnail(name: str | None) -> str | None:
    return default_storage.url(name) if name else None


def cart_item_data(row: dict[str, Any]) -> dict[str, Any]:
    currency = row["course__currency"]
    return {
        "id": row["id"],
        "course": {
            "id": row["course_id"],
            "slug": row["course__slug"],
            "title": row["course__title"],
            "thumbnail": _thumbnail(row["course__thumbnail"]),
        },
        "price": amount(row["course__price"], currency),
        "currency": currency,
    }


def cart_data(view: Any) -> dict[str, Any]:
    currency = view.priced.currency or None
    money = currency or "USD"
    return {
        "items": [cart_item_data(row) for row in view.items],
        "coupon": view.coupon.code if view.coupon is not None else None,
        "coupon_error": view.coupon_error,
        "subtotal": amount(view.priced.subtotal, money),
        "discount": amount(view.priced.discount, money),
        "total": amount(view.priced.total, money),
        "currency": currency,
    }


class CartItemInputSerializer(serializers.Serializer[Any]):
    course_id = serializers.CharField(max_length=220, help_text="The course's id (or slug).")


class CouponCodeInputSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40, trim_whitespace=True)


# --- wishlist ---------------------------------------------------------------------------------


class WishlistInputSerializer(serializers.Serializer[Any]):
    course_id = serializers.CharField(max_length=220)


class WishlistItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    course = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_course(self, item: Any) -> dict[str, Any]:
        course = item.course
        return {
            "id": str(course.pk),
            "slug": course.slug,
            "title": course.title,
            "price": amount(course.price, course.currency),
            "currency": course.currency,
            "is_free": course.is_free,
            "thumbnail": _thumbnail(course.thumbnail.name) if course.thumbnail else None,
        }


# --- coupons ----------------------------------------------------------------------------------


class CouponInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{3,40}$", max_length=40)
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_INPUT
    )
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
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

    def validate_currency(self, value: str) -> str:
        value = value.upper()
        if value and not is_currency(value):
            raise serializers.ValidationError("Not an ISO 4217 currency.", code="invalid_currency")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == CouponKind.PERCENT and attrs["value"] > 100:
            raise serializers.ValidationError(
                {"value": "A percent coupon takes at most 100."}, code="invalid_coupon"
            )
        if attrs["kind"] == CouponKind.FIXED and not attrs.get("currency"):
            raise serializers.ValidationError(
                {"currency": "A fixed coupon needs its currency."}, code="required"
            )
        return attrs


class CouponSerializer(_QuantisedMoney, serializers.ModelSerializer[Coupon]):
    courses = serializers.SerializerMethodField()
    value = _money_field()

    class Meta:
        model = Coupon
        fields = [
            "id",
            "code",
            "kind",
            "value",
            "currency",
            "scope",
            "instructor",
            "courses",
            "starts_at",
            "ends_at",
            "max_redemptions",
            "per_user_limit",
            "redemption_count",
            "is_active",
            "created_at",
        ]

    def get_courses(self, coupon: Coupon) -> list[str]:
        courses = getattr(coupon, "course_list", None)
        if courses is None:
            courses = list(coupon.courses.all())
        return [str(course.pk) for course in courses]

    def to_representation(self, instance: Coupon) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.kind == CouponKind.FIXED:
            data["value"] = amount(instance.value, instance.currency)
        else:
            data["value"] = str(instance.value)
        return data


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


class OrderInputSerializer(serializers.Serializer[Any]):
    """Only the billing address is read: a price, total or status in the body is ignored."""

    billing_address = BillingAddressSerializer(required=False)


class OrderItemSerializer(_QuantisedMoney, serializers.ModelSerializer[OrderItem]):
    money_fields = ("price", "discount", "amount_paid")
    price = _money_field()
    discount = _money_field()
    amount_paid = _money_field()
    course = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "course",
            "title",
            "price",
            "discount",
            "amount_paid",
            "currency",
            "refunded",
        ]

    def get_course(self, item: OrderItem) -> dict[str, str]:
        return {"id": str(item.course_id), "title": item.title}

    def get_refunded(self, item: OrderItem) -> bool:
        return item.refund_id is not None

    def to_representation(self, instance: OrderItem) -> dict[str, Any]:
        return self.quantise(super().to_representation(instance), instance.currency, instance)


class PaymentBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    provider = serializers.CharField()
    status = serializers.CharField()


class OrderSerializer(_QuantisedMoney, serializers.ModelSerializer[Order]):
    money_fields = ("subtotal", "discount", "total", "refunded_amount")
    subtotal = _money_field()
    discount = _money_field()
    total = _money_field()
    refunded_amount = _money_field()
    items = OrderItemSerializer(many=True, read_only=True)
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "items",
            "subtotal",
            "discount",
            "total",
            "currency",
            "coupon_code",
            "billing_address",
            "payment",
            "refunded_amount",
            "failure_code",
            "paid_at",
            "refunded_at",
            "created_at",
        ]

    def get_payment(self, order: Order) -> dict[str, Any] | None:
        payment = getattr(order, "payment", None)
        if payment is None:
            return None
        return {"id": str(payment.pk), "provider": payment.provider, "status": payment.status}

    def to_representation(self, instance: Order) -> dict[str, Any]:
        return self.quantise(super().to_representation(instance), instance.currency, instance)


# The purchase path answers with plain dicts built below; the serializers above describe the
# same shapes for the OpenAPI schema, and a test holds the two equal.

_DATETIME = serializers.DateTimeField(read_only=True)


def _when(value: Any) -> str | None:
    return _DATETIME.to_representation(value) if value is not None else None


def order_item_data(item: OrderItem) -> dict[str, Any]:
    currency = item.currency
    return {
        "id": str(item.pk),
        "course": {"id": str(item.course_id), "title": item.title},
        "title": item.title,
        "price": amount(item.price, currency),
        "discount": amount(item.discount, currency),
        "amount_paid": amount(item.amount_paid, currency),
        "currency": currency,
        "refunded": item.refund_id is not None,
    }


def order_data(order: Order) -> dict[str, Any]:
    """What `OrderSerializer` answers, from the order with its payment and (prefetched) items."""
    currency = order.currency
    payment = getattr(order, "payment", None)
    return {
        "id": str(order.pk),
        "number": order.number,
        "status": order.status,
        "items": [order_item_data(item) for item in order.items.all()],
        "subtotal": amount(order.subtotal, currency),
        "discount": amount(order.discount, currency),
        "total": amount(order.total, currency),
        "currency": currency,
        "coupon_code": order.coupon_code,
        "billing_address": order.billing_address,
        "payment": None
        if payment is None
        else {"id": str(payment.pk), "provider": payment.provider, "status": payment.status},
        "refunded_amount": amount(order.refunded_amount, currency),
        "failure_code": order.failure_code,
        "paid_at": _when(order.paid_at),
        "refunded_at": _when(order.refunded_at),
        "created_at": _when(order.created_at),
    }


class RefundInputSerializer(serializers.Serializer[Any]):
    course_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=200,
        help_text="Refund only these courses of the order; all that are left by default.",
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RefundSerializer(_QuantisedMoney, serializers.Serializer[Any]):
    money_fields = ("amount",)
    id = serializers.UUIDField()
    status = serializers.CharField()
    amount = _money_field()
    currency = serializers.CharField()
    course_ids = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    order = serializers.SerializerMethodField()

    def get_order(self, refund: Any) -> dict[str, Any]:
        return order_data(refund.order)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.quantise(super().to_representation(instance), instance.currency, instance)


# --- payments ---------------------------------------------------------------------------------


class CheckoutInputSerializer(serializers.Serializer[Any]):
    order_id = serializers.UUIDField(required=False)
    booking_id = serializers.UUIDField(required=False)
    mode = serializers.ChoiceField(
        choices=[("intent", "PaymentIntent"), ("hosted", "Checkout Session")],
        default="intent",
        help_text="`hosted` asks Stripe for a Checkout Session page (checkout_url).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("order_id") and not attrs.get("booking_id"):
            raise serializers.ValidationError(
                {"order_id": "This field is required."}, code="required"
            )
        return attrs


class CheckoutSerializer(serializers.Serializer[Any]):
    payment_id = serializers.UUIDField()
    provider = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField(allow_null=True)
    checkout_url = serializers.CharField(allow_null=True)
    order_id = serializers.UUIDField()


def checkout_data(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": str(payment.pk),
        "provider": payment.provider,
        "status": payment.status,
        "client_secret": payment.client_secret or None,
        "checkout_url": payment.checkout_url or None,
        "order_id": str(payment.order_id),
    }


class PaymentSerializer(_QuantisedMoney, serializers.ModelSerializer[Payment]):
    money_fields = ("amount", "amount_refunded")
    amount = _money_field()
    amount_refunded = _money_field()
    order_status = serializers.CharField(source="order.status", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "order_status",
            "provider",
            "status",
            "amount",
            "currency",
            "amount_refunded",
            "succeeded_at",
            "failed_at",
            "created_at",
        ]

    def to_representation(self, instance: Payment) -> dict[str, Any]:
        return self.quantise(super().to_representation(instance), instance.currency, instance)


def payment_data(payment: Payment) -> dict[str, Any]:
    """What `PaymentSerializer` answers (the payment's order loaded with it)."""
    currency = payment.currency
    return {
        "id": str(payment.pk),
        "order": str(payment.order_id),
        "order_status": payment.order.status,
        "provider": payment.provider,
        "status": payment.status,
        "amount": amount(payment.amount, currency),
        "currency": currency,
        "amount_refunded": amount(payment.amount_refunded, currency),
        "succeeded_at": _when(payment.succeeded_at),
        "failed_at": _when(payment.failed_at),
        "created_at": _when(payment.created_at),
    }


class SimulateInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=[("succeeded", "succeeded"), ("failed", "failed")])


class WebhookAckSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    outcome = serializers.CharField()


# --- revenue shares ---------------------------------------------------------------------------


class RevenueShareItemSerializer(serializers.Serializer[Any]):
    instructor_id = serializers.UUIDField()
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("100")
    )


class RevenueSharesInputSerializer(serializers.Serializer[Any]):
    shares = RevenueShareItemSerializer(many=True, allow_empty=True)


class RevenueShareSerializer(serializers.ModelSerializer[RevenueShare]):
    instructor_id = serializers.UUIDField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        model = RevenueShare
        fields = ["instructor_id", "percent"]
