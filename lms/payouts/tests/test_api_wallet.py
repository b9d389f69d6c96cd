from datetime import timedelta
from decimal import Decimal

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.conftest import error_codes
from lms.core.money import Money
from lms.payouts import services
from lms.payouts.models import PendingEarning
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import SaleReferenceFactory, earn, request_withdrawal

pytestmark = pytest.mark.django_db

WALLET = "/api/v1/wallet/"
LINES = "/api/v1/wallet/transactions/"


def test_wallet_shows_balances_as_decimal_strings(instructor, instructor_client):
    # given
    earn(instructor, "100.00")
    earn(instructor, "20.00", matured=False)
    request_withdrawal(instructor, "30.00")
    # when
    response = instructor_client.get(WALLET)
    # then
    assert response.status_code == 200
    body = response.json()
    assert {
        key: body[key]
        for key in ("currency", "available", "pending", "held", "debt", "total_earned")
    } == {
        "currency": "USD",
        "available": "55.00",
        "pending": "17.00",
        "held": "30.00",
        "debt": "0.00",
        "total_earned": "102.00",
    }
    assert len(body["wallets"]) == 1
    assert_payouts_consistent()


def test_wallet_of_a_new_instructor_is_zero_in_their_currency(instructor, instructor_client):
    instructor.instructor_profile.currency = "JPY"
    instructor.instructor_profile.save()
    body = instructor_client.get(WALLET).json()
    assert (body["currency"], body["available"], body["pending"], body["total_earned"]) == (
        "JPY",
        "0",
        "0",
        "0",
    )
    assert body["wallets"] == []


def test_wallet_lists_every_currency(instructor, instructor_client):
    earn(instructor, "100.00")
    earn(instructor, "1000", currency="JPY")
    body = instructor_client.get(WALLET).json()
    assert body["currency"] == "USD"
    assert [(w["currency"], w["available"]) for w in body["wallets"]] == [
        ("JPY", "850"),
        ("USD", "85.00"),
    ]
    assert_payouts_consistent()


def test_wallet_needs_authentication(anon_client):
    assert anon_client.get(WALLET).status_code == 401
    assert anon_client.get(LINES).status_code == 401


@pytest.mark.parametrize("who", ["student_client", "manager_client"])
def test_wallet_is_for_instructors(request, who):
    client = request.getfixturevalue(who)
    assert client.get(WALLET).status_code == 403
    assert client.get(LINES).status_code == 403


def test_ledger_lines_are_the_instructors_own(
    instructor, instructor_client, django_assert_max_num_queries
):
    # given
    sale = earn(instructor, "100.00")
    for _ in range(5):
        earn(instructor, "10.00")
    earn(InstructorFactory(), "50.00")
    # when
    with django_assert_max_num_queries(4):
        response = instructor_client.get(LINES, {"page_size": 20})
    # then
    assert response.status_code == 200
    body = response.json()
    # six sales (pending +) and six releases (pending -, available +)
    assert body["count"] == 18
    oldest = body["results"][-1]
    assert oldest["kind"] == "sale"
    assert oldest["account"] == "instructor_pending"
    assert oldest["amount"] == "85.00"
    assert oldest["currency"] == "USD"
    assert oldest["reference"] == {"type": sale.reference_type, "id": sale.reference_id}
    assert_payouts_consistent()


def test_ledger_lines_filter_by_currency(instructor, instructor_client):
    earn(instructor, "100.00")
    earn(instructor, "1000", currency="JPY", matured=False)
    body = instructor_client.get(LINES, {"currency": "JPY"}).json()
    assert [(line["amount"], line["currency"]) for line in body["results"]] == [("850", "JPY")]
    response = instructor_client.get(LINES, {"currency": "EURO"})
    assert response.status_code == 400
    assert error_codes(response) == ["unsupported_currency"]
    assert_payouts_consistent()


def test_debt_is_shown_as_a_debit_line(instructor, instructor_client):
    from lms.payouts import services
    from lms.payouts.tests.factories import RefundReferenceFactory, SaleReferenceFactory

    reference = SaleReferenceFactory()
    earn(instructor, "100.00", reference=reference)
    request_withdrawal(instructor, "85.00")
    services.reverse_sale_earnings(reference=reference, refund_reference=RefundReferenceFactory())
    wallet = instructor_client.get(WALLET).json()
    assert (wallet["available"], wallet["held"], wallet["debt"]) == ("0.00", "85.00", "85.00")
    newest = instructor_client.get(LINES).json()["results"][0]
    assert (newest["kind"], newest["account"], newest["amount"]) == (
        "sale_reversal",
        "instructor_debt",
        "-85.00",
    )
    assert Decimal(wallet["total_earned"]) == 0
    assert_payouts_consistent()


# --- when pending money becomes available -------------------------------------------------------


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_wallet_says_when_pending_money_becomes_available(instructor, instructor_client):
    # given: two sales still on hold, the first due before the second
    from django.utils import timezone

    soon = timezone.now() + timedelta(days=3)
    later = timezone.now() + timedelta(days=9)
    earn(instructor, "100.00")
    services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=Money(Decimal("40.00"), "USD"),
        splits=[(instructor, 100)],
        hold_until=later,
    )
    services.credit_sale_earnings(
        reference=SaleReferenceFactory(),
        amount_paid=Money(Decimal("20.00"), "USD"),
        splits=[(instructor, 100)],
        hold_until=soon,
    )
    # when
    body = instructor_client.get(WALLET).json()
    # then: the nearest release, and only what is released then (85 % of 20.00)
    assert body["pending"] == "51.00"
    assert body["next_release_amount"] == "17.00"
    assert body["next_release_at"] == _iso(
        PendingEarning.objects.get(amount=Decimal("17.00")).release_at
    )
    assert body["wallets"][0]["next_release_amount"] == "17.00"


def test_nothing_pending_means_no_next_release(instructor, instructor_client, client_for):
    earn(instructor, "100.00")
    body = instructor_client.get(WALLET).json()
    assert (body["next_release_at"], body["next_release_amount"]) == (None, None)
    # a new instructor's zero wallet too
    empty = client_for(InstructorFactory()).get(WALLET).json()
    assert (empty["next_release_at"], empty["next_release_amount"]) == (None, None)


def test_wallet_reads_in_two_queries_whatever_the_pending_sales(
    instructor, instructor_client, django_assert_max_num_queries
):
    for _ in range(5):
        earn(instructor, "10.00", matured=False)
    earn(instructor, "10.00", currency="EUR", matured=False)
    with django_assert_max_num_queries(4):  # auth user, profile currency, wallets (+ one spare)
        body = instructor_client.get(WALLET).json()
    assert body["next_release_amount"] is not None
