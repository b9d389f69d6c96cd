"""The error codes of community, in one place."""

from enum import StrEnum


class CommunityError(StrEnum):
    NOT_ENROLLED = "not_enrolled"
    OWN_COURSE = "own_course"
    ALREADY_REVIEWED = "already_reviewed"
    ALREADY_REPLIED = "already_replied"
    OWN_REVIEW = "own_review"
    OWN_ITEM = "own_item"
    NOT_COURSE_INSTRUCTOR = "not_course_instructor"
    INVALID_PARENT = "invalid_parent"
    DISCUSSION_LOCKED = "discussion_locked"
    NOT_A_QUESTION = "not_a_question"
    INVALID_ANSWER = "invalid_answer"
    INVALID_DISCUSSION_STATE = "invalid_discussion_state"
    INVALID_MODERATION_STATE = "invalid_moderation_state"
    ALREADY_REPORTED = "already_reported"
    NO_OPEN_REPORTS = "no_open_reports"
    COMMENT_DELETED = "comment_deleted"
