"""Every write of the catalog: courses, curriculum, media library, categories and tags.

Each function takes keyword-only arguments and runs in one transaction; field errors
are raised as DRF ValidationErrors naming the field, state errors as core domain errors.
The review workflow itself is in `workflow.py`; the functions here wrap it with the
checks that need the whole course (completeness before submission).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from rest_framework.exceptions import ErrorDetail, ValidationError

from lms.accounts.models import Role, User
from lms.accounts.names import display_name_sql
from lms.accounts.services import notify_staff
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType
from lms.core.money import check_currency, parse_amount
from lms.core.requests import AnyRequest
from lms.core.uploads import (
    ARCHIVE_TYPES,
    IMAGE_TYPES,
    MB,
    PDF_TYPES,
    SLIDE_TYPES,
    VIDEO_TYPES,
    resize_image,
    sniff_content_type,
    validate_upload,
)
from lms.notifications.models import Category as NotificationCategory

from . import cache, hooks, workflow
from .errors import CatalogError
from .filters import SEARCH_CONFIG
from .models import (
    Category,
    Course,
    CourseStatus,
    Lesson,
    LessonType,
    MediaAsset,
    MediaKind,
    Section,
    Tag,
)
from .slugs import slug_for

MEDIA_TYPES_BY_KIND = {
    MediaKind.VIDEO: VIDEO_TYPES,
    MediaKind.PDF: PDF_TYPES,
    MediaKind.SLIDES: SLIDE_TYPES,
    MediaKind.IMAGE: IMAGE_TYPES,
    MediaKind.ARCHIVE: ARCHIVE_TYPES,
}
MEDIA_MAX_BYTES = {
    MediaKind.VIDEO: 100 * MB,
    MediaKind.PDF: 50 * MB,
    MediaKind.SLIDES: 50 * MB,
    MediaKind.IMAGE: 10 * MB,
    MediaKind.ARCHIVE: 50 * MB,
}
# Which media a lesson of each type may carry.
LESSON_MEDIA_KINDS: dict[str, set[str]] = {
    LessonType.VIDEO: {MediaKind.VIDEO},
    LessonType.PDF: {MediaKind.PDF},
    LessonType.SLIDES: {MediaKind.SLIDES, MediaKind.PDF},
    LessonType.TEXT: {MediaKind.IMAGE, MediaKind.PDF, MediaKind.ARCHIVE},
    LessonType.QUIZ: set(),
    LessonType.ASSIGNMENT: {MediaKind.PDF, MediaKind.ARCHIVE, MediaKind.IMAGE, MediaKind.SLIDES},
    LessonType.RESOURCE: set(MediaKind.values),
}
THUMBNAIL_MAX_SIDE = 1280
SEARCH_FIELDS = {"title", "subtitle", "description", "tags"}


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


# --- search ---------------------------------------------------------------------------------------


def refresh_search_vectors(
    *, course_ids: Iterable[Any] | None = None, instructor_id: Any = None
) -> int:
    """Recompute the stored, weighted tsvector in one UPDATE (PostgreSQL; a no-op elsewhere).

    Weights: title A; subtitle and tag names B; the instructor's name C (as shown:
    `display_name_sql`); description D.
    """
    if connection.vendor != "postgresql":
        return 0
    queryset = Course.objects.all()
    if course_ids is not None:
        queryset = queryset.filter(pk__in=list(course_ids))
    if instructor_id is not None:
        queryset = queryset.filter(instructor_id=instructor_id)
    tag_names = (
        Course.tags.through.objects.filter(course_id=OuterRef("pk"))
        .order_by()
        .values("course_id")
        .annotate(names=StringAgg("tag__name", delimiter=" "))
        .values("names")  # type: ignore[misc]
    )
    # The name every response shows (lms.accounts.names: the e-mail's local part for a
    # nameless instructor), so that searching for the shown name finds the course.
    instructor_name = User.objects.filter(pk=OuterRef("instructor_id")).values(
        name=display_name_sql()
    )
    text = TextField()
    vector = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("subtitle", weight="B", config=SEARCH_CONFIG)
        + SearchVector(
            Coalesce(Subquery(tag_names, output_field=text), Value("", output_field=text)),
            weight="B",
            config=SEARCH_CONFIG,
        )
        + SearchVector(
            Coalesce(Subquery(instructor_name, output_field=text), Value("", output_field=text)),
            weight="C",
            config=SEARCH_CONFIG,
        )
        + SearchVector("description", weight="D", config=SEARCH_CONFIG)
    )
    return queryset.update(search_vector=vector)


def refresh_instructor_search(*, user: Any) -> None:
    """The instructor's name is part of their courses' search documents."""
    refresh_search_vectors(instructor_id=user.pk)


def on_user_renamed(user: Any) -> None:
    """accounts' name-change hook (registered in CatalogConfig.ready)."""
    refresh_instructor_search(user=user)


