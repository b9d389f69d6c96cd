"""Every write of payouts: posting earnings, refunds and releases to the ledger, withdrawals.

Commerce calls `credit_sale_earnings` when an order is paid and `reverse_sale_earnings`
when it is refunded; Celery beat calls `release_matured_earnings`; the API and the admin
call the withdrawal services; the `send_stripe_payout` task pays approved `stripe`
withdrawals through the payout provider (`providers.py`). Each posts one balanced
`LedgerTransaction` and moves the wallet balances in the same database transaction, under
the locks of `locks.py`.

Every amount crossing these functions is a `lms.core.money.Money` (amount and currency
together, exact at the currency's minor unit): a `Sale`'s price paid, `split_sale`'s fee and
shares, a withdrawal's amount, the legs of a posting. The columns stay Decimal + currency;
the models' `MoneyColumn`s (`withdrawal.money`, `wallet.available_money`...) convert.
docs/payouts.md has the chart of accounts and the posting rule of every movement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lms.accounts.models import Role
from lms.accounts.services import notify_staff
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.audit.transitions import StateMachine
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.money import (
    Money,
    MoneyError,
    amount_string,
    check_currency,
    is_supported_currency,
    parse_amount,
)
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts import locks, selectors
from lms.payouts.errors import PayoutError
from lms.payouts.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    PendingEarning,
    TransactionKind,
    TransferStatus,
    Wallet,
    Withdrawal,
)
from lms.payouts.providers import (
    PayoutProvider,
    TransferRefused,
    TransferUnavailable,
    get_payout_provider,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LedgerReference:
    """What caused a movement: `LedgerReference.of(order_item)` or ("commerce.refund", id)."""

    type: str
    id: str

    @classmethod
    def of(cls, instance: models.Model) -> LedgerReference:
        return cls(type=instance._meta.label_lower, id=str(instance.pk))

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a posting: a signed amount on an account (and its wallet, for instructors)."""

    account: Account
    amount: Money
    wallet: Wallet | None = None


# --- the ledger's one writer -------------------------------------------------------------------

# Which wallet field each instructor account moves, and in which direction.
_WALLET_FIELD = {
    Account.INSTRUCTOR_PENDING: ("pending", 1),
    Account.INSTRUCTOR_AVAILABLE: ("available", 1),
    Account.INSTRUCTOR_HELD: ("held", 1),
    Account.INSTRUCTOR_DEBT: ("debt", -1),  # debit-normal: a debit (negative leg) is more debt
}
_EARNING_KINDS = (TransactionKind.SALE, TransactionKind.SALE_REVERSAL)


def _existing(*, key: str, kind: TransactionKind, amount: Money) -> LedgerTransaction | None:
    """The transaction already posted under `key`; a different request under it is a conflict."""
    found = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if found is not None:
        _check_same_figures(found, kind=kind, amount=amount)
    return found


def _check_same_figures(posted: LedgerTransaction, *, kind: TransactionKind, amount: Money) -> None:
    """A replay must ask for what was posted under its key; other figures are a 409."""
    if (posted.kind, posted.money) != (kind, amount):
        raise Conflict(
            f"{posted.idempotency_key} was already posted with other figures "
            f"({posted.amount} {posted.currency}).",
            code=PayoutError.IDEMPOTENCY_KEY_REUSED,
        )


def assert_balanced(legs: Iterable[Leg], currency: str) -> None:
    """Double entry: the legs of one transaction, all in its currency, sum to zero."""
    total = sum((leg.amount for leg in legs), Money.zero(currency))  # another currency: raises
    if not total.is_zero:
        raise AssertionError(f"Unbalanced ledger transaction: legs sum to {total}.")


def _post(
    *,
    kind: TransactionKind,
    key: str,
    reference: LedgerReference,
    amount: Money,
    legs: Sequence[Leg],
    reverses: LedgerTransaction | None = None,
    memo: str = "",
) -> tuple[LedgerTransaction, bool]:
    """Write one balanced transaction of `amount` (its headline figure, in its currency) and
    move the (locked) wallets of its legs.

    Returns the transaction and whether it is new; an idempotency key already used returns
    the earlier transaction and changes nothing. Callers hold the locks of every wallet.
    """
    legs = _check_legs(legs, amount.currency)
    try:
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=kind,
                idempotency_key=key,
                reference_type=reference.type,
                reference_id=reference.id,
                currency=amount.currency,
                amount=amount.amount,
                reverses=reverses,
                memo=memo[:200],
            )
    except IntegrityError:
        existing = _existing(key=key, kind=kind, amount=amount)
        if existing is None:
            raise
        return existing, False
    _write_legs([(posted, legs)])
    return posted, True


def _check_legs(legs: Sequence[Leg], currency: str) -> list[Leg]:
    legs = [leg for leg in legs if not leg.amount.is_zero]
    assert_balanced(legs, currency)
    for leg in legs:
        if (leg.account in _WALLET_FIELD) != (leg.wallet is not None):
            raise AssertionError(f"{leg.account} leg with wallet {leg.wallet}.")
    return legs


