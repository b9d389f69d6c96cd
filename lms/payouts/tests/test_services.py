from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from lms.accounts.tests.factories import AdminFactory, InstructorFactory
from lms.audit.models import AuditLog
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.money import Money
from lms.notifications.models import Category, Notification
from lms.payouts import services, tasks
from lms.payouts.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    PendingEarning,
    TransactionKind,
    Wallet,
    Withdrawal,
)
from lms.payouts.services import LedgerReference, Leg
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import (
    RefundReferenceFactory,
    SaleReferenceFactory,
    earn,
    request_withdrawal,
)

pytestmark = pytest.mark.django_db

D = Decimal


def M(amount, currency):
    return Money(Decimal(amount), currency)


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def wallet_of(user, currency="USD"):
    return Wallet.objects.get(instructor=user, currency=currency)


def legs_of(transaction):
    return sorted((entry.account, entry.amount) for entry in transaction.entries.all())


# --- crediting sales -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_credit_sale_takes_the_platform_fee_and_credits_pending(instructor):
    # when
    sale = services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=M("100.00", "USD"),
        splits=[(instructor, 100)],
    )
    # then
    wallet = wallet_of(instructor)
    assert (wallet.pending, wallet.available, wallet.total_earned) == (D("85"), D("0"), D("85"))
    assert legs_of(sale) == sorted(
        [
            (Account.PLATFORM_CLEARING, D("-100.00")),
            (Account.PLATFORM_REVENUE, D("15.00")),
            (Account.INSTRUCTOR_PENDING, D("85.00")),
        ]
    )
    lot = PendingEarning.objects.get(sale=sale)
    assert lot.release_at == NOW + timedelta(days=settings.EARNINGS_HOLD_DAYS)
    assert_payouts_consistent()


def test_credit_sales_posts_an_orders_sales_in_constant_queries(django_assert_num_queries):
    # given: an order of four items from two instructors, one split with a co-instructor
    owner, other, co = InstructorFactory(), InstructorFactory(), InstructorFactory()

    def sales(references):
        return [
            services.Sale(references[0], M("100.00", "USD"), [(owner, 100)]),
            services.Sale(references[1], M("50.00", "USD"), [(other, 100)]),
            services.Sale(references[2], M("20.00", "USD"), [(owner, 60), (co, 40)]),
            services.Sale(references[3], M("0.00", "USD"), [(other, 100)]),  # free: nothing
        ]

    references = [SaleReferenceFactory() for _ in range(4)]
    # when: the wallets are created on the way (a first sale), then the same again
    posted = services.credit_sales(sales(references))
    more = [SaleReferenceFactory() for _ in range(4)]
    # missing wallets created, wallet lock, lookup, transactions, entries, wallets, pending
    # lots (+ the savepoint pair)
    with django_assert_num_queries(9):
        services.credit_sales(sales(more))
    replayed = services.credit_sales(sales(references))
    # then
    assert [p.pk if p else None for p in replayed] == [p.pk if p else None for p in posted]
    assert posted[3] is None
    assert wallet_of(owner).pending == D("85.00") * 2 + D("10.20") * 2
    assert wallet_of(other).pending == D("42.50") * 2
    assert wallet_of(co).pending == D("6.80") * 2
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 6
    assert_payouts_consistent()


def test_three_co_instructors_of_ten_dollars_lose_nothing():
    # given
    owner, second, third = InstructorFactory(), InstructorFactory(), InstructorFactory()
    # when
    sale = services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=M("10.00", "USD"),
        splits=[(owner, D("33.34")), (second, D("33.33")), (third, D("33.33"))],
    )
    # then: fee 1.50, pool 8.50; co-instructors round down, the owner takes the remainder
    assert [wallet_of(user).pending for user in (owner, second, third)] == [
        D("2.84"),
        D("2.83"),
        D("2.83"),
    ]
    revenue = sale.entries.get(account=Account.PLATFORM_REVENUE).amount
    assert revenue == D("1.50")
    assert_payouts_consistent()


