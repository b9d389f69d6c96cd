"""Input validation, and the output shapes.

One output serializer per shape, the one drf-spectacular documents. The public reads
(list, search, related, detail, curriculum) render the selectors' read models
(`catalog.read_models`) with them: money through `AmountField`, files as absolute URLs
for the request (`lms.core.absolute_urls`), media as signed, expiring links.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.accounts.models import Role, User
from lms.core.serializers import (
    AmountField,
    AmountInputField,
    CurrencyInputField,
    FileUrlField,
)
from lms.core.uploads import IMAGE_TYPES, MB, ValidatedFileField

from ..models import Category, Course, Lesson, LessonType, Level, MediaAsset, Section
from ..read_models import CourseDetail
from ..video import PlaybackCredential, sign_media, sign_media_id

# --- input --------------------------------------------------------------------------------------


class LowercaseChoiceField(serializers.ChoiceField):
    """Accepts `Beginner` for `beginner`: levels match case-insensitively, like the filters."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class CourseInputSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220, required=False)
    subtitle = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    outcomes = serializers.ListField(
        child=serializers.CharField(max_length=300), max_length=50, required=False
    )
    requirements = serializers.ListField(
        child=serializers.CharField(max_length=300), max_length=50, required=False
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, required=False
    )
    level = LowercaseChoiceField(choices=Level.choices, required=False)
    language = serializers.RegexField(
        r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=10, required=False
    )
    price = AmountInputField(required=False)
    currency = CurrencyInputField(required=False)
    is_free = serializers.BooleanField(required=False)
    preview_video = serializers.PrimaryKeyRelatedField(
        queryset=MediaAsset.objects.all(), required=False, allow_null=True
    )
    prerequisites = serializers.PrimaryKeyRelatedField(
        queryset=Course.objects.all(), many=True, required=False
    )
    co_instructors = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=[Role.INSTRUCTOR, Role.ADMIN], is_active=True),
        many=True,
        required=False,
    )


class CourseUpdateInputSerializer(CourseInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    slug = None  # type: ignore[assignment]  # stable: set once, at creation


class ThumbnailInputSerializer(serializers.Serializer[dict[str, Any]]):
    thumbnail = ValidatedFileField(allowed=IMAGE_TYPES, max_bytes=5 * MB)


class CourseRejectInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=5000)


class SectionInputSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    order = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class SectionUpdateInputSerializer(SectionInputSerializer):
    title = serializers.CharField(max_length=200, required=False)


class ReorderInputSerializer(serializers.Serializer[dict[str, Any]]):
    ids = serializers.ListField(child=serializers.UUIDField(), max_length=1000, allow_empty=True)


class LessonInputSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=LessonType.choices)
    content = serializers.CharField(max_length=200_000, required=False, allow_blank=True)
    video_id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,100}$", required=False, allow_blank=True)
    media = serializers.PrimaryKeyRelatedField(
        queryset=MediaAsset.objects.all(), required=False, allow_null=True
    )
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400, required=False)
    is_preview = serializers.BooleanField(required=False)
    order = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class LessonUpdateInputSerializer(LessonInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    type = serializers.ChoiceField(choices=LessonType.choices, required=False)


class MediaInputSerializer(serializers.Serializer[dict[str, Any]]):
    # Type and size are checked by content in services.upload_media (415 / 413).
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CategoryInputSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=120, required=False)
    icon = serializers.CharField(max_length=50, required=False, allow_blank=True)
    # `parent` shadows Field.parent in the stubs only; DRF's metaclass collects it as a field.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    order = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class CategoryUpdateInputSerializer(CategoryInputSerializer):
    name = serializers.CharField(max_length=100, required=False)


class TagInputSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=50)


# --- output -------------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class TagOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    avatar = FileUrlField()
    headline = serializers.CharField()


class PrerequisiteSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.CharField()


class CourseListItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    category = CategoryRefSerializer(allow_null=True)
    tags = TagOutputSerializer(many=True)
    level = serializers.ChoiceField(choices=Level.choices)
    language = serializers.CharField()
    price = AmountField()
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    thumbnail = FileUrlField()
    instructor = PersonSerializer()
    rating = serializers.FloatField()
    review_count = serializers.IntegerField()
    enrollment_count = serializers.IntegerField()
    lesson_count = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class LessonOutlineSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=LessonType.choices)
    duration_seconds = serializers.IntegerField()
    is_preview = serializers.BooleanField()
    order = serializers.IntegerField()
    is_completed = serializers.BooleanField()
    locked = serializers.BooleanField()


class CurriculumSectionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    order = serializers.IntegerField()
    lessons = LessonOutlineSerializer(many=True)