def on_public_profile_changed(user: Any) -> None:
    """accounts' hook for a changed name, avatar or headline (CatalogConfig.ready): the
    cached public pages show them."""
    if Course.objects.filter(Q(instructor_id=user.pk) | Q(co_instructors=user.pk)).exists():
        cache.bump()


# --- courses --------------------------------------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = slug_for(title, max_length=200, fallback="course")
    slug = base
    while Course.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _tags_named(names: Iterable[str]) -> list[Tag]:
    tags: list[Tag] = []
    for name in names:
        clean = " ".join(name.split())[:50]
        if not clean:
            continue
        slug = slug_for(clean, max_length=60, fallback="tag")
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": clean})
        if tag not in tags:
            tags.append(tag)
    return tags


def _check_prerequisites(*, course: Course, prerequisites: Sequence[Course]) -> None:
    """A prerequisite is a published course or one of the owner's own (another instructor's
    draft would show its title on this course's page); a course cannot require itself, nor a
    course that (transitively) requires it."""
    if any(
        p.status != CourseStatus.PUBLISHED and p.instructor_id != course.instructor_id
        for p in prerequisites
    ):
        raise _field_error(
            "prerequisites",
            "A prerequisite must be a published course or one of your own.",
            CatalogError.INVALID_PREREQUISITE,
        )
    wanted = {p.pk for p in prerequisites}
    if course.pk in wanted:
        raise _field_error(
            "prerequisites",
            "A course cannot be its own prerequisite.",
            CatalogError.INVALID_PREREQUISITE,
        )
    through = Course.prerequisites.through
    seen: set[Any] = set()
    frontier = set(wanted)
    while frontier:
        if course.pk in frontier:
            raise _field_error(
                "prerequisites",
                "These prerequisites would make the course require itself.",
                CatalogError.PREREQUISITE_CYCLE,
            )
        seen |= frontier
        frontier = (
            set(
                through.objects.filter(from_course_id__in=frontier).values_list(
                    "to_course_id", flat=True
                )
            )
            - seen
        )


def _check_co_instructors(*, course: Course, people: Sequence[User]) -> None:
    for person in people:
        if person.role not in (Role.INSTRUCTOR, Role.ADMIN) or not person.is_active:
            raise _field_error("co_instructors", "Co-instructors must be instructors.", "invalid")
        if person.pk == course.instructor_id:
            raise _field_error(
                "co_instructors", "The owner is already the course's instructor.", "invalid"
            )


def _check_preview_video(*, course: Course, asset: MediaAsset | None, by: Any) -> None:
    if asset is None:
        return
    if asset.kind != MediaKind.VIDEO or asset.owner_id not in (by.pk, course.instructor_id):
        raise _field_error(
            "preview_video", "Choose a video from your media library.", CatalogError.INVALID_MEDIA
        )


_EDITABLE_FIELDS = (
    "title", "subtitle", "description", "outcomes", "requirements", "category",
    "level", "language", "price", "currency", "is_free", "preview_video",
)  # fmt: skip


