"""Domain errors raised by services and mapped to HTTP by DRF's exception handler.

Services raise these with a stable, machine-readable `code`; the error handler
(drf-standardized-errors) renders every one in the single error shape of API.md:
`{"type": "client_error", "errors": [{"code", "detail", "attr"}]}`.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class DomainError(APIException):
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail=message or self.default_detail, code=code or self.default_code)
        self.code = code or self.default_code


class Invalid(DomainError):
    """400: the input breaks a business rule."""


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"
    default_detail = "Authentication failed."


class PaymentRequired(DomainError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "payment_required"
    default_detail = "This requires a payment."


class PermissionDenied(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = "The upload is too large."


class UnsupportedMediaType(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_file_type"
    default_detail = "This file type is not accepted here."


class ServiceUnavailable(DomainError):
    """503: a component this request needs (Redis for the sign-in limits) is down; retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "This cannot be processed right now; try again shortly."


# Seconds a client should wait before retrying a 503 (the `Retry-After` header).
SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5

DATABASE_UNAVAILABLE_DETAIL = "The database cannot be reached right now; try again shortly."


def database_unavailable(exc: BaseException | None) -> ServiceUnavailable | None:
    """The 503 `database_unavailable` for a lost or refused database connection, or None.

    Django wraps the driver's connection failures (server restarting or down, a connection
    killed by a failover, too many connections) in `django.db.OperationalError` and a use of
    a closed connection in `InterfaceError`; neither is a fault of the request or of the
    code, and the same request succeeds once the server is back (persistent connections
    are health-checked and replaced, `CONN_HEALTH_CHECKS`). Integrity and data errors,
    which are faults, stay 500s.
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):
        return ServiceUnavailable(DATABASE_UNAVAILABLE_DETAIL, code="database_unavailable")
    return None
