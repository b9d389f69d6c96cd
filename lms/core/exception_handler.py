"""The one error shape for every error: drf-standardized-errors, with a few adjustments."""

from __future__ import annotations

import logging

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import UnreadablePostError
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework import exceptions
from rest_framework.response import Response

from lms.core.errors import (
    SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
    DomainError,
    Invalid,
    PayloadTooLarge,
    ServiceUnavailable,
    database_unavailable,
)

logger = logging.getLogger(__name__)


def request_exception_as_error(exc: Exception) -> DomainError | None:
    """The 4xx of a Django-level request exception (raised while reading the request), or None.

    Django answers these with 400 outside DRF; inside a DRF view they would be a 500. Too
    big a body is a 413 like the bodies RequestBodyLimitMiddleware refuses.
    """
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge("The request body is too large.", code="request_too_large")
    if isinstance(exc, TooManyFieldsSent):
        return Invalid("The request has too many fields.", code="too_many_fields")
    if isinstance(exc, TooManyFilesSent):
        return Invalid("The request has too many files.", code="too_many_files")
    if isinstance(exc, SuspiciousOperation):
        return Invalid("The request was refused.", code="bad_request")
    if isinstance(exc, UnreadablePostError):
        return Invalid("The request body could not be read.", code="unreadable_body")
    return None


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # simplejwt puts a dict (detail, code, messages) in its detail; flatten it to one
        # error with its own code instead of one error per dict key.
        if isinstance(exc, exceptions.AuthenticationFailed) and isinstance(exc.detail, dict):
            detail = exc.detail.get("detail", "Authentication failed.")
            code = exc.detail.get("code", "authentication_failed")
            flat = exceptions.AuthenticationFailed(detail=str(detail), code=str(code))
            return flat
        unavailable = database_unavailable(exc)
        if unavailable is not None:
            logger.warning("database_unavailable exception=%s", type(exc).__name__)
            return unavailable
        return request_exception_as_error(exc) or super().convert_known_exceptions(exc)

    def get_headers(self, exc: exceptions.APIException) -> dict[str, str]:
        headers: dict[str, str] = super().get_headers(exc)
        if isinstance(exc, ServiceUnavailable):
            headers.setdefault("Retry-After", str(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS))
        return headers

    def report_exception(self, exc: exceptions.APIException, response: Response) -> None:
        # A component that is down (503 service_unavailable) is logged where it is found, as
        # a warning; it is no server error to report with a traceback.
        if isinstance(exc, ServiceUnavailable):
            return
        super().report_exception(exc, response)