def _write_legs(postings: Sequence[tuple[LedgerTransaction, Sequence[Leg]]]) -> None:
    """The entries of posted transactions, and the (locked) wallets they move: one statement
    for the entries and one for the wallets, however many there are."""
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction=posted,
            account=leg.account,
            wallet=leg.wallet,
            currency=leg.amount.currency,
            amount=leg.amount.amount,
        )
        for posted, legs in postings
        for leg in legs
    )
    changed: dict[Any, Wallet] = {}
    fields: set[str] = set()
    for posted, legs in postings:
        for leg in legs:
            if leg.wallet is None:
                continue
            wallet = changed.setdefault(leg.wallet.pk, leg.wallet)
            field, direction = _WALLET_FIELD[leg.account]
            setattr(wallet, field, getattr(wallet, field) + direction * leg.amount.amount)
            fields.add(field)
            if posted.kind in _EARNING_KINDS:
                wallet.total_earned += leg.amount.amount
                fields.add("total_earned")
    if changed:
        now = timezone.now()
        for wallet in changed.values():
            wallet.updated_at = now
        Wallet.objects.bulk_update(list(changed.values()), [*sorted(fields), "updated_at"])


def _into_available(wallet: Wallet, amount: Money) -> list[Leg]:
    """Money coming to the instructor's available balance pays off their debt first."""
    recovered = min(wallet.debt_money, amount)
    return [
        Leg(Account.INSTRUCTOR_DEBT, recovered, wallet),
        Leg(Account.INSTRUCTOR_AVAILABLE, amount - recovered, wallet),
    ]


# --- sales and refunds (called by commerce) -----------------------------------------------------


def _sale_key(reference: LedgerReference) -> str:
    return f"sale:{reference}"


def _check_splits(splits: Sequence[tuple[Any, Decimal | int]]) -> None:
    if not splits:
        raise Invalid("A sale needs at least one instructor.", code=PayoutError.INVALID_SPLITS)
    seen: set[Any] = set()
    for instructor, percent in splits:
        if instructor.pk in seen:
            raise Invalid(
                "An instructor appears twice in the split.", code=PayoutError.INVALID_SPLITS
            )
        seen.add(instructor.pk)
        if Decimal(percent) <= 0:
            raise Invalid("Every share must be positive.", code=PayoutError.INVALID_SPLITS)
    if sum(Decimal(percent) for _, percent in splits) != 100:
        raise Invalid("The shares must add up to 100 percent.", code=PayoutError.INVALID_SPLITS)


class SaleSplit(NamedTuple):
    """A price paid, divided: the platform's fee and each instructor's share, in its currency."""

    fee: Money
    shares: list[tuple[Any, Money]]


def split_sale(*, amount_paid: Money, splits: Sequence[tuple[Any, Decimal | int]]) -> SaleSplit:
    """The platform fee and each instructor's share of a price paid; nothing is lost.

    The fee is PLATFORM_FEE_PERCENT of the price, rounded half up to the currency's minor
    unit; the rest is split by share (`splits`: (instructor, percent), percents adding up to
    100, the owner first), each co-instructor's part rounded down and the remainder going to
    the first split (the owner), so fee + shares == price exactly, in the price's currency.
    """
    fee = amount_paid.percent(settings.PLATFORM_FEE_PERCENT)  # half up
    pool = amount_paid - fee
    others = [
        (instructor, pool.percent(percent, rounding=ROUND_DOWN))
        for instructor, percent in splits[1:]
    ]
    first = pool - sum((share for _, share in others), Money.zero(pool.currency))
    return SaleSplit(fee, [(splits[0][0], first), *others])


@dataclass(frozen=True, slots=True)
class Sale:
    """A paid sale to credit (an order item): what `credit_sales` takes.

    `amount_paid` is what the buyer paid for it, in the currency the platform sells in;
    `splits` the instructors' percents of what is left after the fee (see `split_sale`).
    """

    reference: LedgerReference
    amount_paid: Money
    splits: Sequence[tuple[Any, Decimal | int]]


@transaction.atomic
def credit_sale_earnings(
    *,
    reference: LedgerReference,
    amount_paid: Money,
    splits: Sequence[tuple[Any, Decimal | int]],
    hold_until: datetime | None = None,
) -> LedgerTransaction | None:
    """Post a paid sale: the platform fee to revenue, the rest to the instructors' pending.

    Idempotent per `reference` (a replay returns the first posting). Nothing is posted for a
    free sale (`amount_paid` zero): None. Pending matures at `hold_until`, by default
    EARNINGS_HOLD_DAYS from now. Errors as `credit_sales`.
    """
    sale = Sale(reference=reference, amount_paid=amount_paid, splits=splits)
    return credit_sales([sale], hold_until=hold_until)[0]


def _check_sale(sale: Sale) -> Money:
    """400 `unsupported_currency` (no ISO currency the money columns hold), `invalid_amount`
    (negative, or MAX_AMOUNT or more), `invalid_splits`. The sell-list
    (SUPPORTED_CURRENCIES) is not asked: a sale paid in a currency dropped from it since
    was refused nothing when it was sold, and its money is credited (`sold=False`)."""
    checked = parse_amount(sale.amount_paid.amount, sale.amount_paid.currency, sold=False)
    _check_splits(sale.splits)
    return checked


