from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory
from lms.tutoring.models import AvailabilitySlot


class TutorFactory(InstructorFactory):
    """An instructor who takes bookings: 40.00 USD an hour, Europe/Berlin."""

    instructor_profile = factory.RelatedFactory(
        "lms.accounts.tests.factories.InstructorProfileFactory",
        factory_related_name="user",
        hourly_rate=Decimal("40.00"),
        currency="USD",
        timezone="Europe/Berlin",
        skills=["python", "Algebra"],
        languages=["en", "de"],
    )


class SlotFactory(factory.django.DjangoModelFactory[AvailabilitySlot]):
    class Meta:
        model = AvailabilitySlot

    tutor = factory.SubFactory(TutorFactory)
    start = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    )
    end = factory.LazyAttribute(lambda slot: slot.start + timedelta(hours=2))
