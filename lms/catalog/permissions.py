"""Who may do what with a course; reused by selectors, services and views."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from lms.core.permissions import ADMIN, has_role, is_staff_member

from .models import CourseStatus


def is_course_instructor(
    user: Any, *, instructor_id: Any, co_instructor_ids: Collection[Any] = ()
) -> bool:
    """The owner or one of the co-instructors."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk == instructor_id or user.pk in {
        value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        for value in co_instructor_ids
    }


def can_edit_course(user: Any, *, instructor_id: Any, co_instructor_ids: Collection[Any]) -> bool:
    """Authors (owner, co-instructors) and admins edit a course; managers only moderate it."""
    return has_role(user, ADMIN) or is_course_instructor(
        user, instructor_id=instructor_id, co_instructor_ids=co_instructor_ids
    )


def can_see_unpublished(
    user: Any, *, instructor_id: Any, co_instructor_ids: Collection[Any]
) -> bool:
    """A course that is not published is visible to its authors and to platform staff."""
    return is_staff_member(user) or is_course_instructor(
        user, instructor_id=instructor_id, co_instructor_ids=co_instructor_ids
    )


def can_see_course(
    user: Any,
    *,
    status: str,
    instructor_id: Any,
    co_instructor_ids: Collection[Any],
    enrolled: bool = False,
) -> bool:
    """Published courses are public. An unpublished one stays open to the students who hold
    it (`enrolled`: an enrollment with access), as on the big marketplaces: who bought keeps
    it; nobody new finds, buys or joins it. Anything else is its authors' and staff's."""
    if status == CourseStatus.PUBLISHED:
        return True
    if status == CourseStatus.UNPUBLISHED and enrolled:
        return True
    return can_see_unpublished(
        user, instructor_id=instructor_id, co_instructor_ids=co_instructor_ids
    )


def has_full_access(
    user: Any, *, instructor_id: Any, co_instructor_ids: Collection[Any], enrolled: bool
) -> bool:
    """Every lesson's content: the enrolled, the course's instructors and platform staff."""
    return enrolled or can_see_unpublished(
        user, instructor_id=instructor_id, co_instructor_ids=co_instructor_ids
    )
