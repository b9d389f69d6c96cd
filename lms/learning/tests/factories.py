import factory
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.learning.models import (
    ActivityEvent,
    ActivityKind,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    LessonProgress,
)


class EnrollmentFactory(factory.django.DjangoModelFactory[Enrollment]):
    """A row only: counters are not moved (use services.enroll for the real flow)."""

    class Meta:
        model = Enrollment

    student = factory.SubFactory(UserFactory)
    course = factory.SubFactory(PublishedCourseFactory)
    status = EnrollmentStatus.ACTIVE
    source = EnrollmentSource.FREE
    enrolled_at = factory.LazyFunction(timezone.now)


class LessonProgressFactory(factory.django.DjangoModelFactory[LessonProgress]):
    class Meta:
        model = LessonProgress

    enrollment = factory.SubFactory(EnrollmentFactory)
    lesson = None
    completed_at = factory.LazyFunction(timezone.now)


class ActivityEventFactory(factory.django.DjangoModelFactory[ActivityEvent]):
    class Meta:
        model = ActivityEvent

    user = factory.SubFactory(UserFactory)
    kind = ActivityKind.LESSON_COMPLETED
    seconds = 600
    occurred_at = factory.LazyFunction(timezone.now)
