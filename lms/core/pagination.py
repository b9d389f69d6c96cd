from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """`count/next/previous/results`, `?page=&page_size=` (default 20, at most 100).

    `page` past the end, or not a positive integer (ASCII digits), is 404 `not_found` (DRF's);
    `page_size` that is not a positive integer is 400 `invalid` (DRF would ignore it
    silently), one above 100 is cut to 100; either sent empty is as if absent. The OpenAPI
    document says the same (`get_schema_operation_parameters`,
    `lms.core.schema.page_parameters`).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.getlist(self.page_size_query_param)
        given = raw and raw != [""]  # empty is absent, as for `page`
        if given and (
            len(raw) != 1 or not raw[0].isascii() or not raw[0].isdigit() or int(raw[0]) < 1
        ):
            raise ValidationError(
                {self.page_size_query_param: ["A positive integer is required."]},
                code="invalid",
            )
        return super().get_page_size(request)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        page_number = super().get_page_number(request, paginator)
        # Django's Paginator reads `int("٣")` as 3: a page is ASCII digits, as documented
        # (lms.core.serializers, numbers are ASCII)
        if isinstance(page_number, str) and not page_number.isascii():
            raise NotFound(
                self.invalid_page_message.format(page_number=page_number, message="Invalid page.")
            )
        return page_number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
