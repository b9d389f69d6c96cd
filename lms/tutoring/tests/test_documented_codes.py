"""Every domain code a tutoring operation answers is listed on that operation in the OpenAPI
document (schemathesis found `GET /tutors/{id}/` answering 400 `time_out_of_range`
unlisted). Each case provokes one code through the API and looks it up in the operation's
documented response for that status (`Codes: ...`, lms.core.schema.errors); a sweep adds that
every operation taking a date-time input lists the two codes of that input.

A new code raised by a view, a serializer or a service: add its case here and its listing on
the operation (`@domain_errors`, the shared tuples in lms/tutoring/api/views.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from lms.tutoring.models import Booking, TutorSettings

from .conftest import book_ok, hour
from .conftest import completed_lesson as conftest_completed_lesson

pytestmark = pytest.mark.django_db

API = "/api/v1"


def documented_codes(document: dict[str, Any], path: str, method: str, status: int) -> set[str]:
    """The codes the document lists for `method path` answering `status`."""
    response = document["paths"][f"{API}{path}"][method]["responses"].get(str(status))
    assert response is not None, f"{method.upper()} {path} does not document {status}"
    listed = response.get("description", "").partition("Codes: ")[2]
    return set(re.findall(r"`([a-z_]+)`", listed))


@dataclass
class World:
    tutor: Any
    tutor_client: APIClient
    student: Any
    student_client: APIClient
    slot: Any

    def booking(self, **changes: Any) -> dict[str, Any]:
        """A pending booking of the student in the slot (10:00-11:00, three days ahead)."""
        made = book_ok(
            self.student_client,
            tutor_id=str(self.tutor.pk),
            start=self.slot.start.isoformat(),
            duration_minutes=60,
        )
        if changes:
            Booking.objects.filter(pk=made["id"]).update(**changes)
        return made


@pytest.fixture
def world(tutor, tutor_client, student, student_client, slot) -> World:
    return World(tutor, tutor_client, student, student_client, slot)


def iso(value: Any) -> str:
    return value.isoformat()


NAIVE = "2030-01-01T10:00:00"
TOO_EARLY = "1969-12-31T10:00:00Z"
TOO_LATE = "3001-01-01T10:00:00Z"


# --- the cases: (method, path template, status, code, send) ----------------------------------


def window(query: Callable[[World], dict[str, str]], suffix: str = "") -> Any:
    return lambda w: w.student_client.get(f"{API}/tutors/{w.tutor.pk}/{suffix}", query(w))


def _window_cases(suffix: str) -> list[tuple[str, str, int, str, Any]]:
    path = f"/tutors/{{tutor_id}}/{suffix}"
    return [
        ("get", path, 400, "naive_datetime", window(lambda w: {"from": NAIVE}, suffix)),
        ("get", path, 400, "time_out_of_range", window(lambda w: {"from": TOO_EARLY}, suffix)),
        ("get", path, 400, "time_out_of_range", window(lambda w: {"to": TOO_LATE}, suffix)),
        (
            "get",
            path,
            400,
            "invalid_time_range",
            window(lambda w: {"from": iso(hour(3)), "to": iso(hour(2))}, suffix),
        ),
        (
            "get",
            path,
            400,
            "range_too_long",
            window(lambda w: {"from": iso(hour(1)), "to": iso(hour(70))}, suffix),
        ),
    ]


def slot_post(start: Any, end: Any) -> Any:
    return lambda w: w.tutor_client.post(
        f"{API}/availability-slots/", {"start": start(w), "end": end(w)}, format="json"
    )


def booking_post(start: Callable[[World], str], *, by_tutor: bool = False) -> Any:
    def send(w: World) -> Any:
        client = w.tutor_client if by_tutor else w.student_client
        body = {"tutor_id": str(w.tutor.pk), "start": start(w), "duration_minutes": 60}
        return client.post(f"{API}/bookings/", body, format="json")

    return send


def with_notice(send: Any, minutes: int = 600) -> Any:
    def sent(w: World) -> Any:
        TutorSettings.objects.update_or_create(
            tutor=w.tutor, defaults={"min_notice_minutes": minutes}
        )
        return send(w)

    return sent


def reschedule(
    to: Callable[[World], str], *, cancelled: bool = False, notice: int = 0, **changes: Any
) -> Any:
    """The student moves their pending booking (first cancelled, or the tutor's notice set to
    `notice` minutes, or the booking's columns changed) to `to`."""

    def send(w: World) -> Any:
        booking = cancelled_booking(w) if cancelled else w.booking(**changes)
        if notice:
            TutorSettings.objects.update_or_create(
                tutor=w.tutor, defaults={"min_notice_minutes": notice}
            )
        return w.student_client.post(
            f"{API}/bookings/{booking['id']}/reschedule/", {"start": to(w)}, format="json"
        )

    return send


def delete_booked_slot(w: World) -> Any:
    w.booking()
    return w.tutor_client.delete(f"{API}/availability-slots/{w.slot.pk}/")


def cancelled_booking(w: World) -> dict[str, Any]:
    booking = w.booking()
    cancel = w.student_client.post(f"{API}/bookings/{booking['id']}/cancel/", {}, format="json")
    assert cancel.status_code == 200, cancel.json()
    return booking


def patch_a_cancelled_booking(w: World) -> Any:
    booking = cancelled_booking(w)
    return w.tutor_client.patch(
        f"{API}/bookings/{booking['id']}/", {"meeting_url": ""}, format="json"
    )


def completed_lesson(w: World) -> Booking:
    """A completed, paid lesson of the student with the tutor, two days ago."""
    booking: Booking = conftest_completed_lesson(student=w.student, tutor=w.tutor)
    return booking


def review(w: World, booking_id: Any, tutor_id: Any) -> Any:
    body = {"tutor_id": str(tutor_id), "booking_id": str(booking_id), "rating": 4}
    return w.student_client.post(f"{API}/testimonials/", body, format="json")


def review_naming_another_tutor(w: World) -> Any:
    return review(w, completed_lesson(w).pk, tutor_id=w.student.pk)


def review_before_the_lesson(w: World) -> Any:
    return review(w, w.booking()["id"], tutor_id=w.tutor.pk)


def review_twice(w: World) -> Any:
    lesson = completed_lesson(w)
    assert review(w, lesson.pk, tutor_id=w.tutor.pk).status_code == 201
    return review(w, lesson.pk, tutor_id=w.tutor.pk)


def weekly_post(**dates: str) -> Any:
    body = {"weekday": 1, "start_time": "10:00", "duration_minutes": 60, **dates}
    return lambda w: w.tutor_client.post(f"{API}/availability-weekly/", body, format="json")


def at(days: int, at_hour: int = 10, **later: int) -> Callable[[World], str]:
    """A time `days` ahead at `at_hour` UTC (plus `later` as a timedelta), for a case."""
    return lambda w: iso(hour(days, at_hour) + timedelta(**later))


def naive(w: World) -> str:
    return NAIVE


def too_late(w: World) -> str:
    return TOO_LATE


def in_the_slot(w: World) -> str:
    return iso(w.slot.start)


def in_the_slot_an_hour_later(w: World) -> str:
    return iso(w.slot.start + timedelta(hours=1))


FIVE_DAYS = 60 * 24 * 5  # a notice in minutes longer than the three days to the slot
SLOTS, WEEKLY, BOOKINGS = "/availability-slots/", "/availability-weekly/", "/bookings/"
RESCHEDULE = "/bookings/{booking_id}/reschedule/"

CASES: list[tuple[str, str, int, str, Any]] = [
    *_window_cases(""),
    *_window_cases("availability/"),
    ("post", SLOTS, 400, "naive_datetime", slot_post(naive, lambda w: "2030-01-01T11:00:00")),
    ("post", SLOTS, 400, "time_out_of_range", slot_post(at(5), too_late)),
    ("post", SLOTS, 400, "time_in_past", slot_post(at(-2), at(-2, hours=1))),
    ("post", SLOTS, 400, "invalid_time_range", slot_post(at(5, 12), at(5, 11))),
    ("post", SLOTS, 400, "invalid_duration", slot_post(at(5), at(5, minutes=10))),
    ("post", SLOTS, 409, "slot_overlap", slot_post(in_the_slot, lambda w: iso(w.slot.end))),
    ("delete", "/availability-slots/{slot_id}/", 409, "slot_booked", delete_booked_slot),
    ("post", WEEKLY, 400, "time_out_of_range", weekly_post(starts_on="1969-12-31")),
    (
        "post", WEEKLY, 400, "invalid_time_range",
        weekly_post(starts_on="2030-02-01", ends_on="2030-01-01"),
    ),
    ("post", BOOKINGS, 400, "naive_datetime", booking_post(naive)),
    ("post", BOOKINGS, 400, "time_out_of_range", booking_post(too_late)),
    ("post", BOOKINGS, 400, "time_in_past", booking_post(at(-2))),
    ("post", BOOKINGS, 400, "too_short_notice", with_notice(booking_post(in_the_slot), FIVE_DAYS)),
    ("post", BOOKINGS, 400, "beyond_booking_horizon", booking_post(at(60))),
    ("post", BOOKINGS, 400, "cannot_book_yourself", booking_post(in_the_slot, by_tutor=True)),
    ("post", BOOKINGS, 409, "slot_unavailable", booking_post(at(4))),
    ("patch", "/bookings/{booking_id}/", 409, "invalid_booking_state", patch_a_cancelled_booking),
    ("post", RESCHEDULE, 400, "naive_datetime", reschedule(naive)),
    ("post", RESCHEDULE, 400, "time_out_of_range", reschedule(too_late)),
    ("post", RESCHEDULE, 400, "time_in_past", reschedule(at(-2))),
    (
        "post", RESCHEDULE, 400, "too_short_notice",
        reschedule(in_the_slot_an_hour_later, notice=FIVE_DAYS),
    ),
    ("post", RESCHEDULE, 400, "beyond_booking_horizon", reschedule(at(60))),
    ("post", RESCHEDULE, 403, "reschedule_closed", reschedule(at(4), refund_cutoff_hours=100)),
    ("post", RESCHEDULE, 409, "slot_unavailable", reschedule(at(4))),
    ("post", RESCHEDULE, 409, "invalid_booking_state", reschedule(at(4), cancelled=True)),
    ("post", "/testimonials/", 400, "tutor_mismatch", review_naming_another_tutor),
    ("post", "/testimonials/", 403, "testimonial_not_allowed", review_before_the_lesson),
    ("post", "/testimonials/", 409, "already_reviewed", review_twice),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "send"),
    CASES,
    ids=[f"{m.upper()} {p} {c}" for m, p, _, c, _ in CASES],
)
def test_every_code_an_operation_answers_is_listed_on_it(
    document, world, method, path, status, code, send
):
    # when: the operation is sent what breaks the rule behind `code`
    response = send(world)

    # then: it answers that code, and the document lists it on the operation for that status
    assert response.status_code == status, response.content[:400]
    assert code in [error["code"] for error in response.json()["errors"]], response.json()
    assert code in documented_codes(document, path, method, status)


def _date_time_inputs(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    """The operation's query parameters and JSON body properties with `format: date-time`."""
    names = [
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter.get("schema", {}).get("format") == "date-time"
    ]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for part in [schema, *schema.get("allOf", [])]:  # `required_together`: an allOf
        for name, field in part.get("properties", {}).items():
            if field.get("format") == "date-time" and not field.get("readOnly"):
                names.append(name)
    return names


TUTORING_PATHS = ("/tutors/", "/availability-slots/", "/bookings/", "/testimonials/")


def test_every_tutoring_operation_with_a_time_input_lists_that_inputs_codes(document):
    checked = []
    for path, operations in document["paths"].items():
        if not path.startswith(tuple(API + p for p in TUTORING_PATHS)):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or not _date_time_inputs(document, operation):
                continue
            listed = documented_codes(document, path.removeprefix(API), method, 400)
            assert {"naive_datetime", "time_out_of_range"} <= listed, (method, path, listed)
            checked.append((method, path))
    # the two free-time reads, the slot, the booking and its reschedule
    assert len(checked) == 5, checked
