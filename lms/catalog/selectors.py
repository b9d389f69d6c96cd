"""Reads of the catalog, each scoped to what the caller may see.

The public read paths (list, detail, curriculum, related) return plain rows from
`.values()` in a fixed number of queries; `api/presenters.py` shapes them into JSON.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django_filters.utils import translate_validation

from lms.accounts.models import User
from lms.accounts.names import display_name_sql
from lms.core.compiled import CompiledQuery, Sentinel
from lms.core.errors import NotAuthenticated, NotFound
from lms.core.ids import as_uuid
from lms.core.permissions import ADMIN, has_role

from . import access
from .filters import DEFAULT_ORDERING, ORDERINGS, CourseFilter
from .models import Category, Course, CourseStatus, Lesson, MediaAsset, Section, Tag
from .permissions import can_edit_course, can_see_course, has_full_access

Row = dict[str, Any]

COURSE_ROW_FIELDS = (
    "id",
    "slug",
    "title",
    "subtitle",
    "level",
    "language",
    "price",
    "currency",
    "is_free",
    "thumbnail",
    "rating",
    "review_count",
    "enrollment_count",
    "lesson_count",
    "duration_seconds",
    "status",
    "published_at",
    "updated_at",
    "category_id",
    "category__name",
    "category__slug",
    "instructor_id",
    "instructor__first_name",
    "instructor__last_name",
    "instructor__email",
    "instructor__avatar",
    "instructor__instructor_profile__headline",
)
COURSE_DETAIL_FIELDS = (
    *COURSE_ROW_FIELDS,
    "description",
    "outcomes",
    "requirements",
    "rejection_reason",
    "preview_video_id",
    "created_at",
)


def course_ref_filter(ref: Any) -> Q:
    """`{course}` in a URL is an id or a slug."""
    course_id = as_uuid(ref)
    return Q(pk=course_id) if course_id is not None else Q(slug=str(ref))


# --- querysets by audience ---------------------------------------------------------------------


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(status=CourseStatus.PUBLISHED)


def courses_editable_by(user: Any) -> QuerySet[Course]:
    """Courses the user authors (owner or co-instructor); admins edit every course."""
    if not getattr(user, "is_authenticated", False):
        return Course.objects.none()
    if has_role(user, ADMIN):
        return Course.objects.all()
    co_taught = Course.co_instructors.through.objects.filter(user_id=user.pk).values("course_id")
    return Course.objects.filter(Q(instructor_id=user.pk) | Q(pk__in=co_taught))


def course_for_editing(*, user: Any, ref: Any, lock: bool = False) -> Course:
    """A course the user may edit, or 404 (never reveal someone else's course)."""
    queryset = courses_editable_by(user).filter(course_ref_filter(ref))
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    course = queryset.select_related("instructor", "category").first()
    if course is None:
        raise NotFound()
    return course


def course_for_moderation(*, ref: Any) -> Course:
    """Any course, for platform staff (the view has checked the role)."""
    course = Course.objects.filter(course_ref_filter(ref)).select_related("instructor").first()
    if course is None:
        raise NotFound()
    return course


def section_for_editing(*, user: Any, section_id: Any) -> Section:
    section = (
        Section.objects.filter(pk=section_id, course__in=courses_editable_by(user))
        .select_related("course")
        .first()
    )
    if section is None:
        raise NotFound()
    return section


def lesson_for_editing(*, user: Any, lesson_id: Any) -> Lesson:
    lesson = (
        Lesson.objects.filter(pk=lesson_id, course__in=courses_editable_by(user))
        .select_related("course", "section", "media")
        .first()
    )
    if lesson is None:
        raise NotFound()
    return lesson


def sections_of(*, course: Course) -> QuerySet[Section]:
    return Section.objects.filter(course=course).order_by("order", "created_at")


def lessons_of(*, section: Section) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(section=section)
        .select_related("media")
        .order_by("order", "created_at")
    )


# --- the public list ---------------------------------------------------------------------------


class RowsWithCount:
    """A `.values()` queryset to paginate, counted on its filtered queryset without the joins.

    Counting the values queryset would keep its INNER JOIN to the instructor: on 10,000
    courses that doubles the cost of the count for nothing.
    """

    def __init__(self, rows: QuerySet[Any], counted: QuerySet[Course]) -> None:
        self.rows = rows
        self.counted = counted

    def count(self) -> int:
        return self.counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: Any) -> Any:
        return self.rows[key]


