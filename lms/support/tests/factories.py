from __future__ import annotations

import factory
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.support.models import Ticket, TicketMessage, TicketPriority, TicketStatus


class TicketFactory(factory.django.DjangoModelFactory[Ticket]):
    """A row only: use services.open_ticket for the audited flow."""

    class Meta:
        model = Ticket

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Problem number {n}")
    body = factory.Faker("paragraph")
    priority = TicketPriority.MEDIUM
    status = TicketStatus.OPEN
    last_activity_at = factory.LazyFunction(timezone.now)


class TicketMessageFactory(factory.django.DjangoModelFactory[TicketMessage]):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda message: message.ticket.owner)
    body = factory.Faker("sentence")
