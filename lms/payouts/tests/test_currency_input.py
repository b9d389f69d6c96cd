"""One rule for currency input (issue 9, "Money, once"): a body, a query parameter and a
filter read a currency the same way (`lms.core.money.parse_currency`): `usd` is USD; `XXX`,
a dotless-i `ILS` and anything else is 400 `unsupported_currency`; an empty parameter is no
filter. And each refusal of an amount says why.

Every currency query parameter of the API is here (`grep -rn currency lms/*/filters.py
lms/*/api/views.py`: the wallet's transactions and the withdrawal list).
"""

import pytest

from lms.conftest import error_codes
from lms.payouts.tests.factories import VALID_DETAILS, earn, request_withdrawal

pytestmark = pytest.mark.django_db

DOTLESS_ILS = "\u0131ls"  # a Turkish dotless i: its .upper() is "ILS"
QUERY_ENDPOINTS = ["/api/v1/wallet/transactions/", "/api/v1/withdrawals/"]


@pytest.fixture
def history(instructor):
    """A USD and a EUR sale, and a withdrawal in each."""
    earn(instructor, "100.00", currency="USD")
    earn(instructor, "80.00", currency="EUR")
    request_withdrawal(instructor, "10.00", currency="USD")
    request_withdrawal(instructor, "10.00", currency="EUR")


@pytest.mark.parametrize("endpoint", QUERY_ENDPOINTS)
@pytest.mark.parametrize(
    ("given", "status", "currencies"),
    [
        ("USD", 200, {"USD"}),
        ("usd", 200, {"USD"}),
        ("eUr", 200, {"EUR"}),
        ("", 200, {"USD", "EUR"}),
        ("XXX", 400, None),
        (DOTLESS_ILS, 400, None),
        ("US", 400, None),
        ("USDX", 400, None),
    ],
)
def test_a_currency_query_reads_as_a_body_does(
    instructor_client, history, endpoint, given, status, currencies
):
    # when
    response = instructor_client.get(endpoint, {"currency": given})

    # then
    assert response.status_code == status, response.json()
    if status == 400:
        assert error_codes(response) == ["unsupported_currency"]
        assert response.json()["errors"][0]["attr"] == "currency"
    else:
        assert {row["currency"] for row in response.json()["results"]} == currencies


@pytest.mark.parametrize(
    ("given", "status"),
    [("usd", 201), ("USD", 201), ("XXX", 400), (DOTLESS_ILS, 400), ("", 400)],
)
def test_a_currency_in_a_body_follows_the_same_rule(instructor, instructor_client, given, status):
    # given
    earn(instructor, "100.00", currency="USD")

    # when
    response = instructor_client.post(
        "/api/v1/withdrawals/",
        {
            "amount": "10.00",
            "currency": given,
            "method": "paypal",
            "details": VALID_DETAILS["paypal"],
        },
        format="json",
    )

    # then
    assert response.status_code == status, response.json()
    if status == 201:
        assert response.json()["currency"] == "USD"
    elif given:
        assert error_codes(response) == ["unsupported_currency"]


@pytest.mark.parametrize("currency", ["ILS", "ils", DOTLESS_ILS, DOTLESS_ILS.upper()])
def test_a_course_currency_is_ascii_before_it_is_upper_cased(instructor_client, currency):
    # when
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Shekels", "price": "10", "currency": currency}, format="json"
    )

    # then: only ASCII letters name a currency
    if currency.isascii():
        assert response.status_code == 201, response.json()
        assert response.json()["currency"] == "ILS"
    else:
        assert response.status_code == 400, response.json()
        assert error_codes(response) == ["unsupported_currency"]


@pytest.mark.parametrize(
    ("price", "says"),
    [
        ("12.3450", "at most 3 decimals"),
        ("1.0001", "at most 3 decimals"),
        ("1000000000", "too large"),
        ("99999999999.5", "too large"),
        ("9" * 5000, "too large"),  # beyond what int() parses (4,300 digits): never a 500
        ("0" * 5000 + "1", "A valid number is required"),
        ("0999999999", "A valid number is required"),
        ("12.345", "USD amounts have at most 2 decimals"),
        ("abc", "A valid number is required"),
    ],
)
def test_each_refused_amount_says_why(instructor_client, price, says):
    # when
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Dollars", "price": price, "currency": "USD"}, format="json"
    )

    # then
    assert response.status_code == 400, response.json()
    assert error_codes(response) == ["invalid_amount"]
    assert says in response.json()["errors"][0]["detail"]
