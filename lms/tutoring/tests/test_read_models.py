"""Tutoring's read models (lms/tutoring/read_models.py) render through their one serializer
each, every field accounted for, as the document describes them (lms.core.tests.read_models;
commerce's and payouts' tests are the model). The two answers rendered by the compiled plan
(`lms.core.rendering.render`: the tutor search's cards, the new booking) are DRF's rendering
byte for byte."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.core.tests.read_models import (
    assert_documented_as_rendered,
    assert_fast_rendering_is_the_serializers,
    assert_renders_exactly,
)
from lms.tutoring import read_models as rm
from lms.tutoring import selectors
from lms.tutoring.api import serializers as s
from lms.tutoring.models import Booking

from .conftest import book_ok, hour, rate

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")

PAIRS = [
    (rm.TutorCard, s.TutorCardSerializer),
    (rm.FreeWindow, s.FreeWindowSerializer),
    (rm.TutorDetail, s.TutorDetailSerializer),
]


@pytest.mark.parametrize(("model", "serializer"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_every_field_of_the_read_model_is_rendered(model, serializer):
    assert_renders_exactly(model, serializer)


def test_the_tutor_search_answers_its_cards_as_the_serializer_renders_them(
    document, anon_client, tutor, slot
):
    # given: a rated tutor (a Decimal mean rating, a testimonial count)
    rate(tutor, 5, 4)

    # when
    answered = anon_client.get("/api/v1/tutors/").json()["results"]

    # then: the compiled plan's bytes are DRF's, and the answer is the documented card
    cards = [selectors.tutor_card(profile) for profile in selectors.search_tutors(viewer_tz=UTC)]
    assert len(cards) == len(answered) == 1
    assert_fast_rendering_is_the_serializers(s.TutorCardSerializer, cards[0])
    assert answered == [dict(s.TutorCardSerializer(card).data) for card in cards]
    assert_documented_as_rendered(document, s.TutorCardSerializer, answered[0])
    assert answered[0]["rating"] == 4.5


def test_a_tutors_detail_is_the_documented_shape(document, anon_client, tutor, slot):
    # when
    window = {"from": (slot.start - timedelta(hours=1)).isoformat(), "tz": "Europe/Paris"}
    answered = anon_client.get(f"/api/v1/tutors/{tutor.pk}/", window).json()

    # then: the detail, its card and each free window as documented
    assert_documented_as_rendered(document, s.TutorDetailSerializer, answered)
    assert_documented_as_rendered(document, s.TutorCardSerializer, answered["tutor"])
    assert answered["free_slots"], answered
    for free in answered["free_slots"]:
        assert_documented_as_rendered(document, s.FreeWindowSerializer, free)


def test_a_new_booking_is_rendered_as_the_serializer_renders_it(
    document, student_client, tutor, slot
):
    # when
    made = book_ok(
        student_client, tutor_id=str(tutor.pk), start=hour().isoformat(), duration_minutes=90
    )

    # then: the creation's fast rendering is DRF's, as documented and as the detail shows it
    booking = Booking.objects.select_related("student", "tutor").get(pk=made["id"])
    assert_fast_rendering_is_the_serializers(s.BookingSerializer, booking)
    assert_documented_as_rendered(document, s.BookingSerializer, made, all_required=False)
    assert made == student_client.get(f"/api/v1/bookings/{made['id']}/").json()
