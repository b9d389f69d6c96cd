from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path


def error_response(
    status: int, code: str, detail: str, *, attr: str | None = None, type_: str = "client_error"
) -> JsonResponse:
    """A response in the project's one error shape, for code that runs outside DRF."""
    return JsonResponse(
        {"type": type_, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status
    )


class RequestBodyLimitMiddleware:
    """Refuse request bodies over MAX_REQUEST_BODY_BYTES with 413 before anything reads them.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count file parts of a multipart body,
    so without this an upload of any size would be streamed to disk. Per-field limits
    (5 MB avatars, 10 MB documents) are checked by the upload validators.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_response(413, "request_too_large", "The request body is too large.")
        return self.get_response(request)


class NullCharactersMiddleware:
    """A NUL character in the path is a 404, in a query parameter a 400, before any view.

    PostgreSQL refuses NUL in text, so a NUL that reaches a lookup is a 500. No route
    matches such a path (404, as for any unknown address); query parameters answer as a
    serializer's CharField would (`null_characters_not_allowed`). Bodies are checked by
    the parsers of `lms.core.parsers`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return error_response(404, "not_found", "Not found.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return error_response(
                    400,
                    "null_characters_not_allowed",
                    "Null characters are not allowed.",
                    attr=name.replace("\x00", ""),
                    type_="validation_error",
                )
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Responses to an authenticated request carry `Cache-Control: private, no-store`.

    They hold one person's data: no shared cache (proxy, CDN) may keep them, and no browser
    should write them to disk. DRF sets `request.user` on the Django request once it has
    authenticated a token; a request that sent credentials counts even where a view never
    looked at them. Signed media links are anonymous and keep their own short private cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        if authenticated or "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
        return response


def _is_api_path(path_info: str) -> bool:
    return path_info == "/api" or path_info.startswith("/api/")


class ErrorShapeMiddleware:
    """The answers Django gives outside any view, in the error shape, whatever DEBUG says.

    - An `/api/` address that only lacks its trailing slash (`POST /api/v1/auth/login`)
      answers 404 `not_found` naming the slashed address, for every method. Django's
      CommonMiddleware (APPEND_SLASH) would redirect it with a 301, which a client follows
      with a GET and without its body, and with DEBUG on it raises a RuntimeError (an HTML
      500) for a POST, PUT or PATCH. An API client calls the documented address; it is told
      which, rather than redirected.
    - An unknown address under `/api/` (and `/api` itself) answers 404 `not_found`: Django
      renders it with `handler404` (`lms.core.views`) only while DEBUG is off; with DEBUG on
      (`make run`) it renders its HTML technical page. A view's own JSON 404 is kept.
    - A wrong method on any route answers 405 `method_not_allowed` with its `Allow` header,
      as DRF's views do: the plain Django views (health, the media stream) answer Django's
      empty `HttpResponseNotAllowed`, which this replaces.

    Sits inside CorsMiddleware, so the answers carry the CORS headers like any other, and
    outside CommonMiddleware, so the slash check runs before Django's redirect.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path_info = request.path_info
        api = _is_api_path(path_info)
        if api and not path_info.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path_info, urlconf) and is_valid_path(f"{path_info}/", urlconf):
                return error_response(
                    404,
                    "not_found",
                    f"Not found. API addresses end with a slash: {request.path}/",
                )
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404 and api:
            return error_response(404, "not_found", "Not found.")
        if response.status_code == 405:
            refused = error_response(
                405, "method_not_allowed", f'Method "{request.method}" not allowed.'
            )
            if "Allow" in response:
                refused["Allow"] = response["Allow"]
            return refused
        return response
