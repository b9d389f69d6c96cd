"""Tutor search and detail: filters, free time in the viewer's and the tutor's timezone, exact
ratings, constant query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from lms.accounts.models import InstructorProfile, StudentProfile
from lms.conftest import error_codes

from .conftest import book, book_ok, hour, rate
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
    assert card["rating"] == 4.33
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


def _utc(value):
    return value.isoformat().replace("+00:00", "Z")


def _day_window(moment):
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return f"from={_utc(day)}&to={_utc(day + timedelta(days=1))}"


def test_time_inside_the_tutors_notice_is_offered_nowhere(anon_client, client_for, student, tutor):
    # G2: search, detail and availability offer exactly what booking accepts
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        client_for(tutor).patch(
            "/api/v1/tutor-settings/", {"min_notice_minutes": 120}, format="json"
        )
        soon = now + timedelta(minutes=25)
        SlotFactory(tutor=tutor, start=soon, end=soon + timedelta(minutes=60))
        today = now.date().isoformat()

        assert ids(anon_client.get(f"/api/v1/tutors/?available_on={today}")) == set()
        free = anon_client.get(f"/api/v1/tutors/{tutor.pk}/availability/?{_day_window(now)}")
        detail = anon_client.get(f"/api/v1/tutors/{tutor.pk}/?{_day_window(now)}")
        assert free.json() == []
        assert detail.json()["free_slots"] == []
        refused = book(
            client_for(student), tutor_id=str(tutor.pk), start=_utc(soon), duration_minutes=30
        )
        assert error_codes(refused) == ["too_short_notice"]

        # a slot after the notice is offered from exactly now + 120 minutes
        later = now + timedelta(minutes=100)
        SlotFactory(tutor=tutor, start=later, end=later + timedelta(hours=1))
        assert ids(anon_client.get(f"/api/v1/tutors/?available_on={today}")) == {str(tutor.pk)}
        free = anon_client.get(f"/api/v1/tutors/{tutor.pk}/availability/?{_day_window(now)}")
        earliest = now + timedelta(minutes=120)
        assert [(w["start"], w["end"]) for w in free.json()] == [
            (_utc(earliest), _utc(later + timedelta(hours=1)))
        ]
        book_ok(
            client_for(student), tutor_id=str(tutor.pk), start=_utc(earliest), duration_minutes=30
        )


def test_time_beyond_the_booking_horizon_is_offered_nowhere(
    anon_client, client_for, student, tutor, settings
):
    settings.BOOKING_HORIZON_DAYS = 3
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        far = now + timedelta(days=5)
        edge = now + timedelta(days=3) - timedelta(hours=1)  # the last hour before the horizon
        SlotFactory(tutor=tutor, start=far, end=far + timedelta(hours=2))
        SlotFactory(tutor=tutor, start=edge, end=edge + timedelta(hours=3))

        far_day = far.date().isoformat()
        assert ids(anon_client.get(f"/api/v1/tutors/?available_on={far_day}")) == set()
        free = anon_client.get(f"/api/v1/tutors/{tutor.pk}/availability/?{_day_window(far)}")
        assert free.json() == []
        refused = book(
            client_for(student), tutor_id=str(tutor.pk), start=_utc(far), duration_minutes=30
        )
        assert error_codes(refused) == ["beyond_booking_horizon"]

        # the slot across the horizon is cut there
        window = f"from={_utc(now)}&to={_utc(now + timedelta(days=10))}"
        detail = anon_client.get(f"/api/v1/tutors/{tutor.pk}/?{window}")
        assert [(w["start"], w["end"]) for w in detail.json()["free_slots"]] == [
            (_utc(edge), _utc(now + timedelta(days=3)))
        ]
        assert ids(anon_client.get(f"/api/v1/tutors/?available_on={edge.date()}")) == {
            str(tutor.pk)
        }
        book_ok(
            client_for(student),
            tutor_id=str(tutor.pk),
            start=_utc(now + timedelta(days=3) - timedelta(minutes=30)),
            duration_minutes=30,
        )


def test_a_signed_in_tutor_sees_times_in_their_own_timezone(client_for, slot):
    # G3: the caller's profile timezone whatever their role
    viewer = TutorFactory(instructor_profile__timezone="America/Mexico_City")
    window = _day_window(slot.start)

    free = client_for(viewer).get(f"/api/v1/tutors/{slot.tutor_id}/availability/?{window}")

    assert free.status_code == 200, free.json()
    assert free.json()[0]["timezone"] == "America/Mexico_City"
    assert (
        free.json()[0]["start_local"]
        == slot.start.astimezone(ZoneInfo("America/Mexico_City")).isoformat()
    )
    # ... and `available_on` is their local day: 10:00 UTC is 19:00 in Tokyo, the same day
    tokyo = TutorFactory(instructor_profile__timezone="Asia/Tokyo")
    StudentProfile.objects.filter(user=tokyo).delete()
    late = slot.start.replace(hour=22)
    other = TutorFactory()
    SlotFactory(tutor=other, start=late, end=late + timedelta(hours=1))  # 07:00 next day, Tokyo
    next_day = (slot.start + timedelta(days=1)).date().isoformat()
    assert ids(client_for(tokyo).get(f"/api/v1/tutors/?available_on={next_day}")) == {str(other.pk)}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("to=2020-01-01T00:00:00Z", "invalid_time_range"),  # before the default `from` (now)
        ("to=NOW", "invalid_time_range"),
        ("to=2999-01-01T00:00:00Z", "range_too_long"),  # more than 62 days after now
        ("from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "invalid_time_range"),
        ("from=2030-01-01T00:00:00Z&to=2030-03-04T00:00:01Z", "range_too_long"),
    ],
)
def test_a_window_is_never_replaced_silently(anon_client, tutor, query, code):
    # G4: the defaults are filled, then the window is checked whichever ends were given
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        query = query.replace("NOW", _utc(now))
        for path in (f"/api/v1/tutors/{tutor.pk}/", f"/api/v1/tutors/{tutor.pk}/availability/"):
            response = anon_client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert error_codes(response) == [code]
            assert response.json()["errors"][0]["attr"] == "to"


def test_a_window_of_62_days_or_to_alone_is_answered(anon_client, slot):
    since = timezone.now()
    longest = f"from={_utc(since)}&to={_utc(since + timedelta(days=62))}"
    only_to = f"to={_utc(slot.end)}"

    for query in (longest, only_to):
        response = anon_client.get(f"/api/v1/tutors/{slot.tutor_id}/availability/?{query}")
        assert response.status_code == 200, (query, response.json())
        assert len(response.json()) == 1


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
