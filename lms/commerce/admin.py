"""Django admin for orders, payments, provider events, refunds and coupons.

Money rows are read-only here: every change goes through the services (refunds from the
API or the order's refund action), so the ledger and the audit log stay complete.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.accounts.current import current_user
from lms.accounts.models import User
from lms.core.admin import ServiceAdmin, ViewOnlyAdmin, apply_to_each

from . import services
from .models import Coupon, Order, OrderItem, Payment, ProviderEvent, Refund


class OrderItemInline(admin.TabularInline[OrderItem, Order]):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = (
        "title",
        "course",
        "instructor",
        "price",
        "discount",
        "amount_paid",
        "currency",
        "refund",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RefundInline(admin.TabularInline[Refund, Order]):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount", "currency", "status", "external", "provider_ref", "reason", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ViewOnlyAdmin):
    list_display = [
        "number",
        "user",
        "status",
        "total",
        "currency",
        "coupon_code",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["number", "user__email", "coupon_code"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [OrderItemInline, RefundInline]
    actions = ["refund_orders"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing only; `refund_orders` needs the change permission to be listed for admins.
        return bool(request.user.is_superuser) and obj is None

    @admin.action(
        permissions=["change"], description="Refund the selected paid orders (through the provider)"
    )
    def refund_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        staff = request.user
        if not isinstance(staff, User):
            return
        apply_to_each(
            self,
            request,
            queryset,
            lambda order: services.request_refund(
                order_id=order.pk, by=staff, reason="Refunded by staff", request=request
            ),
            done="{count} order(s) refunded.",
        )


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin):
    list_display = [
        "order",
        "provider",
        "provider_ref",
        "status",
        "amount",
        "currency",
        "amount_refunded",
        "disputed_at",
        "created_at",
    ]
    list_filter = ["provider", "status", "currency"]
    search_fields = ["provider_ref", "provider_payment_ref", "order__number", "order__user__email"]
    list_select_related = ["order"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(ViewOnlyAdmin):
    list_display = [
        "event_id",
        "provider",
        "type",
        "status",
        "attempts",
        "processed_at",
        "created_at",
    ]
    list_filter = ["provider", "type", "status"]
    search_fields = ["event_id"]


@admin.register(Refund)
class RefundAdmin(ViewOnlyAdmin):
    list_display = [
        "order",
        "amount",
        "currency",
        "status",
        "external",
        "attempts",
        "provider_ref",
        "created_at",
    ]
    list_filter = ["status", "external"]
    search_fields = ["order__number", "provider_ref"]
    list_select_related = ["order"]


COUPON_FIELDS = (
    "code", "kind", "value", "currency", "scope", "instructor", "courses", "starts_at",
    "ends_at", "max_redemptions", "per_user_limit",
)  # fmt: skip


@admin.register(Coupon)
class CouponAdmin(ServiceAdmin[Coupon]):
    """Coupons are made by `create_coupon` (its checks, its audit line) and switched off by
    `deactivate_coupon`; no service edits one, so a saved coupon is read-only here."""

    list_display = [
        "code",
        "kind",
        "value",
        "currency",
        "scope",
        "redemption_count",
        "max_redemptions",
        "is_active",
        "ends_at",
    ]
    list_filter = ["kind", "scope", "is_active"]
    search_fields = ["code"]
    fields = [*COUPON_FIELDS, "is_active", "redemption_count", "created_by"]
    filter_horizontal = ["courses"]
    raw_id_fields = ["instructor"]
    actions = ["deactivate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Coupon | None = None) -> Any:
        if obj is not None:
            return self.fields
        return ["is_active", "redemption_count", "created_by"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders name their coupon; deactivate instead

    def save_model(self, request: HttpRequest, obj: Coupon, form: Any, change: bool) -> None:
        if change:
            return  # every field of a saved coupon is read-only
        data = {name: form.cleaned_data.get(name) for name in COUPON_FIELDS}
        data["courses"] = [course.pk for course in data["courses"] or []]
        instructor = data.pop("instructor")
        data["instructor_id"] = instructor.pk if instructor is not None else None
        coupon = services.create_coupon(by=current_user(request), data=data, request=request)
        obj.pk = coupon.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # create_coupon set the courses

    @admin.action(permissions=["change"], description="Deactivate the selected coupons")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        by = current_user(request)
        apply_to_each(
            self,
            request,
            queryset,
            lambda coupon: services.deactivate_coupon(coupon=coupon, by=by, request=request),
            done="{count} coupon(s) deactivated.",
        )
