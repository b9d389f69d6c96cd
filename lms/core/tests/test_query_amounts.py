"""An amount in a query is read exactly as an amount in a body (lms.core.serializers
`query_amount`, `AmountInputField`; django-filter: lms.core.filters `AmountFilter`):
ASCII digits, an optional point, at most 9 digits before it and 3 after. Anything else is
400 `invalid_amount` naming the parameter, never a number read some other way (`1e999`,
`Infinity`) and never a 500. Every amount query parameter of the OpenAPI document is listed
in QUERY_AMOUNTS, and each is tried with every value below, through HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.exceptions import ValidationError

from lms.catalog.tests.factories import PublishedCourseFactory
from lms.core.filters import AMOUNT_QUERY_SCHEMA
from lms.core.serializers import AMOUNT_INPUT_PATTERN, AmountInputField, query_amount
from lms.tutoring.tests.factories import TutorFactory

API = "/api/v1"

# (path, parameter): every amount a query takes. A new one is added here and read by the rule
# (test_every_amount_in_a_query_is_listed_and_documented_as_a_body_amount finds them).
QUERY_AMOUNTS = [
    ("/courses/", "price_min"),
    ("/courses/", "price_max"),
    ("/search/", "price_min"),
    ("/search/", "price_max"),
    ("/tutors/", "price_max"),
]

HOSTILE = [
    "1e3",
    "1E3",
    "1e999",
    "-1e999",
    "1e-3",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "inf",
    "-Infinity",
    "-1",
    "-0",
    "+1",
    " 10",
    "10 ",
    "10\n",
    "1 0",
    "1,5",
    "1_000",
    "0x10",
    ".5",
    "5.",
    "1.2345",
    "1.",
    "10.5.1",
    "1000000000",  # MAX_AMOUNT: a body's amount is below it
    "1234567890.5",
    "0000000001",  # ten digits: the body's pattern refuses it too
    "9" * 5000,  # never int(): no 500 past Python's 4,300 digits
    "1." + "0" * 5000,
    "\uff11\uff10",  # full-width 10
    "\u0661\u0660",  # Arabic-Indic 10
    "\u0967\u0966",  # Devanagari 10
    "10\u00a0",
    "abc",
    "10USD",
    "½",
    "²",
]

VALID = ["0", "10", "10.5", "9.99", "0.001", "999999999.999", "000000001", "45.50"]


def _error(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert body["type"] == "validation_error", body
    return [(error["attr"], error["code"]) for error in body["errors"]]


@pytest.fixture
def listed(db: None) -> None:
    PublishedCourseFactory(price=Decimal("20.00"), currency="USD")
    TutorFactory()


# --- through HTTP: every parameter, every value -------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(("path", "name"), QUERY_AMOUNTS)
def test_a_hostile_amount_in_a_query_is_400_invalid_amount_on_the_parameter(
    listed: None, anon_client: Any, path: str, name: str, value: str
) -> None:
    response = anon_client.get(f"{API}{path}", {name: value})

    assert response.status_code == 400, response.content[:300]
    assert _error(response) == [(name, "invalid_amount")]


@pytest.mark.parametrize("value", VALID)
@pytest.mark.parametrize(("path", "name"), QUERY_AMOUNTS)
def test_a_body_amount_in_a_query_is_taken(
    listed: None, anon_client: Any, path: str, name: str, value: str
) -> None:
    response = anon_client.get(f"{API}{path}", {name: value})

    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(("path", "name"), QUERY_AMOUNTS)
def test_an_empty_amount_in_a_query_is_no_filter(
    listed: None, anon_client: Any, path: str, name: str
) -> None:
    everything = anon_client.get(f"{API}{path}")
    response = anon_client.get(f"{API}{path}", {name: ""})

    assert response.status_code == 200, response.content[:300]
    assert response.json()["count"] == everything.json()["count"] == 1


@pytest.mark.parametrize("value", HOSTILE + VALID)
def test_a_query_takes_exactly_the_amounts_a_body_takes(value: str) -> None:
    def taken(read: Any) -> bool:
        try:
            read()
        except ValidationError as exc:
            codes = exc.get_codes()
            flat = codes.get("price_max", codes) if isinstance(codes, dict) else codes
            assert flat == ["invalid_amount"], codes
            return False
        return True

    in_a_body = taken(lambda: AmountInputField().run_validation(value))
    in_a_query = taken(lambda: query_amount(value))

    assert in_a_query == in_a_body == (value in VALID)


# --- the values filter --------------------------------------------------------------------------


def test_catalog_prices_filter_each_course_in_its_own_currency(db: None, anon_client: Any) -> None:
    cheap = PublishedCourseFactory(price=Decimal("10.00"), currency="USD")
    middle = PublishedCourseFactory(price=Decimal("20.50"), currency="USD")
    PublishedCourseFactory(price=Decimal("30.00"), currency="USD")
    yen = PublishedCourseFactory(price=Decimal("15"), currency="JPY")

    def ids(query: dict[str, str]) -> set[str]:
        response = anon_client.get(f"{API}/courses/", query)
        assert response.status_code == 200, response.content[:300]
        return {item["id"] for item in response.json()["results"]}

    # a query's decimals are not its currency's: 20.5 compares with JPY 15 as with USD 20.50
    assert ids({"price_min": "15", "price_max": "20.5"}) == {str(middle.pk), str(yen.pk)}
    assert ids({"price_max": "10"}) == {str(cheap.pk)}
    assert ids({"price_min": "20.501"}) == ids({"price_min": "30"})


def test_tutor_price_max_filters_each_tutor_in_their_own_currency(
    db: None, anon_client: Any
) -> None:
    cheap = TutorFactory()  # 40.00 USD
    TutorFactory(instructor_profile__hourly_rate=Decimal("40.01"))

    response = anon_client.get(f"{API}/tutors/", {"price_max": "40"})

    assert response.status_code == 200, response.content[:300]
    assert {card["id"] for card in response.json()["results"]} == {str(cheap.pk)}


# --- the document -------------------------------------------------------------------------------


def _looks_like_an_amount(parameter: dict[str, Any]) -> bool:
    name = parameter["name"].lower()
    schema = parameter.get("schema", {})
    return (
        any(word in name for word in ("price", "amount", "total", "balance", "fee", "cost"))
        or schema.get("format") == "decimal"
        or schema.get("pattern") == AMOUNT_INPUT_PATTERN
    )


def test_every_amount_in_a_query_is_listed_and_documented_as_a_body_amount(
    document: dict[str, Any],
) -> None:
    found = set()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query" or not _looks_like_an_amount(parameter):
                    continue
                found.add((path.removeprefix(API), parameter["name"]))
                schema = parameter["schema"]
                assert schema["type"] == "string", (path, parameter)
                assert schema["pattern"] == AMOUNT_INPUT_PATTERN, (path, parameter)
                assert "invalid_amount" in parameter["description"], (path, parameter)
                assert parameter.get("allowEmptyValue") is True, (path, parameter)

    assert found == set(QUERY_AMOUNTS)
    assert AMOUNT_QUERY_SCHEMA["pattern"] == AMOUNT_INPUT_PATTERN
