"""Tutor search and detail: filters, free time in the viewer's and the tutor's timezone, exact
ratings, constant query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lms.accounts.models import InstructorProfile

from .conftest import book_ok, hour, rate
from .factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_search_filters(anon_client, db):
    cheap = TutorFactory(
        instructor_profile__hourly_rate=Decimal("20.00"),
        instructor_profile__skills=["Python", "Django"],
        instructor_profile__languages=["en"],
    )
    dear = TutorFactory(
        instructor_profile__hourly_rate=Decimal("90.00"),
        instructor_profile__skills=["Algebra"],
        instructor_profile__languages=["de", "fr"],
    )
    rate(cheap, 4, 5)  # 4.50
    rate(dear, 4, 4, 5)  # 4.33...

    assert ids(anon_client.get("/api/v1/tutors/")) == {str(cheap.pk), str(dear.pk)}
    assert ids(anon_client.get("/api/v1/tutors/?skill=python")) == {str(cheap.pk)}
    assert ids(anon_client.get("/api/v1/tutors/?skill=pyth")) == set()
    assert ids(anon_client.get("/api/v1/tutors/?language=FR")) == {str(dear.pk)}
    assert ids(anon_client.get("/api/v1/tutors/?price_max=50")) == {str(cheap.pk)}
    assert ids(anon_client.get("/api/v1/tutors/?rating_min=4.5")) == {str(cheap.pk)}
    assert ids(anon_client.get("/api/v1/tutors/?rating_min=4.33")) == {str(cheap.pk), str(dear.pk)}
    card = next(
        row
        for row in anon_client.get("/api/v1/tutors/").json()["results"]
        if row["id"] == str(dear.pk)
    )
    assert card["rating"] == "4.33"
    assert card["testimonial_count"] == 3
    assert card["hourly_rate"] == "90.00"


def test_instructors_without_a_rate_are_not_listed(anon_client, instructor):
    assert InstructorProfile.objects.get(user=instructor).hourly_rate == 0
    assert anon_client.get("/api/v1/tutors/").json()["count"] == 0


def test_bad_filters_are_400(anon_client):
    for query in ("price_max=-1", "rating_min=7", "available_on=tomorrow", "tz=Mars/Base"):
        response = anon_client.get(f"/api/v1/tutors/?{query}")
        assert response.status_code == 400, query
        assert response.json()["type"] == "validation_error"


def test_available_on_is_a_day_in_the_callers_timezone(anon_client, db):
    tutor = TutorFactory()
    busy = TutorFactory()
    start = hour(days=3, at=23)  # 23:00 UTC is the next day in Tokyo
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    SlotFactory(tutor=busy, start=start, end=start + timedelta(hours=1))
    utc_day = start.date().isoformat()
    tokyo_day = (start + timedelta(hours=9)).date().isoformat()

    assert ids(anon_client.get(f"/api/v1/tutors/?available_on={utc_day}")) == {
        str(tutor.pk),
        str(busy.pk),
    }
    assert ids(anon_client.get(f"/api/v1/tutors/?available_on={utc_day}&tz=Asia/Tokyo")) == set()
    assert len(ids(anon_client.get(f"/api/v1/tutors/?available_on={tokyo_day}&tz=Asia/Tokyo"))) == 2


def test_a_fully_booked_tutor_is_not_available_that_day(anon_client, client_for, student, slot):
    book_ok(client_for(student), slot_id=str(slot.pk))

    response = anon_client.get(f"/api/v1/tutors/?available_on={slot.start.date().isoformat()}")

    assert response.json()["count"] == 0


def test_search_query_count_is_constant(anon_client, db, django_assert_max_num_queries):
    for _ in range(5):
        tutor = TutorFactory()
        SlotFactory(tutor=tutor, start=hour(), end=hour() + timedelta(hours=1))
    day = hour().date().isoformat()

    # the count and the page; `available_on` is decided inside them (test_search_in_sql.py)
    with django_assert_max_num_queries(2):
        response = anon_client.get(f"/api/v1/tutors/?available_on={day}&skill=python")

    assert response.json()["count"] == 5


def test_detail_with_free_slots_in_both_timezones(
    anon_client, client_for, student, slot, django_assert_max_num_queries
):
    book_ok(
        client_for(student),
        tutor_id=str(slot.tutor_id),
        start=(slot.start + timedelta(hours=1)).isoformat(),
        duration_minutes=60,
    )
    since, until = slot.start - timedelta(hours=1), slot.end + timedelta(hours=1)
    window = f"from={since.isoformat()}&to={until.isoformat()}".replace("+", "%2B")

    with django_assert_max_num_queries(3):
        response = anon_client.get(f"/api/v1/tutors/{slot.tutor_id}/?{window}&tz=America/New_York")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tutor"]["id"] == str(slot.tutor_id)
    free = body["free_slots"]
    assert [(w["start"], w["end"]) for w in free] == [
        (
            slot.start.isoformat().replace("+00:00", "Z"),
            (slot.start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        ),
        (
            (slot.start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
            slot.end.isoformat().replace("+00:00", "Z"),
        ),
    ]
    assert free[0]["timezone"] == "America/New_York"
    assert free[0]["start_local"] == slot.start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert free[0]["tutor_timezone"] == "Europe/Berlin"
    assert (
        free[0]["tutor_start_local"] == slot.start.astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    )

    availability = anon_client.get(f"/api/v1/tutors/{slot.tutor_id}/availability/?{window}")
    assert len(availability.json()) == 2


def test_unknown_tutor_is_404(anon_client, instructor):
    assert anon_client.get(f"/api/v1/tutors/{instructor.pk}/").status_code == 404
    assert (
        anon_client.get(
            "/api/v1/tutors/6b1f0b64-0000-4000-8000-000000000000/availability/"
        ).status_code
        == 404
    )


def test_bad_window_is_400(anon_client, slot):
    naive = anon_client.get(
        f"/api/v1/tutors/{slot.tutor_id}/availability/?from=2030-01-01T00:00:00"
    )
    backwards = anon_client.get(
        f"/api/v1/tutors/{slot.tutor_id}/availability/?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"
    )

    assert naive.status_code == 400
    assert backwards.status_code == 400


def test_a_tutor_sets_their_profile_through_auth_me_and_is_found(
    instructor_client, instructor, anon_client
):
    response = instructor_client.patch(
        "/api/v1/auth/me/",
        {
            "profile": {
                "headline": "Rust and systems",
                "skills": ["rust", "linux"],
                "languages": ["en", "de"],
                "hourly_rate": "45.50",
                "currency": "EUR",
                "timezone": "America/New_York",
            }
        },
        format="json",
    )
    assert response.status_code == 200

    found = anon_client.get("/api/v1/tutors/?skill=RUST&language=de").json()["results"]

    assert [(row["id"], row["hourly_rate"], row["currency"], row["timezone"]) for row in found] == [
        (str(instructor.pk), "45.50", "EUR", "America/New_York")
    ]
    assert found[0]["headline"] == "Rust and systems"
