"""Availability through the API: one-off slots, weekly availability across daylight-saving
changes (frozen clock), deletion rules, the tutor's settings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lms.conftest import error_codes
from lms.tutoring.models import AvailabilitySlot
from lms.tutoring.services import create_weekly, extend_weekly_availability
from lms.tutoring.timing import local_wall_time, weekly_occurrences

from .conftest import book_ok, hour
from .factories import SlotFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def post_slot(client, start, end):
    return client.post(
        "/api/v1/availability-slots/",
        {"start": start.isoformat(), "end": end.isoformat()},
        format="json",
    )


def test_create_list_and_delete_a_slot(tutor_client, django_assert_max_num_queries):
    start = hour()

    created = post_slot(tutor_client, start, start + timedelta(hours=2))
    with django_assert_max_num_queries(2):
        listed = tutor_client.get("/api/v1/availability-slots/")
    deleted = tutor_client.delete(f"/api/v1/availability-slots/{created.json()['id']}/")

    assert created.status_code == 201, created.json()
    assert listed.json()["count"] == 1
    assert deleted.status_code == 204
    assert not AvailabilitySlot.objects.exists()


def test_times_with_an_offset_are_stored_in_utc(client_for, tutor):
    local = datetime(2027, 1, 5, 18, 0, tzinfo=BERLIN)
    with time_machine.travel(datetime(2027, 1, 1, tzinfo=UTC), tick=False):
        tutor_client = client_for(tutor)
        response = tutor_client.post(
            "/api/v1/availability-slots/",
            {"start": "2027-01-05T18:00:00+01:00", "end": "2027-01-05T19:00:00+01:00"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    assert AvailabilitySlot.objects.get().start == local
    assert AvailabilitySlot.objects.get().start.astimezone(UTC).hour == 17


def test_overlapping_slot_is_409(tutor_client):
    start = hour()
    post_slot(tutor_client, start, start + timedelta(hours=2))

    response = post_slot(tutor_client, start + timedelta(hours=1), start + timedelta(hours=3))
    touching = post_slot(tutor_client, start + timedelta(hours=2), start + timedelta(hours=3))

    assert response.status_code == 409
    assert error_codes(response) == ["slot_overlap"]
    assert touching.status_code == 201


@pytest.mark.parametrize(
    ("shift_start", "shift_end", "code"),
    [
        (timedelta(hours=1), timedelta(0), "invalid_time_range"),
        (timedelta(0), timedelta(minutes=10), "invalid_duration"),
        (timedelta(0), timedelta(hours=9), "invalid_duration"),
        (timedelta(0), timedelta(hours=1000), "invalid_duration"),
        (timedelta(days=-10), timedelta(days=-10, hours=1), "time_in_past"),
    ],
)
def test_bad_slots_are_400(tutor_client, shift_start, shift_end, code):
    base = hour()

    response = post_slot(tutor_client, base + shift_start, base + shift_end)

    assert response.status_code == 400
    assert error_codes(response) == [code]


def test_naive_and_garbage_times_are_400(tutor_client):
    naive = tutor_client.post(
        "/api/v1/availability-slots/",
        {"start": "2030-01-01T10:00:00", "end": "2030-01-01T11:00:00"},
        format="json",
    )
    garbage = tutor_client.post(
        "/api/v1/availability-slots/", {"start": "soon", "end": 5}, format="json"
    )

    assert naive.status_code == 400
    assert set(error_codes(naive)) == {"naive_datetime"}
    assert garbage.status_code == 400


def test_permissions(anon_client, student_client, client_for, tutor):
    slot = SlotFactory(tutor=tutor)
    other_tutor_client = client_for(SlotFactory().tutor)

    assert anon_client.get("/api/v1/availability-slots/").status_code == 401
    assert student_client.get("/api/v1/availability-slots/").status_code == 403
    assert student_client.post("/api/v1/availability-slots/", {}).status_code == 403
    assert other_tutor_client.delete(f"/api/v1/availability-slots/{slot.pk}/").status_code == 404


def test_a_booked_slot_cannot_be_deleted(tutor_client, student_client, slot):
    book_ok(student_client, slot_id=str(slot.pk))

    response = tutor_client.delete(f"/api/v1/availability-slots/{slot.pk}/")

    assert response.status_code == 409
    assert error_codes(response) == ["slot_booked"]


def test_tutor_settings(tutor_client, student_client):
    assert tutor_client.get("/api/v1/tutor-settings/").json() == {
        "buffer_minutes": 0,
        "min_notice_minutes": 0,
    }
    bad = tutor_client.patch("/api/v1/tutor-settings/", {"buffer_minutes": 500}, format="json")
    ok = tutor_client.patch("/api/v1/tutor-settings/", {"buffer_minutes": 10}, format="json")

    assert bad.status_code == 400
    assert ok.json()["buffer_minutes"] == 10
    assert student_client.get("/api/v1/tutor-settings/").status_code == 403


# --- weekly availability across daylight-saving changes ------------------------------------


def test_every_monday_1800_berlin_keeps_local_time_across_the_october_change(tutor):
    # Frozen on Wednesday 2027-10-20; Berlin leaves summer time on Sunday 2027-10-31.
    with time_machine.travel(datetime(2027, 10, 20, 9, 0, tzinfo=UTC), tick=False):
        rule, made = create_weekly(
            tutor=tutor, weekday=0, start_time=time(18, 0), duration_minutes=60
        )

    slots = list(AvailabilitySlot.objects.order_by("start"))
    assert made == len(slots) == 8
    before, after = slots[0], slots[1]  # Mon 25 Oct (CEST) and Mon 1 Nov (CET)
    assert before.start == datetime(2027, 10, 25, 16, 0, tzinfo=UTC)
    assert after.start == datetime(2027, 11, 1, 17, 0, tzinfo=UTC)
    for slot in slots:
        local = slot.start.astimezone(BERLIN)
        assert (local.weekday(), local.hour, local.minute) == (0, 18, 0)
        assert slot.end - slot.start == timedelta(hours=60 / 60)
    assert rule.timezone == "Europe/Berlin"


def test_weekly_across_the_spring_change_in_new_york(tutor):
    # New York moves to summer time on Sunday 2028-03-12.
    with time_machine.travel(datetime(2028, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        create_weekly(
            tutor=tutor,
            weekday=0,
            start_time=time(9, 30),
            duration_minutes=45,
            timezone_name="America/New_York",
        )

    starts = [s.start for s in AvailabilitySlot.objects.order_by("start")[:2]]
    assert starts == [
        datetime(2028, 3, 6, 14, 30, tzinfo=UTC),  # EST, UTC-5
        datetime(2028, 3, 13, 13, 30, tzinfo=UTC),  # EDT, UTC-4
    ]


def test_a_local_time_skipped_by_dst_is_left_out():
    # 02:30 on 2028-03-26 does not exist in Berlin (02:00 -> 03:00).
    assert local_wall_time(datetime(2028, 3, 26).date(), time(2, 30), BERLIN) is None
    found = weekly_occurrences(
        weekday=6,
        at=time(2, 30),
        minutes=60,
        tz=BERLIN,
        first=datetime(2028, 3, 19).date(),
        last=datetime(2028, 4, 2).date(),
    )
    assert [start.date().isoformat() for start, _ in found] == ["2028-03-19", "2028-04-02"]


def test_weekly_skips_existing_slots_and_extends_later(tutor):
    with time_machine.travel(datetime(2027, 10, 20, 9, 0, tzinfo=UTC), tick=False):
        SlotFactory(
            tutor=tutor,
            start=datetime(2027, 10, 25, 16, 30, tzinfo=UTC),
            end=datetime(2027, 10, 25, 18, 0, tzinfo=UTC),
        )
        _, made = create_weekly(tutor=tutor, weekday=0, start_time=time(18, 0), duration_minutes=60)
    assert made == 7
    with time_machine.travel(datetime(2027, 11, 10, 9, 0, tzinfo=UTC), tick=False):
        assert extend_weekly_availability() == 3
        assert extend_weekly_availability() == 0


def test_weekly_through_the_api(tutor_client):
    response = tutor_client.post(
        "/api/v1/availability-weekly/",
        {"weekday": 2, "start_time": "17:00", "duration_minutes": 90},
        format="json",
    )
    bad = tutor_client.post(
        "/api/v1/availability-weekly/",
        {"weekday": 7, "start_time": "17:00", "duration_minutes": 5},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["slots_created"] >= 7
    assert bad.status_code == 400
    assert set(error_codes(bad)) == {"max_value", "min_value"}
    listed = tutor_client.get("/api/v1/availability-weekly/").json()
    assert listed["count"] == 1
    deleted = tutor_client.delete(f"/api/v1/availability-weekly/{response.json()['id']}/")
    assert deleted.status_code == 204
    assert not AvailabilitySlot.objects.exists()


def test_a_booking_across_the_dst_change_keeps_the_tutors_wall_clock(
    tutor, student_client, client_for, student
):
    with time_machine.travel(datetime(2027, 10, 20, 9, 0, tzinfo=UTC), tick=False):
        create_weekly(tutor=tutor, weekday=0, start_time=time(18, 0), duration_minutes=60)
        after_change = AvailabilitySlot.objects.order_by("start")[1]
        booking = book_ok(client_for(student), slot_id=str(after_change.pk))

    assert booking["start"].startswith("2027-11-01T17:00:00")
    assert booking["tutor_start_local"] == "2027-11-01T18:00:00+01:00"


def test_a_slot_held_only_by_an_expired_booking_can_be_deleted(tutor, client_for, student, slot):
    book_ok(client_for(student), slot_id=str(slot.pk))

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16)):
        response = client_for(tutor).delete(f"/api/v1/availability-slots/{slot.pk}/")

    assert response.status_code == 204
