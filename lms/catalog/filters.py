"""The public course list's filters and orderings (django-filter).

Values outside a closed set (level, ordering, booleans, numbers, UUIDs) are refused with
400 naming the parameter (a price is read as a body's amount: 400 `invalid_amount`); values
that name something (category, tag, language) simply match nothing when nothing has that
name. Unknown parameter names are ignored.
"""

from __future__ import annotations

import functools
from typing import Any

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from lms.accounts.models import University
from lms.accounts.names import display_name_sql
from lms.accounts.universities import verified_members_q
from lms.core.filters import AmountFilter, BooleanFilter

from .models import Course, Level, Tag

SEARCH_CONFIG = "english"

# Each ordering ends in `id` in the same direction as its leading key, so one composite
# index per ordering (models.Course.Meta.indexes) serves it, forwards or backwards, and a
# page is read from the index instead of sorting every published course.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-published_at": ("-published_at", "-id"),
    "-rating": ("-rating", "-id"),
    "-enrollment_count": ("-enrollment_count", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
}
DEFAULT_ORDERING = "-published_at"
ORDERING_ALIASES = {
    "newest": "-published_at",
    "rating": "-rating",
    "popular": "-enrollment_count",
    "price_low": "price",
    "price_high": "-price",
}
ORDERING_CHOICES = [*ORDERINGS, "relevance", *ORDERING_ALIASES]


class LowercaseChoiceField(forms.ChoiceField):
    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().lower()


class LowercaseChoiceFilter(django_filters.ChoiceFilter):
    field_class = LowercaseChoiceField


def search_courses(queryset: QuerySet[Course], term: str, *, rank: bool) -> QuerySet[Course]:
    """Full-text match on the stored vector (PostgreSQL) or icontains (SQLite fallback)."""
    term = term.strip()
    if not term:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
        queryset = queryset.filter(search_vector=query)
        if rank:
            queryset = queryset.annotate(rank=SearchRank(F("search_vector"), query))
        return queryset
    tagged = Tag.objects.filter(name__icontains=term).values("courses")
    # the instructor by the name responses show (lms.accounts.names), as the vector has it
    return queryset.alias(instructor_shown=display_name_sql("instructor__")).filter(
        Q(title__icontains=term)
        | Q(subtitle__icontains=term)
        | Q(description__icontains=term)
        | Q(instructor_shown__icontains=term)
        | Q(pk__in=tagged)
    )


class CourseFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(method="filter_category", max_length=120)
    level = LowercaseChoiceFilter(choices=Level.choices)
    # in each course's own currency: an amount read as a body's (lms.core.filters)
    price_min = AmountFilter(field_name="price", lookup_expr="gte")
    price_max = AmountFilter(field_name="price", lookup_expr="lte")
    is_free = BooleanFilter(field_name="is_free")
    rating_min = django_filters.NumberFilter(
        field_name="rating", lookup_expr="gte", min_value=0, max_value=5
    )
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact", max_length=10)
    instructor = django_filters.UUIDFilter(field_name="instructor_id")
    # courses of instructors with a verified affiliation (lms.accounts.universities)
    university = django_filters.UUIDFilter(method="filter_university")
    tag = django_filters.CharFilter(method="filter_tag", max_length=60)
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    mine = BooleanFilter(method="filter_noop")
    ordering = LowercaseChoiceFilter(
        choices=[(value, value) for value in ORDERING_CHOICES], method="filter_noop"
    )

    class Meta:
        model = Course
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # django-filter deep-copies every declared filter for each FilterSet (each filter
        # holds its parent), then builds a form class and deep-copies a form field per
        # filter, and validates them all: for sixteen filters and one parameter that was
        # most of the list's CPU. A filter whose parameter is absent filters nothing (its
        # cleaned value is empty and `Filter.filter` skips empty values), so only the
        # filters the query names take part, with a form class built once per such set.
        # The class's `base_filters` (the OpenAPI schema's, `_FILTER_PARAMS`) stay whole.
        if data is not None:
            # an instance attribute, read by django-filter's __init__ in place of the class's
            self.__dict__["base_filters"] = _named_filters(
                tuple(name for name in _DECLARED if name in data)
            )
        super().__init__(data, *args, **kwargs)

    def get_form_class(self) -> Any:
        return _form_class(tuple(self.filters))

    def filter_category(self, queryset: QuerySet[Course], name: str, value: str) -> Any:
        # A parent category also lists the courses of its children.
        return queryset.filter(
            Q(category__slug__iexact=value) | Q(category__parent__slug__iexact=value)
        )

    def filter_university(self, queryset: QuerySet[Course], name: str, value: Any) -> Any:
        chosen = University.objects.filter(pk=value).first()
        if chosen is None:
            return queryset.none()
        return queryset.filter(verified_members_q(chosen, prefix="instructor__"))

    def filter_tag(self, queryset: QuerySet[Course], name: str, value: str) -> Any:
        return queryset.filter(pk__in=Tag.objects.filter(slug__iexact=value).values("courses"))

    def filter_search(self, queryset: QuerySet[Course], name: str, value: str) -> Any:
        return search_courses(queryset, value, rank=self.ordering_key() == "relevance")

    def filter_noop(self, queryset: QuerySet[Course], name: str, value: str) -> Any:
        # `ordering` is applied by `ordered`, after every filter; `mine` picks the base queryset.
        return queryset

    def ordering_key(self) -> str:
        """The canonical ordering: aliases resolved; relevance by default while searching."""
        data = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        wanted = data.get("ordering") or ""
        searching = bool((data.get("search") or "").strip())
        if wanted == "relevance" and not searching:
            wanted = ""
        if not wanted:
            wanted = "relevance" if searching else DEFAULT_ORDERING
        return ORDERING_ALIASES.get(wanted, wanted)

    def ordered(self, queryset: QuerySet[Course]) -> QuerySet[Course]:
        key = self.ordering_key()
        if key == "relevance":
            if connection.vendor == "postgresql":
                # `rank` is annotated by search_courses
                return queryset.order_by("-rank", "-enrollment_count", "-id")  # type: ignore[misc]
            return queryset.order_by("-enrollment_count", "-rating", "-id")
        return queryset.order_by(*ORDERINGS[key])


_DECLARED: dict[str, django_filters.Filter] = CourseFilter.base_filters


# At most 2**16 sets of parameter names exist; the ones in use are few. The bound keeps a
# client that sends every combination from growing the process.
@functools.lru_cache(maxsize=256)
def _named_filters(names: tuple[str, ...]) -> dict[str, django_filters.Filter]:
    """The declared filters a query names, in declaration order (shared, never changed:
    FilterSet.__init__ deep-copies the ones it uses)."""
    return {name: _DECLARED[name] for name in names}


@functools.lru_cache(maxsize=256)
def _form_class(names: tuple[str, ...]) -> Any:
    """The form class of a CourseFilter holding these filters, as django-filter builds it."""
    unbound = CourseFilter(queryset=Course.objects.none())
    unbound.filters = {name: unbound.filters[name] for name in names}
    return django_filters.FilterSet.get_form_class(unbound)
