"""Every action the audit log records, in one enum (no action name is built at run time).

The values are the stored `AuditLog.action` strings; the audit API filters by them.
"""

from enum import StrEnum


class AuditAction(StrEnum):
    # assessments
    ASSESSMENTS_ASSIGNMENT_UPDATED = "assessments.assignment_updated"
    ASSESSMENTS_QUESTION_ADDED = "assessments.question_added"
    ASSESSMENTS_QUESTION_DELETED = "assessments.question_deleted"
    ASSESSMENTS_QUESTION_UPDATED = "assessments.question_updated"
    ASSESSMENTS_QUIZ_UPDATED = "assessments.quiz_updated"
    ASSESSMENTS_SUBMISSION_GRADED = "assessments.submission_graded"
    # auth
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"
    AUTH_PASSWORD_RESET = "auth.password_reset"
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"
    AUTH_2FA_SETUP_STARTED = "auth.2fa_setup_started"
    AUTH_2FA_ENABLED = "auth.2fa_enabled"
    AUTH_2FA_DISABLED = "auth.2fa_disabled"
    AUTH_2FA_CHALLENGE_ISSUED = "auth.2fa_challenge_issued"
    AUTH_2FA_FAILED = "auth.2fa_failed"
    AUTH_2FA_RECOVERY_CODE_USED = "auth.2fa_recovery_code_used"
    AUTH_2FA_ENROLLMENT_REQUIRED = "auth.2fa_enrollment_required"
    # booking (tutoring)
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_COMPLETED = "booking.completed"
    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_CREATED = "booking.created"
    BOOKING_PAID = "booking.paid"
    BOOKING_REFUNDED = "booking.refunded"
    BOOKING_RESCHEDULED = "booking.rescheduled"
    TESTIMONIAL_CREATED = "testimonial.created"
    # category
    CATEGORY_CREATE = "category.create"
    CATEGORY_DELETE = "category.delete"
    CATEGORY_UPDATE = "category.update"
    # community
    COMMUNITY_COMMENT_REMOVED = "community.comment_removed"
    COMMUNITY_DISCUSSION_LOCKED = "community.discussion_locked"
    COMMUNITY_DISCUSSION_PINNED = "community.discussion_pinned"
    COMMUNITY_DISCUSSION_RESOLVED = "community.discussion_resolved"
    COMMUNITY_DISCUSSION_UNLOCKED = "community.discussion_unlocked"
    COMMUNITY_DISCUSSION_UNPINNED = "community.discussion_unpinned"
    COMMUNITY_DISCUSSION_UNRESOLVED = "community.discussion_unresolved"
    COMMUNITY_ITEM_HIDDEN = "community.item_hidden"
    COMMUNITY_ITEM_RESTORED = "community.item_restored"
    COMMUNITY_REPORTS_DISMISSED = "community.reports_dismissed"
    # coupon
    COUPON_CREATED = "coupon.created"
    COUPON_DEACTIVATED = "coupon.deactivated"
    # course
    COURSE_APPROVE = "course.approve"
    COURSE_CREATE = "course.create"
    COURSE_DELETE = "course.delete"
    COURSE_PUBLISH = "course.publish"
    COURSE_REJECT = "course.reject"
    COURSE_REVENUE_SHARES_SET = "course.revenue_shares_set"
    COURSE_SUBMIT = "course.submit"
    COURSE_THUMBNAIL = "course.thumbnail"
    COURSE_UNPUBLISH = "course.unpublish"
    COURSE_UPDATE = "course.update"
    # instructor_application
    INSTRUCTOR_APPLICATION_APPROVED = "instructor_application.approved"
    INSTRUCTOR_APPLICATION_REJECTED = "instructor_application.rejected"
    INSTRUCTOR_APPLICATION_SUBMITTED = "instructor_application.submitted"
    # learning
    LEARNING_CERTIFICATE_ISSUED = "learning.certificate_issued"
    LEARNING_COURSE_COMPLETED = "learning.course_completed"
    LEARNING_ENROLLED = "learning.enrolled"
    LEARNING_ENROLLMENT_REACTIVATED = "learning.enrollment_reactivated"
    LEARNING_ENROLLMENT_REVOKED = "learning.enrollment_revoked"
    # lesson
    LESSON_DELETE = "lesson.delete"
    # media
    MEDIA_DELETE = "media.delete"
    MEDIA_UPLOAD = "media.upload"
    # order
    ORDER_CANCELLED = "order.cancelled"
    ORDER_FAILED = "order.failed"
    ORDER_PAID = "order.paid"
    ORDER_PARTIALLY_REFUNDED = "order.partially_refunded"
    ORDER_PLACED = "order.placed"
    ORDER_REFUNDED = "order.refunded"
    # payment
    PAYMENT_AMOUNT_MISMATCH = "payment.amount_mismatch"
    PAYMENT_CREATED = "payment.created"
    PAYMENT_DISPUTED = "payment.disputed"
    # refund
    REFUND_EXTERNAL_PARTIAL = "refund.external_partial"
    REFUND_FAILED = "refund.failed"
    REFUND_REQUESTED = "refund.requested"
    REFUND_SUCCEEDED = "refund.succeeded"
    # section
    SECTION_DELETE = "section.delete"
    # support (tickets)
    SUPPORT_TICKET_ASSIGNED = "support.ticket_assigned"
    SUPPORT_TICKET_CLOSED = "support.ticket_closed"
    SUPPORT_TICKET_IN_PROGRESS = "support.ticket_in_progress"
    SUPPORT_TICKET_OPENED = "support.ticket_opened"
    SUPPORT_TICKET_REOPENED = "support.ticket_reopened"
    SUPPORT_TICKET_RESOLVED = "support.ticket_resolved"
    SUPPORT_TICKET_UPDATED = "support.ticket_updated"
    # staff_group: the Django admin's auth groups ("Managers"), their name and permissions
    STAFF_GROUP_CREATED = "staff_group.created"
    STAFF_GROUP_CHANGED = "staff_group.changed"
    STAFF_GROUP_DELETED = "staff_group.deleted"
    # tag
    TAG_CREATE = "tag.create"
    TAG_DELETE = "tag.delete"
    # user
    USER_ACTIVATED = "user.activated"
    USER_DEACTIVATED = "user.deactivated"
    USER_EMAIL_VERIFIED = "user.email_verified"
    USER_REGISTERED = "user.registered"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_RENAMED = "user.renamed"  # by staff (the Django admin): field names only
    USER_DELETED = "user.deleted"
    USER_DATA_EXPORT_REQUESTED = "user.data_export_requested"
    USER_DATA_EXPORT_READY = "user.data_export_ready"
    USER_DATA_EXPORT_DOWNLOADED = "user.data_export_downloaded"
    USER_UNIVERSITY_SET = "user.university_set"
    USER_UNIVERSITY_REMOVED = "user.university_removed"
    # Where an instructor is paid or what they charge (field names only, never the values).
    USER_PAYMENT_SETTINGS_CHANGED = "user.payment_settings_changed"
    # withdrawal
    WITHDRAWAL_APPROVED = "withdrawal.approved"
    WITHDRAWAL_PAID = "withdrawal.paid"
    WITHDRAWAL_REJECTED = "withdrawal.rejected"
    WITHDRAWAL_REQUESTED = "withdrawal.requested"
    WITHDRAWAL_TRANSFER_FAILED = "withdrawal.transfer_failed"
    WITHDRAWAL_TRANSFER_RETRIED = "withdrawal.transfer_retried"
    WITHDRAWAL_TRANSFER_UNEXPECTED = "withdrawal.transfer_unexpected"
