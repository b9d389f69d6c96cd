"""Role permissions shared by every app. Roles are plain strings on the user (accounts.Role)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

ADMIN = "admin"
MANAGER = "manager"
# The Django admin group of managers (created by commerce migration 0006; accounts keeps it).
MANAGER_GROUP = "Managers"
INSTRUCTOR = "instructor"
STUDENT = "student"


def has_role(user: Any, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def is_staff_member(user: Any) -> bool:
    """Admins and managers: platform staff."""
    return has_role(user, ADMIN, MANAGER)


class _RolePermission(BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, *self.roles)


class IsAdmin(_RolePermission):
    roles = (ADMIN,)


class IsStaffMember(_RolePermission):
    roles = (ADMIN, MANAGER)


class IsInstructor(_RolePermission):
    roles = (INSTRUCTOR, ADMIN)