def test_jpy_has_no_decimals_and_the_odd_yen_goes_to_the_owner():
    owner, co_instructor = InstructorFactory(), InstructorFactory()
    # when: 999 JPY, fee 149.85 rounds to 150, pool 849 split in halves
    services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=M("999", "JPY"),
        splits=[(owner, 50), (co_instructor, 50)],
    )
    # then
    assert wallet_of(owner, "JPY").pending == D("425")
    assert wallet_of(co_instructor, "JPY").pending == D("424")
    assert_payouts_consistent()


def test_three_decimal_currency_keeps_its_minor_unit():
    owner, second, third = InstructorFactory(), InstructorFactory(), InstructorFactory()
    services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=M("10.000", "KWD"),
        splits=[(owner, D("33.34")), (second, D("33.33")), (third, D("33.33"))],
    )
    assert [wallet_of(user, "KWD").pending for user in (owner, second, third)] == [
        D("2.834"),
        D("2.833"),
        D("2.833"),
    ]
    assert_payouts_consistent()


def test_replayed_credit_posts_once(instructor):
    # given
    reference = SaleReferenceFactory()
    first = services.credit_sale_earnings(
        reference=reference, amount_paid=M("40.00", "USD"), splits=[(instructor, 100)]
    )
    # when
    again = services.credit_sale_earnings(
        reference=reference, amount_paid=M("40.00", "USD"), splits=[(instructor, 100)]
    )
    # then
    assert again == first
    assert LedgerTransaction.objects.count() == 1
    assert PendingEarning.objects.count() == 1
    assert wallet_of(instructor).pending == D("34.00")
    assert_payouts_consistent()


def test_replay_with_other_figures_is_a_conflict(instructor):
    reference = SaleReferenceFactory()
    services.credit_sale_earnings(
        reference=reference, amount_paid=M("40.00", "USD"), splits=[(instructor, 100)]
    )
    with pytest.raises(Conflict) as error:
        services.credit_sale_earnings(
            reference=reference,
            amount_paid=M("41.00", "USD"),
            splits=[(instructor, 100)],
        )
    assert error.value.code == "idempotency_key_reused"
    assert wallet_of(instructor).pending == D("34.00")
    assert_payouts_consistent()


def test_free_sale_posts_nothing(instructor):
    result = services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=M("0", "USD"),
        splits=[(instructor, 100)],
    )
    assert result is None
    assert not LedgerTransaction.objects.exists()
    assert not Wallet.objects.exists()
    assert_payouts_consistent()


@pytest.mark.parametrize(
    ("currency", "amount", "splits_of", "code"),
    [
        ("USD", "-1.00", lambda a, b: [(a, 100)], "invalid_amount"),
        ("USD", "1e15", lambda a, b: [(a, 100)], "invalid_amount"),
        ("CLF", "1.0000", lambda a, b: [(a, 100)], "unsupported_currency"),
        ("USD", "1.00", lambda a, b: [(a, 60), (b, 30)], "invalid_splits"),
        ("USD", "1.00", lambda a, b: [(a, 50), (a, 50)], "invalid_splits"),
        ("USD", "1.00", lambda a, b: [(a, 100), (b, 0)], "invalid_splits"),
        ("USD", "1.00", lambda a, b: [], "invalid_splits"),
    ],
)
def test_credit_refuses_bad_input(currency, amount, splits_of, code):
    first, second = InstructorFactory(), InstructorFactory()
    with pytest.raises(Invalid) as error:
        services.credit_sale_earnings(
            reference=SaleReferenceFactory(),
            amount_paid=M(amount, currency),
            splits=splits_of(first, second),
        )
    assert error.value.code == code
    assert not LedgerEntry.objects.exists()
    assert_payouts_consistent()


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("USD", "1.005"), ("JPY", "10.5"), ("KWD", "0.0001"), ("USD", "NaN"), ("ABC", "1.00")],
)
def test_an_inexact_sale_cannot_even_be_described(currency, amount):
    # the amount a sale carries is a Money: finer than the currency (or no currency) is
    # refused where it is built, before any service sees it
    with pytest.raises(ValueError, match=r"decimals|not an amount|ISO 4217"):
        services.Sale(SaleReferenceFactory(), M(amount, currency), [])


