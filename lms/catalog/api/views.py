"""Catalog endpoints: thin views that check access, call a selector or a service, shape output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.db_routing import primary
from lms.core.errors import NotAuthenticated, NotFound, PermissionDenied
from lms.core.files import ranged_file_response
from lms.core.filters import AMOUNT_QUERY_SCHEMA
from lms.core.pagination import PageNumberPagination
from lms.core.parsers import FormParser, MultiPartParser
from lms.core.permissions import IsAdmin, IsInstructor, IsStaffMember, is_staff_member
from lms.core.renderers import dumps
from lms.core.rendering import render
from lms.core.schema import domain_errors

from .. import access, selectors, services
from .. import cache as response_cache
from ..errors import CatalogError
from ..filters import ORDERING_CHOICES
from ..models import CourseStatus, Level, MediaAsset, MediaKind, Tag
from ..read_models import CourseDetail
from ..video import media_id_from_token, video_provider
from . import serializers as s

# The 400 codes of a course's input, created or changed (a category or prerequisite id that
# names nothing is DRF's `does_not_exist`).
COURSE_INPUT_ERRORS = (
    "invalid_price",
    "invalid_amount",
    "invalid_currency",
    "invalid_prerequisite",
    "does_not_exist",
)

# The 400 codes of a list's query: an amount (`price_min`, `price_max`), a value outside a
# closed set (`level`, `ordering`, `status`), a boolean or UUID that is not one (`is_free`,
# `instructor`), a rating outside 0-5, a text longer than its parameter allows.
LIST_QUERY_ERRORS = (
    "invalid_amount",
    "invalid_choice",
    "invalid",
    "min_value",
    "max_value",
    "max_length",
)

COURSE_LIST_PARAMETERS = [
    OpenApiParameter(
        "category",
        {"type": "string", "maxLength": 120},
        description="Category slug (its subcategories too).",
    ),
    OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values),
    OpenApiParameter(
        "price_min",
        AMOUNT_QUERY_SCHEMA,
        description="Lowest price, in each course's own currency (e.g. `10` or `9.99`; at most "
        "9 digits and 3 decimals, else 400 `invalid_amount`).",
    ),
    OpenApiParameter(
        "price_max",
        AMOUNT_QUERY_SCHEMA,
        description="Highest price, in each course's own currency (e.g. `50` or `49.99`; at "
        "most 9 digits and 3 decimals, else 400 `invalid_amount`).",
    ),
    OpenApiParameter("is_free", OpenApiTypes.BOOL),
    OpenApiParameter("rating_min", {"type": "number", "minimum": 0, "maximum": 5}),
    OpenApiParameter("language", {"type": "string", "maxLength": 10}),
    OpenApiParameter("instructor", OpenApiTypes.UUID),
    OpenApiParameter("tag", {"type": "string", "maxLength": 60}, description="Tag slug."),
    OpenApiParameter("search", {"type": "string", "maxLength": 200}),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES),
    OpenApiParameter("mine", OpenApiTypes.BOOL, description="Your own courses, in every state."),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=CourseStatus.values,
        description="Staff (admin, manager): the courses in this state, the longest waiting "
        "first (`pending` is the review queue). Anyone else gets the public list whatever "
        "the state named.",
    ),
]


class CatalogView(APIView):
    """Permissions chosen per HTTP method: reads are public, writes need a role."""

    read_permissions: Sequence[type[BasePermission]] = (AllowAny,)
    write_permissions: Sequence[type[BasePermission]] = (IsInstructor,)

    def get_permissions(self) -> list[BasePermission]:
        chosen = (
            self.read_permissions
            if self.request.method in ("GET", "HEAD", "OPTIONS")
            else self.write_permissions
        )
        return [permission() for permission in chosen]


def _paginated(view: APIView, request: Request, queryset: Any, shape: Any) -> Response:
    paginator: PageNumberPagination = PageNumberPagination()
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(shape(page or []))


def _course_list(view: APIView, request: Request, params: Any) -> Any:
    """A page of `CourseItem`s with `count/next/previous`, as response data."""
    items = selectors.course_list(user=request.user, params=params)
    return _course_page(view, request, items)


def _course_page(view: APIView, request: Request, items: selectors.CourseItems) -> Any:
    paginator = PageNumberPagination()
    page: list[Any] = paginator.paginate_queryset(items, request, view=view) or []  # type: ignore[arg-type]
    rendered = render(s.CourseListItemSerializer, page, context={"request": request}, many=True)
    return paginator.get_paginated_response(rendered).data


def _course_detail(request: Request, ref: Any) -> Any:
    """The course with its curriculum as the caller sees it, as response data."""
    course = selectors.course_detail(user=request.user, ref=ref)
    return s.CourseDetailSerializer(course, context={"request": request}).data


def _public_read(
    request: Request, kind: str, answer: Callable[[], Any], *, shared: bool
) -> HttpResponseBase:
    """`answer()` as JSON; kept in the versioned response cache when `shared`, i.e. when it
    holds nothing that depends on who asks (catalog.cache). Errors are never kept."""
    if not shared:
        return Response(answer())
    key = response_cache.key_for(request, kind)
    body = response_cache.get(key)
    if body is None:
        with primary():  # a kept answer must not be a lagging replica's (config/db_router.py)
            body = dumps(answer())
        response_cache.put(key, body)
    return _json(body)


def _course_read(
    request: Request, kind: str, ref: Any, render: Callable[[CourseDetail], Any]
) -> HttpResponseBase:
    """A course's detail or curriculum. The anonymous answer is cached with the course's id
    and authors; a signed-in caller who is not enrolled, not an author and not staff gets
    that same answer (every per-user field reads for them as for nobody: `is_enrolled`
    false, paid lessons `locked`, nothing completed, no `rejection_reason`), after one query
    for the enrollment. Anyone else gets their own answer, built and never kept."""
    user = request.user
    key = response_cache.key_for(request, kind)
    page = response_cache.get_course_page(key)
    enrolled = None
    if page is not None:
        if not user.is_authenticated:
            return _json(page.body)
        if not is_staff_member(user) and user.pk not in page.author_ids:
            enrolled = access.is_enrolled(user, page.course_id)
            if not enrolled:
                return _json(page.body)
    with primary():  # this answer may be kept and shared: never a lagging replica's
        course = selectors.course_detail(user=user, ref=ref, enrolled=enrolled)
    data = render(course)
    authors = frozenset({course.instructor.id, *(person.id for person in course.co_instructors)})
    if user.is_authenticated and (
        course.is_enrolled or is_staff_member(user) or user.pk in authors
    ):
        return Response(data)
    # Anonymous, or signed in with nothing of their own here: the shared answer.
    body = dumps(data)
    response_cache.put_course_page(
        key, response_cache.CoursePage(body=body, course_id=course.id, author_ids=authors)
    )
    return _json(body)


def _json(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json")


# Accept headers DRF's negotiation answers with JSON whatever the renderers (none sent: wrk,
# curl, fetch without headers). Any other value takes the full path, which negotiates.
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})


class CachedAnonymousRead(CatalogView):
    """A public read whose anonymous answer is kept in the response cache (catalog.cache),
    served on a hit BEFORE DRF's machinery: no content negotiation, no authentication
    classes, no permission objects, no serializers, only the cache and the throttles.

    The fast path is taken only for a GET of a view whose reads are open to anyone
    (`AllowAny`: no permission to check), with no `Authorization` header (JWT is the API's
    one way to sign in, so nobody is signed in), an Accept header answered with JSON anyway,
    a host `ALLOWED_HOSTS` accepts and a query that `shared_query` allows; the caller must
    still be anonymous once DRF's `Request` is built (a test client's `force_authenticate`
    is not). The view's own throttles run exactly as DRF runs them (`check_throttles`, a
    refusal is its 429 in the error shape). On a miss, or any doubt, the request goes
    through `dispatch` as before, which builds the answer and fills the cache: the key, the
    version read and the entry are the same ones, so invalidation is unchanged.

    The answer carries what DRF would add (`Allow`); the middleware adds the rest.
    """

    cache_kind = ""

    def shared_query(self, query: Any) -> bool:
        """Whether an anonymous answer for these query parameters may come from the cache."""
        return True

    def cached_anonymous_body(self, key: str) -> bytes | None:
        return response_cache.get(key)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        answer = self._from_cache(request, *args, **kwargs)
        if answer is not None:
            return answer
        return super().dispatch(request, *args, **kwargs)

    def _from_cache(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase | None:
        meta = request.META
        if (
            request.method != "GET"
            or any(permission is not AllowAny for permission in self.read_permissions)
            or "HTTP_AUTHORIZATION" in meta
            or meta.get("HTTP_ACCEPT", "") not in _JSON_ACCEPTS
            or not self.shared_query(request.GET)
        ):
            return None
        try:
            key = response_cache.key_for(request, self.cache_kind)
        except DisallowedHost:
            return None  # the full path answers it
        body = self.cached_anonymous_body(key)
        if body is None:
            return None
        drf_request = Request(request)  # no authenticators: no header, nobody signed in
        if drf_request.user.is_authenticated:
            return None
        self.args, self.kwargs = args, kwargs
        self.request = drf_request
        self.headers = self.default_response_headers
        self.format_kwarg = None
        try:
            self.check_throttles(drf_request)
        except Throttled as exc:
            return self.finalize_response(drf_request, self.handle_exception(exc))
        response = _json(body)
        for name, value in self.headers.items():
            response[name] = value
        return response


# --- categories and tags ------------------------------------------------------------------------


class CategoryListView(CatalogView):
    write_permissions = (IsAdmin,)

    @extend_schema(responses=s.CategoryOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        queryset = selectors.categories_with_counts()
        return _paginated(
            self, request, queryset, lambda page: s.CategoryOutputSerializer(page, many=True).data
        )

    @domain_errors({400: ["does_not_exist"], 409: ["slug_taken"]})
    @extend_schema(request=s.CategoryInputSerializer, responses={201: s.CategoryOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.CategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.create_category(
            by=current_user(request), data=data.validated_data, request=request
        )
        category = selectors.category_by_ref(ref=category.pk)
        return Response(s.CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(CatalogView):
    write_permissions = (IsAdmin,)

    @extend_schema(responses=s.CategoryOutputSerializer)
    def get(self, request: Request, category: str) -> Response:
        return Response(s.CategoryOutputSerializer(selectors.category_by_ref(ref=category)).data)

    @domain_errors({400: ["category_cycle", "does_not_exist"], 409: ["slug_taken"]})
    @extend_schema(request=s.CategoryUpdateInputSerializer, responses=s.CategoryOutputSerializer)
    def patch(self, request: Request, category: str) -> Response:
        found = selectors.category_by_ref(ref=category)
        data = s.CategoryUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_category(
            category=found, by=current_user(request), data=data.validated_data, request=request
        )
        return Response(s.CategoryOutputSerializer(selectors.category_by_ref(ref=found.pk)).data)

    @domain_errors({409: ["category_in_use"]})
    @extend_schema(responses={204: None})
    def delete(self, request: Request, category: str) -> Response:
        services.delete_category(
            category=selectors.category_by_ref(ref=category),
            by=current_user(request),
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagListView(CatalogView):
    write_permissions = (IsAdmin,)

    @extend_schema(responses=s.TagOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        queryset = selectors.tags_in_use().values("id", "name", "slug")
        return _paginated(self, request, queryset, list)

    @domain_errors({409: ["slug_taken"]})
    @extend_schema(request=s.TagInputSerializer, responses={201: s.TagOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.TagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.create_tag(
            by=current_user(request), name=data.validated_data["name"], request=request
        )
        return Response(s.TagOutputSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailView(CatalogView):
    write_permissions = (IsAdmin,)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        tag = Tag.objects.filter(pk=pk).first()
        if tag is None:
            raise NotFound()
        services.delete_tag(tag=tag, by=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- courses ------------------------------------------------------------------------------------


class CourseListView(CachedAnonymousRead):
    cache_kind = "list"

    def shared_query(self, query: Any) -> bool:
        return "mine" not in query  # anonymous: `status` is ignored (API.md)

    @domain_errors({400: LIST_QUERY_ERRORS})
    @extend_schema(
        parameters=COURSE_LIST_PARAMETERS, responses=s.CourseListItemSerializer(many=True)
    )
    def get(self, request: Request) -> HttpResponseBase:
        # A list page holds no per-user field: one cached answer serves every caller, except
        # `?mine=`, which lists the caller's own courses, and a staff member's `?status=` (a
        # review queue), which is neither served from nor kept in the shared cache.
        return _public_read(
            request,
            "list",
            lambda: _course_list(self, request, request.query_params),
            shared="mine" not in request.query_params
            and selectors.staff_status_filter(user=request.user, params=request.query_params)
            is None,
        )

    @domain_errors({400: [*COURSE_INPUT_ERRORS, "slug_taken"]})
    @extend_schema(request=s.CourseInputSerializer, responses={201: s.CourseDetailSerializer})
    def post(self, request: Request) -> Response:
        data = s.CourseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.create_course(
            by=current_user(request), data=data.validated_data, request=request
        )
        return Response(_course_detail(request, course.pk), status=status.HTTP_201_CREATED)


class SearchView(CachedAnonymousRead):
    cache_kind = "search"

    def shared_query(self, query: Any) -> bool:
        return "mine" not in query

    @domain_errors({400: LIST_QUERY_ERRORS})
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", {"type": "string", "maxLength": 200}, description="Without it, every course."
            ),
            *COURSE_LIST_PARAMETERS,
        ],
        responses=s.CourseListItemSerializer(many=True),
    )
    def get(self, request: Request) -> HttpResponseBase:
        params = request.query_params.copy()
        params["search"] = request.query_params.get("q", params.get("search", ""))
        return _public_read(
            request,
            "search",
            lambda: _course_list(self, request, params),
            shared="mine" not in params
            and selectors.staff_status_filter(user=request.user, params=params) is None,
        )


class CourseDetailView(CachedAnonymousRead):
    cache_kind = "detail"

    def cached_anonymous_body(self, key: str) -> bytes | None:
        page = response_cache.get_course_page(key)
        return None if page is None else page.body

    @extend_schema(responses=s.CourseDetailSerializer)
    def get(self, request: Request, course: str) -> HttpResponseBase:
        return _course_read(
            request,
            "detail",
            course,
            lambda detail: s.CourseDetailSerializer(detail, context={"request": request}).data,
        )

    @domain_errors({400: [*COURSE_INPUT_ERRORS, "prerequisite_cycle"]})
    @extend_schema(request=s.CourseUpdateInputSerializer, responses=s.CourseDetailSerializer)
    def patch(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        data = s.CourseUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_course(
            course=found, by=current_user(request), data=data.validated_data, request=request
        )
        return Response(_course_detail(request, found.pk))

    @domain_errors({409: ["course_not_draft"]})
    @extend_schema(responses={204: None})
    def delete(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        services.delete_course(course=found, by=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseThumbnailView(CatalogView):
    parser_classes = [MultiPartParser, FormParser]

    @domain_errors(
        {413: ["file_too_large"], 415: ["unsupported_file_type", "invalid_image", "empty_file"]}
    )
    @extend_schema(request=s.ThumbnailInputSerializer, responses=s.CourseDetailSerializer)
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        data = s.ThumbnailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_course_thumbnail(
            course=found, file=data.validated_data["thumbnail"], by=current_user(request)
        )
        return Response(_course_detail(request, found.pk))


class CourseSubmitView(CatalogView):
    @domain_errors(
        {400: ["course_incomplete", "course_has_no_lessons"], 409: ["invalid_status_transition"]}
    )
    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        services.submit_course_for_review(course=found, by=current_user(request), request=request)
        return Response(_course_detail(request, found.pk))


class CourseModerationView(CatalogView):
    """approve / publish / unpublish: staff only."""

    write_permissions = (IsStaffMember,)
    action = ""
    actions = {
        "approve": services.approve_course,
        "publish": services.publish_course,
        "unpublish": services.unpublish_course,
    }

    @domain_errors({409: ["invalid_status_transition"]})
    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_moderation(ref=course)
        self.actions[self.action](course=found, by=current_user(request), request=request)
        return Response(_course_detail(request, found.pk))


class CourseRejectView(CatalogView):
    write_permissions = (IsStaffMember,)

    @domain_errors({409: ["invalid_status_transition"]})
    @extend_schema(request=s.CourseRejectInputSerializer, responses=s.CourseDetailSerializer)
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_moderation(ref=course)
        data = s.CourseRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reject_course(
            course=found,
            by=current_user(request),
            reason=data.validated_data["reason"],
            request=request,
        )
        return Response(_course_detail(request, found.pk))


class CurriculumView(CachedAnonymousRead):
    pagination_class = None  # answered whole (lms.core.schema)
    cache_kind = "curriculum"

    def cached_anonymous_body(self, key: str) -> bytes | None:
        page = response_cache.get_course_page(key)
        return None if page is None else page.body

    @extend_schema(responses=s.CurriculumSectionSerializer(many=True))
    def get(self, request: Request, course: str) -> HttpResponseBase:
        return _course_read(
            request,
            "curriculum",
            course,
            lambda detail: s.CurriculumField().to_representation(detail.curriculum),
        )


class RelatedCoursesView(CatalogView):
    @extend_schema(responses=s.CourseListItemSerializer(many=True))
    def get(self, request: Request, course: str) -> Response:
        items = selectors.related_courses(user=request.user, ref=course)
        return Response(_course_page(self, request, items))


# --- sections and lessons -----------------------------------------------------------------------


class SectionListView(CatalogView):
    pagination_class = None  # answered whole (lms.core.schema)
    read_permissions = (IsInstructor,)

    @extend_schema(responses=s.SectionOutputSerializer(many=True))
    def get(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        return Response(
            s.SectionOutputSerializer(selectors.sections_of(course=found), many=True).data
        )

    @extend_schema(request=s.SectionInputSerializer, responses={201: s.SectionOutputSerializer})
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        data = s.SectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        section = services.create_section(
            course=found, by=current_user(request), **data.validated_data
        )
        return Response(s.SectionOutputSerializer(section).data, status=status.HTTP_201_CREATED)


class SectionReorderView(CatalogView):
    @domain_errors({400: ["invalid_reorder"]})
    @extend_schema(request=s.ReorderInputSerializer, responses=s.SectionOutputSerializer(many=True))
    def post(self, request: Request, course: str) -> Response:
        found = selectors.course_for_editing(user=request.user, ref=course)
        data = s.ReorderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reorder_sections(
            course=found, by=current_user(request), ids=data.validated_data["ids"]
        )
        return Response(
            s.SectionOutputSerializer(selectors.sections_of(course=found), many=True).data
        )


class SectionDetailView(CatalogView):
    @extend_schema(request=s.SectionUpdateInputSerializer, responses=s.SectionOutputSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        section = selectors.section_for_editing(user=request.user, section_id=pk)
        data = s.SectionUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        section = services.update_section(
            section=section, by=current_user(request), data=data.validated_data
        )
        return Response(s.SectionOutputSerializer(section).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        section = selectors.section_for_editing(user=request.user, section_id=pk)
        services.delete_section(section=section, by=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _lesson_data(request: Request, lesson: Any) -> Any:
    return s.LessonOutputSerializer(lesson, context={"user": request.user, "request": request}).data


class LessonListView(CatalogView):
    pagination_class = None  # answered whole (lms.core.schema)
    read_permissions = (IsInstructor,)

    @extend_schema(responses=s.LessonOutputSerializer(many=True))
    def get(self, request: Request, pk: str) -> Response:
        section = selectors.section_for_editing(user=request.user, section_id=pk)
        lessons = selectors.lessons_of(section=section)
        return Response(
            s.LessonOutputSerializer(
                lessons, many=True, context={"user": request.user, "request": request}
            ).data
        )

    @domain_errors({400: ["does_not_exist"]})
    @extend_schema(request=s.LessonInputSerializer, responses={201: s.LessonOutputSerializer})
    def post(self, request: Request, pk: str) -> Response:
        section = selectors.section_for_editing(user=request.user, section_id=pk)
        data = s.LessonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.create_lesson(
            section=section, by=current_user(request), data=data.validated_data
        )
        return Response(_lesson_data(request, lesson), status=status.HTTP_201_CREATED)


class LessonReorderView(CatalogView):
    @domain_errors({400: ["invalid_reorder"]})
    @extend_schema(request=s.ReorderInputSerializer, responses=s.LessonOutputSerializer(many=True))
    def post(self, request: Request, pk: str) -> Response:
        section = selectors.section_for_editing(user=request.user, section_id=pk)
        data = s.ReorderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reorder_lessons(
            section=section, by=current_user(request), ids=data.validated_data["ids"]
        )
        lessons = selectors.lessons_of(section=section)
        return Response(
            s.LessonOutputSerializer(
                lessons, many=True, context={"user": request.user, "request": request}
            ).data
        )


def _readable_lesson(request: Request, pk: str) -> Any:
    """The lesson with its content, or 401/403 for callers who may only see its outline."""
    found = selectors.lesson_for_viewing(user=request.user, lesson_id=pk)
    if not found.can_view_content:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        raise PermissionDenied(
            "Enroll in the course to open this lesson.", code=CatalogError.ENROLLMENT_REQUIRED
        )
    return found.lesson


class LessonDetailView(CatalogView):
    @extend_schema(responses=s.LessonOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(_lesson_data(request, _readable_lesson(request, pk)))

    @domain_errors({400: ["does_not_exist"]})
    @extend_schema(request=s.LessonUpdateInputSerializer, responses=s.LessonOutputSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        lesson = selectors.lesson_for_editing(user=request.user, lesson_id=pk)
        data = s.LessonUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lesson = services.update_lesson(
            lesson=lesson, by=current_user(request), data=data.validated_data
        )
        return Response(_lesson_data(request, lesson))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        lesson = selectors.lesson_for_editing(user=request.user, lesson_id=pk)
        services.delete_lesson(lesson=lesson, by=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlaybackView(CatalogView):
    @domain_errors(
        {
            400: ["lesson_has_no_video"],
            403: ["enrollment_required"],
            502: ["video_provider_unavailable"],
        }
    )
    @extend_schema(responses=s.PlaybackOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        lesson = _readable_lesson(request, pk)
        credential = video_provider().playback(lesson=lesson, user=request.user, request=request)
        return Response(s.PlaybackOutputSerializer(credential).data)


# --- media library ------------------------------------------------------------------------------


class MediaListView(CatalogView):
    read_permissions = (IsInstructor,)
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=MediaKind.values)],
        responses=s.MediaOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.media_of(user=request.user)
        kind = request.query_params.get("kind")
        if kind:
            if kind not in MediaKind.values:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"kind": ["Unknown kind."]}, code="invalid_choice")
            queryset = queryset.filter(kind=kind)

        def shape(page: list[MediaAsset]) -> Any:
            usage = selectors.media_usage(assets=page)
            return s.MediaOutputSerializer(
                page, many=True, context={"usage": usage, "user": request.user, "request": request}
            ).data

        return _paginated(self, request, queryset, shape)

    @domain_errors({413: ["file_too_large"], 415: ["unsupported_file_type", "empty_file"]})
    @extend_schema(request=s.MediaInputSerializer, responses={201: s.MediaOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.MediaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = services.upload_media(
            owner=current_user(request), **data.validated_data, request=request
        )
        return Response(
            s.MediaOutputSerializer(
                asset, context={"usage": {}, "user": request.user, "request": request}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class MediaDetailView(CatalogView):
    # Any signed-in caller: another's asset is 404 (never 403 for someone else's object).
    read_permissions = (IsAuthenticated,)
    write_permissions = (IsAuthenticated,)

    @extend_schema(responses=s.MediaOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        asset = selectors.media_for_owner(user=request.user, media_id=pk)
        usage = selectors.media_usage(assets=[asset])
        return Response(
            s.MediaOutputSerializer(
                asset, context={"usage": usage, "user": request.user, "request": request}
            ).data
        )

    @domain_errors({409: ["media_in_use"]})
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        asset = selectors.media_for_owner(user=request.user, media_id=pk)
        services.delete_media(asset=asset, by=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


_ATTACHMENT_KINDS = {MediaKind.SLIDES, MediaKind.ARCHIVE}


# No CSRF check: the signed token is the authorisation, and an unsafe method must get 405 from
# require_safe, not 403 from the CSRF middleware (found by schemathesis). HEAD answers as GET
# does, without the body (RangedMediaResponse); the 405 is put in the error shape by
# lms.core.middleware.ErrorShapeMiddleware.
@csrf_exempt
@require_safe
def media_stream(request: HttpRequest, token: str) -> HttpResponseBase:
    """Serve a media file to whoever holds a valid, unexpired signed token; nothing else."""
    media_id = media_id_from_token(token)
    asset = MediaAsset.objects.filter(pk=media_id).first() if media_id else None
    if asset is None:
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [
                    {
                        "code": CatalogError.INVALID_SIGNATURE.value,
                        "detail": "This link is invalid or has expired.",
                        "attr": None,
                    }
                ],
            },
            status=403,
        )
    extension = (asset.file.name or "").rsplit(".", 1)[-1]
    # Range requests (206/416): players seek, and Safari and iOS play only what answers them.
    response = ranged_file_response(
        request,
        asset.file,
        content_type=asset.content_type,
        as_attachment=asset.kind in _ATTACHMENT_KINDS,
        filename=f"{asset.pk}.{extension}",
    )
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