class CompiledRows:
    """The unfiltered list (published, newest first): compiled once, counted without joins."""

    def count(self) -> int:
        found = _PUBLISHED_COUNT.tuples()
        return int(found[0][0]) if found else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Row]:
        start = key.start or 0
        return _PUBLISHED_PAGE.dicts(limit=max(key.stop - start, 0), offset=start)


_FILTER_PARAMS = frozenset(CourseFilter.base_filters)
_PUBLISHED_PAGE = CompiledQuery(
    Course,
    lambda: published_courses().order_by(*ORDERINGS[DEFAULT_ORDERING]).values(*COURSE_ROW_FIELDS),
)
_PUBLISHED_COUNT = CompiledQuery(
    Course,
    # `SELECT COUNT(*) ... WHERE status = 'published'`, no join and no GROUP BY (a plain Func
    # is not an aggregate to the ORM, so it adds none; grouping doubled the count's time).
    lambda: (
        published_courses()
        .order_by()
        .values(n=Func(template="COUNT(*)", output_field=IntegerField()))
    ),
)


def course_list(*, user: Any, params: Mapping[str, Any]) -> RowsWithCount | CompiledRows:
    """The filtered, ordered course list as `.values()` rows (paginate them, then `with_tags`).

    Published courses; with `?mine=true` the caller's own courses in every state.
    """
    if _FILTER_PARAMS.isdisjoint(params.keys()):
        # No filter asked for (the catalog's landing page): building the FilterSet and its
        # form (deep copies of every filter and field) and compiling the querysets would be
        # most of the request's CPU.
        return CompiledRows()
    filterset = CourseFilter(params, queryset=Course.objects.none())
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    if filterset.form.cleaned_data.get("mine"):
        if not getattr(user, "is_authenticated", False):
            raise NotAuthenticated()
        filterset.queryset = courses_editable_by(user)
    else:
        filterset.queryset = published_courses()
    filtered = filterset.qs
    return RowsWithCount(
        filterset.ordered(filtered).values(*COURSE_ROW_FIELDS), filtered.order_by()
    )


_TAGS_OF_PAGE: dict[int, CompiledQuery] = {}


def _tags_of_page(size: int) -> CompiledQuery:
    query = _TAGS_OF_PAGE.get(size)
    if query is None:
        query = _TAGS_OF_PAGE[size] = CompiledQuery(
            Course.tags.through,
            lambda *ids: (
                Course.tags.through.objects.filter(course_id__in=ids)
                .order_by("tag__name")
                .values_list("course_id", "tag_id", "tag__name", "tag__slug")
            ),
            [Sentinel.uuid] * size,
        )
    return query


def with_tags(rows: Iterable[Row]) -> list[Row]:
    """Attach `tags` to each row: one query for the whole page."""
    rows = list(rows)
    if not rows:
        return rows
    by_course: dict[Any, list[Row]] = defaultdict(list)
    ids = list(dict.fromkeys(row["id"] for row in rows))
    for course_id, tag_id, name, slug in _tags_of_page(len(ids)).tuples(*ids):
        by_course[course_id].append({"id": tag_id, "name": name, "slug": slug})
    for row in rows:
        row["tags"] = by_course.get(row["id"], [])
    return rows


# --- detail and curriculum ---------------------------------------------------------------------


@dataclass
class CourseView:
    """A course as one caller sees it: its row, people and links, and the caller's access."""

    row: Row
    tags: list[Row] = field(default_factory=list)
    co_instructors: list[Row] = field(default_factory=list)
    prerequisites: list[Row] = field(default_factory=list)
    enrolled: bool = False
    full_access: bool = False
    can_edit: bool = False

    @property
    def id(self) -> uuid.UUID:
        course_id: uuid.UUID = self.row["id"]
        return course_id