@pytest.mark.parametrize(
    ("price", "currency", "fee", "shares"),
    [
        ("100.00", "USD", "15.00", ["85.00"]),
        ("10.00", "USD", "1.50", ["2.84", "2.83", "2.83"]),
        ("0.03", "USD", "0.00", ["0.03", "0.00", "0.00"]),  # 0.0045 half up is 0.00
        ("999", "JPY", "150", ["285", "282", "282"]),  # 149.85 half up; 282.97 down
        ("1", "JPY", "0", ["1", "0", "0"]),
        ("10.000", "KWD", "1.500", ["2.834", "2.833", "2.833"]),
        ("0.005", "BHD", "0.001", ["0.002", "0.001", "0.001"]),  # 0.00075 half up to 0.001
    ],
)
def test_split_sale_returns_money_that_adds_up_to_the_price(price, currency, fee, shares):
    # given: the owner and two co-instructors (split_sale only passes them through)
    splits = [("owner", D("33.34")), ("second", D("33.33")), ("third", D("33.33"))]
    if len(shares) == 1:
        splits = [("owner", 100)]

    split = services.split_sale(amount_paid=M(price, currency), splits=splits)

    assert split.fee == M(fee, currency)
    assert [share for _, share in split.shares] == [M(s, currency) for s in shares]
    assert sum((share for _, share in split.shares), split.fee) == M(price, currency)


def test_the_ledger_writer_refuses_unbalanced_legs(instructor):
    with pytest.raises(AssertionError, match="Unbalanced"):
        services._post(
            kind=TransactionKind.SALE,
            key="broken",
            reference=SaleReferenceFactory(),
            amount=M("1.00", "USD"),
            legs=[
                Leg(Account.PLATFORM_CLEARING, M("-1.00", "USD")),
                Leg(Account.PLATFORM_REVENUE, M("0.99", "USD")),
            ],
        )
    assert not LedgerTransaction.objects.exists()


def test_ledger_rows_are_append_only(instructor):
    sale = earn(instructor, matured=False)
    entry = sale.entries.first()
    entry.amount = D("1.00")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        sale.delete()
    assert_payouts_consistent()


# --- hold period ---------------------------------------------------------------------------------


def test_earnings_become_available_after_the_hold_and_only_once(instructor):
    # given
    with time_machine.travel(NOW, tick=False):
        earn(instructor, "100.00", matured=False)
    # when / then: not before the hold ends
    with time_machine.travel(NOW + timedelta(days=settings.EARNINGS_HOLD_DAYS, seconds=-1)):
        assert services.release_matured_earnings() == 0
    assert wallet_of(instructor).pending == D("85.00")
    # when / then: after it, once, however often the task runs
    with time_machine.travel(NOW + timedelta(days=settings.EARNINGS_HOLD_DAYS, seconds=1)):
        result = tasks.release_matured_earnings.apply()
        assert result.successful()
        assert result.result == 1
        assert services.release_matured_earnings() == 0
    wallet = wallet_of(instructor)
    assert (wallet.pending, wallet.available, wallet.total_earned) == (D("0"), D("85"), D("85"))
    assert LedgerTransaction.objects.filter(kind=TransactionKind.EARNINGS_RELEASE).count() == 1
    assert_payouts_consistent()


