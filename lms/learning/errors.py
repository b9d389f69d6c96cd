"""The error codes of learning, in one place (status in the comment)."""

from enum import StrEnum


class LearningError(StrEnum):
    # enrolling
    ALREADY_ENROLLED = "already_enrolled"  # 409
    PAYMENT_REQUIRED = "payment_required"  # 402: a paid course through the free endpoint
    OWN_COURSE = "own_course"  # 400: an instructor enrolling in a course they teach
    PREREQUISITES_NOT_MET = "prerequisites_not_met"  # 409, naming the missing courses
    COURSE_NOT_AVAILABLE = "course_not_available"  # 409: a purchase of an unpublished course
    INVALID_SOURCE = "invalid_source"  # 400
    # progress
    LESSON_NOT_IN_COURSE = "lesson_not_in_course"  # 400
    ENROLLMENT_REVOKED = "enrollment_revoked"  # 403: content access is gone
    INVALID_POSITION = "invalid_position"  # 400
    COMPLETION_BY_ASSESSMENT = "completion_by_assessment"  # 409: a quiz or assignment lesson
    # certificates
    COURSE_NOT_COMPLETED = "course_not_completed"  # 409
