"""Demo payouts for `manage.py seed_demo`: a wallet with money in every state, and one
withdrawal in each status of the withdrawal workflow.

Runs after commerce's seeder, whose paid orders credit the demo seller (`INSTRUCTOR`) two
pending earnings. The older one is released as if its hold had passed (its `release_at`
is moved to now and the release service, the one the beat task runs, moves it), so the
wallet has an available balance. From it, `WITHDRAWALS` are requested and moved by the demo
admin: one paid, one approved (waiting to be paid), one rejected (its amount back in the
available balance) and one pending in the staff's queue. The newer earning stays pending:
`manage.py release_earnings --all` releases it (README, "Demo data"). Every movement goes
through the services, so the ledger balances. Idempotent: a status that has its withdrawal
already is left as it is (a demo seeded before a status was added gets just that one).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from lms.accounts.models import Role, User
from lms.core.money import Money

from . import services
from .models import PayoutMethod, PendingEarning, Wallet, Withdrawal

INSTRUCTOR = "grace@demo.learnflow.local"
Status = Withdrawal.Status

# (status it is left in, amount, the payout reference or the rejection reason), requested
# in this order. They add up to less than the released sale (39.00 less the platform's fee).
WITHDRAWALS: list[tuple[str, Decimal, str]] = [
    (Status.PAID, Decimal("10.00"), "DEMO-PAYPAL-1"),
    (Status.APPROVED, Decimal("4.00"), ""),
    (Status.REJECTED, Decimal("3.00"), "The PayPal account does not accept payments yet."),
    (Status.PENDING, Decimal("5.00"), ""),
]


def _release_older_sale(instructor: User, needed: Decimal) -> Wallet | None:
    """The instructor's older pending sale made available now; None when there is none big
    enough."""
    lot = (
        PendingEarning.objects.filter(wallet__instructor=instructor, released_at__isnull=True)
        .select_related("wallet")
        .order_by("release_at", "id")
        .first()
    )
    if lot is None or lot.remaining < needed:
        return None
    PendingEarning.objects.filter(pk=lot.pk).update(release_at=timezone.now())
    services.release_matured_earnings()
    return Wallet.objects.get(pk=lot.wallet_id)


def _move(withdrawal: Withdrawal, status: str, note: str, reviewer: User) -> None:
    if status == Status.REJECTED:
        services.reject_withdrawal(withdrawal=withdrawal, by=reviewer, reason=note)
    elif status in (Status.APPROVED, Status.PAID):
        withdrawal = services.approve_withdrawal(withdrawal=withdrawal, by=reviewer)
        if status == Status.PAID:
            services.mark_withdrawal_paid(withdrawal=withdrawal, by=reviewer, payout_reference=note)


def seed(stdout: Any) -> None:
    instructor = User.objects.filter(email=INSTRUCTOR).first()
    reviewer = User.objects.filter(role=Role.ADMIN).exclude(email=INSTRUCTOR).first()
    if instructor is None or reviewer is None:
        return
    present = set(Withdrawal.objects.filter(instructor=instructor).values_list("status", flat=True))
    missing = [row for row in WITHDRAWALS if row[0] not in present]
    if not missing:
        return
    needed = sum((amount for _status, amount, _note in missing), Decimal(0))
    if present:  # seeded before: the older sale was released then
        wallet = Wallet.objects.filter(instructor=instructor).order_by("created_at").first()
    else:
        wallet = _release_older_sale(instructor, needed)
    if wallet is None or wallet.available_money.amount < needed:
        stdout.write("payouts demo: skipped (no released sale of the demo instructor)")
        return
    details = {"email": instructor.email}
    for status, amount, note in missing:
        withdrawal = services.request_withdrawal(
            instructor=instructor,
            amount=Money(amount, wallet.currency),
            method=PayoutMethod.PAYPAL,
            details=details,
        )
        _move(withdrawal, status, note, reviewer)
    wallet.refresh_from_db()
    stdout.write(
        f"payouts demo: {INSTRUCTOR} has {wallet.available_money} available, "
        f"{wallet.pending_money} pending and a withdrawal in each status ("
        + ", ".join(f"{status} {Money(amount, wallet.currency)}" for status, amount, _ in missing)
        + ")"
    )