def _course_links(course_id: Any) -> QuerySet[Any]:
    """Tags, co-instructors and prerequisites of one course in ONE query (a UNION)."""
    text = CharField()
    tags = Tag.objects.filter(courses=course_id).values_list(
        Value("tag", output_field=text),
        "id",
        "name",
        "slug",
        Value("", output_field=text),
        Value("", output_field=text),
    )
    people = User.objects.filter(courses_co_taught=course_id).values_list(
        Value("co_instructor", output_field=text),
        "id",
        display_name_sql(),
        "email",
        "avatar",
        Coalesce("instructor_profile__headline", Value(""), output_field=text),
    )
    prerequisites = Course.objects.filter(required_by=course_id).values_list(
        Value("prerequisite", output_field=text),
        "id",
        "title",
        "slug",
        "status",
        Value("", output_field=text),
    )
    return tags.order_by().union(people.order_by(), prerequisites.order_by(), all=True)


_COURSE_BY_ID = CompiledQuery(
    Course,
    lambda course_id: Course.objects.filter(pk=course_id).values(*COURSE_DETAIL_FIELDS),
    [Sentinel.uuid],
)
_COURSE_BY_SLUG = CompiledQuery(
    Course,
    lambda slug: Course.objects.filter(slug=slug).values(*COURSE_DETAIL_FIELDS),
    [Sentinel.text],
)
_COURSE_LINKS = CompiledQuery(Tag, _course_links, [Sentinel.uuid])


def _course_row(ref: Any) -> Row | None:
    """One course's detail row by id or slug (both unique)."""
    course_id = as_uuid(ref)
    if course_id is not None:
        rows = _COURSE_BY_ID.dicts(course_id, limit=1)
    else:
        rows = _COURSE_BY_SLUG.dicts(str(ref), limit=1)
    return rows[0] if rows else None


def course_view(*, user: Any, ref: Any) -> CourseView:
    """A course the user may see, its links and the user's access: 2 queries, +1 when signed in."""
    row = _course_row(ref)
    if row is None:
        raise NotFound()
    view = CourseView(row=row)
    for kind, link_id, a, b, c, d in _COURSE_LINKS.tuples(row["id"]):
        if kind == "tag":
            view.tags.append({"id": link_id, "name": a, "slug": b})
        elif kind == "co_instructor":
            view.co_instructors.append(
                {"id": link_id, "name": a, "avatar": c, "headline": d}
            )
        else:
            view.prerequisites.append({"id": link_id, "title": a, "slug": b, "status": c})
    view.tags.sort(key=lambda tag: tag["name"])
    co_ids = [person["id"] for person in view.co_instructors]
    view.enrolled = access.is_enrolled(user, row["id"])
    if not can_see_course(
        user,
        status=row["status"],
        instructor_id=row["instructor_id"],
        co_instructor_ids=co_ids,
        enrolled=view.enrolled,
    ):
        raise NotFound()
    view.full_access = has_full_access(
        user, instructor_id=row["instructor_id"], co_instructor_ids=co_ids, enrolled=view.enrolled
    )
    view.can_edit = can_edit_course(
        user, instructor_id=row["instructor_id"], co_instructor_ids=co_ids
    )
    return view


def curriculum_rows(*, course_id: Any) -> list[Row]:
    """Sections with their lessons in ONE query (a left join, so empty sections stay)."""
    sections: dict[Any, Row] = {}
    for (
        section_id,
        title,
        order,
        lesson_id,
        lesson_title,
        lesson_type,
        duration,
        is_preview,
        lesson_order,
    ) in _CURRICULUM.tuples(course_id):
        section = sections.get(section_id)
        if section is None:
            section = sections[section_id] = {
                "id": section_id,
                "title": title,
                "order": order,
                "lessons": [],
            }
        if lesson_id is not None:
            section["lessons"].append(
                {
                    "id": lesson_id,
                    "title": lesson_title,
                    "type": lesson_type,
                    "duration_seconds": duration,
                    "is_preview": is_preview,
                    "order": lesson_order,
                }
            )
    return list(sections.values())


_CURRICULUM = CompiledQuery(
    Section,
    lambda course_id: (
        Section.objects.filter(course_id=course_id)
        .order_by("order", "created_at", "lessons__order", "lessons__created_at")
        .values_list(
            "id",
            "title",
            "order",
            "lessons__id",
            "lessons__title",
            "lessons__type",
            "lessons__duration_seconds",
            "lessons__is_preview",
            "lessons__order",
        )
    ),
    [Sentinel.uuid],
)


