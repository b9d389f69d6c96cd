"""Row locks of payouts, and the one order in which they are taken.

Lock order (every payouts service follows it, so no two flows can deadlock):

1. Wallet rows, `select_for_update`, sorted by (instructor id, currency) when a flow
   touches several (a sale split between co-instructors).
2. The withdrawal row, when the flow acts on one.
3. PendingEarning rows (the per-sale pending lots), sorted by id.

A balance is read only after its wallet row is locked: two withdrawals over one balance
queue on the wallet row, and the second sees what the first left. Flows of upper layers
(commerce locks its order before fulfilment or refund) may hold their own rows when they
call into payouts, but must never lock a wallet themselves before those rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from lms.payouts.models import PendingEarning, Wallet, Withdrawal


def lock_wallet(*, instructor: Any, currency: str, create: bool = False) -> Wallet | None:
    """Lock one wallet; with `create`, make it first when the instructor has none yet."""
    return lock_wallets(keys=[(instructor, currency)], create=create).get(
        (str(instructor.pk), currency)
    )


def lock_wallets(
    *, keys: Iterable[tuple[Any, str]], create: bool = False
) -> dict[tuple[str, str], Wallet]:
    """Lock the wallets of (instructor, currency) pairs in the documented order, in one query.

    Returns them keyed by (str(instructor id), currency). With `create`, the missing ones are
    inserted first (`ON CONFLICT DO NOTHING`: one created meanwhile by a concurrent call
    wins, and this call locks it), so the one query locks them all: locking the existing
    ones before creating the others would break the order (a deadlock with a call that
    created one of them meanwhile).
    """
    wanted = {(str(instructor.pk), currency) for instructor, currency in keys}
    if not wanted:
        return {}
    if create:
        # Every missing wallet first (ON CONFLICT DO NOTHING: existing ones, or ones a
        # concurrent call creates, are left as they are), so that one sorted query then locks
        # them all in the documented order.
        Wallet.objects.bulk_create(
            [Wallet(instructor_id=owner, currency=currency) for owner, currency in sorted(wanted)],
            ignore_conflicts=True,
        )
    return _select_wallets(wanted)


def _select_wallets(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Wallet]:
    match = Q()
    for instructor_id, currency in wanted:
        match |= Q(instructor_id=instructor_id, currency=currency)
    # PostgreSQL locks the rows in the order it returns them: sorted, as the order above says.
    rows = Wallet.objects.select_for_update().filter(match).order_by("instructor_id", "currency")
    return {(str(wallet.instructor_id), wallet.currency): wallet for wallet in rows}


def lock_wallets_by_ids(*, ids: Iterable[Any]) -> list[Wallet]:
    """Lock wallets known by id, in the same (instructor id, currency) order."""
    wanted = {wallet_id for wallet_id in ids if wallet_id is not None}
    return list(
        Wallet.objects.select_for_update()
        .filter(pk__in=wanted)
        .order_by("instructor_id", "currency")
    )


def lock_wallet_by_id(wallet_id: Any) -> Wallet:
    return Wallet.objects.select_for_update().get(pk=wallet_id)


def lock_withdrawal(withdrawal_id: Any) -> Withdrawal:
    """Lock a withdrawal after its wallet (step 2 of the order above)."""
    return Withdrawal.objects.select_for_update().get(pk=withdrawal_id)


def lock_withdrawal_with_wallet(withdrawal_id: Any) -> tuple[Wallet, Withdrawal]:
    """Lock a withdrawal known by id and its wallet, wallet first.

    A withdrawal never changes wallet, so its wallet id can be read before the locks.
    """
    wallet_id = Withdrawal.objects.values_list("wallet_id", flat=True).get(pk=withdrawal_id)
    return lock_wallet_by_id(wallet_id), lock_withdrawal(withdrawal_id)


def lock_pending_earnings(*, ids: Iterable[Any]) -> list[PendingEarning]:
    return list(PendingEarning.objects.select_for_update().filter(pk__in=list(ids)).order_by("id"))