def _apply_course_fields(course: Course, data: dict[str, Any]) -> None:
    """Set the editable fields; a new price or currency must be exact in a supported
    currency (400 `unsupported_currency` / `invalid_amount` on its field, never rounded), and
    a paid price at least one unit the payment provider charges (0.005 KWD with Stripe: 400
    `invalid_amount`, lms.core.money.check_price_chargeable)."""
    for name in _EDITABLE_FIELDS:
        if name in data:
            setattr(course, name, data[name])
    if course.is_free:
        course.price = Decimal("0.00")
    if course._state.adding or {"price", "currency", "is_free"} & data.keys():
        try:
            check_currency(course.currency)
        except Invalid as exc:
            raise _field_error("currency", str(exc.detail), exc.code) from None
        try:
            course.price = parse_amount(course.price, course.currency, chargeable=True).amount
        except Invalid as exc:
            raise _field_error("price", str(exc.detail), exc.code) from None


@transaction.atomic
def create_course(*, by: User, data: dict[str, Any], request: AnyRequest = None) -> Course:
    """A new draft owned by `by`."""
    cache.bump()
    course = Course(instructor=by, status=CourseStatus.DRAFT)
    _apply_course_fields(course, data)
    course.slug = data.get("slug") or _unique_slug(course.title)
    if Course.objects.filter(slug=course.slug).exists():
        raise _field_error("slug", "This slug is taken.", CatalogError.SLUG_TAKEN)
    _check_preview_video(course=course, asset=data.get("preview_video"), by=by)
    course.full_clean(exclude=["search_vector", "thumbnail"])
    course.save()
    _set_relations(course=course, data=data)
    refresh_search_vectors(course_ids=[course.pk])
    record(action=AuditAction.COURSE_CREATE, actor=by, target=course, request=request)
    return course


def _set_relations(*, course: Course, data: dict[str, Any]) -> None:
    if "tags" in data:
        course.tags.set(_tags_named(data["tags"]))
    if "prerequisites" in data:
        _check_prerequisites(course=course, prerequisites=data["prerequisites"])
        course.prerequisites.set(data["prerequisites"])
    if "co_instructors" in data:
        _check_co_instructors(course=course, people=data["co_instructors"])
        course.co_instructors.set(data["co_instructors"])


@transaction.atomic
def update_course(
    *, course: Course, by: User, data: dict[str, Any], request: AnyRequest = None
) -> Course:
    """Edit a course's fields and links. The slug stays as created (links keep working)."""
    cache.bump()
    _lock_course(course.pk)
    _check_preview_video(course=course, asset=data.get("preview_video"), by=by)
    _apply_course_fields(course, data)
    course.full_clean(exclude=["search_vector", "thumbnail"])
    # Only the edited columns: a stale instance must never write back status or counters.
    course.save(update_fields=[*_EDITABLE_FIELDS, "updated_at"])
    _set_relations(course=course, data=data)
    if SEARCH_FIELDS & data.keys():
        refresh_search_vectors(course_ids=[course.pk])
    record(
        action=AuditAction.COURSE_UPDATE,
        actor=by,
        target=course,
        request=request,
        data={"fields": sorted(data.keys())},
    )
    return course


@transaction.atomic
def delete_course(*, course: Course, by: User, request: AnyRequest = None) -> None:
    """Only drafts are deleted; anything that has been submitted stays for the record."""
    cache.bump()
    locked = Course.objects.select_for_update().filter(pk=course.pk).first()
    if locked is None:  # deleted by a concurrent request since the view found it
        raise NotFound()
    if locked.status != CourseStatus.DRAFT:
        raise Conflict("Only a draft course can be deleted.", code=CatalogError.NOT_DRAFT)
    record(action=AuditAction.COURSE_DELETE, actor=by, target=locked, request=request)
    thumbnail = locked.thumbnail.name if locked.thumbnail else None
    locked.delete()
    if thumbnail:
        storage = Course._meta.get_field("thumbnail").storage
        transaction.on_commit(lambda: storage.delete(thumbnail))


