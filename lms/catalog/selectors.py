"""Reads of the catalog, each scoped to what the caller may see.

The public read paths (list, detail, curriculum, related) read `.values()` rows in a fixed
number of queries and return typed read models (`read_models.py`), which one serializer
per shape renders (`api/serializers.py`); `cache.py` keeps anonymous answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
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
from rest_framework.exceptions import ValidationError

from lms.accounts.models import User
from lms.accounts.names import display_name_of_row, display_name_sql
from lms.core.db_routing import primary
from lms.core.errors import NotAuthenticated, NotFound
from lms.core.ids import as_uuid
from lms.core.permissions import ADMIN, has_role, is_staff_member

from . import access
from . import cache as response_cache
from .filters import DEFAULT_ORDERING, ORDERINGS, CourseFilter
from .models import Category, Course, CourseStatus, Lesson, MediaAsset, Section, Tag
from .permissions import can_edit_course, can_see_course, has_full_access
from .read_models import (
    CategoryRef,
    CourseDetail,
    CourseItem,
    CurriculumSection,
    LessonOutline,
    Person,
    PrerequisiteRef,
    TagRef,
)

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


# Querysets every public list starts from, built once per process: resolving a filter and
# 27 `.values()` fields through their joins was a tenth of an uncached list's CPU. They are
# never evaluated themselves; each use is a clone (`.all()`, `.filter()`, a slice).
_PUBLISHED = Course.objects.filter(status=CourseStatus.PUBLISHED)
_PUBLISHED_ROWS = _PUBLISHED.values(*COURSE_ROW_FIELDS)


def published_courses() -> QuerySet[Course]:
    return _PUBLISHED.all()


def _published_rows() -> QuerySet[Any]:
    """Published courses as `.values()` rows of COURSE_ROW_FIELDS (unordered)."""
    return _PUBLISHED_ROWS.all()


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


class CourseItems:
    """A course list to paginate: counted on its filtered queryset without the joins, and
    read a page at a time as `CourseItem`s (page, then the page's tags: two queries).

    Counting the `.values()` queryset would keep its INNER JOIN to the instructor: on
    10,000 courses that doubles the cost of the count for nothing.

    `ranked` (a queryset of courses, ordered by a computed key such as the search rank)
    makes a page pick its rows on the course table alone and join category, instructor
    and profile for those rows only: ranking every match of a broad term with the joins
    (and their wide rows) carried along cost twice as much (docs/catalog.md, "Search").
    """

    def __init__(
        self,
        rows: QuerySet[Any] | None,
        counted: QuerySet[Course],
        *,
        ranked: QuerySet[Course] | None = None,
        count_key: str | None = None,
    ) -> None:
        if rows is None and ranked is None:
            raise TypeError("CourseItems needs `rows` or `ranked`")
        self._rows = rows
        self.counted = counted
        self.ranked = ranked
        self.count_key = count_key  # the public list's shared count (catalog.cache.count_key)

    @property
    def rows(self) -> QuerySet[Any]:
        """Every item's row in order (`.values()` of COURSE_ROW_FIELDS), as a queryset."""
        if self._rows is None:
            if self.ranked is None:  # refused by __init__
                raise TypeError("CourseItems needs `rows` or `ranked`")
            self._rows = self.ranked.values(*COURSE_ROW_FIELDS)
        return self._rows

    def count(self) -> int:
        """The number of items: from the response cache when the list is a public one (its
        `count_key`), else counted (a count that will be shared is read on the primary)."""
        if self.count_key is None:
            return self.counted.count()
        kept = response_cache.get_count(self.count_key)
        if kept is not None:
            return kept
        with primary():
            counted = self.counted.count()
        response_cache.put_count(self.count_key, counted)
        return counted

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[CourseItem]:
        if self.ranked is None:
            return course_items(self.rows[key])
        page = self.ranked.values("pk")[key]
        return course_items(self.ranked.filter(pk__in=page).values(*COURSE_ROW_FIELDS))


_FILTER_PARAMS = frozenset(CourseFilter.base_filters)
# The parameters that decide which published courses a public list holds, hence its count.
_COUNTED_PARAMS = sorted(_FILTER_PARAMS - {"ordering", "mine"})


def _public_count_key(params: Mapping[str, Any]) -> str:
    """The shared count's key of a public list with these (valid) parameters: each filter
    as the FilterSet reads it (the last value sent), empty ones left out (no filter)."""
    return response_cache.count_key(
        {name: str(params.get(name)) for name in _COUNTED_PARAMS if params.get(name)}
    )


# The staff's review queues (`?status=`): the course waiting longest first.
REVIEW_QUEUE_ORDER = (F("submitted_at").asc(nulls_last=True), "created_at", "id")


def staff_status_filter(*, user: Any, params: Mapping[str, Any]) -> str | None:
    """The `?status=` of a staff member's request (admin, manager), checked; None for everyone
    else, whose valid `status` is ignored (API.md). 400 `invalid_choice` for a status that is
    not one of the course's states, from anyone (the document lists them); sent empty, no
    filter, as every optional query parameter (`allowEmptyValue`, docs/api.md)."""
    wanted = params.get("status")
    if wanted is None or wanted == "":
        return None
    wanted = str(wanted).strip().lower()
    if wanted not in CourseStatus.values:
        raise ValidationError(
            {"status": [f"Choose one of: {', '.join(CourseStatus.values)}."]},
            code="invalid_choice",
        )
    return wanted if is_staff_member(user) else None


def course_list(*, user: Any, params: Mapping[str, Any]) -> CourseItems:
    """The filtered, ordered course list (paginate it: each page is a list of `CourseItem`).

    Published courses; with `?mine=true` the caller's own courses in every state. Staff
    (admin, manager) with `?status=` get the courses in that state (the review queue is
    `pending`), oldest submission first unless `ordering` is given; the other filters apply.
    """
    status = staff_status_filter(user=user, params=params)
    if status is None and _FILTER_PARAMS.isdisjoint(params.keys()):
        # No filter asked for (the catalog's landing page): building the FilterSet and its
        # form would be a large part of the request's CPU for nothing.
        return CourseItems(
            _published_rows().order_by(*ORDERINGS[DEFAULT_ORDERING]),
            published_courses(),
            count_key=_public_count_key({}),
        )
    filterset = CourseFilter(params, queryset=Course.objects.none())
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    count_key = None  # a list of one's own courses or a review queue: counted each time
    if filterset.form.cleaned_data.get("mine"):
        if not getattr(user, "is_authenticated", False):
            raise NotAuthenticated()
        base = courses_editable_by(user)
        rows = base.values(*COURSE_ROW_FIELDS)
    elif status is not None:
        base = Course.objects.filter(status=status)
        rows = base.values(*COURSE_ROW_FIELDS)
    else:
        base, rows = published_courses(), _published_rows()
        count_key = _public_count_key(params)
    # The count reads the filtered courses without the page's joins; the page reads the same
    # filters applied to the row query (django-filter's `filter_queryset`, once per queryset).
    filterset.queryset = base
    filtered = filterset.qs
    key = filterset.ordering_key()
    if key == "relevance":
        return CourseItems(
            None, filtered.order_by(), ranked=filterset.ordered(filtered), count_key=count_key
        )
    rows = filterset.filter_queryset(rows)
    if status is not None and not params.get("ordering"):
        rows = rows.order_by(*REVIEW_QUEUE_ORDER)
    else:
        rows = filterset.ordered(rows)
    return CourseItems(rows, filtered.order_by(), count_key=count_key)


_TAG_ROWS = Course.tags.through.objects.order_by("tag__name").values_list(
    "course_id", "tag_id", "tag__name", "tag__slug"
)  # built once, like _PUBLISHED


def _tags_by_course(course_ids: Collection[Any]) -> dict[Any, list[TagRef]]:
    """The tags of many courses by course id, by name: one query."""
    by_course: dict[Any, list[TagRef]] = defaultdict(list)
    if not course_ids:
        return by_course
    rows = _TAG_ROWS.filter(course_id__in=list(course_ids))
    for course_id, tag_id, name, slug in rows:
        by_course[course_id].append(TagRef(id=tag_id, name=name, slug=slug))
    return by_course


def _item_fields(row: Row, tags: Iterable[TagRef]) -> dict[str, Any]:
    """A `CourseItem`'s fields from a `.values()` row of COURSE_ROW_FIELDS."""
    category = None
    if row["category_id"] is not None:
        category = CategoryRef(
            id=row["category_id"], name=row["category__name"], slug=row["category__slug"]
        )
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "category": category,
        "tags": tuple(tags),
        "level": row["level"],
        "language": row["language"],
        "price": row["price"],
        "currency": row["currency"],
        "is_free": row["is_free"],
        "thumbnail": row["thumbnail"] or None,
        "instructor": Person(
            id=row["instructor_id"],
            name=display_name_of_row(row, "instructor__"),
            avatar=row["instructor__avatar"] or None,
            headline=row["instructor__instructor_profile__headline"] or "",
        ),
        "rating": row["rating"],
        "review_count": row["review_count"],
        "enrollment_count": row["enrollment_count"],
        "lesson_count": row["lesson_count"],
        "duration_seconds": row["duration_seconds"],
        "status": row["status"],
        "published_at": row["published_at"],
        "updated_at": row["updated_at"],
    }


