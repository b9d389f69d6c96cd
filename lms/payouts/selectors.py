"""Every non-trivial read of payouts: wallets, ledger lines, withdrawals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404

from lms.accounts.models import InstructorProfile
from lms.core.money import DEFAULT_CURRENCY
from lms.core.permissions import ADMIN, has_role
from lms.payouts.models import LedgerEntry, PendingEarning, Wallet, Withdrawal


@dataclass(frozen=True, slots=True)
class WalletOverview:
    """The wallet shown first (the only one, or the profile's currency) and all of them."""

    primary: Wallet
    wallets: list[Wallet]


def has_wallet(*, user: Any, currency: str) -> bool:
    """Whether `user` has a wallet in `currency`: its balance stays withdrawable in it even
    after the currency leaves SUPPORTED_CURRENCIES (a wallet is never deleted)."""
    return Wallet.objects.filter(instructor=user, currency=currency).exists()


def keeps_books_in(*, user: Any, currency: str) -> bool:
    """Whether a wallet the user's lists show is in `currency`: their own, any for an admin
    (who sees every withdrawal). A currency dropped from SUPPORTED_CURRENCIES stays a filter
    of the books while one is."""
    wallets = Wallet.objects.filter(currency=currency)
    if not has_role(user, ADMIN):
        wallets = wallets.filter(instructor=user)
    return wallets.exists()


def default_wallet_currency(*, user: Any) -> str:
    """The currency a withdrawal without one is in: the only wallet's, else the profile's."""
    currencies = list(Wallet.objects.filter(instructor=user).values_list("currency", flat=True)[:2])
    if len(currencies) == 1:
        return currencies[0]
    profile_currency = (
        InstructorProfile.objects.filter(user=user).values_list("currency", flat=True).first()
    )
    return profile_currency or DEFAULT_CURRENCY


def wallet_overview(*, user: Any) -> WalletOverview:
    """The user's wallets (one query), each annotated with its next release of pending money:
    `next_release_at`, the earliest `release_at` of its unreleased earnings (the release task
    moves them at its next run after that), and `next_release_amount`, the pending money
    released then (earnings due at that same instant; a debt is recovered from it first);
    both None when nothing is pending."""
    due = PendingEarning.objects.filter(
        wallet_id=OuterRef("pk"), released_at__isnull=True, remaining__gt=0
    )
    wallets: list[Wallet] = list(
        Wallet.objects.filter(instructor=user)
        .annotate(next_release_at=Subquery(due.order_by("release_at").values("release_at")[:1]))
        .annotate(
            next_release_amount=Subquery(
                due.filter(release_at=OuterRef("next_release_at"))
                .values("wallet_id")
                .annotate(total=Sum("remaining"))
                .values("total")[:1]
            )
        )
        .order_by("currency")
    )
    profile_currency = (
        InstructorProfile.objects.filter(user=user).values_list("currency", flat=True).first()
        or DEFAULT_CURRENCY
    )
    primary: Wallet | None = next(
        (wallet for wallet in wallets if wallet.currency == profile_currency), None
    )
    if primary is None:
        # An instructor who has earned nothing yet sees zeros in their own currency.
        primary = wallets[0] if wallets else Wallet(currency=profile_currency)
        if not wallets:
            primary.next_release_at = primary.next_release_amount = None  # type: ignore[attr-defined]
    return WalletOverview(primary=primary, wallets=wallets)


def ledger_lines_for(*, user: Any, currency: str | None = None) -> QuerySet[LedgerEntry]:
    """The legs that moved the user's own wallets, newest first."""
    queryset = (
        LedgerEntry.objects.filter(wallet__instructor=user)
        .select_related("transaction")
        .order_by("-created_at", "-id")
    )
    if currency:
        queryset = queryset.filter(currency=currency)
    return queryset


# A list of withdrawals in one status is worked through as a queue: the oldest request first.
QUEUE_ORDER = ("created_at", "id")


def withdrawals_visible_to(user: Any) -> QuerySet[Withdrawal]:
    """Admins see every withdrawal; an instructor only their own."""
    queryset = Withdrawal.objects.select_related("instructor", "reviewed_by").order_by(
        "-created_at", "-id"
    )
    return queryset if has_role(user, ADMIN) else queryset.filter(instructor=user)


def withdrawal_for_user(*, user: Any, withdrawal_id: Any) -> Withdrawal:
    """One withdrawal the user may see; 404 for anyone else's."""
    return get_object_or_404(withdrawals_visible_to(user), pk=withdrawal_id)