@transaction.atomic
def credit_sales(
    sales: Sequence[Sale], *, hold_until: datetime | None = None
) -> list[LedgerTransaction | None]:
    """`credit_sale_earnings` for several sales (an order's items) at once, in a number of
    queries that does not grow with them: every instructor wallet they credit locked in one
    query (in the documented order), the earlier postings looked up in one, and the new
    transactions, their entries, the wallet balances and the pending lots written in one
    statement each. One balanced transaction per sale, answered in the sales' order.

    The wallets are locked before the lookup, so a concurrent credit of the same sale (which
    credits the same wallets) has committed by then and is found, not posted again.
    Bad input is a 400 before anything is written (`_check_sale`); a sale already posted
    with other figures is 409 `idempotency_key_reused`.
    """
    checked = [(sale, _check_sale(sale)) for sale in sales]
    plans = []
    for index, (sale, amount) in enumerate(checked):
        if amount.is_zero:
            continue
        fee, shares = split_sale(amount_paid=amount, splits=sale.splits)
        plans.append((index, sale, amount, fee, [(i, s) for i, s in shares if s.is_positive]))
    wallets = locks.lock_wallets(
        keys=[(i, amount.currency) for _, _, amount, _, shares in plans for i, _ in shares],
        create=True,
    )
    posted = _existing_sales([(sale, amount) for _, sale, amount, _, _ in plans])
    new: list[tuple[int, LedgerTransaction, list[Leg], list[tuple[Wallet, Money]]]] = []
    for index, sale, amount, fee, shares in plans:
        key = _sale_key(sale.reference)
        if key in posted:
            continue
        credited = [(wallets[(str(i.pk), amount.currency)], share) for i, share in shares]
        legs = _check_legs(
            [
                Leg(Account.PLATFORM_CLEARING, -amount),
                Leg(Account.PLATFORM_REVENUE, fee),
                *(Leg(Account.INSTRUCTOR_PENDING, share, wallet) for wallet, share in credited),
            ],
            amount.currency,
        )
        transaction_row = LedgerTransaction(
            kind=TransactionKind.SALE,
            idempotency_key=key,
            reference_type=sale.reference.type,
            reference_id=sale.reference.id,
            currency=amount.currency,
            amount=amount.amount,
        )
        new.append((index, transaction_row, legs, credited))
        posted[key] = transaction_row
    if new:
        LedgerTransaction.objects.bulk_create([row for _, row, _, _ in new])
        _write_legs([(row, legs) for _, row, legs, _ in new])
        release_at = hold_until or timezone.now() + timedelta(days=settings.EARNINGS_HOLD_DAYS)
        PendingEarning.objects.bulk_create(
            PendingEarning(
                wallet=wallet,
                sale=row,
                amount=share.amount,
                remaining=share.amount,
                release_at=release_at,
            )
            for _, row, _, credited in new
            for wallet, share in credited
        )
    return [
        None if amount.is_zero else posted[_sale_key(sale.reference)] for sale, amount in checked
    ]


def _existing_sales(sales: Sequence[tuple[Sale, Money]]) -> dict[str, LedgerTransaction]:
    """The sales already posted, by key, in one query; one posted with other figures is 409."""
    keys = {_sale_key(sale.reference): amount for sale, amount in sales}
    found = {
        row.idempotency_key: row
        for row in LedgerTransaction.objects.filter(idempotency_key__in=keys)
    }
    for key, row in found.items():
        _check_same_figures(row, kind=TransactionKind.SALE, amount=keys[key])
    return found


@dataclass(frozen=True, slots=True)
class SaleReversal:
    """A refunded sale to reverse in full: what `reverse_sales` takes. `reference` is the
    sale's (the order item), `refund_reference` what refunded it (the refund)."""

    reference: LedgerReference
    refund_reference: LedgerReference

    @property
    def key(self) -> str:
        return f"sale_reversal:{self.refund_reference}:{self.reference}"


@transaction.atomic
def reverse_sale_earnings(
    *, reference: LedgerReference, refund_reference: LedgerReference
) -> LedgerTransaction:
    """Reverse one refunded sale in full (`reverse_sales` of one)."""
    return reverse_sales([SaleReversal(reference=reference, refund_reference=refund_reference)])[0]