def test_explicit_hold_until_is_honoured(instructor):
    with time_machine.travel(NOW, tick=False):
        services.credit_sale_earnings(
            reference=SaleReferenceFactory(),
            amount_paid=M("10.00", "USD"),
            splits=[(instructor, 100)],
            hold_until=NOW + timedelta(hours=2),
        )
    with time_machine.travel(NOW + timedelta(hours=3)):
        assert services.release_matured_earnings() == 1
    assert wallet_of(instructor).available == D("8.50")
    assert_payouts_consistent()


def test_release_task_is_on_the_beat_schedule():
    from config.celery import app

    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "lms.payouts.tasks.release_matured_earnings" in entries
    assert "lms.payouts.tasks.release_matured_earnings" in app.tasks


# --- refunds -----------------------------------------------------------------------------------


def test_refund_reverses_from_pending_first(instructor):
    # given
    reference = SaleReferenceFactory()
    sale = earn(instructor, "100.00", matured=False, reference=reference)
    # when
    reversal = services.reverse_sale_earnings(
        reference=reference, refund_reference=RefundReferenceFactory()
    )
    # then
    assert reversal.reverses == sale
    assert legs_of(reversal) == sorted(
        [
            (Account.PLATFORM_CLEARING, D("100.00")),
            (Account.PLATFORM_REVENUE, D("-15.00")),
            (Account.INSTRUCTOR_PENDING, D("-85.00")),
        ]
    )
    wallet = wallet_of(instructor)
    assert (wallet.pending, wallet.available, wallet.debt, wallet.total_earned) == (0, 0, 0, 0)
    assert PendingEarning.objects.get(sale=sale).remaining == 0
    assert_payouts_consistent()


def test_refund_after_release_comes_from_available(instructor):
    reference = SaleReferenceFactory()
    earn(instructor, "100.00", reference=reference)
    earn(instructor, "20.00")
    services.reverse_sale_earnings(reference=reference, refund_reference=RefundReferenceFactory())
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.debt, wallet.total_earned) == (D("17.00"), 0, D("17.00"))
    assert_payouts_consistent()


def test_refund_beyond_every_balance_records_a_debt_that_later_earnings_repay(instructor):
    # given: 85 earned and released, 60 of it held for a withdrawal
    reference = SaleReferenceFactory()
    earn(instructor, "100.00", reference=reference)
    withdrawal = request_withdrawal(instructor, "60.00")
    # when: the sale is refunded
    reversal = services.reverse_sale_earnings(
        reference=reference, refund_reference=RefundReferenceFactory()
    )
    # then: available emptied, the held withdrawal untouched, the rest a debt
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held, wallet.debt) == (0, D("60.00"), D("60.00"))
    assert (Account.INSTRUCTOR_DEBT, D("-60.00")) in legs_of(reversal)
    assert_payouts_consistent()
    # when: the next sale matures, the debt is repaid first
    earn(instructor, "100.00")
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.debt) == (D("25.00"), 0)
    # and: the rejected withdrawal comes back to available
    services.reject_withdrawal(withdrawal=withdrawal, by=AdminFactory(), reason="Duplicate.")
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held, wallet.total_earned) == (D("85.00"), 0, D("85.00"))
    assert_payouts_consistent()


def test_a_rejected_withdrawal_repays_debt_before_available(instructor):
    reference = SaleReferenceFactory()
    earn(instructor, "100.00", reference=reference)
    withdrawal = request_withdrawal(instructor, "85.00")
    services.reverse_sale_earnings(reference=reference, refund_reference=RefundReferenceFactory())
    assert wallet_of(instructor).debt == D("85.00")
    services.reject_withdrawal(withdrawal=withdrawal, by=AdminFactory(), reason="Refunded sale.")
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held, wallet.debt) == (0, 0, 0)
    assert_payouts_consistent()


def test_refund_of_a_split_sale_reverses_every_share():
    owner, co_instructor = InstructorFactory(), InstructorFactory()
    reference = SaleReferenceFactory()
    services.credit_sale_earnings(
        reference=reference,
        amount_paid=M("10.00", "USD"),
        splits=[(owner, 70), (co_instructor, 30)],
    )
    services.reverse_sale_earnings(reference=reference, refund_reference=RefundReferenceFactory())
    for user in (owner, co_instructor):
        wallet = wallet_of(user)
        assert (wallet.pending, wallet.total_earned) == (0, 0)
    assert_payouts_consistent()


