"""Numbers, dates, times and ids are read from ASCII only (lms.core.serializers).

Django's dateparse patterns use `\\d` and Python's `int()`, `Decimal()` and `uuid.UUID()` read
any Unicode digit, so a date-time spelled with full-width digits was booked (201). Every
field of that kind (DRF's, Django forms' as django-filter uses them, the project's own fields
by their OpenAPI annotation, the page number) refuses a string with a non-ASCII character
with the field's own `invalid` error. Through a few real endpoints per digit system, then
field class by field class.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.http import QueryDict
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

from lms.accounts.tests.factories import InstructorFactory
from lms.audit.api.filters import BoundedIsoDateTimeField
from lms.catalog.tests.factories import CategoryFactory, PublishedCourseFactory
from lms.conftest import error_codes
from lms.core.ids import as_uuid
from lms.core.serializers import AmountInputField, ascii_only
from lms.tutoring.api.serializers import AwareDateTimeField
from lms.tutoring.tests.factories import SlotFactory, TutorFactory

# the first code point of each system's digits 0-9
DIGIT_SYSTEMS = {
    "full-width": 0xFF10,
    "arabic-indic": 0x0660,
    "devanagari": 0x0966,
}
SYSTEMS = pytest.mark.parametrize("zero", DIGIT_SYSTEMS.values(), ids=DIGIT_SYSTEMS.keys())


def spell(text: str, zero: int) -> str:
    """`text` with its ASCII digits written in the system whose zero is `zero`."""
    return text.translate({ord("0") + n: zero + n for n in range(10)})


def spell_one(text: str, zero: int) -> str:
    """`text` with only its first ASCII digit written in that system (the rest ASCII)."""
    for index, char in enumerate(text):
        if char.isdigit():
            return text[:index] + chr(zero + int(char)) + text[index + 1 :]
    raise AssertionError(text)


def errors(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert body["type"] == "validation_error", body
    return [(error["attr"], error["code"]) for error in body["errors"]]


# --- through the HTTP layer ----------------------------------------------------------------------


@pytest.fixture
def slot(db: None) -> Any:
    tutor = TutorFactory(instructor_profile__hourly_rate=Decimal("40.00"))
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    start = base.replace(hour=10)
    return SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))


def booking_body(slot: Any, start: str) -> dict[str, Any]:
    return {"tutor_id": str(slot.tutor_id), "start": start, "duration_minutes": 60}


def rfc3339(slot: Any) -> str:
    return slot.start.strftime("%Y-%m-%dT%H:%M:%SZ")


@SYSTEMS
@pytest.mark.parametrize("spelled", [spell, spell_one], ids=["all", "one"])
def test_a_booking_start_with_other_digits_is_invalid(
    client_for: Any, student: Any, slot: Any, zero: int, spelled: Any
) -> None:
    body = booking_body(slot, spelled(rfc3339(slot), zero))

    response = client_for(student).post("/api/v1/bookings/", body, format="json")

    assert response.status_code == 400, response.content
    assert errors(response) == [("start", "invalid")]


def test_a_booking_start_in_ascii_is_booked(client_for: Any, student: Any, slot: Any) -> None:
    body = booking_body(slot, rfc3339(slot))

    response = client_for(student).post("/api/v1/bookings/", body, format="json")

    assert response.status_code == 201, response.content


ANALYTICS = "/api/v1/analytics/instructor/"
PERIOD = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}


@SYSTEMS
def test_an_analytics_from_with_other_digits_is_invalid(
    db: None, client_for: Any, zero: int
) -> None:
    client = client_for(InstructorFactory())

    assert client.get(ANALYTICS, PERIOD).status_code == 200
    response = client.get(ANALYTICS, {**PERIOD, "from": spell(PERIOD["from"], zero)})

    assert response.status_code == 400, response.content
    assert errors(response) == [("from", "invalid")]


@SYSTEMS
def test_a_course_price_with_other_digits_is_invalid(instructor_client: Any, zero: int) -> None:
    for body in ({"title": "Digits", "price": spell("19.99", zero)},):
        response = instructor_client.post("/api/v1/courses/", body, format="json")
        assert response.status_code == 400, response.content
        assert errors(response) == [("price", "invalid_amount")]  # the field's own `invalid`

    response = instructor_client.post("/api/v1/courses/", {"title": "Digits", "price": "19.99"})
    assert response.status_code == 201, response.content


@SYSTEMS
def test_an_id_with_other_digits_names_nothing(instructor_client: Any, zero: int) -> None:
    category = CategoryFactory()
    spelled = spell(str(category.pk), zero)
    assert spelled != str(category.pk)

    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Digits", "category": spelled}, format="json"
    )

    assert response.status_code == 400, response.content
    assert errors(response) == [("category", "does_not_exist")]
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Digits", "category": str(category.pk)}, format="json"
    )
    assert response.status_code == 201, response.content


@SYSTEMS
def test_a_course_id_in_a_url_with_other_digits_names_nothing(
    db: None, anon_client: Any, zero: int
) -> None:
    course = PublishedCourseFactory()

    assert anon_client.get(f"/api/v1/courses/{course.pk}/").status_code == 200
    response = anon_client.get(f"/api/v1/courses/{spell(str(course.pk), zero)}/")

    assert response.status_code == 404, response.content
    assert as_uuid(spell(str(course.pk), zero)) is None


@SYSTEMS
def test_a_page_number_with_other_digits_is_not_found(
    db: None, anon_client: Any, zero: int
) -> None:
    PublishedCourseFactory()

    assert anon_client.get("/api/v1/courses/", {"page": "1"}).status_code == 200
    response = anon_client.get("/api/v1/courses/", {"page": spell("1", zero)})

    assert response.status_code == 404, response.content
    assert error_codes(response) == ["not_found"]


@SYSTEMS
def test_a_catalog_price_min_with_other_digits_is_invalid(
    db: None, anon_client: Any, zero: int
) -> None:
    PublishedCourseFactory(price=Decimal("20.00"))

    assert anon_client.get("/api/v1/courses/", {"price_min": "10"}).json()["count"] == 1
    response = anon_client.get("/api/v1/courses/", {"price_min": spell("10", zero)})

    assert response.status_code == 400, response.content
    assert errors(response) == [("price_min", "invalid_amount")]


# --- field class by field class ------------------------------------------------------------------

# (a field, a value it takes, the code it refuses other digits with)
DRF_FIELDS: dict[str, tuple[Any, str, str]] = {
    "DateTimeField": (serializers.DateTimeField, "2026-12-09T18:00:00Z", "invalid"),
    "DateField": (serializers.DateField, "2026-12-09", "invalid"),
    "TimeField": (serializers.TimeField, "18:30:00", "invalid"),
    "DurationField": (serializers.DurationField, "01:30:00", "invalid"),
    "IntegerField": (serializers.IntegerField, "12", "invalid"),
    "FloatField": (serializers.FloatField, "12.5", "invalid"),
    "DecimalField": (
        lambda: serializers.DecimalField(max_digits=9, decimal_places=2),
        "12.50",
        "invalid",
    ),
    "UUIDField": (serializers.UUIDField, "12345678-1234-5678-1234-567812345678", "invalid"),
    "AmountInputField": (AmountInputField, "49.99", "invalid_amount"),
    "AwareDateTimeField": (AwareDateTimeField, "2026-12-09T18:00:00+01:00", "invalid"),
}


@SYSTEMS
@pytest.mark.parametrize("name", DRF_FIELDS)
def test_a_drf_field_of_the_kind_refuses_other_digits(name: str, zero: int) -> None:
    make, value, code = DRF_FIELDS[name]
    make().run_validation(value)  # ASCII is read

    for spelled in (spell(value, zero), spell_one(value, zero)):
        with pytest.raises(serializers.ValidationError) as raised:
            make().run_validation(spelled)
        assert [detail.code for detail in raised.value.detail] == [code], spelled


@pytest.mark.parametrize("name", DRF_FIELDS)
def test_a_drf_field_of_the_kind_refuses_any_non_ascii_character(name: str) -> None:
    make, value, code = DRF_FIELDS[name]

    # a no-break space, a minus sign, a byte order mark
    for spelled in (value + "\u00a0", "\u2212" + value, "\ufeff" + value):
        with pytest.raises(serializers.ValidationError) as raised:
            make().run_validation(spelled)
        assert [detail.code for detail in raised.value.detail] == [code], spelled


def test_the_invalid_message_is_the_fields_own() -> None:
    with pytest.raises(serializers.ValidationError) as raised:
        serializers.DateTimeField().run_validation(spell("2026-12-09T18:00:00Z", 0xFF10))
    assert str(raised.value.detail[0]).startswith("Datetime has wrong format.")

    with pytest.raises(serializers.ValidationError) as raised:
        serializers.IntegerField().run_validation(spell("12", 0x0660))
    assert str(raised.value.detail[0]) == "A valid integer is required."


@SYSTEMS
def test_form_and_query_input_is_refused_too(zero: int) -> None:
    class Query(serializers.Serializer[Any]):
        day = serializers.DateField()
        count = serializers.IntegerField()

    ascii_query = Query(data=QueryDict("day=2026-12-09&count=3"))
    assert ascii_query.is_valid(), ascii_query.errors
    query = Query(data=QueryDict(f"day={spell('2026-12-09', zero)}&count={spell('3', zero)}"))

    assert not query.is_valid()
    assert {name: [e.code for e in errs] for name, errs in query.errors.items()} == {
        "day": ["invalid"],
        "count": ["invalid"],
    }


def test_text_fields_keep_other_digits() -> None:
    assert serializers.CharField().run_validation("٣ apples") == "٣ apples"
    assert not ascii_only(serializers.CharField)
    assert not ascii_only(serializers.ChoiceField)
    assert ascii_only(AwareDateTimeField)  # by its annotation: a date-time


# Django form fields, as django-filter's filters use them (NumberFilter: DecimalField,
# IsoDateTimeFilter, UUIDFilter...)
FORM_FIELDS: dict[str, tuple[Any, str]] = {
    "IntegerField": (forms.IntegerField, "12"),
    "DecimalField": (forms.DecimalField, "12.50"),
    "FloatField": (forms.FloatField, "12.5"),
    "DateField": (forms.DateField, "2026-12-09"),
    "DateTimeField": (forms.DateTimeField, "2026-12-09 18:00:00"),
    "TimeField": (forms.TimeField, "18:30"),
    "DurationField": (forms.DurationField, "01:30:00"),
    "UUIDField": (forms.UUIDField, str(uuid.UUID(int=12345))),
    "IsoDateTimeField": (IsoDateTimeField, "2026-12-09T18:00:00Z"),
    "BoundedIsoDateTimeField": (BoundedIsoDateTimeField, "2026-12-09T18:00:00Z"),
}


@SYSTEMS
@pytest.mark.parametrize("name", FORM_FIELDS)
def test_a_form_field_of_the_kind_refuses_other_digits(name: str, zero: int) -> None:
    make, value = FORM_FIELDS[name]
    assert make().clean(value) is not None

    for spelled in (spell(value, zero), spell_one(value, zero), value + "\u00a0"):
        with pytest.raises(forms.ValidationError) as raised:
            make().clean(spelled)
        assert raised.value.code == "invalid", spelled


def test_a_form_text_field_keeps_other_digits() -> None:
    assert forms.CharField().clean("٣ apples") == "٣ apples"
