"""The error codes of catalog, in one place."""

from enum import StrEnum


class CatalogError(StrEnum):
    # review workflow (409 unless noted)
    INVALID_TRANSITION = "invalid_status_transition"
    COURSE_INCOMPLETE = "course_incomplete"  # 400: submit without title/description/...
    COURSE_HAS_NO_LESSONS = "course_has_no_lessons"  # 400
    NOT_DRAFT = "course_not_draft"  # delete outside draft
    # input (400)
    INVALID_PRICE = "invalid_price"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_PREREQUISITE = "invalid_prerequisite"
    PREREQUISITE_CYCLE = "prerequisite_cycle"
    INVALID_REORDER = "invalid_reorder"
    INVALID_MEDIA = "invalid_media"
    INVALID_FILTER = "invalid_filter"
    CATEGORY_CYCLE = "category_cycle"
    # content and playback
    ENROLLMENT_REQUIRED = "enrollment_required"  # 403
    LESSON_HAS_NO_VIDEO = "lesson_has_no_video"  # 400
    INVALID_SIGNATURE = "invalid_signature"  # 403
    VIDEO_PROVIDER_UNAVAILABLE = "video_provider_unavailable"  # 502
    # media library / categories
    MEDIA_IN_USE = "media_in_use"  # 409
    CATEGORY_IN_USE = "category_in_use"  # 409
    SLUG_TAKEN = "slug_taken"  # 409
