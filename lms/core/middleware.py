from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "request_too_large",
                            "detail": "The request body is too large.",
                            "attr": None,
                        }
                    ],
                },
                status=413,
            )
        return self.get_response(request)