def related_courses(*, course_view: CourseView) -> QuerySet[Any]:
    """Published courses of the same category or with shared tags, then by popularity."""
    row = course_view.row
    tag_ids = [tag["id"] for tag in course_view.tags]
    shared = (
        Course.tags.through.objects.filter(course_id=OuterRef("pk"), tag_id__in=tag_ids)
        .order_by()
        .values("course_id")
        .annotate(n=Count("tag_id"))
        .values("n")  # type: ignore[misc]
    )
    match = Q(pk__in=Course.tags.through.objects.filter(tag_id__in=tag_ids).values("course_id"))
    if row["category_id"] is not None:
        match |= Q(category_id=row["category_id"])
    return (
        published_courses()
        .exclude(pk=row["id"])
        .filter(match)
        .annotate(
            same_category=Case(
                When(category_id=row["category_id"], then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            shared_tags=Coalesce(Subquery(shared, output_field=IntegerField()), Value(0)),
        )
        .order_by("-same_category", "-shared_tags", "-enrollment_count", "-rating", "-id")
        .values(*COURSE_ROW_FIELDS)
    )


# --- lessons as learners see them ----------------------------------------------------------------


@dataclass
class LessonAccess:
    lesson: Lesson
    can_view_content: bool
    can_edit: bool


def lesson_for_viewing(*, user: Any, lesson_id: Any) -> LessonAccess:
    """A lesson of a course the user can see, with whether its content is theirs to read."""
    lesson = (
        Lesson.objects.filter(pk=lesson_id).select_related("course", "section", "media").first()
    )
    if lesson is None:
        raise NotFound()
    course = lesson.course
    co_ids = list(course.co_instructors.values_list("id", flat=True))
    # Only an unpublished course's visibility depends on the enrollment: ask first only then.
    enrolled = (
        access.is_enrolled(user, course.pk) if course.status == CourseStatus.UNPUBLISHED else None
    )
    if not can_see_course(
        user,
        status=course.status,
        instructor_id=course.instructor_id,
        co_instructor_ids=co_ids,
        enrolled=bool(enrolled),
    ):
        raise NotFound()
    can_edit = can_edit_course(user, instructor_id=course.instructor_id, co_instructor_ids=co_ids)
    if lesson.is_preview or can_edit:
        return LessonAccess(lesson=lesson, can_view_content=True, can_edit=can_edit)
    if enrolled is None:
        enrolled = access.is_enrolled(user, course.pk)
    full = has_full_access(
        user, instructor_id=course.instructor_id, co_instructor_ids=co_ids, enrolled=enrolled
    )
    return LessonAccess(lesson=lesson, can_view_content=full, can_edit=can_edit)


# --- media library and categories ----------------------------------------------------------------


def media_of(*, user: Any) -> QuerySet[MediaAsset]:
    """An instructor's own media library (admins see every asset)."""
    queryset = MediaAsset.objects.select_related("owner").order_by("-created_at", "-id")
    return queryset if has_role(user, ADMIN) else queryset.filter(owner_id=user.pk)


def media_for_owner(*, user: Any, media_id: Any) -> MediaAsset:
    asset = media_of(user=user).filter(pk=media_id).first()
    if asset is None:
        raise NotFound()
    return asset


def media_usage(*, assets: Iterable[MediaAsset]) -> dict[Any, list[Row]]:
    """The lessons that use each asset, in one query."""
    ids = [asset.pk for asset in assets]
    usage: dict[Any, list[Row]] = defaultdict(list)
    rows = (
        Lesson.objects.filter(media_id__in=ids)
        .order_by("course__title", "order")
        .values("media_id", "id", "title", "course_id", "course__title")
    )
    for row in rows:
        usage[row["media_id"]].append(
            {
                "lesson_id": row["id"],
                "lesson_title": row["title"],
                "course_id": row["course_id"],
                "course_title": row["course__title"],
            }
        )
    return usage


def categories_with_counts() -> QuerySet[Category]:
    published = (
        Course.objects.filter(category_id=OuterRef("pk"), status=CourseStatus.PUBLISHED)
        .order_by()
        .values("category_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Category.objects.annotate(
        course_count=Coalesce(Subquery(published, output_field=IntegerField()), Value(0))
    ).order_by("order", "name")


def category_by_ref(*, ref: Any) -> Category:
    category_id = as_uuid(ref)
    lookup = Q(pk=category_id) if category_id is not None else Q(slug=str(ref))
    category = categories_with_counts().filter(lookup).first()
    if category is None:
        raise NotFound()
    return category


def tags_in_use() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")
