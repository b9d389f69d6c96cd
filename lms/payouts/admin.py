"""The ledger and wallets read-only; withdrawals reviewed through the same services as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.core.admin import ViewOnlyAdmin, apply_to_each
from lms.payouts import services
from lms.payouts.models import LedgerEntry, LedgerTransaction, PendingEarning, Wallet, Withdrawal


class LedgerEntryInline(admin.TabularInline[LedgerEntry, LedgerTransaction]):
    model = LedgerEntry
    fields = ("account", "wallet", "amount", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ViewOnlyAdmin):
    list_display = ("created_at", "kind", "amount", "currency", "reference_type", "reference_id")
    list_filter = ("kind", "currency")
    search_fields = ("idempotency_key", "reference_id", "memo")
    inlines = (LedgerEntryInline,)
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ViewOnlyAdmin):
    list_display = ("created_at", "account", "amount", "currency", "wallet", "transaction")
    list_filter = ("account", "currency")
    list_select_related = ("transaction", "wallet")
    search_fields = ("transaction__idempotency_key", "wallet__instructor__email")


@admin.register(Wallet)
class WalletAdmin(ViewOnlyAdmin):
    list_display = (
        "instructor",
        "currency",
        "pending",
        "available",
        "held",
        "debt",
        "total_earned",
    )
    list_filter = ("currency",)
    list_select_related = ("instructor",)
    search_fields = ("instructor__email",)


@admin.register(PendingEarning)
class PendingEarningAdmin(ViewOnlyAdmin):
    list_display = ("wallet", "amount", "remaining", "release_at", "released_at")
    list_select_related = ("wallet__instructor",)
    list_filter = ("released_at",)


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin[Withdrawal]):
    """The payout queue: filter by status, approve, reject or mark paid in bulk; approving a
    `stripe` withdrawal with PAYOUT_PROVIDER=stripe schedules its transfer (the same service)."""

    list_display = (
        "instructor",
        "amount",
        "currency",
        "method",
        "status",
        "transfer_status",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "method", "transfer_status", "currency")
    search_fields = ("instructor__email", "payout_reference")
    list_select_related = ("instructor",)
    readonly_fields = (
        "instructor",
        "wallet",
        "amount",
        "currency",
        "method",
        "details",
        "status",
        "reason",
        "payout_reference",
        "reviewed_by",
        "approved_at",
        "rejected_at",
        "paid_at",
        "transfer_status",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
    )
    actions = ("approve", "reject", "mark_paid", "retry_transfer")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        permissions=["change"],
        description="Approve the selected withdrawals (stripe ones: transfer sent)",
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda withdrawal: services.approve_withdrawal(
                withdrawal=withdrawal, by=request.user, request=request
            ),
            done="{count} withdrawal(s) approved.",
        )

    @admin.action(
        permissions=["change"],
        description="Reject the selected withdrawals (returns the held amount)",
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda withdrawal: services.reject_withdrawal(
                withdrawal=withdrawal,
                by=request.user,
                reason="Rejected by staff review.",
                request=request,
            ),
            done="{count} withdrawal(s) rejected.",
        )

    @admin.action(permissions=["change"], description="Mark the selected withdrawals as paid")
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda withdrawal: services.mark_withdrawal_paid(
                withdrawal=withdrawal, by=request.user, request=request
            ),
            done="{count} withdrawal(s) marked paid.",
        )

    @admin.action(
        permissions=["change"],
        description="Send the Stripe transfer of the selected withdrawals again",
    )
    def retry_transfer(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda withdrawal: services.retry_stripe_payout(
                withdrawal=withdrawal, by=request.user, request=request
            ),
            done="{count} withdrawal(s) sent to Stripe again.",
        )
