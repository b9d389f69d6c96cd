"""What every app's Django admin shares.

The rule (docs/operations.md, Admin): an admin form that changes something a service owns
saves through that service (`save_model`, `save_formset`, `delete_model` and the actions call
it with `by=` the staff member and `request=`), so audit lines, token revocation, search
documents, cache bumps and notifications happen exactly as through the API; a field no
service writes is read-only in the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from rest_framework.exceptions import ValidationError

from lms.core.errors import DomainError
from lms.core.models import UnsentTask

_M = TypeVar("_M", bound=Model)


def _reasons(detail: Any) -> list[str]:
    """The plain messages of a DomainError's or DRF ValidationError's detail, fields named."""
    if isinstance(detail, dict):
        return [f"{field}: {text}" for field, value in detail.items() for text in _reasons(value)]
    if isinstance(detail, list):
        return [text for value in detail for text in _reasons(value)]
    return [str(detail)]


def apply_to_each(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    action: Callable[[Any], Any],
    *,
    done: str,
) -> None:
    """An admin action: run `action` (a service call) on each selected object. One the
    service refuses (a DomainError) is reported with its reason and the others go on; `done`
    reports how many went through, e.g. "{count} course(s) approved."."""
    count = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.detail}", messages.WARNING)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done.format(count=count), messages.SUCCESS)


class ViewOnlyAdmin(admin.ModelAdmin[Any]):
    """Rows only services write (money, audit lines, profiles): staff read them here, and
    nothing is added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdmin(admin.ModelAdmin[_M]):
    """A model admin whose `save_model`/`delete_model` call services. A refusal (a
    DomainError, or a DRF ValidationError naming a field) rolls the whole form back and comes
    back as an error message on the same page, not a 500. The bulk "delete selected" action
    is off: it would delete without `delete_model`."""

    def _refused(self, request: HttpRequest, exc: DomainError | ValidationError) -> HttpResponse:
        for reason in _reasons(exc.detail):
            self.message_user(request, f"Not saved: {reason}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:  # Django runs the view in one transaction: an exception rolls it all back
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as exc:
            return self._refused(request, exc)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except (DomainError, ValidationError) as exc:
            return self._refused(request, exc)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _max_attempts() -> int:
    return settings.CELERY_OUTBOX_MAX_ATTEMPTS


class UnsentTaskStateFilter(admin.SimpleListFilter):
    """Waiting (the resend still tries it) or given up (CELERY_OUTBOX_MAX_ATTEMPTS failed
    resends of its own: left for an operator)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "waiting"), ("given_up", "given up")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "waiting":
            return queryset.filter(attempts__lt=_max_attempts())
        if self.value() == "given_up":
            return queryset.filter(attempts__gte=_max_attempts())
        return queryset


@admin.register(UnsentTask)
class UnsentTaskAdmin(ViewOnlyAdmin):
    """The task outbox, read-only: tasks waiting for the broker, oldest first. Beat's
    `resend_unsent_tasks` sends them and deletes each one sent; a row that stays (`attempts`
    growing, `last_error` set) is what an operator looks at, and a row "given up" (its own
    failures reached CELERY_OUTBOX_MAX_ATTEMPTS) is never tried again: fix its task or
    arguments in a shell (attempts back to 0) or delete it (docs/operations.md)."""

    list_display = ("created_at", "task", "attempts", "last_error", "given_up")
    list_filter = (UnsentTaskStateFilter, "task", "last_error")
    ordering = ("created_at", "id")
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="given up")
    def given_up(self, obj: UnsentTask) -> bool:
        return obj.attempts >= _max_attempts()
