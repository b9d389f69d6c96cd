"""Races and database guards that only PostgreSQL can show (row locks, deferred triggers)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lms.accounts.tests.factories import AdminFactory, InstructorFactory
from lms.audit.models import AuditLog
from lms.core.errors import Conflict, Invalid
from lms.core.money import Money
from lms.core.testing import run_at_once
from lms.payouts import services
from lms.payouts.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    PendingEarning,
    TransactionKind,
    Wallet,
    Withdrawal,
)
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.conftest import TRANSFERS_URL, stub_idempotent_transfers, transfer_calls
from lms.payouts.tests.factories import (
    VALID_DETAILS,
    SaleReferenceFactory,
    earn,
    request_withdrawal,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_over_one_balance_only_one_succeeds():
    # given: 85.00 available
    instructor = InstructorFactory()
    earn(instructor, "100.00")

    # when: two withdrawals of 60.00 at the same instant
    outcomes = run_at_once(
        2,
        lambda _: services.request_withdrawal(
            instructor=instructor,
            amount=Money(Decimal("60.00"), "USD"),
            method="paypal",
            details=VALID_DETAILS["paypal"],
        ),
    )

    # then
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Invalid)
    assert error.code == "insufficient_funds"
    wallet = Wallet.objects.get(instructor=instructor)
    assert (wallet.available, wallet.held) == (Decimal("25.00"), Decimal("60.00"))
    assert Withdrawal.objects.count() == 1
    assert_payouts_consistent()


@pytest.mark.django_db(transaction=True)
def test_the_same_sale_credited_twice_at_once_posts_once():
    first, second = InstructorFactory(), InstructorFactory()
    reference = SaleReferenceFactory()

    outcomes = run_at_once(
        4,
        lambda _: services.credit_sale_earnings(
            reference=reference,
            amount_paid=Money(Decimal("50.00"), "USD"),
            splits=[(first, 50), (second, 50)],
        ),
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({value.pk for _, value in outcomes}) == 1
    assert LedgerTransaction.objects.count() == 1
    assert sum(w.pending for w in Wallet.objects.all()) == Decimal("42.50")
    assert_payouts_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_release_runs_move_each_lot_once():
    instructors = [InstructorFactory() for _ in range(3)]
    for instructor in instructors:
        for _ in range(3):
            earn(instructor, "10.00", matured=False)
    PendingEarning.objects.update(release_at=timezone.now() - timedelta(seconds=1))

    outcomes = run_at_once(3, lambda _: services.release_matured_earnings())

    assert sum(value for _, value in outcomes) == 9, outcomes
    assert LedgerTransaction.objects.filter(kind=TransactionKind.EARNINGS_RELEASE).count() == 9
    assert all(w.available == Decimal("25.50") for w in Wallet.objects.all())
    assert_payouts_consistent()


@pytest.mark.django_db(transaction=True)
def test_the_deferred_trigger_refuses_an_unbalanced_transaction_at_commit():
    # given: a transaction written past the services, with legs that do not sum to zero
    def write_unbalanced():
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=TransactionKind.SALE,
                idempotency_key="forged",
                reference_type="test",
                reference_id="1",
                currency="USD",
                amount=Decimal("10.00"),
            )
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        transaction=posted,
                        account=Account.PLATFORM_CLEARING,
                        currency="USD",
                        amount=Decimal("-10.00"),
                    ),
                    LedgerEntry(
                        transaction=posted,
                        account=Account.PLATFORM_REVENUE,
                        currency="USD",
                        amount=Decimal("9.99"),
                    ),
                ]
            )
            # the statements themselves pass: the check is deferred to the commit

    # when / then
    with pytest.raises(IntegrityError, match="unbalanced"):
        write_unbalanced()
    assert not LedgerTransaction.objects.filter(idempotency_key="forged").exists()


@pytest.mark.django_db(transaction=True)
def test_the_deferred_trigger_accepts_legs_that_balance_by_commit():
    with transaction.atomic():
        posted = LedgerTransaction.objects.create(
            kind=TransactionKind.SALE,
            idempotency_key="fine",
            reference_type="test",
            reference_id="1",
            currency="USD",
            amount=Decimal("10.00"),
        )
        LedgerEntry.objects.create(
            transaction=posted,
            account=Account.PLATFORM_CLEARING,
            currency="USD",
            amount=Decimal("-10.00"),
        )
        # unbalanced between statements is fine: the check is deferred to commit
        LedgerEntry.objects.create(
            transaction=posted,
            account=Account.PLATFORM_REVENUE,
            currency="USD",
            amount=Decimal("10.00"),
        )
    assert LedgerEntry.objects.filter(transaction=posted).count() == 2
    assert_payouts_consistent()


@pytest.mark.django_db
def test_ledger_rows_cannot_be_updated_or_deleted_in_sql(instructor):
    sale = earn(instructor, "10.00", matured=False)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=sale).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=sale)._raw_delete(using="default")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=sale.pk).update(memo="changed")
    assert sale.entries.count() == 3
    assert_payouts_consistent()


def _approved_stripe_withdrawal(settings):
    """An approved `stripe` withdrawal whose transfer has not run yet: approved while payouts
    were manual (a transactional test runs on-commit work at once), then switched to Stripe."""
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "40.00", method="stripe")
    admin = AdminFactory()
    settings.PAYOUT_PROVIDER = "manual"
    services.approve_withdrawal(withdrawal=withdrawal, by=admin)
    settings.PAYOUT_PROVIDER = "stripe"
    return withdrawal, admin


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transfer_runs_pay_once(settings, stripe_http):
    # given: Stripe answers slowly, so both runs are in flight together
    withdrawal, _ = _approved_stripe_withdrawal(settings)
    stub_idempotent_transfers(stripe_http, delay=0.3)

    # when: the task is delivered twice at once
    outcomes = run_at_once(
        2, lambda _: services.send_stripe_payout(withdrawal_id=withdrawal.pk).status
    )

    # then: one transfer at Stripe (one key), one paid transition, one ledger payout
    assert outcomes == [("ok", "paid"), ("ok", "paid")], outcomes
    calls = transfer_calls(stripe_http)
    assert {call.request.headers["Idempotency-Key"] for call in calls} == {
        f"withdrawal-{withdrawal.pk}"
    }
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_test_1")
    assert withdrawal.attempts == len(calls)
    assert (
        LedgerTransaction.objects.filter(
            kind=TransactionKind.PAYOUT, reference_id=str(withdrawal.pk)
        ).count()
        == 1
    )
    assert AuditLog.objects.filter(action="withdrawal.paid").count() == 1
    assert Wallet.objects.get().held == 0
    assert_payouts_consistent()


@pytest.mark.django_db(transaction=True)
def test_while_a_transfer_is_in_flight_no_lock_is_held_and_reject_is_refused(settings, stripe_http):
    # given: the transfer's call has reached Stripe, which has not answered yet
    withdrawal, admin = _approved_stripe_withdrawal(settings)
    in_flight, answer = threading.Event(), threading.Event()

    def stripe(request):
        in_flight.set()
        answer.wait(timeout=10)
        return 200, {}, '{"id": "tr_in_flight", "object": "transfer"}'

    stripe_http.add_callback(responses.POST, TRANSFERS_URL, callback=stripe)

    def send():
        try:
            services.send_stripe_payout(withdrawal_id=withdrawal.pk)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    assert in_flight.wait(timeout=10)

    # when: another admin rejects meanwhile (no row lock is held: this answers at once)
    with pytest.raises(Conflict) as refused:
        services.reject_withdrawal(withdrawal=withdrawal, by=admin, reason="Fraud.")
    answer.set()
    sender.join(timeout=10)

    # then: the money is not both sent and returned
    assert refused.value.code == "payout_in_progress"
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_in_flight")
    assert Wallet.objects.get().available == Decimal("45.00")
    assert_payouts_consistent()
