import logging
import sys
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_safe

from lms.core.errors import (
    DATABASE_UNAVAILABLE_DETAIL,
    SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
    database_unavailable,
)
from lms.core.exception_handler import request_exception_as_error

logger = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str, type_: str = "client_error") -> JsonResponse:
    return JsonResponse(
        {"type": type_, "errors": [{"code": code, "detail": detail, "attr": None}]}, status=status
    )


# Health checks change nothing: GET and HEAD only, and any other method is the 405 of the
# error shape (lms.core.middleware.ErrorShapeMiddleware), not the CSRF middleware's 403 page.
@csrf_exempt
@require_safe
@never_cache
def health_live(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked."""
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_safe
@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    """The process can serve: the database and the cache both answer."""
    checks: dict[str, str] = {}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("readiness: database check failed")
        checks["database"] = "error"
    try:
        key = f"health:{uuid.uuid4().hex}"
        cache.set(key, "1", timeout=5)
        checks["cache"] = "ok" if cache.get(key) == "1" else "error"
        cache.delete(key)
    except Exception:
        logger.exception("readiness: cache check failed")
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 400 (a request exception outside DRF) in the error shape; 413 for too big."""
    error = request_exception_as_error(exception) if exception is not None else None
    if error is None:
        return _error(400, "bad_request", "The request was refused.")
    return _error(error.status_code, error.code, str(error.detail))


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    """handler500: the error shape for an exception no view handled.

    Django calls it while the exception is being handled, so `sys.exc_info()` names it: a
    lost database connection raised outside a DRF view (a middleware reading the session or
    the user) is the same 503 `database_unavailable` as inside one, with `Retry-After`.
    """
    unavailable = database_unavailable(sys.exc_info()[1])
    if unavailable is not None:
        response = _error(
            unavailable.status_code,
            "database_unavailable",
            DATABASE_UNAVAILABLE_DETAIL,
            type_="server_error",
        )
        response["Retry-After"] = str(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
    return _error(500, "error", "A server error occurred.", type_="server_error")


# A fixed ~2 KB document: fifteen small records, the shape of a typical list page.
_BENCH_FLOOR_DOCUMENT = {
    "count": 15,
    "next": None,
    "previous": None,
    "results": [
        {
            "id": f"00000000-0000-4000-8000-{index:012d}",
            "title": f"Benchmark floor item {index:02d}",
            "slug": f"benchmark-floor-item-{index:02d}",
            "price": "19.99",
        }
        for index in range(15)
    ],
}


@require_GET
def bench_floor(request: HttpRequest) -> JsonResponse:
    """The load benchmark's floor: a bare Django view, no DRF, no database (BENCH_ENDPOINTS)."""
    return JsonResponse(_BENCH_FLOOR_DOCUMENT)
