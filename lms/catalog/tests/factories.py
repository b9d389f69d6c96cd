from decimal import Decimal

import factory
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.models import (
    Category,
    Course,
    CourseStatus,
    Lesson,
    LessonType,
    Level,
    MediaAsset,
    MediaKind,
    Section,
    Tag,
)


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    icon = "book"


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    """A draft course; `PublishedCourseFactory` for the public catalog."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course number {n}")
    slug = factory.Sequence(lambda n: f"course-number-{n}")
    subtitle = "Learn it well"
    description = factory.Faker("paragraph")
    category = factory.SubFactory(CategoryFactory)
    level = Level.BEGINNER
    language = "en"
    price = Decimal("49.99")
    currency = "USD"
    instructor = factory.SubFactory(InstructorFactory)
    status = CourseStatus.DRAFT

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.set(extracted)


class PublishedCourseFactory(CourseFactory):
    status = CourseStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class SectionFactory(factory.django.DjangoModelFactory[Section]):
    class Meta:
        model = Section

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    order = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    section = factory.SubFactory(SectionFactory)
    course = factory.SelfAttribute("section.course")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    type = LessonType.TEXT
    content = "The secret content of this lesson."
    duration_seconds = 300
    order = factory.Sequence(lambda n: n)


class MediaAssetFactory(factory.django.DjangoModelFactory[MediaAsset]):
    class Meta:
        model = MediaAsset

    owner = factory.SubFactory(InstructorFactory)
    file = factory.django.FileField(
        filename="clip.mp4", data=b"\x00\x00\x00\x18ftypmp42video-bytes"
    )
    title = "Clip"
    kind = MediaKind.VIDEO
    size = 24
    content_type = "video/mp4"
    checksum = "0" * 64
