"""Tutor cards and the booking creation's answer are rendered by `lms.core.rendering`: the
same bytes as DRF's serializers for cards with and without ratings, avatars and skills, and
bookings in every state, with and without an order, a meeting link or a cancellation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from lms.core.renderers import JSONRenderer
from lms.core.rendering import compiled_plan, render
from lms.tutoring import selectors
from lms.tutoring.api import serializers as s
from lms.tutoring.models import Booking

from .conftest import book_ok, hour, paid_booking, rate
from .factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db


def _same(serializer, items, *, context=None, many=False):
    assert compiled_plan(serializer) is not None, "a field lost its fast path"
    drf = JSONRenderer().render(serializer(items, many=many, context=context or {}).data)
    fast = JSONRenderer().render(render(serializer, items, context=context, many=many))
    assert fast == drf


def test_tutor_cards_render_as_drf(rf):
    rated = TutorFactory(
        instructor_profile__hourly_rate=Decimal("12.345"),
        instructor_profile__skills=["Python", "Ünïcode"],
        instructor_profile__languages=[],
        avatar="avatars/a.png",
    )
    rate(rated, 4, 4, 5)
    TutorFactory(instructor_profile__currency="JPY", instructor_profile__hourly_rate=5000)
    cards = [selectors.tutor_card(profile) for profile in selectors.search_tutors()]
    assert len(cards) == 2
    _same(s.TutorCardSerializer, cards, context={"request": rf.get("/")}, many=True)


def test_bookings_render_as_drf(student_client, client_for, slot, tutor):
    paid_booking(student_client, slot)
    start = slot.start + timedelta(hours=2)
    pending = book_ok(
        student_client, tutor_id=str(tutor.pk), start=start.isoformat(), duration_minutes=45
    )
    cancelled = book_ok(
        student_client,
        tutor_id=str(tutor.pk),
        start=(start - timedelta(hours=1)).isoformat(),
        duration_minutes=30,
    )
    student_client.post(f"/api/v1/bookings/{cancelled['id']}/cancel/", {"reason": "x"})
    other = SlotFactory(tutor=TutorFactory(), start=hour(days=4), end=hour(days=4, at=12))
    book_ok(student_client, slot_id=str(other.pk))
    client_for(tutor).patch(
        f"/api/v1/bookings/{pending['id']}/", {"meeting_url": "https://example.com/r?x=1"}
    )
    bookings = list(Booking.objects.select_related("student", "tutor"))
    assert {b.status for b in bookings} >= {"paid", "pending", "cancelled"}
    for booking in bookings:
        _same(s.BookingSerializer, booking)