@extend_schema_field(CurriculumSectionSerializer(many=True))
class CurriculumField(serializers.Field[Any, Any, Any, Any]):
    """Read-only: the curriculum's read models as they are, for orjson to encode.

    `CurriculumSection` and `LessonOutline` hold JSON values only, field for field in the
    order of `CurriculumSectionSerializer`, so orjson's own dataclass encoding gives its
    exact answer at a twentieth of the CPU (a hundred lessons cost the detail 9 ms through
    the serializer's fields). `test_the_curriculum_renders_as_its_serializer_does` holds
    the two equal.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return list(value)


class CourseDetailSerializer(CourseListItemSerializer):
    """A `CourseDetail`; `rejection_reason` is left out when it is not the caller's to see."""

    description = serializers.CharField()
    outcomes = serializers.ListField(child=serializers.CharField())
    requirements = serializers.ListField(child=serializers.CharField())
    preview_video = serializers.SerializerMethodField(help_text="A signed, expiring URL.")
    co_instructors = PersonSerializer(many=True)
    prerequisites = PrerequisiteSerializer(many=True)
    is_enrolled = serializers.BooleanField()
    rejection_reason = serializers.CharField(
        required=False, help_text="Only shown to the course's authors and staff."
    )
    curriculum = CurriculumField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_preview_video(self, course: CourseDetail) -> str | None:
        if course.preview_video_id is None:
            return None
        # A preview is public, and this answer may be the shared one (catalog.cache): the
        # link names no caller.
        return sign_media_id(course.preview_video_id, request=self.context.get("request")).url

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if data.get("rejection_reason", "") is None:
            del data["rejection_reason"]
        return data


class SectionOutputSerializer(serializers.ModelSerializer[Section]):
    class Meta:
        model = Section
        fields = ["id", "course", "title", "description", "order", "created_at", "updated_at"]
        read_only_fields = fields


class MediaRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(help_text="A signed URL that expires after 10 minutes.")
    expires_at = serializers.DateTimeField()


class LessonOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    course = serializers.UUIDField(source="course_id")
    section = serializers.UUIDField(source="section_id")
    title = serializers.CharField()
    type = serializers.CharField()
    content = serializers.CharField()
    video_id = serializers.CharField()
    media = serializers.SerializerMethodField()
    duration_seconds = serializers.IntegerField()
    is_preview = serializers.BooleanField()
    order = serializers.IntegerField()
    locked = serializers.SerializerMethodField()
    quiz_id = serializers.SerializerMethodField(help_text="Type quiz: its quiz.")
    assignment_id = serializers.SerializerMethodField(help_text="Type assignment: its assignment.")
    updated_at = serializers.DateTimeField()

    # A quiz lesson's quiz and an assignment lesson's assignment take the lesson's id
    # (assessments creates them so, through catalog.hooks): named without a query.
    def get_quiz_id(self, lesson: Lesson) -> uuid.UUID | None:
        return lesson.pk if lesson.type == LessonType.QUIZ else None

    def get_assignment_id(self, lesson: Lesson) -> uuid.UUID | None:
        return lesson.pk if lesson.type == LessonType.ASSIGNMENT else None

    @extend_schema_field(MediaRefSerializer(allow_null=True))
    def get_media(self, lesson: Lesson) -> dict[str, Any] | None:
        if lesson.media is None:
            return None
        signed = sign_media(
            lesson.media, user=self.context.get("user"), request=self.context.get("request")
        )
        return {
            "id": lesson.media.pk,
            "kind": lesson.media.kind,
            "content_type": lesson.media.content_type,
            "size": lesson.media.size,
            "url": signed.url,
            "expires_at": signed.expires_at,
        }

    def get_locked(self, lesson: Lesson) -> bool:
        return False


class PlaybackOutputSerializer(serializers.Serializer[PlaybackCredential]):
    provider = serializers.CharField()
    token = serializers.CharField()
    otp = serializers.CharField(allow_null=True)
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MediaUsageSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()
    lesson_title = serializers.CharField()
    course_id = serializers.UUIDField()
    course_title = serializers.CharField()


class MediaOutputSerializer(serializers.ModelSerializer[MediaAsset]):
    url = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta:
        model = MediaAsset
        fields = [
            "id", "title", "kind", "size", "content_type", "checksum", "url", "usage",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, asset: MediaAsset) -> str:
        return sign_media(
            asset, user=self.context.get("user"), request=self.context.get("request")
        ).url

    @extend_schema_field(MediaUsageSerializer(many=True))
    def get_usage(self, asset: MediaAsset) -> list[dict[str, Any]]:
        usage: list[dict[str, Any]] = self.context.get("usage", {}).get(asset.pk, [])
        return usage


class CategoryOutputSerializer(serializers.ModelSerializer[Category]):
    course_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "icon", "parent", "order", "course_count"]
        read_only_fields = fields
