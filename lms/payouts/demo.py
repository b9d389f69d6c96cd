"""Demo payouts for `manage.py seed_demo`: a wallet with money in every state, two withdrawals.

Runs after commerce's seeder, whose paid orders credit the demo seller (`INSTRUCTOR`) two
pending earnings. The older one is released as if its hold had passed (its `release_at`
is moved to now and the release service, the one the beat task runs, moves it), so the
wallet has an available balance; a withdrawal of `PAID` from it is approved and marked
paid by the demo admin, and one of `PENDING` waits in the staff's queue. The newer earning
stays pending: `manage.py release_earnings --all` releases it (README, "Demo data").
Every movement goes through the services, so the ledger balances. Idempotent: nothing
happens once the instructor has a withdrawal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from lms.accounts.models import Role, User
from lms.core.money import Money

from . import services
from .models import PayoutMethod, PendingEarning, Withdrawal

INSTRUCTOR = "grace@demo.learnflow.local"
PAID = Decimal("10.00")
PENDING = Decimal("5.00")


def seed(stdout: Any) -> None:
    instructor = User.objects.filter(email=INSTRUCTOR).first()
    reviewer = User.objects.filter(role=Role.ADMIN).exclude(email=INSTRUCTOR).first()
    if instructor is None or reviewer is None:
        return
    if Withdrawal.objects.filter(instructor=instructor).exists():
        return
    lot = (
        PendingEarning.objects.filter(wallet__instructor=instructor, released_at__isnull=True)
        .select_related("wallet")
        .order_by("release_at", "id")
        .first()
    )
    if lot is None or lot.remaining < PAID + PENDING:
        stdout.write("payouts demo: skipped (no pending sale of the demo instructor)")
        return
    PendingEarning.objects.filter(pk=lot.pk).update(release_at=timezone.now())
    services.release_matured_earnings()
    details = {"email": instructor.email}
    currency = lot.wallet.currency
    paid = services.request_withdrawal(
        instructor=instructor,
        amount=Money(PAID, currency),
        method=PayoutMethod.PAYPAL,
        details=details,
    )
    paid = services.approve_withdrawal(withdrawal=paid, by=reviewer)
    services.mark_withdrawal_paid(withdrawal=paid, by=reviewer, payout_reference="DEMO-PAYPAL-1")
    services.request_withdrawal(
        instructor=instructor,
        amount=Money(PENDING, currency),
        method=PayoutMethod.PAYPAL,
        details=details,
    )
    wallet = lot.wallet
    wallet.refresh_from_db()
    stdout.write(
        f"payouts demo: {INSTRUCTOR} has {wallet.available_money} "
        f"available, {wallet.pending_money} pending, a paid "
        f"withdrawal of {PAID} and a pending one of {PENDING}"
    )
