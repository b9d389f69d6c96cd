"""A currency dropped from SUPPORTED_CURRENCIES strands no money (issue 9, "Money, once").

The setting is what the platform sells in: a price, a cart, an order and a checkout refuse a
dropped currency (lms/commerce/tests/test_currencies.py). The books do not ask it: an order
checked out before the currency was dropped is fulfilled and refunded when its payment
succeeds, and an instructor's wallet in it stays withdrawable and payable out. A withdrawal in
a currency the instructor has no wallet in is still refused. And every amount in audit data is
the API's one money string (`amount_string`), never the column's scale ("10.000").
"""

from decimal import Decimal

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.audit.models import AuditLog
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.commerce.tests.conftest import checkout, place_order, simulate
from lms.conftest import error_codes
from lms.learning.models import Enrollment
from lms.payouts.models import LedgerTransaction, TransactionKind, Wallet
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.conftest import form, stub_transfer, transfer_calls
from lms.payouts.tests.factories import VALID_DETAILS, earn, request_withdrawal

pytestmark = pytest.mark.django_db

WITHDRAWALS = "/api/v1/withdrawals/"


def stop_selling_in(settings, currency):
    settings.SUPPORTED_CURRENCIES = [c for c in settings.SUPPORTED_CURRENCIES if c != currency]


def withdraw(client, amount, method="paypal", **body):
    return client.post(
        WITHDRAWALS,
        {"amount": amount, "method": method, "details": VALID_DETAILS[method], **body},
        format="json",
    )


@pytest.fixture
def dinar_course():
    return PublishedCourseFactory(price=Decimal("12.340"), currency="KWD")


# --- a sale checked out before the currency was dropped ---------------------------------------


def test_an_order_checked_out_before_its_currency_was_dropped_is_fulfilled(
    student, student_client, dinar_course, settings
):
    # given: checked out in KWD, then the platform stops selling in KWD
    order = place_order(student_client, dinar_course)
    payment = checkout(student_client, order["id"])
    stop_selling_in(settings, "KWD")

    # when: the money arrives
    response = simulate(student_client, payment["payment_id"])

    # then: the order is paid, the instructor credited, the student enrolled
    assert response.status_code == 200, response.json()
    assert response.json()["order_status"] == "paid"
    shown = student_client.get(f"/api/v1/orders/{order['id']}/").json()
    assert (shown["status"], shown["total"], shown["currency"]) == ("paid", "12.340", "KWD")
    wallet = Wallet.objects.get(instructor=dinar_course.instructor, currency="KWD")
    assert wallet.pending > 0
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE, currency="KWD").count() == 1
    assert Enrollment.objects.filter(student=student, course=dinar_course).exists()
    assert_payouts_consistent()


def test_a_sale_in_a_dropped_currency_is_still_refunded(
    student, student_client, dinar_course, settings
):
    # given: bought in KWD, then KWD dropped
    order = place_order(student_client, dinar_course)
    paid = simulate(student_client, checkout(student_client, order["id"])["payment_id"])
    assert paid.status_code == 200, paid.json()
    stop_selling_in(settings, "KWD")

    # when
    response = student_client.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")

    # then: refunded, the sale reversed out of the instructor's wallet
    assert response.status_code == 200, response.json()
    assert response.json()["order"]["status"] == "refunded"
    assert response.json()["order"]["refunded_amount"] == "12.340"
    wallet = Wallet.objects.get(instructor=dinar_course.instructor, currency="KWD")
    assert (wallet.pending, wallet.available) == (0, 0)
    assert_payouts_consistent()


# --- a wallet in a dropped currency -----------------------------------------------------------


@pytest.mark.parametrize("given", ["KWD", "kwd", None])
def test_a_wallet_in_a_dropped_currency_stays_withdrawable(
    instructor, instructor_client, settings, given
):
    # given: 8.500 KWD available, then KWD dropped
    earn(instructor, "10.000", currency="KWD")
    stop_selling_in(settings, "KWD")

    # when: named in any case, or not named (the only wallet's currency)
    response = withdraw(instructor_client, "1.250", **({"currency": given} if given else {}))

    # then
    assert response.status_code == 201, response.json()
    assert (response.json()["amount"], response.json()["currency"]) == ("1.250", "KWD")
    wallet = Wallet.objects.get(instructor=instructor, currency="KWD")
    assert wallet.held == Decimal("1.250")
    assert_payouts_consistent()


def test_a_withdrawal_in_a_dropped_currency_is_approved_and_paid(
    instructor, instructor_client, admin_client_api, settings
):
    # given
    earn(instructor, "10.000", currency="KWD")
    stop_selling_in(settings, "KWD")
    created = withdraw(instructor_client, "2.500", currency="KWD").json()

    # when: approved, then paid by hand
    approved = admin_client_api.post(f"{WITHDRAWALS}{created['id']}/approve/")
    paid = admin_client_api.post(
        f"{WITHDRAWALS}{created['id']}/mark-paid/", {"payout_reference": "BANK-1"}, format="json"
    )

    # then
    assert approved.status_code == 200, approved.json()
    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == "paid"
    wallet = Wallet.objects.get(instructor=instructor, currency="KWD")
    assert (wallet.held, wallet.available) == (0, Decimal("6.000"))
    assert_payouts_consistent()


