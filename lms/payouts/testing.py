"""Ledger invariants for tests: call them after every test that moves money.

`assert_payouts_consistent()` runs both checks; commerce's tests import it too.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

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
    unbalanced = list(
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
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
    for wallet_id, account, total in (
        LedgerEntry.objects.filter(wallet__isnull=False)
        .values("wallet_id", "account")
        .annotate(total=Sum("amount"))
        .values_list("wallet_id", "account", "total")
    ):
        sums[(wallet_id, account)] = total
    earned: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for wallet_id, total in (
        LedgerEntry.objects.filter(
            wallet__isnull=False,
            transaction__kind__in=[TransactionKind.SALE, TransactionKind.SALE_REVERSAL],
        )
        .values("wallet_id")
        .annotate(total=Sum("amount"))
        .values_list("wallet_id", "total")
    ):
        earned[wallet_id] = total
    open_lots: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for wallet_id, total in (
        PendingEarning.objects.filter(Q(released_at__isnull=True))
        .values("wallet_id")
        .annotate(total=Sum("remaining"))
        .values_list("wallet_id", "total")
    ):
        open_lots[wallet_id] = total
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
