"""The error codes of commerce, in one place (HTTP status in the comment)."""

from enum import StrEnum

from rest_framework import status

from lms.core.errors import DomainError


class CommerceError(StrEnum):
    # cart (API.md)
    ALREADY_ENROLLED = "already_enrolled"  # 409
    ALREADY_IN_CART = "already_in_cart"  # 409
    CURRENCY_MISMATCH = "currency_mismatch"  # 409: another currency than the cart's
    COURSE_IS_FREE = "course_is_free"  # 400
    COURSE_NOT_AVAILABLE = "course_not_available"  # 400: not published
    OWN_COURSE = "own_course"  # 400: you teach it
    CART_EMPTY = "cart_empty"  # 400
    ALREADY_IN_WISHLIST = "already_in_wishlist"  # 409
    # coupons
    COUPON_INVALID = "coupon_invalid"  # 400: no such code, or switched off
    COUPON_NOT_STARTED = "coupon_not_started"  # 400
    COUPON_EXPIRED = "coupon_expired"  # 400
    COUPON_EXHAUSTED = "coupon_exhausted"  # 400 (409 when it runs out between order and payment)
    COUPON_NOT_APPLICABLE = "coupon_not_applicable"  # 400: no item of the cart is in its scope
    COUPON_CURRENCY_MISMATCH = "coupon_currency_mismatch"  # 400: fixed amount in another currency
    COUPON_CODE_TAKEN = "coupon_code_taken"  # 409
    INVALID_COUPON = "invalid_coupon"  # 400: bad value, window, scope or limits at creation
    NOT_YOUR_COURSE = "not_your_course"  # 400: a coupon or share on another instructor's course
    # orders and payments
    INVALID_ORDER_STATE = "invalid_order_state"  # 409
    ORDER_NOT_PAYABLE = "order_not_payable"  # 409: checkout of an order that is not pending
    PAYMENT_PROVIDER_ERROR = "payment_provider_error"  # 502: the provider failed or timed out
    SIMULATION_UNAVAILABLE = "simulation_unavailable"  # 409: simulate without the fake provider
    INVALID_SIGNATURE = "invalid_signature"  # 400: webhook signature bad, stale or from the future
    WEBHOOK_FAILED = "webhook_processing_failed"  # 503: handler failed; the provider retries
    RECEIPT_UNAVAILABLE = "receipt_unavailable"  # 409: the order was never paid
    BOOKING_CHECKOUT_UNAVAILABLE = "booking_checkout_unavailable"  # 400: tutoring not built yet
    UNKNOWN_SELLABLE_KIND = "unknown_sellable_kind"  # 400: no app sells this kind
    AMBIGUOUS_CHECKOUT = "ambiguous_checkout"  # 400: order_id and booking_id at once
    # refunds
    ALREADY_REFUNDED = "already_refunded"  # 409
    REFUND_FAILED = "refund_failed"  # 409: the provider declined the refund
    REFUND_IN_PROGRESS = "refund_in_progress"  # 409
    REFUND_WINDOW_CLOSED = "refund_window_closed"  # 403
    TOO_MUCH_PROGRESS = "too_much_progress"  # 403: 30 % or more of the course completed
    # revenue shares
    INVALID_SHARES = "invalid_shares"  # 400


class ProviderUnavailable(DomainError):
    """502: the payment provider failed or timed out; nothing was granted or taken."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = CommerceError.PAYMENT_PROVIDER_ERROR
    default_detail = "The payment provider is unavailable; please try again."


class WebhookFailed(DomainError):
    """503: an event could not be handled now; the provider delivers it again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = CommerceError.WEBHOOK_FAILED
    default_detail = "The event could not be processed; it will be retried."
