"""Tutoring tried from outside, as a newcomer and as an attacker, through HTTP only: other
people's objects, roles, mass assignment, hostile input, money exactness in zero- and
three-decimal currencies, cancellation edges and races the other PostgreSQL tests leave out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.commerce.models import Refund
from lms.tutoring.models import AvailabilitySlot, Booking, BookingStatus, TutorSettings
from lms.tutoring.services import expire_pending_bookings

from .conftest import book, book_ok, hour, paid_booking, pay
from .factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def assert_error_shape(response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    body = response.json()
    assert "type" in body, body
    assert "errors" in body, body


@pytest.fixture
def booking(student_client, slot):
    return book_ok(
        student_client,
        tutor_id=str(slot.tutor_id),
        start=slot.start.isoformat(),
        duration_minutes=60,
    )


# --- object access ---------------------------------------------------------------------------


BOOKING_ACTIONS = [
    ("get", "{}/"),
    ("patch", "{}/"),
    ("post", "{}/confirm/"),
    ("post", "{}/complete/"),
    ("post", "{}/cancel/"),
    ("post", "{}/reschedule/"),
    ("get", "{}/ics/"),
]


@pytest.mark.parametrize(("method", "path"), BOOKING_ACTIONS)
def test_another_users_booking_is_404_on_every_endpoint(
    client_for, other_student, booking, method, path
):
    stranger = client_for(other_student)
    body = {"meeting_url": "https://example.com/x", "start": hour(days=4).isoformat()}

    response = getattr(stranger, method)(
        f"{API}/bookings/" + path.format(booking["id"]), body, format="json"
    )

    assert_error_shape(response, 404)
    assert Booking.objects.get(pk=booking["id"]).status == BookingStatus.PENDING


@pytest.mark.parametrize(("method", "path"), BOOKING_ACTIONS)
def test_another_tutor_on_a_booking_is_404(client_for, booking, method, path):
    other_tutor = client_for(TutorFactory())
    response = getattr(other_tutor, method)(
        f"{API}/bookings/" + path.format(booking["id"]), {}, format="json"
    )
    assert_error_shape(response, 404)


@pytest.mark.parametrize(("method", "path"), BOOKING_ACTIONS)
def test_anonymous_is_401_on_every_booking_endpoint(anon_client, booking, method, path):
    response = getattr(anon_client, method)(
        f"{API}/bookings/" + path.format(booking["id"]), {}, format="json"
    )
    assert_error_shape(response, 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/availability-slots/"),
        ("post", "/availability-slots/"),
        ("delete", f"/availability-slots/{UNKNOWN}/"),
        ("get", "/availability-weekly/"),
        ("post", "/availability-weekly/"),
        ("delete", f"/availability-weekly/{UNKNOWN}/"),
        ("get", "/tutor-settings/"),
        ("patch", "/tutor-settings/"),
        ("get", "/bookings/"),
        ("post", "/bookings/"),
        ("post", "/testimonials/"),
    ],
)
def test_anonymous_is_401_on_tutor_and_student_endpoints(anon_client, method, path):
    assert_error_shape(getattr(anon_client, method)(API + path, {}, format="json"), 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/availability-slots/"),
        ("post", "/availability-slots/"),
        ("delete", f"/availability-slots/{UNKNOWN}/"),
        ("get", "/availability-weekly/"),
        ("post", "/availability-weekly/"),
        ("get", "/tutor-settings/"),
        ("patch", "/tutor-settings/"),
    ],
)
def test_a_student_on_tutor_endpoints_is_403(student_client, method, path):
    assert_error_shape(getattr(student_client, method)(API + path, {}, format="json"), 403)


@pytest.mark.parametrize("path", ["confirm", "complete"])
def test_the_student_acting_as_tutor_is_403(student_client, slot, path):
    booking = paid_booking(student_client, slot)

    response = student_client.post(f"{API}/bookings/{booking['id']}/{path}/")

    assert_error_shape(response, 403)
    assert Booking.objects.get(pk=booking["id"]).status == BookingStatus.PAID


def test_the_student_setting_the_meeting_link_is_403(student_client, booking):
    response = student_client.patch(
        f"{API}/bookings/{booking['id']}/", {"meeting_url": "https://evil.example/"}, format="json"
    )

    assert_error_shape(response, 403)
    assert Booking.objects.get(pk=booking["id"]).meeting_url == booking["meeting_url"]


def test_another_tutors_slot_and_weekly_rule_are_404(client_for, tutor_client, slot):
    rule = tutor_client.post(
        f"{API}/availability-weekly/",
        {"weekday": 2, "start_time": "09:00", "duration_minutes": 60},
        format="json",
    ).json()
    intruder = client_for(TutorFactory())

    assert_error_shape(intruder.delete(f"{API}/availability-slots/{slot.pk}/"), 404)
    assert_error_shape(intruder.delete(f"{API}/availability-weekly/{rule['id']}/"), 404)
    assert AvailabilitySlot.objects.filter(pk=slot.pk).exists()


def test_a_testimonial_of_another_students_completed_booking_is_403(client_for, tutor):
    from .conftest import rate

    rate(tutor, 5)
    completed = Booking.objects.get()
    intruder = client_for(UserFactory())

    response = intruder.post(
        f"{API}/testimonials/",
        {"tutor_id": str(tutor.pk), "booking_id": str(completed.pk), "rating": 1},
        format="json",
    )

    assert_error_shape(response, 403)


# --- mass assignment -------------------------------------------------------------------------


def test_extra_booking_fields_are_never_applied(student_client, student, slot):
    hostile = {
        "tutor_id": str(slot.tutor_id),
        "start": slot.start.isoformat(),
        "duration_minutes": 60,
        "price": "0.01",
        "platform_fee": "0",
        "tutor_earning": "999",
        "hourly_rate": "1",
        "currency": "JPY",
        "status": "confirmed",
        "paid_at": timezone.now().isoformat(),
        "student": str(UserFactory().pk),
        "student_id": str(UserFactory().pk),
        "refund_cutoff_hours": 0,
        "expires_at": (timezone.now() + timedelta(days=300)).isoformat(),
        "order_id": UNKNOWN,
        "sequence": 99,
    }

    body = book_ok(student_client, **hostile)

    row = Booking.objects.get(pk=body["id"])
    assert (row.price, row.platform_fee, row.tutor_earning) == (
        Decimal("40.00"),
        Decimal("6.00"),
        Decimal("34.00"),
    )
    assert (row.currency, row.status, row.student_id) == ("USD", "pending", student.pk)
    assert (row.paid_at, row.order_id, row.sequence, row.refund_cutoff_hours) == (None, None, 0, 24)
    assert row.expires_at <= timezone.now() + timedelta(minutes=15)


def test_extra_fields_in_a_booking_patch_are_never_applied(client_for, tutor, booking):
    response = client_for(tutor).patch(
        f"{API}/bookings/{booking['id']}/",
        {
            "meeting_url": "https://example.com/room",
            "status": "completed",
            "price": "0",
            "tutor_earning": "40.00",
            "start": hour(days=9).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    row = Booking.objects.get(pk=booking["id"])
    assert (row.status, row.price, row.tutor_earning) == (
        "pending",
        Decimal("40.00"),
        Decimal("34.00"),
    )
    assert row.start.isoformat() == booking["start"].replace("Z", "+00:00")


def test_a_slot_cannot_be_made_for_another_tutor(tutor_client, tutor):
    victim = TutorFactory()
    start = hour(days=5)

    response = tutor_client.post(
        f"{API}/availability-slots/",
        {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "tutor": str(victim.pk),
            "tutor_id": str(victim.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert AvailabilitySlot.objects.get(pk=response.json()["id"]).tutor_id == tutor.pk
    assert not AvailabilitySlot.objects.filter(tutor=victim).exists()


def test_tutor_settings_cannot_set_the_rating(tutor_client, tutor):
    response = tutor_client.patch(
        f"{API}/tutor-settings/",
        {"buffer_minutes": 10, "rating_sum": 500, "rating_count": 100, "tutor": UNKNOWN},
        format="json",
    )

    assert response.status_code == 200, response.json()
    row = TutorSettings.objects.get(tutor=tutor)
    assert (row.buffer_minutes, row.rating_sum, row.rating_count) == (10, 0, 0)


def test_a_testimonial_cannot_name_its_student(client_for, tutor):
    student = UserFactory()
    start = timezone.now() - timedelta(days=3)
    completed = Booking.objects.create(
        student=student, tutor=tutor, start=start, end=start + timedelta(hours=1),
        blocked_end=start + timedelta(hours=1), duration_minutes=60, status="completed",
        hourly_rate=Decimal("40"), price=Decimal("40"), platform_fee=Decimal("6"),
        tutor_earning=Decimal("34"), currency="USD", refund_cutoff_hours=24,
        paid_at=start - timedelta(days=1), completed_at=start + timedelta(hours=1),
    )  # fmt: skip
    other = UserFactory()

    response = client_for(student).post(
        f"{API}/testimonials/",
        {
            "tutor_id": str(tutor.pk),
            "booking_id": str(completed.pk),
            "rating": 5,
            "student": str(other.pk),
            "student_id": str(other.pk),
            "comment": "ok",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["student"]["id"] == str(student.pk)


# --- hostile input ---------------------------------------------------------------------------


HOSTILE_IDS = ["abc", "1", "x" * 5000, "%00", "%E2%98%83", "00000000-0000-0000-0000-00000000000g"]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/tutors/{}/"),
        ("get", "/tutors/{}/availability/"),
        ("delete", "/availability-slots/{}/"),
        ("delete", "/availability-weekly/{}/"),
        ("get", "/bookings/{}/"),
        ("patch", "/bookings/{}/"),
        ("post", "/bookings/{}/confirm/"),
        ("post", "/bookings/{}/complete/"),
        ("post", "/bookings/{}/cancel/"),
        ("post", "/bookings/{}/reschedule/"),
        ("get", "/bookings/{}/ics/"),
    ],
)
def test_hostile_path_parameters_are_404(tutor_client, bad, method, template):
    response = getattr(tutor_client, method)(API + template.format(bad), {}, format="json")

    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize("path", ["/tutors/{}/", "/bookings/{}/", "/bookings/{}/cancel/"])
def test_unknown_uuids_are_404(tutor_client, path):
    method = tutor_client.post if path.endswith("cancel/") else tutor_client.get
    assert_error_shape(method(API + path.format(UNKNOWN), {}, format="json"), 404)


FAR_FUTURE = "9999-12-31T23:30:00+00:00"
FAR_PAST = "0001-01-01T00:00:00+01:00"


@pytest.mark.parametrize(
    "change",
    [
        {"start": 1700000000},
        {"start": ["2026-01-01T10:00:00Z"]},
        {"start": {"at": "now"}},
        {"start": ""},
        {"start": "\x00"},
        {"start": "2026-13-45T99:00:00Z"},
        {"start": "x" * 10_001},
        {"start": FAR_FUTURE},
        {"start": FAR_PAST},
        {"start": "2030-01-01T10:00:00"},  # naive
        {"start": "2030-01-01T10:00:00+25:00"},
        {"duration_minutes": "sixty"},
        {"duration_minutes": -60},
        {"duration_minutes": 0},
        {"duration_minutes": 14},
        {"duration_minutes": 481},
        {"duration_minutes": 60_000},
        {"duration_minutes": 10**30},
        {"duration_minutes": 15.5},
        {"duration_minutes": None},
        {"duration_minutes": True},
        {"tutor_id": "not-a-uuid"},
        {"tutor_id": 12},
        {"tutor_id": UNKNOWN},
        {"slot_id": "x" * 10_001},
    ],
)
def test_hostile_booking_bodies_are_4xx(student_client, slot, change):
    body = {
        "tutor_id": str(slot.tutor_id),
        "start": slot.start.isoformat(),
        "duration_minutes": 60,
        **change,
    }
    if "slot_id" in change:
        body = change

    response = book(student_client, **body)

    assert_error_shape(response, (400, 404, 409))
    assert not Booking.objects.exists()


def test_a_body_that_is_not_an_object_is_400(student_client):
    for payload in ([], "text", 5, None):
        response = student_client.post(f"{API}/bookings/", payload, format="json")
        assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"start": FAR_FUTURE, "end": "9999-12-31T23:59:00+00:00"},
        {"start": FAR_PAST, "end": "0001-01-01T02:00:00+01:00"},
        {"start": "2030-01-01T10:00:00", "end": "2030-01-01T11:00:00"},
        {"start": "2030-01-01T11:00:00Z", "end": "2030-01-01T10:00:00Z"},
        {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T10:00:00Z"},
        {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T10:14:59Z"},
        {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T18:00:01Z"},
        {"start": "2030-01-01T10:00:00Z", "end": 5},
        {"start": None, "end": None},
        {"start": "2000-01-01T10:00:00Z", "end": "2000-01-01T11:00:00Z"},
    ],
)
def test_hostile_slot_bodies_are_4xx(tutor_client, body):
    response = tutor_client.post(f"{API}/availability-slots/", body, format="json")

    assert_error_shape(response, 400)
    assert not AvailabilitySlot.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"timezone": "\x00"},
        {"weekday": 7},
        {"weekday": -1},
        {"weekday": "monday"},
        {"start_time": "25:00"},
        {"start_time": "10:00:00+99:00"},
        {"duration_minutes": 0},
        {"duration_minutes": 481},
        {"starts_on": "0000-01-01"},
        {"starts_on": "2030-02-30"},
        {"ends_on": "2000-01-01"},
    ],
)
def test_hostile_weekly_bodies_are_400(tutor_client, change):
    body = {"weekday": 0, "start_time": "18:00", "duration_minutes": 60, **change}

    response = tutor_client.post(f"{API}/availability-weekly/", body, format="json")

    assert_error_shape(response, 400)


def test_a_weekly_rule_far_in_the_future_is_not_a_500(tutor_client):
    body = {"weekday": 4, "start_time": "18:00", "duration_minutes": 60}
    for starts_on, ends_on in (("9999-12-25", None), ("9999-12-01", "9999-12-31")):
        response = tutor_client.post(
            f"{API}/availability-weekly/",
            {**body, "starts_on": starts_on, "ends_on": ends_on},
            format="json",
        )
        assert response.status_code in (201, 400), response.content[:300]


@pytest.mark.parametrize(
    "query",
    [
        "?from=9999-12-31T23:00:00Z",
        "?from=9999-12-25T00:00:00Z&to=9999-12-31T23:59:59Z",
        "?from=0001-01-01T00:00:00%2B01:00",
        "?to=0001-01-02T00:00:00Z",
        "?from=not-a-date",
        "?from=2030-01-01T10:00:00",
        "?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z",
        "?tz=Mars/Olympus_Mons",
        "?tz=%00",
        "?from=%00",
    ],
)
@pytest.mark.parametrize("path", ["/tutors/{}/", "/tutors/{}/availability/"])
def test_hostile_windows_are_400(anon_client, tutor, query, path):
    response = anon_client.get(API + path.format(tutor.pk) + query)

    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "query",
    [
        "?available_on=9999-12-31",
        "?available_on=0001-01-01",
        "?available_on=0001-01-01&tz=Pacific/Kiritimati",
        "?available_on=9999-12-31&tz=Pacific/Pago_Pago",
        "?available_on=yesterday",
        "?price_max=-1",
        "?price_max=NaN",
        "?price_max=Infinity",
        "?price_max=1e999",
        "?rating_min=6",
        "?rating_min=abc",
        "?tz=Not/AZone",
        "?skill=%00",
        "?skill=" + "s" * 10_001,
    ],
)
def test_hostile_tutor_searches_are_4xx_or_empty(anon_client, tutor, query):
    response = anon_client.get(f"{API}/tutors/" + query)

    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "start",
    [FAR_FUTURE, FAR_PAST, "2030-01-01T10:00:00", "", 5, None, "9999-12-31T23:59:59.999999+00:00"],
)
def test_hostile_reschedules_are_4xx(student_client, booking, start):
    response = student_client.post(
        f"{API}/bookings/{booking['id']}/reschedule/", {"start": start}, format="json"
    )

    assert_error_shape(response, (400, 409))
    assert Booking.objects.get(pk=booking["id"]).sequence == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("cancel/", {"reason": "r" * 10_001}),
        ("cancel/", {"reason": ["list"]}),
        ("cancel/", {"reason": "\x00"}),
    ],
)
def test_hostile_cancel_bodies_are_400(student_client, booking, path, body):
    response = student_client.post(f"{API}/bookings/{booking['id']}/{path}", body, format="json")

    assert_error_shape(response, 400)
    assert Booking.objects.get(pk=booking["id"]).status == BookingStatus.PENDING


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,<b>x</b>", "https://" + "a" * 10_001 + ".com", 7, None],
)
def test_hostile_meeting_links_are_400(tutor_client, booking, url):
    response = tutor_client.patch(
        f"{API}/bookings/{booking['id']}/", {"meeting_url": url}, format="json"
    )

    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "change",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": 4.5},
        {"rating": "five"},
        {"rating": 10**30},
        {"comment": "c" * 10_001},
        {"booking_id": "x"},
        {"tutor_id": None},
    ],
)
def test_hostile_testimonials_are_400(student_client, tutor, change):
    body = {"tutor_id": str(tutor.pk), "booking_id": UNKNOWN, "rating": 5, **change}

    response = student_client.post(f"{API}/testimonials/", body, format="json")

    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"buffer_minutes": -1},
        {"buffer_minutes": 241},
        {"buffer_minutes": 10**30},
        {"min_notice_minutes": -5},
        {"min_notice_minutes": "soon"},
    ],
)
def test_hostile_settings_are_400(tutor_client, body):
    assert_error_shape(tutor_client.patch(f"{API}/tutor-settings/", body, format="json"), 400)


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "rate", "minutes", "price", "fee", "earning"),
    [
        # 1000 JPY/h x 50 min = 833.33.. -> 833; fee 15 % of 833 = 124.95 -> 125; earning 708
        ("JPY", "1000", 50, "833", "125", "708"),
        ("JPY", "999", 15, "250", "38", "212"),
        # 12.345 KWD/h x 50 min = 10.2875 -> 10.288; fee 1.5432 -> 1.543; earning 8.745
        ("KWD", "12.345", 50, "10.288", "1.543", "8.745"),
        ("KWD", "0.001", 15, "0.000", "0.000", "0.000"),
        ("USD", "0.01", 15, "0.00", "0.00", "0.00"),
    ],
)
def test_prices_are_exact_in_zero_and_three_decimal_currencies(
    client_for, currency, rate, minutes, price, fee, earning
):
    tutor = TutorFactory(
        instructor_profile__hourly_rate=Decimal(rate), instructor_profile__currency=currency
    )
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))
    student = client_for(UserFactory())

    response = book(
        student, tutor_id=str(tutor.pk), start=start.isoformat(), duration_minutes=minutes
    )

    if Decimal(price) == 0:
        # A lesson that costs nothing cannot go through checkout: refused, never booked free.
        assert_error_shape(response, 400)
        return
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["price"], body["platform_fee"], body["tutor_earning"]) == (price, fee, earning)
    assert Decimal(body["platform_fee"]) + Decimal(body["tutor_earning"]) == Decimal(body["price"])


def test_the_refund_of_a_jpy_lesson_is_exactly_what_was_paid(client_for):
    tutor = TutorFactory(
        instructor_profile__hourly_rate=Decimal("1000"), instructor_profile__currency="JPY"
    )
    start = hour(days=5)
    slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))
    student = client_for(UserFactory())
    booking = paid_booking(student, slot, minutes=50)

    response = student.post(f"{API}/bookings/{booking['id']}/cancel/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "refunded"
    refunds = Refund.objects.all()
    assert sum(r.amount for r in refunds) == Decimal("833")


def test_cancelling_twice_after_a_refund_is_409_and_refunds_once(student_client, slot):
    booking = paid_booking(student_client, slot)
    url = f"{API}/bookings/{booking['id']}/cancel/"

    assert student_client.post(url, {}, format="json").status_code == 200
    second = student_client.post(url, {}, format="json")

    assert_error_shape(second, 409)
    assert Refund.objects.count() == 1


def test_the_tutor_cancelling_after_the_student_did_is_409(student_client, client_for, slot):
    booking = paid_booking(student_client, slot)
    assert student_client.post(f"{API}/bookings/{booking['id']}/cancel/").status_code == 200

    response = client_for(slot.tutor).post(f"{API}/bookings/{booking['id']}/cancel/")

    assert_error_shape(response, 409)
    assert Refund.objects.count() == 1


def test_cancelling_or_rescheduling_a_completed_lesson_is_409(student_client, client_for, slot):
    booking = paid_booking(student_client, slot)
    Booking.objects.filter(pk=booking["id"]).update(
        start=timezone.now() - timedelta(hours=2),
        end=timezone.now() - timedelta(hours=1),
        blocked_end=timezone.now() - timedelta(hours=1),
    )
    tutor = client_for(slot.tutor)
    assert tutor.post(f"{API}/bookings/{booking['id']}/complete/").status_code == 200

    for client in (student_client, tutor):
        assert_error_shape(client.post(f"{API}/bookings/{booking['id']}/cancel/"), 409)
        assert_error_shape(client.post(f"{API}/bookings/{booking['id']}/complete/"), (403, 409))
    assert_error_shape(
        tutor.post(
            f"{API}/bookings/{booking['id']}/reschedule/",
            {"start": hour(days=6).isoformat()},
            format="json",
        ),
        (403, 409),
    )
    assert Refund.objects.count() == 0
    assert Booking.objects.get(pk=booking["id"]).status == "completed"


def test_paying_a_cancelled_booking_is_refused(student_client, booking):
    assert student_client.post(f"{API}/bookings/{booking['id']}/cancel/").status_code == 200

    response = student_client.post(
        f"{API}/payments/checkout/", {"booking_id": booking["id"]}, format="json"
    )

    assert_error_shape(response, (400, 409))


def test_paying_another_students_booking_is_404(client_for, booking):
    response = client_for(UserFactory()).post(
        f"{API}/payments/checkout/", {"booking_id": booking["id"]}, format="json"
    )

    assert_error_shape(response, 404)


def test_confirm_twice_and_complete_before_payment_are_409(student_client, client_for, slot):
    tutor = client_for(slot.tutor)
    pending = book_ok(
        student_client,
        tutor_id=str(slot.tutor_id),
        start=slot.start.isoformat(),
        duration_minutes=60,
    )
    assert_error_shape(tutor.post(f"{API}/bookings/{pending['id']}/complete/"), 409)

    pay(student_client, pending["id"])
    assert tutor.post(f"{API}/bookings/{pending['id']}/confirm/").status_code == 200
    assert_error_shape(tutor.post(f"{API}/bookings/{pending['id']}/confirm/"), 409)


# --- races beyond test_postgres.py -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_deleting_a_slot_while_it_is_booked_leaves_no_orphan_booking():
    for _ in range(3):
        delete_and_book_at_once()


def delete_and_book_at_once() -> None:
    from lms.payouts.tests.test_postgres import run_at_once
    from lms.tutoring import services

    tutor = TutorFactory()
    start = hour(days=4)
    slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    student = UserFactory()
    work = [
        lambda: services.delete_slot(tutor=tutor, slot_id=slot.pk),
        lambda: services.create_booking(student=student, slot_id=slot.pk),
    ]

    outcomes = run_at_once(2, lambda index: work[index]())

    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("ok") == 1, outcomes
    slot_left = AvailabilitySlot.objects.filter(pk=slot.pk).exists()
    booked = Booking.objects.filter(tutor=tutor, status="pending").exists()
    assert slot_left == booked


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_student_and_the_tutor_rescheduling_at_once_make_one_move():
    from lms.payouts.tests.test_postgres import run_at_once
    from lms.tutoring import services

    tutor = TutorFactory()
    start = hour(days=4)
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=8))
    student = UserFactory()
    booking = services.create_booking(
        student=student, tutor_id=tutor.pk, start=start, duration_minutes=60
    )
    targets = [(student, start + timedelta(hours=2)), (tutor, start + timedelta(hours=4))]

    outcomes = run_at_once(
        2,
        lambda index: services.reschedule_booking(
            by=targets[index][0], booking=booking, start=targets[index][1]
        ),
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    row = Booking.objects.get(pk=booking.pk)
    assert row.sequence == 2
    assert row.start in {target for _, target in targets}
    assert Booking.objects.filter(tutor=tutor, status="pending").count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_completing_and_cancelling_at_once_end_in_one_state():
    from lms.payouts.tests.test_postgres import run_at_once
    from lms.tutoring import services

    tutor = TutorFactory()
    student = UserFactory()
    start = timezone.now() - timedelta(hours=2)
    booking = Booking.objects.create(
        student=student, tutor=tutor, start=start, end=start + timedelta(hours=1),
        blocked_end=start + timedelta(hours=1), duration_minutes=60, status="confirmed",
        hourly_rate=Decimal("40"), price=Decimal("40"), platform_fee=Decimal("6"),
        tutor_earning=Decimal("34"), currency="USD", refund_cutoff_hours=24,
        paid_at=start - timedelta(days=1), confirmed_at=start - timedelta(hours=20),
    )  # fmt: skip
    work = [
        lambda: services.complete_booking(by=tutor, booking_id=booking.pk),
        lambda: services.cancel_booking(by=student, booking=booking),
    ]

    outcomes = run_at_once(2, lambda index: work[index]())

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    row = Booking.objects.get(pk=booking.pk)
    assert row.status in ("completed", "cancelled")
    assert (row.completed_at is None) == (row.status == "cancelled")


# --- expiry and extremes ---------------------------------------------------------------------


def expire_unswept(booking) -> None:
    """The 15 unpaid minutes are over and the beat task has not run yet."""
    Booking.objects.filter(pk=booking["id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def test_rescheduling_a_booking_that_expired_meanwhile_is_refused(student_client, slot):
    booking = book_ok(
        student_client,
        tutor_id=str(slot.tutor_id),
        start=slot.start.isoformat(),
        duration_minutes=60,
    )
    expire_unswept(booking)

    response = student_client.post(
        f"{API}/bookings/{booking['id']}/reschedule/",
        {"start": (slot.start + timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert_error_shape(response, 409)
    row = Booking.objects.get(pk=booking["id"])
    assert (row.start, row.sequence) == (slot.start, 0)
    assert row.status == "pending"  # as it was: the beat task expires it
    expire_pending_bookings()
    assert Booking.objects.get(pk=booking["id"]).status == "cancelled"


def test_setting_the_link_of_a_booking_that_expired_meanwhile_is_409(client_for, booking):
    tutor = client_for(Booking.objects.get(pk=booking["id"]).tutor)
    expire_unswept(booking)

    response = tutor.patch(
        f"{API}/bookings/{booking['id']}/", {"meeting_url": "https://x.example/"}, format="json"
    )

    assert_error_shape(response, 409)


def test_a_lesson_at_the_highest_rate_is_refused_or_payable_never_500(client_for):
    tutor = TutorFactory(instructor_profile__hourly_rate=Decimal("999999999.99"))
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=8))
    student = client_for(UserFactory())

    response = book(student, tutor_id=str(tutor.pk), start=start.isoformat(), duration_minutes=480)

    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 201:
        checkout = student.post(
            f"{API}/payments/checkout/", {"booking_id": response.json()["id"]}, format="json"
        )
        assert checkout.status_code in (200, 400), checkout.content[:300]


def test_two_checkouts_of_one_booking_both_paid_never_keep_the_money_twice(
    student_client, booking, django_capture_on_commit_callbacks
):
    from lms.commerce.models import Order

    def checkout():
        response = student_client.post(
            f"{API}/payments/checkout/", {"booking_id": booking["id"]}, format="json"
        )
        return response

    first, second = checkout(), checkout()
    assert first.status_code == 200, first.json()
    paid = []
    with django_capture_on_commit_callbacks(execute=True):
        for started in (first, second):
            if started.status_code != 200:
                assert_error_shape(started, (400, 409))
                continue
            done = student_client.post(
                f"{API}/payments/{started.json()['payment_id']}/simulate/",
                {"outcome": "succeeded"},
            )
            paid.append(done.status_code)

    row = Booking.objects.get(pk=booking["id"])
    assert row.status == "paid"
    orders = Order.objects.filter(status="paid").count()
    refunded = sum(r.amount for r in Refund.objects.all())
    # Every payment beyond the one that paid the booking went back in full.
    assert refunded == row.price * (orders - 1), (paid, orders, refunded)


def test_an_admin_cancelling_refunds_in_full(student_client, admin_client_api, slot):
    booking = paid_booking(student_client, slot)

    response = admin_client_api.post(f"{API}/bookings/{booking['id']}/cancel/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "refunded"
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("40.00")


@pytest.mark.parametrize("who", ["student", "instructor_without_rate"])
def test_a_person_who_takes_no_bookings_has_no_tutor_page(anon_client, who):
    from lms.accounts.tests.factories import InstructorFactory

    person = UserFactory() if who == "student" else InstructorFactory()

    for path in (f"/tutors/{person.pk}/", f"/tutors/{person.pk}/availability/"):
        assert_error_shape(anon_client.get(API + path), 404)