def test_a_withdrawal_in_a_dropped_currency_is_paid_by_a_stripe_transfer(
    admin_client_api, stripe_http, django_capture_on_commit_callbacks, settings
):
    # given: a KWD balance, KWD dropped, a stripe withdrawal of it (Stripe moves KWD by 0.01)
    instructor = InstructorFactory()
    earn(instructor, "10.000", currency="KWD")
    stop_selling_in(settings, "KWD")
    withdrawal = request_withdrawal(instructor, "2.50", currency="KWD", method="stripe")
    stub_transfer(stripe_http, transfer_id="tr_kwd")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.post(f"{WITHDRAWALS}{withdrawal.pk}/approve/")

    # then
    assert response.status_code == 200, response.json()
    [call] = transfer_calls(stripe_http)
    assert (form(call)["amount"], form(call)["currency"]) == ("2500", "kwd")
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_kwd")
    assert_payouts_consistent()


@pytest.mark.parametrize("given", ["KWD", None])
def test_a_dropped_currency_without_a_wallet_is_still_refused(
    instructor, instructor_client, settings, given
):
    # given: a USD wallet only; KWD dropped (and the profile's currency, if it were KWD)
    earn(instructor, "100.00", currency="USD")
    earn(instructor, "100.00", currency="EUR")
    stop_selling_in(settings, "KWD")
    instructor.instructor_profile.currency = "KWD"
    instructor.instructor_profile.save(update_fields=["currency"])

    # when
    response = withdraw(instructor_client, "1.000", **({"currency": given} if given else {}))

    # then: no wallet is made, nothing is held
    assert response.status_code == 400, response.json()
    assert error_codes(response) == ["unsupported_currency"]
    assert not Wallet.objects.filter(currency="KWD").exists()
    assert_payouts_consistent()


def test_a_supported_currency_without_a_wallet_is_still_insufficient_funds(
    instructor, instructor_client
):
    earn(instructor, "100.00", currency="USD")

    response = withdraw(instructor_client, "1.000", currency="KWD")

    assert (response.status_code, error_codes(response)) == (400, ["insufficient_funds"])
    assert not Wallet.objects.filter(currency="KWD").exists()


# --- audit data renders amounts as the API does -----------------------------------------------


@pytest.mark.parametrize(
    ("currency", "earned", "amount", "shown"),
    [
        ("USD", "100.00", "10", "10.00"),
        ("JPY", "10000", "1500", "1500"),
        ("KWD", "10", "1.2", "1.200"),
    ],
)
def test_withdrawal_audit_lines_carry_the_api_amount_string(
    instructor, instructor_client, admin_client_api, currency, earned, amount, shown
):
    # given
    earn(instructor, earned, currency=currency)
    created = withdraw(instructor_client, amount, currency=currency)
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    # when
    admin_client_api.post(f"{WITHDRAWALS}{pk}/approve/")
    admin_client_api.post(
        f"{WITHDRAWALS}{pk}/mark-paid/", {"payout_reference": "REF-1"}, format="json"
    )

    # then: every line shows what the API shows
    assert created.json()["amount"] == shown
    lines = AuditLog.objects.filter(target_id=pk).order_by("created_at")
    assert [line.action for line in lines] == [
        "withdrawal.requested",
        "withdrawal.approved",
        "withdrawal.paid",
    ]
    assert {(line.data["amount"], line.data["currency"]) for line in lines} == {(shown, currency)}


def test_a_refused_transfer_audit_line_carries_the_api_amount_string(
    admin_client_api, stripe_http, django_capture_on_commit_callbacks
):
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "40.50", method="stripe")
    stub_transfer(stripe_http, status=400)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client_api.post(f"{WITHDRAWALS}{withdrawal.pk}/approve/")

    line = AuditLog.objects.get(action="withdrawal.transfer_failed", target_id=str(withdrawal.pk))
    assert (line.data["amount"], line.data["currency"]) == ("40.50", "USD")


def test_the_books_can_be_filtered_by_a_dropped_currency(instructor, instructor_client, settings):
    # given: a KWD balance, a KWD withdrawal, then KWD dropped
    earn(instructor, "10.000", currency="KWD")
    assert withdraw(instructor_client, "1.250", currency="KWD").status_code == 201
    stop_selling_in(settings, "KWD")

    # when: the wallet's lines and the withdrawals are filtered by it, in any case
    lines = instructor_client.get("/api/v1/wallet/transactions/", {"currency": "kwd"})
    withdrawals = instructor_client.get(WITHDRAWALS, {"currency": "KWD"})

    # then: they are listed; a code the books cannot hold is still refused
    assert lines.status_code == 200, lines.json()
    assert {line["currency"] for line in lines.json()["results"]} == {"KWD"}
    assert withdrawals.status_code == 200, withdrawals.json()
    assert [w["amount"] for w in withdrawals.json()["results"]] == ["1.250"]
    for bad in ("CLF", "XXX", "\u0131ls", "KW"):
        refused = instructor_client.get(WITHDRAWALS, {"currency": bad})
        assert refused.status_code == 400, bad
        assert error_codes(refused) == ["unsupported_currency"]
        assert refused.json()["errors"][0]["attr"] == "currency"