def course_items(rows: Iterable[Row]) -> list[CourseItem]:
    """`CourseItem`s of `.values()` rows of COURSE_ROW_FIELDS, with their tags: one query."""
    rows = list(rows)
    tags = _tags_by_course({row["id"] for row in rows})
    return [CourseItem(**_item_fields(row, tags.get(row["id"], ()))) for row in rows]


# --- detail and curriculum ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Visible:
    """A course the caller may see: its row and links, and the caller's access to it."""

    row: Row
    tags: tuple[TagRef, ...]
    co_instructors: tuple[Person, ...]
    prerequisites: tuple[PrerequisiteRef, ...]
    enrolled: bool
    full_access: bool
    can_edit: bool


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


def _visible_course(*, user: Any, ref: Any, enrolled: bool | None = None) -> _Visible:
    """A course the user may see by id or slug, or 404: 2 queries, +1 when signed in
    (`enrolled`: the caller's enrollment when it is already known)."""
    row = Course.objects.filter(course_ref_filter(ref)).values(*COURSE_DETAIL_FIELDS).first()
    if row is None:
        raise NotFound()
    tags: list[TagRef] = []
    people: list[Person] = []
    prerequisites: list[PrerequisiteRef] = []
    for kind, link_id, a, b, c, d in _course_links(row["id"]):
        if kind == "tag":
            tags.append(TagRef(id=link_id, name=a, slug=b))
        elif kind == "co_instructor":
            people.append(Person(id=link_id, name=a, avatar=c or None, headline=d))
        else:
            prerequisites.append(PrerequisiteRef(id=link_id, title=a, slug=b, status=c))
    tags.sort(key=lambda tag: tag.name)
    co_ids = [person.id for person in people]
    if enrolled is None:
        enrolled = access.is_enrolled(user, row["id"])
    if not can_see_course(
        user,
        status=row["status"],
        instructor_id=row["instructor_id"],
        co_instructor_ids=co_ids,
        enrolled=enrolled,
    ):
        raise NotFound()
    return _Visible(
        row=row,
        tags=tuple(tags),
        co_instructors=tuple(people),
        prerequisites=tuple(prerequisites),
        enrolled=enrolled,
        full_access=has_full_access(
            user, instructor_id=row["instructor_id"], co_instructor_ids=co_ids, enrolled=enrolled
        ),
        can_edit=can_edit_course(
            user, instructor_id=row["instructor_id"], co_instructor_ids=co_ids
        ),
    )


