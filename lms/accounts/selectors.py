"""Reads of accounts, each scoped to what the caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from lms.accounts.models import InstructorApplication, Role, User
from lms.accounts.names import display_name_sql
from lms.core.permissions import is_staff_member


def user_with_profiles(*, user_id: Any) -> User:
    return User.objects.select_related(
        "student_profile", "instructor_profile", "affiliation__university"
    ).get(pk=user_id)


def public_instructors(*, search: str | None = None) -> QuerySet[User]:
    queryset = (
        User.objects.filter(role=Role.INSTRUCTOR, is_active=True)
        .select_related("instructor_profile")
        .order_by("-instructor_profile__student_count", "created_at")
    )
    if search:  # the name as shown (names.display_name_sql), so "Ada Lovelace" finds her
        queryset = queryset.alias(shown_name=display_name_sql()).filter(
            Q(shown_name__icontains=search) | Q(instructor_profile__headline__icontains=search)
        )
    return queryset


def users_for_staff(
    *, role: str | None = None, search: str | None = None, is_active: bool | None = None
) -> QuerySet[User]:
    queryset = User.objects.order_by("-created_at")
    if role:
        queryset = queryset.filter(role=role)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if search:  # the address, or the name as shown (names.display_name_sql)
        queryset = queryset.alias(shown_name=display_name_sql()).filter(
            Q(email__icontains=search) | Q(shown_name__icontains=search)
        )
    return queryset


def staff_members(*, roles: tuple[str, ...] = (Role.ADMIN, Role.MANAGER)) -> QuerySet[User]:
    """Active staff (admins and managers, or the `roles` given): who works the review queues."""
    return User.objects.filter(role__in=roles, is_active=True).order_by("pk")


def applications_visible_to(
    user: User, *, status: str | None = None
) -> QuerySet[InstructorApplication]:
    """Staff see every application; anyone else only their own, newest first. With one
    status it is a queue (staff's `?status=pending`): oldest first."""
    queryset = InstructorApplication.objects.select_related("user").order_by("-created_at")
    if status:
        queryset = queryset.filter(status=status).order_by("created_at", "id")
    return queryset if is_staff_member(user) else queryset.filter(user=user)


def application_for_user(*, user: User, application_id: object) -> InstructorApplication:
    return get_object_or_404(applications_visible_to(user), pk=application_id)