def test_replayed_refund_reverses_once_and_a_second_refund_is_a_conflict(instructor):
    reference, refund = SaleReferenceFactory(), RefundReferenceFactory()
    earn(instructor, "100.00", reference=reference)
    first = services.reverse_sale_earnings(reference=reference, refund_reference=refund)
    assert services.reverse_sale_earnings(reference=reference, refund_reference=refund) == first
    with pytest.raises(Conflict) as error:
        services.reverse_sale_earnings(
            reference=reference, refund_reference=RefundReferenceFactory()
        )
    assert error.value.code == "already_reversed"
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE_REVERSAL).count() == 1
    assert_payouts_consistent()


def test_refunds_reversed_together_take_from_a_shared_wallet_in_turn(instructor):
    # given: two sales released (170 available), 150 of it held by a withdrawal
    first, second, refund = SaleReferenceFactory(), SaleReferenceFactory(), RefundReferenceFactory()
    earn(instructor, "100.00", reference=first)
    earn(instructor, "100.00", reference=second)
    request_withdrawal(instructor, "150.00")
    # when: both are reversed in one call
    reversals = services.reverse_sales(
        [
            services.SaleReversal(reference=first, refund_reference=refund),
            services.SaleReversal(reference=second, refund_reference=refund),
        ]
    )
    # then: the first takes the 20 left then owes 65, the second owes all its 85
    assert (Account.INSTRUCTOR_AVAILABLE, D("-20.00")) in legs_of(reversals[0])
    assert (Account.INSTRUCTOR_DEBT, D("-65.00")) in legs_of(reversals[0])
    assert (Account.INSTRUCTOR_DEBT, D("-85.00")) in legs_of(reversals[1])
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held, wallet.debt) == (0, D("150.00"), D("150.00"))
    # and: replayed with a third sale, the two are answered as posted and the third is new
    third = SaleReferenceFactory()
    earn(instructor, "100.00", matured=False, reference=third)
    again = services.reverse_sales(
        [
            services.SaleReversal(reference=first, refund_reference=refund),
            services.SaleReversal(reference=third, refund_reference=refund),
            services.SaleReversal(reference=second, refund_reference=refund),
        ]
    )
    assert (again[0], again[2]) == (reversals[0], reversals[1])
    assert (Account.INSTRUCTOR_PENDING, D("-85.00")) in legs_of(again[1])
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE_REVERSAL).count() == 3
    assert_payouts_consistent()


def test_refund_of_an_uncredited_sale_is_a_conflict():
    with pytest.raises(Conflict) as error:
        services.reverse_sale_earnings(
            reference=LedgerReference("commerce.orderitem", "nope"),
            refund_reference=RefundReferenceFactory(),
        )
    assert error.value.code == "sale_not_credited"
    assert_payouts_consistent()


# --- withdrawals ----------------------------------------------------------------------------------


def test_withdrawal_is_held_then_paid(instructor, admin_user):
    # given
    earn(instructor, "100.00")
    # when
    withdrawal = request_withdrawal(instructor, "50.00", method="bank")
    # then
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held) == (D("35.00"), D("50.00"))
    # when
    services.approve_withdrawal(withdrawal=withdrawal, by=admin_user)
    paid = services.mark_withdrawal_paid(
        withdrawal=withdrawal, by=admin_user, payout_reference="tr_123"
    )
    # then
    assert paid.status == Withdrawal.Status.PAID
    assert paid.payout_reference == "tr_123"
    wallet = wallet_of(instructor)
    assert (wallet.available, wallet.held, wallet.total_earned) == (D("35.00"), 0, D("85.00"))
    payout = LedgerTransaction.objects.get(kind=TransactionKind.PAYOUT)
    assert (Account.PAYOUTS_OUTGOING, D("50.00")) in legs_of(payout)
    actions = set(
        AuditLog.objects.filter(target_id=str(withdrawal.pk)).values_list("action", flat=True)
    )
    assert actions == {"withdrawal.requested", "withdrawal.approved", "withdrawal.paid"}
    titles = list(
        Notification.objects.filter(user=instructor, category=Category.PAYOUTS).values_list(
            "title", flat=True
        )
    )
    assert sorted(titles) == ["Your withdrawal was approved", "Your withdrawal was paid"]
    assert_payouts_consistent()