@transaction.atomic
def set_course_thumbnail(*, course: Course, file: UploadedFile, by: User) -> Course:
    """Store a re-encoded copy of an already validated image (metadata dropped)."""
    cache.bump()
    _lock_course(course.pk)
    old = course.thumbnail.name if course.thumbnail else None
    course.thumbnail.save(
        "thumbnail.webp", resize_image(file, max_side=THUMBNAIL_MAX_SIDE), save=False
    )
    course.save(update_fields=["thumbnail", "updated_at"])
    if old:
        storage = course.thumbnail.storage
        transaction.on_commit(lambda: storage.delete(old))
    record(action=AuditAction.COURSE_THUMBNAIL, actor=by, target=course)
    return course


def _missing_for_review(course: Course) -> dict[str, list[ErrorDetail]]:
    missing: dict[str, list[ErrorDetail]] = {}

    def need(field: str, message: str) -> None:
        missing[field] = [ErrorDetail(message, code=CatalogError.COURSE_INCOMPLETE)]

    if not course.title.strip():
        need("title", "A title is required before review.")
    if not course.description.strip():
        need("description", "A description is required before review.")
    if course.category_id is None:
        need("category", "A category is required before review.")
    if not course.is_free and not course.price:
        need("price", "Set a price or mark the course free.")
    if not Lesson.objects.filter(course=course).exists():
        missing["lessons"] = [
            ErrorDetail("Add at least one lesson.", code=CatalogError.COURSE_HAS_NO_LESSONS)
        ]
    return missing


@transaction.atomic
def submit_course_for_review(*, course: Course, by: User, request: AnyRequest = None) -> Course:
    """draft/rejected → pending, once the course is complete enough to review."""
    _lock_course(course.pk)
    if course.status in workflow.TRANSITIONS["submit"].sources:
        missing = _missing_for_review(course)
        if missing:
            raise ValidationError(missing)
    course = workflow.apply_transition(course=course, name="submit", by=by, request=request)
    notify_staff(
        category=NotificationCategory.COURSES,
        title="Course submitted for review",
        body=f"{by.full_name} submitted “{course.title}”.",
        data={"course_id": str(course.pk), "slug": course.slug, "queue": "courses"},
    )
    return course


def approve_course(*, course: Course, by: User, request: AnyRequest = None) -> Course:
    """pending → approved (staff)."""
    return workflow.apply_transition(course=course, name="approve", by=by, request=request)


def reject_course(*, course: Course, by: User, reason: str, request: AnyRequest = None) -> Course:
    """pending → rejected with the reason the instructor will read (staff)."""
    if not reason.strip():
        raise _field_error("reason", "Say what needs to change.", "required")
    return workflow.apply_transition(
        course=course, name="reject", by=by, request=request, reason=reason.strip()
    )


def publish_course(*, course: Course, by: User, request: AnyRequest = None) -> Course:
    """approved/unpublished → published (staff)."""
    return workflow.apply_transition(course=course, name="publish", by=by, request=request)


def unpublish_course(*, course: Course, by: User, request: AnyRequest = None) -> Course:
    """published → unpublished (staff); enrolled students keep their access."""
    return workflow.apply_transition(course=course, name="unpublish", by=by, request=request)


# --- curriculum -----------------------------------------------------------------------------------


def _lock_course(course_id: Any) -> None:
    """Serialise the writes of one course (edits, thumbnail, curriculum, reorders, totals).

    The view found the course before this transaction began; a DELETE may have removed it
    since. Then the write would touch no row (Django's "did not affect any rows", a 500) or
    insert a child of a course that is gone: it is a 404, as if the lookup had missed.
    """
    locked = Course.objects.select_for_update().filter(pk=course_id)
    if locked.values_list("pk", flat=True).first() is None:
        raise NotFound()