@transaction.atomic
def reverse_sales(reversals: Sequence[SaleReversal]) -> list[LedgerTransaction]:
    """Reverse refunded sales in full (an order's refunded items), in a number of queries that
    does not grow with them: fee back from revenue, each share back from the instructor's
    pending lot of that sale, then from available, and a recorded debt for the rest. One
    balanced reversal per sale, answered in the reversals' order.

    Every wallet the sales credited is locked in one query (the documented order), then
    their pending lots in one (sorted by id); the reversals already posted are looked up
    again under those locks, so a concurrent reversal of the same sale (which locks the same
    wallets) is found, not posted twice. Two sales crediting one wallet are taken from it one
    after the other, as separate calls would.

    Idempotent per (`refund_reference`, `reference`); a sale never credited is 409
    `sale_not_credited`, one already reversed by another refund 409 `already_reversed`.
    """
    if not reversals:
        return []
    sales = {
        row.idempotency_key: row
        for row in LedgerTransaction.objects.filter(
            idempotency_key__in={_sale_key(r.reference) for r in reversals},
            kind=TransactionKind.SALE,
        )
    }
    for reversal in reversals:
        if _sale_key(reversal.reference) not in sales:
            raise Conflict(
                f"No earnings were credited for {reversal.reference}.",
                code=PayoutError.SALE_NOT_CREDITED,
            )

    def sale_of(reversal: SaleReversal) -> LedgerTransaction:
        return sales[_sale_key(reversal.reference)]

    def replays() -> dict[str, LedgerTransaction]:
        found = {
            row.idempotency_key: row
            for row in LedgerTransaction.objects.filter(
                idempotency_key__in={r.key for r in reversals}
            )
        }
        for reversal in reversals:
            if reversal.key in found:
                _check_same_figures(
                    found[reversal.key],
                    kind=TransactionKind.SALE_REVERSAL,
                    amount=sale_of(reversal).money,
                )
        return found

    done = replays()
    todo = [r for r in reversals if r.key not in done]
    if todo:
        done.update(_post_reversals(todo, sales=[sale_of(r) for r in todo], replays=replays))
    return [done[r.key] for r in reversals]


def _post_reversals(
    todo: Sequence[SaleReversal],
    *,
    sales: Sequence[LedgerTransaction],
    replays: Callable[[], dict[str, LedgerTransaction]],
) -> dict[str, LedgerTransaction]:
    """The locks, the checks under them and the postings of `reverse_sales`."""
    sale_ids = [sale.pk for sale in sales]
    sale_legs: dict[Any, list[LedgerEntry]] = {}
    for entry in LedgerEntry.objects.filter(transaction_id__in=sale_ids):
        sale_legs.setdefault(entry.transaction_id, []).append(entry)
    wallets = {
        wallet.pk: wallet
        for wallet in locks.lock_wallets_by_ids(
            ids=[leg.wallet_id for legs in sale_legs.values() for leg in legs]
        )
    }
    posted = replays()
    pairs = [(r, sale) for r, sale in zip(todo, sales, strict=True) if r.key not in posted]
    if not pairs:
        return posted
    reversed_sales = set(
        LedgerTransaction.objects.filter(
            reverses_id__in=[sale.pk for _, sale in pairs]
        ).values_list("reverses_id", flat=True)
    )
    for reversal, sale in pairs:
        if sale.pk in reversed_sales:
            raise Conflict(
                f"The earnings of {reversal.reference} were already reversed.",
                code=PayoutError.ALREADY_REVERSED,
            )
    lots = {
        (lot.sale_id, lot.wallet_id): lot
        for lot in locks.lock_pending_earnings(
            ids=PendingEarning.objects.filter(
                sale_id__in=[sale.pk for _, sale in pairs]
            ).values_list("id", flat=True)
        )
    }
    # What each wallet still has available while the sales are taken from it in turn.
    available = {pk: wallet.available_money for pk, wallet in wallets.items()}
    changed_lots: list[PendingEarning] = []
    new: list[tuple[LedgerTransaction, list[Leg]]] = []
    for reversal, sale in pairs:
        paid = sale.money
        zero = Money.zero(paid.currency)
        legs: list[Leg] = []
        for leg in sale_legs.get(sale.pk, []):
            if leg.wallet_id is None:
                # Platform legs (clearing, fee revenue) are reversed exactly.
                legs.append(Leg(Account(leg.account), -leg.money))
                continue
            wallet = wallets[leg.wallet_id]
            share = leg.money
            lot = lots.get((sale.pk, wallet.pk))
            from_pending = (
                min(share, Money(lot.remaining, paid.currency))
                if lot and lot.released_at is None
                else zero
            )
            from_available = min(share - from_pending, available[wallet.pk])
            available[wallet.pk] -= from_available
            into_debt = share - from_pending - from_available
            legs += [
                Leg(Account.INSTRUCTOR_PENDING, -from_pending, wallet),
                Leg(Account.INSTRUCTOR_AVAILABLE, -from_available, wallet),
                Leg(Account.INSTRUCTOR_DEBT, -into_debt, wallet),
            ]
            if lot is not None and not from_pending.is_zero:
                lot.remaining -= from_pending.amount
                changed_lots.append(lot)
            if not into_debt.is_zero:
                logger.warning(
                    "payouts.debt_recorded",
                    extra={
                        "wallet": str(wallet.pk),
                        "amount": amount_string(into_debt.amount, paid.currency),
                        "currency": paid.currency,
                    },
                )
        row = LedgerTransaction(
            kind=TransactionKind.SALE_REVERSAL,
            idempotency_key=reversal.key,
            reference_type=reversal.refund_reference.type,
            reference_id=reversal.refund_reference.id,
            currency=paid.currency,
            amount=paid.amount,
            reverses=sale,
        )
        new.append((row, _check_legs(legs, paid.currency)))
    LedgerTransaction.objects.bulk_create([row for row, _ in new])
    _write_legs(new)
    if changed_lots:
        now = timezone.now()
        for lot in changed_lots:
            lot.updated_at = now
        PendingEarning.objects.bulk_update(changed_lots, ["remaining", "updated_at"])
    posted.update({row.idempotency_key: row for row, _ in new})
    return posted