def _curriculum(
    *, course_id: Any, full_access: bool, completed: Collection[Any]
) -> tuple[CurriculumSection, ...]:
    """Sections with their lessons in ONE query (a left join, so empty sections stay)."""
    rows: QuerySet[Any, tuple[Any, ...]] = (
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
    )
    sections: dict[Any, tuple[str, int]] = {}
    lessons: dict[Any, list[LessonOutline]] = defaultdict(list)
    for row in rows:
        section_id, title, order, lesson_id = row[:4]
        sections.setdefault(section_id, (title, order))
        if lesson_id is not None:
            lesson_title, lesson_type, duration, is_preview, lesson_order = row[4:]
            lessons[section_id].append(
                LessonOutline(
                    id=lesson_id,
                    title=lesson_title,
                    type=lesson_type,
                    duration_seconds=duration,
                    is_preview=is_preview,
                    order=lesson_order,
                    is_completed=lesson_id in completed,
                    locked=not (full_access or is_preview),
                )
            )
    return tuple(
        CurriculumSection(
            id=section_id, title=title, order=order, lessons=tuple(lessons[section_id])
        )
        for section_id, (title, order) in sections.items()
    )


def course_detail(*, user: Any, ref: Any, enrolled: bool | None = None) -> CourseDetail:
    """A course the user may see, with its curriculum, as that user sees it, or 404.

    Three queries for anyone (course, links, curriculum); signed in, the enrollment and,
    when enrolled, the completed lessons are asked of the apps above (catalog.access).
    """
    visible = _visible_course(user=user, ref=ref, enrolled=enrolled)
    row = visible.row
    completed = access.completed_lesson_ids(user, row["id"]) if visible.enrolled else set()
    # The reason a course was rejected is for its authors and staff, not its students.
    shows_reason = visible.can_edit or (visible.full_access and not visible.enrolled)
    return CourseDetail(
        **_item_fields(row, visible.tags),
        description=row["description"],
        outcomes=row["outcomes"],
        requirements=row["requirements"],
        preview_video_id=row["preview_video_id"],
        co_instructors=visible.co_instructors,
        prerequisites=visible.prerequisites,
        is_enrolled=visible.enrolled,
        rejection_reason=row["rejection_reason"] if shows_reason else None,
        curriculum=_curriculum(
            course_id=row["id"], full_access=visible.full_access, completed=completed
        ),
    )


def related_courses(*, user: Any, ref: Any) -> CourseItems:
    """Published courses of the same category or with shared tags, then by popularity."""
    visible = _visible_course(user=user, ref=ref)
    row = visible.row
    tag_ids = [tag.id for tag in visible.tags]
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
    related = published_courses().exclude(pk=row["id"]).filter(match)
    ordered = (
        related.annotate(
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
    return CourseItems(ordered, related.order_by())


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
