"""The earnings ledger, instructor wallets and withdrawals.

Every money movement is one `LedgerTransaction` whose `LedgerEntry` legs sum to zero per
currency (double entry). Amounts are signed from the platform's books: a positive amount
credits an account (what the platform owes or has earned), a negative amount debits it
(money the platform holds, or is owed). `Wallet` rows are the running balances of an
instructor's accounts, updated in the same transaction as the legs that move them.
docs/payouts.md describes the chart of accounts and the posting rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from lms.core.models import BaseModel, CurrencyField, MoneyAmountField
from lms.core.money import MoneyColumn

ZERO = Decimal(0)


def _amount_field(**kwargs: Any) -> MoneyAmountField:
    # Every amount is quantised to its own currency before it is stored (lms.core.money).
    return MoneyAmountField(**kwargs)


class Account(models.TextChoices):
    """The chart of accounts. Instructor accounts exist once per wallet."""

    # Per instructor and currency, credit-normal (a positive balance is owed to the instructor).
    INSTRUCTOR_PENDING = "instructor_pending", "Instructor: pending (in the hold period)"
    INSTRUCTOR_AVAILABLE = "instructor_available", "Instructor: available to withdraw"
    INSTRUCTOR_HELD = "instructor_held", "Instructor: held for a withdrawal"
    # Per instructor and currency, debit-normal: what the instructor owes after refunds.
    INSTRUCTOR_DEBT = "instructor_debt", "Instructor: debt after refunds"
    # Platform accounts.
    PLATFORM_REVENUE = "platform_revenue", "Platform: fee revenue"
    PLATFORM_CLEARING = "platform_clearing", "Platform: customer payments clearing"
    PAYOUTS_OUTGOING = "payouts_outgoing", "Platform: payouts sent to instructors"


INSTRUCTOR_ACCOUNTS = (
    Account.INSTRUCTOR_PENDING,
    Account.INSTRUCTOR_AVAILABLE,
    Account.INSTRUCTOR_HELD,
    Account.INSTRUCTOR_DEBT,
)


class TransactionKind(models.TextChoices):
    SALE = "sale", "Sale"
    SALE_REVERSAL = "sale_reversal", "Refund reversal"
    EARNINGS_RELEASE = "earnings_release", "Earnings released from hold"
    WITHDRAWAL_HOLD = "withdrawal_hold", "Withdrawal hold"
    WITHDRAWAL_RELEASE = "withdrawal_release", "Withdrawal released"
    PAYOUT = "payout", "Payout"


class AppendOnly(models.Model):
    """Rows that are written once: updates and deletes through the ORM are refused.

    PostgreSQL enforces the same with triggers (migration 0002).
    """

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{type(self).__name__} rows are append-only.")


class LedgerTransaction(AppendOnly, BaseModel):
    """One money movement; its legs are the `entries`. The key makes a retried call a no-op."""

    kind = models.CharField(max_length=24, choices=TransactionKind.choices, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    # What caused the movement: the order item, refund or withdrawal (app label.model + id).
    reference_type = models.CharField(max_length=64)
    reference_id = models.CharField(max_length=64)
    currency = CurrencyField()
    # The headline figure (price paid, amount withdrawn...), never negative.
    amount = _amount_field()
    # A reversal points at the sale it reverses.
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    memo = models.CharField(max_length=200, blank=True)

    money = MoneyColumn("amount")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["reference_type", "reference_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="payouts_transaction_amount_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.idempotency_key})"


class Wallet(BaseModel):
    """An instructor's balances in one currency, always equal to the sums of their ledger legs."""

    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallets"
    )
    currency = CurrencyField()
    pending = _amount_field(default=ZERO)
    available = _amount_field(default=ZERO)
    held = _amount_field(default=ZERO)
    # Refunds that exceeded every balance; recovered from the next earnings that mature.
    debt = _amount_field(default=ZERO)
    # Lifetime instructor share of sales, net of refund reversals.
    total_earned = _amount_field(default=ZERO)

    # The balances as Money of the wallet's currency (the services' and serializers' view).
    pending_money = MoneyColumn("pending")
    available_money = MoneyColumn("available")
    held_money = MoneyColumn("held")
    debt_money = MoneyColumn("debt")
    total_earned_money = MoneyColumn("total_earned")

    class Meta:
        ordering = ["instructor_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "currency"], name="payouts_wallet_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="payouts_wallet_pending_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(available__gte=0), name="payouts_wallet_available_gte_0"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="payouts_wallet_held_gte_0"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="payouts_wallet_debt_gte_0"),
            models.CheckConstraint(
                condition=Q(total_earned__gte=0), name="payouts_wallet_total_earned_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_id} {self.currency}"


class LedgerEntry(AppendOnly, BaseModel):
    """One leg of a transaction: a signed amount on one account (and wallet, for instructors)."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.CharField(max_length=24, choices=Account.choices)
    wallet = models.ForeignKey(
        Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    currency = CurrencyField()
    amount = _amount_field()

    money = MoneyColumn("amount")

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["wallet", "-created_at"]),
            models.Index(fields=["account", "currency"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payouts_entry_amount_not_zero"),
            # Instructor accounts always name their wallet; platform accounts never do.
            models.CheckConstraint(
                condition=(
                    Q(account__in=INSTRUCTOR_ACCOUNTS, wallet__isnull=False)
                    | (~Q(account__in=INSTRUCTOR_ACCOUNTS) & Q(wallet__isnull=True))
                ),
                name="payouts_entry_wallet_iff_instructor_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"


class PendingEarning(BaseModel):
    """The part of one sale still in an instructor's pending balance, and when it matures.

    A refund takes back from `remaining` first; the release task moves `remaining` to
    available once `release_at` has passed and stamps `released_at` (once only).
    """

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="pending_earnings")
    sale = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="pending_earnings"
    )
    amount = _amount_field()
    remaining = _amount_field()
    release_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release_at"]
        indexes = [
            models.Index(
                fields=["release_at"],
                condition=Q(released_at__isnull=True),
                name="payouts_pending_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sale", "wallet"], name="payouts_pending_one_per_sale"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_pending_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="payouts_pending_remaining_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.amount} until {self.release_at:%Y-%m-%d}"


class PayoutMethod(models.TextChoices):
    STRIPE = "stripe", "Stripe Connect"
    PAYPAL = "paypal", "PayPal"
    WISE = "wise", "Wise"
    BANK = "bank", "Bank transfer"


class TransferStatus(models.TextChoices):
    """Where the payout provider's transfer of an approved withdrawal stands (blank: none tried)."""

    # A call has started and has no definitive answer yet (in flight, or a network error or
    # 5xx being retried with the same idempotency key): the money may have left.
    SENDING = "sending", "Sending"
    # The provider refused it (4xx): no money moved; an admin rejects it or pays by hand.
    FAILED = "failed", "Refused by the provider"
    # The provider made the transfer; `payout_reference` is its id.
    SENT = "sent", "Sent"


class Withdrawal(BaseModel):
    """An instructor's request to be paid; the amount is held in the ledger from the start."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="withdrawals")
    amount = _amount_field()
    currency = CurrencyField()
    method = models.CharField(max_length=10, choices=PayoutMethod.choices)
    details = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.TextField(blank=True, max_length=2000)
    # The payment's id at the provider (a Stripe transfer, a PayPal batch...), set when paid.
    payout_reference = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Paying through the payout provider (PAYOUT_PROVIDER=stripe): calls made, and the last error.
    transfer_status = models.CharField(max_length=10, choices=TransferStatus.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Transfers Stripe refused so far: part of the idempotency key, so a transfer sent again
    # after a refusal (its cause fixed) is a new request, not the refusal replayed.
    refusals = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    money = MoneyColumn("amount")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["instructor", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payouts_withdrawal_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=~Q(transfer_status=TransferStatus.SENT) | Q(status="paid"),
                name="payouts_withdrawal_sent_only_when_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.status}"
