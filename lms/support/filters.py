"""The ticket list's filters: `?status=&priority=&category=&assignee=&unassigned=&owner=
&search=&ordering=` (owners filter their own tickets the same way)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from lms.core.filters import BooleanFilter
from lms.support.models import Ticket, TicketCategory, TicketPriority, TicketStatus

ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "priority": ("priority_rank", "created_at", "id"),  # most urgent, then oldest
    "activity": ("-last_activity_at", "-id"),
}


class BlankIsNoChoiceField(django_filters.fields.MultipleChoiceField):
    """`?status=` (empty) is no filter, as an empty single-choice filter is: the document says
    the parameter may be empty (`allowEmptyValue`); `?status=open&status=` is `open`."""

    def to_python(self, value: Any) -> list[str]:
        return [item for item in super().to_python(value) if item != ""]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = BlankIsNoChoiceField


class TicketFilter(django_filters.FilterSet):
    status = MultipleChoiceFilter(choices=TicketStatus.choices)
    priority = MultipleChoiceFilter(choices=TicketPriority.choices)
    category = django_filters.ChoiceFilter(choices=TicketCategory.choices)
    assignee = django_filters.UUIDFilter(field_name="assignee_id")
    unassigned = BooleanFilter(field_name="assignee", lookup_expr="isnull")
    owner = django_filters.UUIDFilter(field_name="owner_id")
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="filter_ordering"
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> Any:
        return queryset.filter(
            Q(subject__icontains=value) | Q(body__icontains=value) | Q(owner__email__iexact=value)
        )

    def filter_ordering(self, queryset: QuerySet[Ticket], name: str, value: str) -> Any:
        return queryset.order_by(*ORDERINGS[value])
