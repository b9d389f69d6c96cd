"""Tickets in the Django admin: the staff queue with its filters; status, assignee, priority
and category change through `services.update_ticket` (audit lines, notifications, the state
table), the rest is read-only, and messages are read here (staff reply through the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest

from lms.core.admin import ServiceAdmin, apply_to_each
from lms.core.permissions import ADMIN, MANAGER
from lms.support import services
from lms.support.models import Ticket, TicketMessage, TicketStatus

EDITABLE = ("status", "assignee", "priority", "category")


class TicketMessageInline(admin.TabularInline[TicketMessage, Ticket]):
    model = TicketMessage
    fields = ("created_at", "author", "from_staff", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin[Ticket]):
    list_display = (
        "subject",
        "owner",
        "status",
        "priority",
        "category",
        "assignee",
        "last_activity_at",
        "created_at",
    )
    list_filter = ("status", "priority", "category", ("assignee", admin.RelatedOnlyFieldListFilter))
    search_fields = ("subject", "body", "owner__email")
    list_select_related = ("owner", "assignee")
    date_hierarchy = "created_at"
    fields = (
        "subject",
        "body",
        "owner",
        *EDITABLE,
        "last_activity_at",
        "resolved_at",
        "closed_at",
        "created_at",
    )
    readonly_fields = (
        "subject",
        "body",
        "owner",
        "last_activity_at",
        "resolved_at",
        "closed_at",
        "created_at",
    )
    inlines = (TicketMessageInline,)
    actions = ("take", "mark_in_progress", "mark_resolved", "mark_closed")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets are opened by their owners, through the API

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        queryset = getattr(field, "queryset", None)
        if db_field.name == "assignee" and field is not None and queryset is not None:
            field.queryset = queryset.filter(is_active=True, role__in=(ADMIN, MANAGER))
        return field

    def save_model(
        self, request: HttpRequest, obj: Ticket, form: ModelForm[Ticket], change: bool
    ) -> None:
        changes: dict[str, Any] = {}
        for name in form.changed_data:
            if name == "assignee":
                changes["assignee_id"] = obj.assignee_id
            elif name in EDITABLE:
                changes[name] = getattr(obj, name)
        if changes:
            # the form set the fields on `obj`: the service reads the row again under its lock
            services.update_ticket(
                ticket=obj, by=request.user, by_staff=True, request=request, **changes
            )

    def _move_each(
        self, request: HttpRequest, queryset: QuerySet[Ticket], to: str, done: str
    ) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda ticket: services.update_ticket(
                ticket=ticket, by=request.user, by_staff=True, status=to, request=request
            ),
            done=done,
        )

    @admin.action(permissions=["change"], description="Assign to me")
    def take(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda ticket: services.update_ticket(
                ticket=ticket,
                by=request.user,
                by_staff=True,
                assignee_id=request.user.pk,
                request=request,
            ),
            done="{count} ticket(s) assigned to you.",
        )

    @admin.action(permissions=["change"], description="Mark in progress")
    def mark_in_progress(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._move_each(
            request, queryset, TicketStatus.IN_PROGRESS, "{count} ticket(s) in progress."
        )

    @admin.action(permissions=["change"], description="Mark resolved")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._move_each(request, queryset, TicketStatus.RESOLVED, "{count} ticket(s) resolved.")

    @admin.action(permissions=["change"], description="Close")
    def mark_closed(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._move_each(request, queryset, TicketStatus.CLOSED, "{count} ticket(s) closed.")
