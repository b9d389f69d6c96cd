"""Messaging's test data: two people who may talk (a shared enrollment), and their rows."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.learning.tests.factories import EnrollmentFactory
from lms.messaging.models import Conversation, Message


def enrolled_pair(student: Any = None, instructor: Any = None) -> tuple[Any, Any]:
    """A student enrolled in one of the instructor's courses (made when not given)."""
    student = student or UserFactory()
    instructor = instructor or InstructorFactory()
    EnrollmentFactory(student=student, course=PublishedCourseFactory(instructor=instructor))
    return student, instructor


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    """A row only (no eligibility check): use services.start_conversation for the real flow."""

    class Meta:
        model = Conversation

    student = factory.SubFactory(UserFactory)
    instructor = factory.SubFactory(InstructorFactory)
    last_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.LazyAttribute(lambda message: message.conversation.student)
    body = factory.Faker("sentence")
