"""Payouts' part of a person's export and deletion (lms.accounts.personal_data).

Export: wallets, ledger lines of the instructor's wallets, withdrawals.
Deletion blocker: an instructor whose wallets hold money (pending, available or held) or a
debt, or who has a withdrawal not yet paid or rejected, is refused with 409
`balance_outstanding` until it is paid out (money owed to someone cannot be anonymised).
Erase: the payout details of finished withdrawals (an account number, a PayPal address)
go; wallets, ledger lines and withdrawals are kept (accounting records), tied to the
anonymous placeholder, so the ledger still balances.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from lms.accounts.personal_data import ExportAttachment, ExportDocument
from lms.core.errors import Conflict
from lms.core.money import amount_string
from lms.payouts.models import LedgerEntry, Wallet, Withdrawal

BALANCE_OUTSTANDING = "balance_outstanding"
OPEN_WITHDRAWALS = (Withdrawal.Status.PENDING, Withdrawal.Status.APPROVED)


def _with_money(rows: Any, *fields: str) -> list[dict[str, Any]]:
    """Rows with their amounts as the API writes them (decimal strings in their currency)."""
    return [
        {**row, **{name: amount_string(row[name], row["currency"]) for name in fields}}
        for row in rows
    ]


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    wallets = Wallet.objects.filter(instructor=user).values(
        "currency", "pending", "available", "held", "debt", "total_earned"
    )
    yield ExportDocument(
        "payouts/wallets.json",
        _with_money(wallets, "pending", "available", "held", "debt", "total_earned"),
    )
    ledger = (
        LedgerEntry.objects.filter(wallet__instructor=user)
        .order_by("created_at", "id")
        .values("created_at", "account", "amount", "currency", "transaction__kind")
    )
    yield ExportDocument("payouts/ledger.json", _with_money(ledger, "amount"))
    withdrawals = (
        Withdrawal.objects.filter(instructor=user)
        .order_by("created_at")
        .values(
            "id",
            "amount",
            "currency",
            "method",
            "details",
            "status",
            "reason",
            "created_at",
            "paid_at",
            "rejected_at",
        )
    )
    yield ExportDocument("payouts/withdrawals.json", _with_money(withdrawals, "amount"))


def refuse_deletion(user: Any) -> None:
    has_money = Wallet.objects.filter(
        Q(pending__gt=0) | Q(available__gt=0) | Q(held__gt=0) | Q(debt__gt=0),
        instructor=user,
    ).exists()
    if (
        has_money
        or Withdrawal.objects.filter(instructor=user, status__in=OPEN_WITHDRAWALS).exists()
    ):
        raise Conflict(
            "Your balance or a withdrawal is still outstanding; withdraw it first.",
            code=BALANCE_OUTSTANDING,
        )


def erase(user: Any) -> None:
    Withdrawal.objects.filter(instructor=user).exclude(details={}).update(details={})
