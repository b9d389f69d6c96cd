"""Catalog data: categories, tags, courses with their curriculum, and the media library.

Workflows (the review state machine, counters, search vectors) live in `workflow.py` and
`services.py`; this module only states the data and the invariants the database enforces.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lms.accounts.models import private_storage
from lms.core.models import BaseModel, CurrencyField, MoneyAmountField
from lms.core.money import DEFAULT_CURRENCY, MAX_AMOUNT
from lms.core.uploads import UploadPath

# A price below this in any currency (the money columns hold more; one cap for every input).
MAX_PRICE = MAX_AMOUNT - Decimal("0.001")


class Category(BaseModel):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    icon = models.CharField(max_length=50, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(BaseModel):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"
    ALL = "all", "All levels"


class CourseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PUBLISHED = "published", "Published"
    UNPUBLISHED = "unpublished", "Unpublished"


class MediaKind(models.TextChoices):
    VIDEO = "video", "Video"
    PDF = "pdf", "PDF"
    SLIDES = "slides", "Slides"
    IMAGE = "image", "Image"
    ARCHIVE = "archive", "Archive"


class MediaAsset(BaseModel):
    """An instructor's uploaded file; private storage, served only through signed URLs."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_assets"
    )
    file = models.FileField(storage=private_storage, upload_to=UploadPath("catalog/media"))
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=MediaKind.choices, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the content, hex.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title or self.file.name or str(self.pk)


class Course(BaseModel):
    slug = models.SlugField(max_length=220, unique=True)
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=50_000)
    outcomes = models.JSONField(default=list, blank=True)
    requirements = models.JSONField(default=list, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.ALL)
    language = models.CharField(max_length=10, default="en", db_index=True)
    price = MoneyAmountField(
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
    )
    currency = CurrencyField(default=DEFAULT_CURRENCY)
    is_free = models.BooleanField(default=False)
    thumbnail = models.ImageField(upload_to=UploadPath("catalog/thumbnails"), blank=True)
    preview_video = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by"
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_owned"
    )
    co_instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="courses_co_taught"
    )
    status = models.CharField(
        max_length=12, choices=CourseStatus.choices, default=CourseStatus.DRAFT, db_index=True
    )
    rejection_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Denormalised figures, kept by the services that change their sources.
    rating = models.FloatField(default=0)
    review_count = models.PositiveIntegerField(default=0)
    enrollment_count = models.PositiveIntegerField(default=0)
    lesson_count = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(default=0)
    # Weighted full-text document (PostgreSQL only; GIN index added by migration 0002).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [
            # One per list ordering (filters.ORDERINGS), `id` last as the tie-breaker.
            models.Index(
                fields=["status", "-published_at", "-id"], name="course_status_published_idx"
            ),
            models.Index(fields=["status", "-rating", "-id"], name="course_status_rating_idx"),
            models.Index(
                fields=["status", "-enrollment_count", "-id"], name="course_status_popular_idx"
            ),
            models.Index(fields=["status", "price", "id"], name="course_status_price_idx"),
            models.Index(fields=["category", "status"], name="course_category_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0) & models.Q(price__lte=MAX_PRICE),
                name="course_price_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=0) & models.Q(rating__lte=5),
                name="course_rating_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Section(BaseModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [models.Index(fields=["course", "order"])]

    def __str__(self) -> str:
        return self.title


class LessonType(models.TextChoices):
    VIDEO = "video", "Video"
    TEXT = "text", "Text"
    PDF = "pdf", "PDF"
    SLIDES = "slides", "Slides"
    QUIZ = "quiz", "Quiz"
    ASSIGNMENT = "assignment", "Assignment"
    RESOURCE = "resource", "Resource"


class Lesson(BaseModel):
    # `course` repeats section.course so curriculum, counters and access need no join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=LessonType.choices, default=LessonType.TEXT)
    content = models.TextField(blank=True, max_length=200_000)
    video_id = models.CharField(max_length=100, blank=True)
    media = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    duration_seconds = models.PositiveIntegerField(default=0)
    is_preview = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [
            models.Index(fields=["section", "order"]),
            models.Index(fields=["course", "order"]),
        ]

    def __str__(self) -> str:
        return self.title
