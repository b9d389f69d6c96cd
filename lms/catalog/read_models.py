"""What the catalog's public reads return: typed, immutable read models.

Selectors build them from `.values()` rows in a fixed number of queries; one output
serializer per shape (`api/serializers.py`, the ones drf-spectacular documents) renders
them. They hold domain values, not response text: money is an amount and a currency
(`AmountField` renders it), files are stored names (the serializer makes absolute URLs
from the request), a person's name is already the one display name
(`lms.accounts.names`). Fields that depend on the caller (`is_enrolled`, `locked`,
`is_completed`, `rejection_reason`) are filled for that caller; the response cache
(`catalog.cache`) keeps only anonymous answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CategoryRef:
    id: uuid.UUID
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class TagRef:
    id: uuid.UUID
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class Person:
    """An instructor as courses show them."""

    id: uuid.UUID
    name: str
    avatar: str | None  # the stored file's name
    headline: str


@dataclass(frozen=True, slots=True)
class PrerequisiteRef:
    id: uuid.UUID
    title: str
    slug: str
    status: str


@dataclass(frozen=True, slots=True)
class CourseItem:
    """One course of a list (`CourseListItemSerializer`)."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str
    category: CategoryRef | None
    tags: tuple[TagRef, ...]
    level: str
    language: str
    price: Decimal
    currency: str
    is_free: bool
    thumbnail: str | None  # the stored file's name
    instructor: Person
    rating: float
    review_count: int
    enrollment_count: int
    lesson_count: int
    duration_seconds: int
    status: str
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LessonOutline:
    """A lesson in a curriculum, as one caller sees it."""

    id: uuid.UUID
    title: str
    type: str
    duration_seconds: int
    is_preview: bool
    order: int
    is_completed: bool
    locked: bool  # its content is not the caller's to open


@dataclass(frozen=True, slots=True)
class CurriculumSection:
    id: uuid.UUID
    title: str
    order: int
    lessons: tuple[LessonOutline, ...]


@dataclass(frozen=True, slots=True)
class CourseDetail(CourseItem):
    """A course with its curriculum, as one caller sees it (`CourseDetailSerializer`)."""

    description: str
    outcomes: list[str]
    requirements: list[str]
    preview_video_id: uuid.UUID | None  # signed into an expiring URL when rendered
    co_instructors: tuple[Person, ...]
    prerequisites: tuple[PrerequisiteRef, ...]
    is_enrolled: bool
    rejection_reason: str | None  # None: not the caller's to see (the field is left out)
    curriculum: tuple[CurriculumSection, ...]