# --- hold period ---------------------------------------------------------------------------------


@transaction.atomic
def hold_sale_earnings(*, references: Sequence[LedgerReference], release_at: datetime) -> int:
    """Move the release time of the sales' pending lots that are not released yet; how many
    moved. The ledger is untouched: only when the money leaves its hold changes.

    For sales whose hold starts later than the payment: a tutoring lesson's earning is held
    from the lesson's completion (docs/tutoring.md), not from when it was paid. Locks in
    this app's order (locks.py): the wallets, then the lots.
    """
    keys = [_sale_key(reference) for reference in references]
    if not keys:
        return 0
    rows = list(
        PendingEarning.objects.filter(
            sale__idempotency_key__in=keys, released_at__isnull=True
        ).values_list("pk", "wallet_id")
    )
    if not rows:
        return 0
    locks.lock_wallets_by_ids(ids=[wallet for _, wallet in rows])
    held = [lot.pk for lot in locks.lock_pending_earnings(ids=[lot for lot, _ in rows])
            if lot.released_at is None]  # fmt: skip
    PendingEarning.objects.filter(pk__in=held).update(release_at=release_at)
    return len(held)


def release_matured_earnings(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Move every pending lot whose hold has passed to available; returns how many moved.

    Each lot is released in its own short transaction and stamped, so the task can run
    again, or twice at once, without moving anything twice.
    """
    now = now or timezone.now()
    due = list(
        PendingEarning.objects.filter(released_at__isnull=True, release_at__lte=now)
        .order_by("release_at", "id")
        .values_list("id", "wallet_id")[:limit]
    )
    return sum(1 for lot_id, wallet_id in due if _release_pending_earning(lot_id, wallet_id))


@transaction.atomic
def _release_pending_earning(lot_id: Any, wallet_id: Any) -> bool:
    wallet = locks.lock_wallet_by_id(wallet_id)
    [lot] = locks.lock_pending_earnings(ids=[lot_id])
    if lot.released_at is not None:
        return False
    remaining = Money(lot.remaining, wallet.currency)  # a lot is in its wallet's currency
    if remaining.is_positive:
        _post(
            kind=TransactionKind.EARNINGS_RELEASE,
            key=f"earnings_release:{lot.pk}",
            reference=LedgerReference.of(lot),
            amount=remaining,
            legs=[
                Leg(Account.INSTRUCTOR_PENDING, -remaining, wallet),
                *_into_available(wallet, remaining),
            ],
        )
    lot.released_at = timezone.now()
    lot.save(update_fields=["released_at", "updated_at"])
    return True


# --- withdrawals ----------------------------------------------------------------------------------

Status = Withdrawal.Status

# The state machine of a withdrawal: which states may follow which.
WITHDRAWAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PENDING: (Status.APPROVED, Status.REJECTED),
    Status.APPROVED: (Status.PAID, Status.REJECTED),
    Status.PAID: (),
    Status.REJECTED: (),
}
WITHDRAWAL_STATES = StateMachine(
    name="withdrawal",
    moves=WITHDRAWAL_TRANSITIONS,
    actions={
        Status.APPROVED: AuditAction.WITHDRAWAL_APPROVED,
        Status.REJECTED: AuditAction.WITHDRAWAL_REJECTED,
        Status.PAID: AuditAction.WITHDRAWAL_PAID,
    },
    conflict_code=PayoutError.INVALID_WITHDRAWAL_STATE,
)


def _insufficient_funds_message(wallet: Wallet | None, currency: str) -> str:
    """What `insufficient_funds` tells the instructor: the amount available now, and when
    pending money next becomes available (`selectors.wallet_overview`'s figures)."""
    available = wallet.available_money if wallet is not None else Money.zero(currency)
    message = f"Only {available} is available now."
    if wallet is not None and wallet.pending > 0:
        nearest = (
            PendingEarning.objects.filter(wallet=wallet, released_at__isnull=True, remaining__gt=0)
            .order_by("release_at")
            .values_list("release_at", flat=True)
            .first()
        )
        if nearest is not None:
            message += (
                f" {wallet.pending_money} is pending; the next part"
                f" becomes available from {nearest:%Y-%m-%d %H:%M} UTC."
            )
    return message


@transaction.atomic
def request_withdrawal(
    *,
    instructor: Any,
    amount: Money,
    method: str,
    details: dict[str, str],
    request: AnyRequest = None,
) -> Withdrawal:
    """Ask to be paid `amount` (of the wallet in its currency) of the available balance; it
    is held at once. Returns the withdrawal (`withdrawal.money == amount`).

    `details` must already be validated for `method` (api.serializers does it, and picks
    the currency when the instructor names none: `selectors.default_wallet_currency`).
    400 `unsupported_currency` (a currency the platform does not sell in and the instructor
    has no wallet in: a wallet's balance stays withdrawable after its currency is dropped
    from SUPPORTED_CURRENCIES), `invalid_amount` (not positive, too large, or finer than the
    payout provider moves by `method`: `payable_exponent`); more than available (after
    waiting for the wallet lock) is 400 `insufficient_funds`.
    """
    currency = amount.currency
    if not is_supported_currency(currency) and not selectors.has_wallet(
        user=instructor, currency=currency
    ):
        check_currency(currency)  # 400 unsupported_currency
    amount = parse_amount(amount.amount, currency, allow_zero=False, sold=False)
    payable = get_payout_provider().payable_exponent(method=method, currency=currency)
    if amount.amount != amount.amount.quantize(Decimal(1).scaleb(-payable), ROUND_DOWN):
        raise Invalid(
            f"{currency} withdrawals by {method} take at most {payable} decimals.",
            code=MoneyError.INVALID_AMOUNT,
        )
    wallet = locks.lock_wallet(instructor=instructor, currency=currency)
    if wallet is None or wallet.available_money < amount:
        raise Invalid(
            _insufficient_funds_message(wallet, currency), code=PayoutError.INSUFFICIENT_FUNDS
        )
    withdrawal = Withdrawal.objects.create(
        instructor=instructor,
        wallet=wallet,
        amount=amount.amount,
        currency=currency,
        method=method,
        details=details,
    )
    _post(
        kind=TransactionKind.WITHDRAWAL_HOLD,
        key=f"withdrawal_hold:{withdrawal.pk}",
        reference=LedgerReference.of(withdrawal),
        amount=amount,
        legs=[
            Leg(Account.INSTRUCTOR_AVAILABLE, -amount, wallet),
            Leg(Account.INSTRUCTOR_HELD, amount, wallet),
        ],
    )
    record(
        action=AuditAction.WITHDRAWAL_REQUESTED,
        actor=instructor,
        target=withdrawal,
        request=request,
        data={
            "amount": amount_string(amount.amount, currency),
            "currency": currency,
            "method": method,
        },
    )
    notify_staff(
        category=Category.PAYOUTS,
        title="Withdrawal requested",
        body=f"{instructor.full_name} asks for {amount} by {method}.",
        data={"withdrawal_id": str(withdrawal.pk), "queue": "withdrawals"},
        roles=(Role.ADMIN,),  # payouts are the admins' (API.md)
    )
    return withdrawal


def _start_transition(*, withdrawal: Withdrawal, to: str, by: Any) -> tuple[Wallet, Withdrawal]:
    """Lock the wallet then the withdrawal, and check that `by` may move it to `to`."""
    wallet = locks.lock_wallet_by_id(withdrawal.wallet_id)
    withdrawal = locks.lock_withdrawal(withdrawal.pk)
    if withdrawal.instructor_id == by.pk:
        raise PermissionDenied(
            "Another administrator must review your own withdrawal.",
            code=PayoutError.CANNOT_REVIEW_OWN_WITHDRAWAL,
        )
    WITHDRAWAL_STATES.check(withdrawal.status, to)
    if withdrawal.transfer_status == TransferStatus.SENDING:
        # The money may already be on its way: only the provider's answer moves it now.
        raise Conflict(
            "A transfer of this withdrawal is in progress; wait for it or retry it.",
            code=PayoutError.PAYOUT_IN_PROGRESS,
        )
    return wallet, withdrawal


def _finish_transition(
    *,
    withdrawal: Withdrawal,
    to: str,
    by: Any,
    request: AnyRequest,
    title: str,
    body: str,
    fields: Sequence[str] = (),
    data: dict[str, str] | None = None,
) -> Withdrawal:
    """Save the new state, write the audit line and tell the instructor.

    `by` None is the system (a provider's transfer): the reviewing admin stays recorded.
    """
    WITHDRAWAL_STATES.apply(
        withdrawal,
        to,
        actor=by,
        request=request,
        data={
            "amount": amount_string(withdrawal.amount, withdrawal.currency),
            "currency": withdrawal.currency,
            **(data or {}),
        },
    )
    if by is not None:
        withdrawal.reviewed_by = by
    withdrawal.save(update_fields=["status", "reviewed_by", *fields, "updated_at"])
    notify(
        user=withdrawal.instructor,
        category=Category.PAYOUTS,
        title=title,
        body=body,
        data={"withdrawal_id": str(withdrawal.pk), "status": to},
    )
    return withdrawal


def _money(withdrawal: Withdrawal) -> str:
    return str(withdrawal.money)


@transaction.atomic
def approve_withdrawal(
    *, withdrawal: Withdrawal, by: Any, request: AnyRequest = None
) -> Withdrawal:
    """pending → approved; the amount stays held until it is paid or rejected.

    When the payout provider pays this withdrawal itself (a `stripe` one with
    PAYOUT_PROVIDER=stripe), its transfer is scheduled once the approval is committed.
    """
    _, withdrawal = _start_transition(withdrawal=withdrawal, to=Status.APPROVED, by=by)
    withdrawal.approved_at = timezone.now()
    withdrawal = _finish_transition(
        withdrawal=withdrawal,
        to=Status.APPROVED,
        by=by,
        request=request,
        fields=["approved_at"],
        title="Your withdrawal was approved",
        body=f"Your withdrawal of {_money(withdrawal)} was approved and will be paid shortly.",
    )
    if get_payout_provider().pays(withdrawal):
        _schedule_transfer(withdrawal)
    return withdrawal


@transaction.atomic
def reject_withdrawal(
    *, withdrawal: Withdrawal, by: Any, reason: str, request: AnyRequest = None
) -> Withdrawal:
    """pending/approved → rejected; the held amount returns to available (debt first).

    Refused (409 `payout_in_progress`) while a provider's transfer of it has no answer yet.
    """
    wallet, withdrawal = _start_transition(withdrawal=withdrawal, to=Status.REJECTED, by=by)
    _post(
        kind=TransactionKind.WITHDRAWAL_RELEASE,
        key=f"withdrawal_release:{withdrawal.pk}",
        reference=LedgerReference.of(withdrawal),
        amount=withdrawal.money,
        legs=[
            Leg(Account.INSTRUCTOR_HELD, -withdrawal.money, wallet),
            *_into_available(wallet, withdrawal.money),
        ],
    )
    withdrawal.reason = reason
    withdrawal.rejected_at = timezone.now()
    return _finish_transition(
        withdrawal=withdrawal,
        to=Status.REJECTED,
        by=by,
        request=request,
        fields=["reason", "rejected_at"],
        data={"reason": reason},
        title="Your withdrawal was rejected",
        body=f"Your withdrawal of {_money(withdrawal)} was rejected: {reason} "
        "The amount is back in your available balance.",
    )


@transaction.atomic
def mark_withdrawal_paid(
    *, withdrawal: Withdrawal, by: Any, payout_reference: str = "", request: AnyRequest = None
) -> Withdrawal:
    """approved → paid by hand (an admin sent the money outside); posts the payout."""
    wallet, withdrawal = _start_transition(withdrawal=withdrawal, to=Status.PAID, by=by)
    return _pay_withdrawal(
        wallet=wallet,
        withdrawal=withdrawal,
        by=by,
        payout_reference=payout_reference,
        request=request,
    )


def _pay_withdrawal(
    *,
    wallet: Wallet,
    withdrawal: Withdrawal,
    by: Any,
    payout_reference: str,
    request: AnyRequest = None,
    fields: Sequence[str] = (),
    data: dict[str, str] | None = None,
) -> Withdrawal:
    """approved → paid, for an admin or a provider's transfer alike: the held amount leaves
    the platform (`payout` posting) and the instructor is told. Callers hold both locks."""
    _post(
        kind=TransactionKind.PAYOUT,
        key=f"payout:{withdrawal.pk}",
        reference=LedgerReference.of(withdrawal),
        amount=withdrawal.money,
        legs=[
            Leg(Account.INSTRUCTOR_HELD, -withdrawal.money, wallet),
            Leg(Account.PAYOUTS_OUTGOING, withdrawal.money),
        ],
        memo=payout_reference,
    )
    withdrawal.payout_reference = payout_reference
    withdrawal.paid_at = timezone.now()
    return _finish_transition(
        withdrawal=withdrawal,
        to=Status.PAID,
        by=by,
        request=request,
        fields=["payout_reference", "paid_at", *fields],
        data={"payout_reference": payout_reference, **(data or {})},
        title="Your withdrawal was paid",
        body=f"{_money(withdrawal)} is on its way to you.",
    )


# --- paying through the payout provider (Stripe Connect transfers) ------------------------------


def _schedule_transfer(withdrawal: Withdrawal) -> None:
    from lms.payouts.tasks import send_stripe_payout

    send_stripe_payout.delay_on_commit(str(withdrawal.pk))


def send_stripe_payout(*, withdrawal_id: Any) -> Withdrawal:
    """Pay an approved withdrawal by the payout provider's transfer, then mark it paid.

    Idempotent: does nothing unless the withdrawal is approved, paid by the provider and not
    refused; a duplicate run sends the same idempotency key, so Stripe answers with the same
    transfer and the withdrawal is paid once. Stripe is called outside the row locks.
    Raises `TransferUnavailable` (the task retries) when Stripe gave no definitive answer; a
    refusal (4xx) is recorded and the withdrawal stays approved for an admin to settle.
    """
    provider = get_payout_provider()
    withdrawal = _claim_transfer(withdrawal_id=withdrawal_id, provider=provider)
    if withdrawal is None:
        return Withdrawal.objects.get(pk=withdrawal_id)
    try:
        sent = provider.send(withdrawal=withdrawal)
    except TransferRefused as exc:
        return _record_transfer_refused(withdrawal_id=withdrawal_id, error=str(exc))
    except TransferUnavailable as exc:
        # Nothing moves: the attempt was counted by the claim; only the error is kept.
        Withdrawal.objects.filter(
            pk=withdrawal_id, status=Status.APPROVED, transfer_status=TransferStatus.SENDING
        ).update(last_error=str(exc)[:500], updated_at=timezone.now())
        logger.warning(
            "payouts.transfer_unavailable",
            extra={"withdrawal": str(withdrawal_id), "attempts": withdrawal.attempts},
        )
        raise
    return _complete_transfer(withdrawal_id=withdrawal_id, transfer_id=sent.id)


@transaction.atomic
def _claim_transfer(*, withdrawal_id: Any, provider: PayoutProvider) -> Withdrawal | None:
    """Mark the transfer as under way and count the attempt, committed before Stripe is
    called: from then on reject and mark-paid wait for the transfer's answer (409)."""
    _, withdrawal = locks.lock_withdrawal_with_wallet(withdrawal_id)
    if (
        withdrawal.status != Status.APPROVED
        or withdrawal.transfer_status not in ("", TransferStatus.SENDING)
        or not provider.pays(withdrawal)
    ):
        return None
    withdrawal.transfer_status = TransferStatus.SENDING
    withdrawal.attempts += 1
    withdrawal.save(update_fields=["transfer_status", "attempts", "updated_at"])
    return withdrawal


@transaction.atomic
def _complete_transfer(*, withdrawal_id: Any, transfer_id: str) -> Withdrawal:
    """The transfer exists: approved → paid through the same code as a payment by hand,
    by the system (audit actor None; `reviewed_by` stays the approving admin)."""
    wallet, withdrawal = locks.lock_withdrawal_with_wallet(withdrawal_id)
    if withdrawal.status == Status.PAID and withdrawal.payout_reference == transfer_id:
        return withdrawal  # a duplicate run got the same transfer: paid once already
    if withdrawal.status != Status.APPROVED:
        # Unreachable through the services (they refuse while a transfer is in progress).
        logger.error(
            "payouts.transfer_unexpected",
            extra={"withdrawal": str(withdrawal.pk), "transfer": transfer_id},
        )
        record(
            action=AuditAction.WITHDRAWAL_TRANSFER_UNEXPECTED,
            target=withdrawal,
            data={"transfer_id": transfer_id, "status": withdrawal.status},
        )
        return withdrawal
    withdrawal.transfer_status = TransferStatus.SENT
    withdrawal.last_error = ""
    return _pay_withdrawal(
        wallet=wallet,
        withdrawal=withdrawal,
        by=None,
        payout_reference=transfer_id,
        fields=["transfer_status", "last_error"],
        data={"provider": get_payout_provider().name, "attempts": str(withdrawal.attempts)},
    )


@transaction.atomic
def _record_transfer_refused(*, withdrawal_id: Any, error: str) -> Withdrawal:
    """A definitive refusal: nothing was paid; the withdrawal stays approved (held), the
    error is kept and audited, and the approving admin is told to reject it or pay by hand."""
    _, withdrawal = locks.lock_withdrawal_with_wallet(withdrawal_id)
    if withdrawal.status != Status.APPROVED or withdrawal.transfer_status != TransferStatus.SENDING:
        return withdrawal
    withdrawal.transfer_status = TransferStatus.FAILED
    withdrawal.last_error = error[:500]
    withdrawal.refusals += 1
    withdrawal.save(update_fields=["transfer_status", "last_error", "refusals", "updated_at"])
    logger.warning("payouts.transfer_refused", extra={"withdrawal": str(withdrawal.pk)})
    record(
        action=AuditAction.WITHDRAWAL_TRANSFER_FAILED,
        target=withdrawal,
        data={
            "error": withdrawal.last_error,
            "attempts": str(withdrawal.attempts),
            "amount": amount_string(withdrawal.amount, withdrawal.currency),
            "currency": withdrawal.currency,
        },
    )
    if withdrawal.reviewed_by_id is not None:
        notify(
            user=withdrawal.reviewed_by,
            category=Category.PAYOUTS,
            title="A payout transfer was refused",
            body=f"The transfer of {_money(withdrawal)} was refused ({withdrawal.last_error}). "
            "Reject the withdrawal or pay it by hand.",
            data={"withdrawal_id": str(withdrawal.pk), "status": withdrawal.status},
        )
    return withdrawal


@transaction.atomic
def retry_stripe_payout(
    *, withdrawal: Withdrawal, by: Any, request: AnyRequest = None
) -> Withdrawal:
    """Send an approved withdrawal's transfer again: after the task's retries gave up (the
    same idempotency key: Stripe may have made it already), or after a refusal whose cause
    was fixed (a new key, as nothing was paid: the old one would replay the refusal)."""
    _, withdrawal = locks.lock_withdrawal_with_wallet(withdrawal.pk)
    if withdrawal.status != Status.APPROVED or not get_payout_provider().pays(withdrawal):
        raise Conflict(
            "Only an approved withdrawal that the payout provider pays can be sent again.",
            code=PayoutError.INVALID_WITHDRAWAL_STATE,
        )
    if withdrawal.transfer_status == TransferStatus.FAILED:
        withdrawal.transfer_status = ""
        withdrawal.save(update_fields=["transfer_status", "updated_at"])
    record(
        action=AuditAction.WITHDRAWAL_TRANSFER_RETRIED,
        actor=by,
        target=withdrawal,
        request=request,
        data={"attempts": str(withdrawal.attempts), "last_error": withdrawal.last_error},
    )
    _schedule_transfer(withdrawal)
    return withdrawal
