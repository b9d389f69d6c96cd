"""The one error shape for every error: drf-standardized-errors, with two adjustments."""

from __future__ import annotations

from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework import exceptions


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # simplejwt puts a dict (detail, code, messages) in its detail; flatten it to one
        # error with its own code instead of one error per dict key.
        if isinstance(exc, exceptions.AuthenticationFailed) and isinstance(exc.detail, dict):
            detail = exc.detail.get("detail", "Authentication failed.")
            code = exc.detail.get("code", "authentication_failed")
            flat = exceptions.AuthenticationFailed(detail=str(detail), code=str(code))
            return flat
        return super().convert_known_exceptions(exc)
