"""Ledger invariants for tests: call them after every test that moves money.

`assert_payouts_consistent()` runs both checks; commerce's tests import it too.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F

from lms.payouts.models import (
    ZERO,
    Account,
    LedgerEntry,
    LedgerTransaction,
    PendingEarning,
    TransactionKind,
    Wallet,
)


def assert_ledger_balanced() -> None:
    """Every transaction has at least two legs, all in its currency, summing to zero."""
    # Summed here as Decimals: SQLite adds its NUMERIC column as floats (10.20 + 6.80 - 17.00
    # is -8.9e-16 there); PostgreSQL also enforces the balance itself (a constraint trigger).
    totals: dict[tuple[object, str], Decimal] = defaultdict(lambda: ZERO)
    for transaction_id, currency, amount in LedgerEntry.objects.values_list(
        "transaction_id", "currency", "amount"
    ):
        totals[(transaction_id, currency)] += amount
    unbalanced = [(key, total) for key, total in totals.items() if total != 0]
    assert not unbalanced, f"Unbalanced ledger transactions: {unbalanced}"
    one_legged = list(
        LedgerTransaction.objects.annotate(leg_count=Count("entries"))
        .filter(leg_count__lt=2)
        .values_list("idempotency_key", flat=True)
    )
    assert not one_legged, f"Transactions with fewer than two legs: {one_legged}"
    mixed = LedgerEntry.objects.exclude(currency=F("transaction__currency")).count()
    assert mixed == 0, f"{mixed} legs are in another currency than their transaction"


def assert_wallets_match_ledger() -> None:
    """Every wallet balance equals the sum of its legs, and pending equals its open lots."""
    sums: dict[tuple[object, str], Decimal] = defaultdict(lambda: ZERO)
    earned: dict[object, Decimal] = defaultdict(lambda: ZERO)
    earning_kinds = (TransactionKind.SALE, TransactionKind.SALE_REVERSAL)
    for wallet_id, account, kind, amount in LedgerEntry.objects.filter(
        wallet__isnull=False
    ).values_list("wallet_id", "account", "transaction__kind", "amount"):
        sums[(wallet_id, account)] += amount  # Decimals, as above
        if kind in earning_kinds:
            earned[wallet_id] += amount
    open_lots: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for wallet_id, remaining in PendingEarning.objects.filter(released_at__isnull=True).values_list(
        "wallet_id", "remaining"
    ):
        open_lots[wallet_id] += remaining
    for wallet in Wallet.objects.all():
        expected = {
            "pending": sums[(wallet.pk, Account.INSTRUCTOR_PENDING)],
            "available": sums[(wallet.pk, Account.INSTRUCTOR_AVAILABLE)],
            "held": sums[(wallet.pk, Account.INSTRUCTOR_HELD)],
            "debt": -sums[(wallet.pk, Account.INSTRUCTOR_DEBT)],
            "total_earned": earned[wallet.pk],
        }
        actual = {field: getattr(wallet, field) for field in expected}
        assert actual == expected, f"Wallet {wallet} {actual} differs from its ledger {expected}"
        assert wallet.pending == open_lots[wallet.pk], (
            f"Wallet {wallet} pending {wallet.pending} differs from its open lots "
            f"{open_lots[wallet.pk]}"
        )
        for field, value in actual.items():
            assert value >= 0, f"Wallet {wallet} {field} is negative: {value}"


def assert_payouts_consistent() -> None:
    assert_ledger_balanced()
    assert_wallets_match_ledger()