def test_withdrawal_more_than_available_is_refused(instructor):
    earn(instructor, "100.00")
    earn(instructor, "100.00", matured=False)  # pending does not count
    with pytest.raises(Invalid) as error:
        request_withdrawal(instructor, "85.01")
    assert error.value.code == "insufficient_funds"
    assert not Withdrawal.objects.exists()
    assert_payouts_consistent()


@pytest.mark.parametrize(
    ("path", "to", "code"),
    [
        ([], "paid", "invalid_withdrawal_state"),
        (["approved", "paid"], "approved", "invalid_withdrawal_state"),
        (["approved", "paid"], "rejected", "invalid_withdrawal_state"),
        (["rejected"], "paid", "invalid_withdrawal_state"),
        (["rejected"], "rejected", "invalid_withdrawal_state"),
        (["approved"], "approved", "invalid_withdrawal_state"),
    ],
)
def test_wrong_withdrawal_transitions_are_conflicts(instructor, admin_user, path, to, code):
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00")
    steps = {
        "approved": lambda: services.approve_withdrawal(withdrawal=withdrawal, by=admin_user),
        "rejected": lambda: services.reject_withdrawal(
            withdrawal=withdrawal, by=admin_user, reason="No."
        ),
        "paid": lambda: services.mark_withdrawal_paid(withdrawal=withdrawal, by=admin_user),
    }
    for step in path:
        steps[step]()
    with pytest.raises(Conflict) as error:
        steps[to]()
    assert error.value.code == code
    assert_payouts_consistent()


def test_an_admin_cannot_review_their_own_withdrawal(admin_user):
    earn(admin_user, "100.00")
    withdrawal = request_withdrawal(admin_user, "10.00")
    with pytest.raises(PermissionDenied) as error:
        services.approve_withdrawal(withdrawal=withdrawal, by=admin_user)
    assert error.value.code == "cannot_review_own_withdrawal"
    assert_payouts_consistent()


# --- Money is the only type carrying an amount across these boundaries ----------------------


def test_every_money_boundary_is_typed_money():
    import inspect
    import typing

    from lms.commerce.providers import base as payment_providers
    from lms.commerce.services import fulfilment

    boundaries = [
        (services.split_sale, "amount_paid"),
        (services.credit_sale_earnings, "amount_paid"),
        (services.request_withdrawal, "amount"),
        (services._post, "amount"),
        (services._into_available, "amount"),
        (payment_providers.PaymentProvider.refund, "amount"),
        (fulfilment.apply_payment_succeeded, "amount"),
    ]
    for function, parameter in boundaries:
        annotation = inspect.signature(function).parameters[parameter].annotation
        assert annotation in ("Money", "Money | None"), (function, annotation)
    fields = {
        (services.Sale, "amount_paid"),
        (services.Leg, "amount"),
        (payment_providers.PaymentEvent, "amount"),
        (payment_providers.PaymentEvent, "amount_refunded"),
        (payment_providers.RemotePayment, "amount"),
    }
    for cls, name in fields:
        assert cls.__annotations__[name] in ("Money", "Money | None"), (cls, name)
    assert typing.get_type_hints(services.SaleSplit) == {
        "fee": Money,
        "shares": list[tuple[typing.Any, Money]],
    }
