"""The error codes of assessments, in one place (status in the comment)."""

from enum import StrEnum


class AssessmentError(StrEnum):
    # access
    ENROLLMENT_REQUIRED = "enrollment_required"  # 403: not (or no longer) enrolled
    NOT_COURSE_INSTRUCTOR = "not_course_instructor"  # 403: enrolled or staff, but not an author
    # quiz authoring (400)
    INVALID_CHOICES = "invalid_choices"
    INVALID_ACCEPTED_ANSWERS = "invalid_accepted_answers"
    QUESTION_TYPE_LOCKED = "question_type_locked"  # 400: delete it and add a new question
    # attempts
    QUIZ_HAS_NO_QUESTIONS = "quiz_has_no_questions"  # 409
    MAX_ATTEMPTS_REACHED = "max_attempts_reached"  # 409
    ATTEMPT_IN_PROGRESS = "attempt_in_progress"  # 409: finish (or let expire) the open one
    ATTEMPT_ALREADY_SUBMITTED = "attempt_already_submitted"  # 409
    ATTEMPT_EXPIRED = "attempt_expired"  # 409: past the deadline and its grace
    QUESTION_NOT_IN_QUIZ = "question_not_in_quiz"  # 400: a question of another quiz
    DUPLICATE_ANSWER = "duplicate_answer"  # 400: two answers to one question
    INVALID_ANSWER = "invalid_answer"  # 400: choices of another question, text for a choice...
    QUESTION_CHANGED = "question_changed"  # 400: a choice shown at the start was edited away since
    # assignments
    INVALID_FILE_TYPES = "invalid_file_types"  # 400
    INVALID_PASS_SCORE = "invalid_pass_score"  # 400: above max_score
    EMPTY_SUBMISSION = "empty_submission"  # 400: neither text nor file
    FILES_NOT_ACCEPTED = "files_not_accepted"  # 415: a text-only assignment
    SUBMISSION_ALREADY_GRADED = "submission_already_graded"  # 409
    SUBMISSION_CONFLICT = "submission_conflict"  # 409: two first submissions at once
    INVALID_SCORE = "invalid_score"  # 400: below 0 or above max_score
    NO_FILE = "no_file"  # 404: a text-only submission's file
