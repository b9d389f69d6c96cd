"""What every app's Django admin shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.core.errors import DomainError


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