def _refresh_course_totals(course_id: Any) -> None:
    lessons = Lesson.objects.filter(course_id=OuterRef("pk")).order_by().values("course_id")
    Course.objects.filter(pk=course_id).update(
        lesson_count=Coalesce(
            Subquery(lessons.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
            Value(0),
        ),
        duration_seconds=Coalesce(
            Subquery(
                lessons.annotate(total=Sum("duration_seconds")).values("total"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def _next_order(queryset: Any) -> int:
    last = queryset.order_by("-order").values_list("order", flat=True).first()
    return 0 if last is None else last + 1


@transaction.atomic
def create_section(
    *, course: Course, by: User, title: str, description: str = "", order: int | None = None
) -> Section:
    """A new section, last unless an order is given."""
    cache.bump()
    _lock_course(course.pk)
    if order is None:
        order = _next_order(Section.objects.filter(course=course))
    section = Section(course=course, title=title, description=description, order=order)
    section.full_clean(exclude=["course"])
    section.save()
    return section


@transaction.atomic
def update_section(*, section: Section, by: User, data: dict[str, Any]) -> Section:
    """Rename or move a section."""
    cache.bump()
    for name in ("title", "description", "order"):
        if name in data:
            setattr(section, name, data[name])
    section.full_clean(exclude=["course"])
    section.save()
    return section


@transaction.atomic
def delete_section(*, section: Section, by: User, request: AnyRequest = None) -> None:
    """Delete a section with its lessons; the course's totals follow."""
    cache.bump()
    course_id = section.course_id
    _lock_course(course_id)
    record(action=AuditAction.SECTION_DELETE, actor=by, target=section, request=request)
    section.delete()
    _refresh_course_totals(course_id)


def _reorder(queryset: Any, ids: Sequence[Any]) -> None:
    current = set(queryset.values_list("pk", flat=True))
    if len(ids) != len(set(ids)) or set(ids) != current:
        raise _field_error(
            "ids",
            "Send every current id exactly once, in the new order.",
            CatalogError.INVALID_REORDER,
        )
    if ids:
        queryset.update(
            order=Case(
                *[When(pk=pk, then=Value(position)) for position, pk in enumerate(ids)],
                output_field=IntegerField(),
            )
        )


@transaction.atomic
def reorder_sections(*, course: Course, by: User, ids: Sequence[Any]) -> None:
    """Give the course's sections the order of `ids`, which must be exactly its sections."""
    cache.bump()
    _lock_course(course.pk)
    _reorder(Section.objects.filter(course=course), ids)


@transaction.atomic
def reorder_lessons(*, section: Section, by: User, ids: Sequence[Any]) -> None:
    """Give the section's lessons the order of `ids`, which must be exactly its lessons."""
    cache.bump()
    _lock_course(section.course_id)
    _reorder(Lesson.objects.filter(section=section), ids)


def _check_lesson_media(*, lesson: Lesson, by: User) -> None:
    asset = lesson.media
    if asset is None:
        return
    if asset.owner_id not in (by.pk, lesson.course.instructor_id):
        raise _field_error(
            "media", "Choose a file from your media library.", CatalogError.INVALID_MEDIA
        )
    if asset.kind not in LESSON_MEDIA_KINDS[lesson.type]:
        raise _field_error(
            "media",
            f"A {lesson.type} lesson cannot use a {asset.kind} file.",
            CatalogError.INVALID_MEDIA,
        )


_LESSON_FIELDS = (
    "title",
    "type",
    "content",
    "video_id",
    "media",
    "duration_seconds",
    "is_preview",
    "order",
)


@transaction.atomic
def create_lesson(*, section: Section, by: User, data: dict[str, Any]) -> Lesson:
    """A new lesson at the end of the section (unless an order is given)."""
    cache.bump()
    _lock_course(section.course_id)
    lesson = Lesson(section=section, course=section.course)
    for name in _LESSON_FIELDS:
        if name in data:
            setattr(lesson, name, data[name])
    if "order" not in data or data["order"] is None:
        lesson.order = _next_order(Lesson.objects.filter(section=section))
    _check_lesson_media(lesson=lesson, by=by)
    lesson.full_clean(exclude=["course", "section", "media"])
    lesson.save()
    hooks.lesson_saved(lesson)  # a quiz or assignment lesson gets its quiz/assignment now
    _refresh_course_totals(section.course_id)
    return lesson


@transaction.atomic
def update_lesson(*, lesson: Lesson, by: User, data: dict[str, Any]) -> Lesson:
    """Edit a lesson; the course's lesson count and duration follow."""
    cache.bump()
    _lock_course(lesson.course_id)
    previous_type = lesson.type
    for name in _LESSON_FIELDS:
        if name in data:
            setattr(lesson, name, data[name])
    _check_lesson_media(lesson=lesson, by=by)
    lesson.full_clean(exclude=["course", "section", "media"])
    lesson.save()
    if lesson.type != previous_type:
        hooks.lesson_saved(lesson)
    _refresh_course_totals(lesson.course_id)
    return lesson


@transaction.atomic
def delete_lesson(*, lesson: Lesson, by: User, request: AnyRequest = None) -> None:
    """Delete a lesson; the course's totals follow."""
    cache.bump()
    course_id = lesson.course_id
    _lock_course(course_id)
    record(action=AuditAction.LESSON_DELETE, actor=by, target=lesson, request=request)
    lesson.delete()
    _refresh_course_totals(course_id)


# --- media library --------------------------------------------------------------------------------


def classify_media(file: UploadedFile) -> tuple[str, str]:
    """(kind, content type) of an upload by its content; 413 over the kind's size, 415 otherwise."""
    largest = max(MEDIA_MAX_BYTES.values())
    if file.size is None or file.size > largest:
        raise PayloadTooLarge(f"The file is larger than {largest // MB} MB.")
    sniffed = sniff_content_type(file)
    kind = next((k for k, types in MEDIA_TYPES_BY_KIND.items() if sniffed in types), None)
    if kind is None:
        raise UnsupportedMediaType("Accepted: videos, PDF, slides, images and archives.")
    content_type = validate_upload(
        file, allowed=MEDIA_TYPES_BY_KIND[kind], max_bytes=MEDIA_MAX_BYTES[kind]
    )
    return kind, content_type


def _sha256(file: UploadedFile) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def upload_media(
    *, owner: User, file: UploadedFile, title: str = "", request: AnyRequest = None
) -> MediaAsset:
    """Validate by content and size, then store under a random name in private storage."""
    original = (file.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kind, content_type = classify_media(
        file
    )  # renames the file: the client's name never reaches storage
    asset = MediaAsset(
        owner=owner,
        title=(title or original)[:200],
        kind=kind,
        size=file.size or 0,
        content_type=content_type,
        checksum=_sha256(file),
    )
    asset.file.save(file.name or "upload", file, save=False)
    asset.save()
    record(
        action=AuditAction.MEDIA_UPLOAD,
        actor=owner,
        target=asset,
        request=request,
        data={"kind": kind},
    )
    return asset


@transaction.atomic
def delete_media(*, asset: MediaAsset, by: User, request: AnyRequest = None) -> None:
    """Delete an asset no lesson or course preview uses (409 otherwise)."""
    in_use = (
        Lesson.objects.filter(media=asset).exists()
        or Course.objects.filter(preview_video=asset).exists()
    )
    if in_use:
        raise Conflict("Lessons or courses still use this file.", code=CatalogError.MEDIA_IN_USE)
    record(action=AuditAction.MEDIA_DELETE, actor=by, target=asset, request=request)
    name, storage = asset.file.name, asset.file.storage
    asset.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- categories and tags --------------------------------------------------------------------------


def _check_category_parent(*, category: Category, parent: Category | None) -> None:
    node = parent
    while node is not None:
        if node.pk == category.pk:
            raise _field_error(
                "parent", "A category cannot sit under itself.", CatalogError.CATEGORY_CYCLE
            )
        node = node.parent


@transaction.atomic
def create_category(*, by: User, data: dict[str, Any], request: AnyRequest = None) -> Category:
    """A new category (admins)."""
    slug = data.get("slug") or slug_for(data["name"], max_length=120, fallback="category")
    if not slug or Category.objects.filter(slug=slug).exists():
        raise Conflict("A category with this slug exists.", code=CatalogError.SLUG_TAKEN)
    category = Category(
        name=data["name"], slug=slug, icon=data.get("icon", ""), parent=data.get("parent"),
        order=data.get("order", 0),
    )  # fmt: skip
    category.full_clean()
    category.save()
    record(action=AuditAction.CATEGORY_CREATE, actor=by, target=category, request=request)
    return category


@transaction.atomic
def update_category(
    *, category: Category, by: User, data: dict[str, Any], request: AnyRequest = None
) -> Category:
    """Edit a category (admins)."""
    cache.bump()
    if "parent" in data:
        _check_category_parent(category=category, parent=data["parent"])
    if (
        "slug" in data
        and Category.objects.filter(slug=data["slug"]).exclude(pk=category.pk).exists()
    ):
        raise Conflict("A category with this slug exists.", code=CatalogError.SLUG_TAKEN)
    for name in ("name", "slug", "icon", "parent", "order"):
        if name in data:
            setattr(category, name, data[name])
    category.full_clean()
    category.save()
    record(action=AuditAction.CATEGORY_UPDATE, actor=by, target=category, request=request)
    return category


@transaction.atomic
def delete_category(*, category: Category, by: User, request: AnyRequest = None) -> None:
    """Delete an empty category (409 while courses or subcategories use it)."""
    cache.bump()
    if (
        Course.objects.filter(category=category).exists()
        or Category.objects.filter(parent=category).exists()
    ):
        raise Conflict(
            "Courses or subcategories still use this category.", code=CatalogError.CATEGORY_IN_USE
        )
    record(action=AuditAction.CATEGORY_DELETE, actor=by, target=category, request=request)
    category.delete()


@transaction.atomic
def create_tag(*, by: User, name: str, request: AnyRequest = None) -> Tag:
    """A tag (admins); the same name twice is 409."""
    clean = " ".join(name.split())[:50]
    if not clean:
        raise _field_error("name", "A tag needs a name.", "invalid")
    slug = slug_for(clean, max_length=60, fallback="tag")
    if Tag.objects.filter(Q(slug=slug) | Q(name__iexact=clean)).exists():
        raise Conflict("This tag exists.", code=CatalogError.SLUG_TAKEN)
    tag = Tag.objects.create(name=clean, slug=slug)
    record(action=AuditAction.TAG_CREATE, actor=by, target=tag, request=request)
    return tag


@transaction.atomic
def delete_tag(*, tag: Tag, by: User, request: AnyRequest = None) -> None:
    """Delete a tag; the courses that carried it get their search documents refreshed."""
    cache.bump()
    course_ids = list(tag.courses.values_list("pk", flat=True))
    record(action=AuditAction.TAG_DELETE, actor=by, target=tag, request=request)
    tag.delete()
    refresh_search_vectors(course_ids=course_ids)


# --- figures kept by the apps above ---------------------------------------------------------------


def set_review_figures(*, course_id: Any, rating: float, review_count: int) -> None:
    """Store a course's rating (0 without reviews, else the mean of its visible reviews, two
    decimals) and review count, and make the cached public answers old after commit.

    Community's review services call it in their transaction, holding the course's row lock
    (lms/community/locks.py), right after recounting the reviews. The course's instructor's
    `rating` and `review_count` are recounted with it (`workflow.recount_instructor_figures`).
    """
    Course.objects.filter(pk=course_id).update(rating=rating, review_count=review_count)
    instructor_id = Course.objects.filter(pk=course_id).values_list("instructor_id", flat=True)
    for owner in instructor_id:  # and the instructor's public figures (their profile's)
        workflow.recount_instructor_figures(instructor_id=owner)
    cache.bump()
