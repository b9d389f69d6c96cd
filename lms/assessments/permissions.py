"""Who may do what with a course's quizzes and assignments; reused by selectors and views."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lms.catalog.models import Course, CourseStatus
from lms.catalog.permissions import can_edit_course, can_see_unpublished
from lms.core.errors import NotFound, PermissionDenied
from lms.learning.models import Enrollment
from lms.learning.selectors import active_enrollment

from .errors import AssessmentError
from .models import ReviewVisibility


class Role(StrEnum):
    EDITOR = "editor"  # the course's instructor, co-instructors and admins: read all, write
    STAFF = "staff"  # managers: read everything (answers included) to moderate, write nothing
    STUDENT = "student"  # enrolled with access to the content


@dataclass(frozen=True)
class CourseAccess:
    role: Role
    enrollment: Enrollment | None = None

    @property
    def can_edit(self) -> bool:
        return self.role is Role.EDITOR

    @property
    def sees_answers(self) -> bool:
        """Correct choices and accepted answers: never for a student."""
        return self.role is not Role.STUDENT

    def require_editor(self) -> None:
        if not self.can_edit:
            raise PermissionDenied(
                "Only the course's instructors can do this.",
                code=AssessmentError.NOT_COURSE_INSTRUCTOR,
            )

    def require_student(self) -> Enrollment:
        if self.role is not Role.STUDENT or self.enrollment is None:
            raise PermissionDenied(
                "Enroll in the course first.", code=AssessmentError.ENROLLMENT_REQUIRED
            )
        return self.enrollment


def course_access(*, user: Any, course: Course) -> CourseAccess:
    """The user's role in the course; 403 for a visible course they may not use, else 404."""
    co_ids = list(course.co_instructors.values_list("id", flat=True))
    if can_edit_course(user, instructor_id=course.instructor_id, co_instructor_ids=co_ids):
        return CourseAccess(role=Role.EDITOR)
    enrollment = active_enrollment(user=user, course_id=course.pk)
    if enrollment is not None:
        return CourseAccess(role=Role.STUDENT, enrollment=enrollment)
    if can_see_unpublished(user, instructor_id=course.instructor_id, co_instructor_ids=co_ids):
        return CourseAccess(role=Role.STAFF)
    if course.status == CourseStatus.PUBLISHED:
        raise PermissionDenied(
            "Enroll in the course first.", code=AssessmentError.ENROLLMENT_REQUIRED
        )
    raise NotFound()


def review_visible(*, show_correct_answers: str, submitted: bool, passed: bool | None) -> bool:
    """Whether a student sees the right answers of their attempt: never before submitting."""
    if not submitted:
        return False
    if show_correct_answers == ReviewVisibility.AFTER_SUBMIT:
        return True
    return show_correct_answers == ReviewVisibility.AFTER_PASS and bool(passed)
