"""Community endpoints: authenticate, find what the caller may see, call a service, serialise."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.errors import NotFound
from lms.core.pagination import PageNumberPagination
from lms.core.permissions import IsStaffMember
from lms.core.schema import domain_errors, validates_whole_body

from .. import selectors, services
from ..models import ItemKind
from . import serializers as s

ERROR = OpenApiResponse(description="The standard error shape (docs/architecture.md, Errors).")
COMMON_ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}
WRITE_ERRORS = {**COMMON_ERRORS, 409: ERROR}


def _paginated(
    request: Request,
    view: APIView,
    queryset: QuerySet[Any] | selectors.DiscussionList,
    serializer: type[BaseSerializer[Any]],
) -> Response:
    paginator = PageNumberPagination()
    # DiscussionList is sliced and counted as a queryset is (Django's Paginator needs no more).
    page: list[Any] | None = paginator.paginate_queryset(cast(Any, queryset), request, view=view)
    data = serializer(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


def _ctx(request: Request) -> dict[str, Any]:
    return {"request": request}


def _user_id(request: Request) -> Any:
    return request.user.pk if request.user.is_authenticated else None


# --- reviews -------------------------------------------------------------------------------------


class CourseReviewsView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else list(super().get_permissions())

    @extend_schema(
        parameters=[
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=selectors.REVIEW_ORDERING_CHOICES),
            OpenApiParameter(
                "rating", s.RATING_SCHEMA, description="Only reviews with these stars."
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.ReviewSerializer(many=True), 400: ERROR, 404: ERROR},
    )
    def get(self, request: Request, course: str) -> Response:
        access = selectors.course_access(user=request.user, ref=course)
        query = s.ReviewListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reviews = selectors.reviews_of(
            access=access,
            ordering=query.validated_data.get("ordering") or "newest",
            rating=query.validated_data.get("rating"),
        )
        return _paginated(request, self, reviews, s.ReviewSerializer)

    @domain_errors({403: ["not_enrolled", "own_course"], 409: ["already_reviewed"]})
    @extend_schema(
        request=s.ReviewInputSerializer, responses={201: s.ReviewSerializer, **WRITE_ERRORS}
    )
    def post(self, request: Request, course: str) -> Response:
        user = current_user(request)
        access = selectors.course_access(user=user, ref=course)
        data = s.ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.write_review(access=access, student=user, **data.validated_data)
        review = selectors.review_with_votes(review_id=review.pk, user_id=user.pk)
        return Response(s.ReviewSerializer(review, context=_ctx(request)).data, status=201)


class ReviewDetailView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else list(super().get_permissions())

    @extend_schema(responses={200: s.ReviewSerializer, 404: ERROR})
    def get(self, request: Request, pk: str) -> Response:
        review, _access = selectors.review_for_user(user=request.user, review_id=pk)
        return Response(s.ReviewSerializer(review, context=_ctx(request)).data)

    @extend_schema(
        request=s.ReviewUpdateSerializer, responses={200: s.ReviewSerializer, **COMMON_ERRORS}
    )
    def patch(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.review_for_user(user=user, review_id=pk)
        data = s.ReviewUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.edit_review(review_id=pk, by=user, **data.validated_data)
        review = selectors.review_with_votes(review_id=pk, user_id=user.pk)
        return Response(s.ReviewSerializer(review, context=_ctx(request)).data)

    @extend_schema(responses={204: None, **COMMON_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.review_for_user(user=user, review_id=pk)
        services.delete_review(review_id=pk, by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewHelpfulView(APIView):
    @domain_errors({400: ["own_review"]})
    @extend_schema(request=None, responses={200: s.HelpfulSerializer, **COMMON_ERRORS})
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.review_for_user(user=user, review_id=pk)
        services.vote_review_helpful(review_id=pk, by=user)
        review = selectors.review_with_votes(review_id=pk, user_id=user.pk)
        return Response(s.HelpfulSerializer(review).data)

    @extend_schema(request=None, responses={200: s.HelpfulSerializer, **COMMON_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.review_for_user(user=user, review_id=pk)
        services.unvote_review_helpful(review_id=pk, by=user)
        review = selectors.review_with_votes(review_id=pk, user_id=user.pk)
        return Response(s.HelpfulSerializer(review).data)


class ReviewReplyView(APIView):
    @domain_errors({403: ["not_course_instructor"], 409: ["already_replied"]})
    @extend_schema(
        request=s.ReviewReplyInputSerializer,
        responses={201: s.ReviewSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _review, access = selectors.review_for_user(user=user, review_id=pk)
        data = s.ReviewReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reply_to_review(review_id=pk, access=access, by=user, **data.validated_data)
        review = selectors.review_with_votes(review_id=pk, user_id=user.pk)
        return Response(s.ReviewSerializer(review, context=_ctx(request)).data, status=201)


# --- lesson comments -----------------------------------------------------------------------------


class LessonCommentsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.CommentSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        lesson, access = selectors.lesson_access(user=current_user(request), lesson_id=pk)
        access.require_member_read()
        return _paginated(
            request, self, selectors.comments_of(lesson=lesson, access=access), s.CommentSerializer
        )

    @domain_errors({400: ["invalid_parent"]})
    @extend_schema(
        request=s.CommentInputSerializer, responses={201: s.CommentSerializer, **COMMON_ERRORS}
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        lesson, access = selectors.lesson_access(user=user, lesson_id=pk)
        access.require_member()
        data = s.CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.post_comment(
            lesson=lesson,
            access=access,
            author=user,
            body=data.validated_data["body"],
            parent_id=data.validated_data["parent"],
        )
        return Response(s.CommentSerializer(comment, context=_ctx(request)).data, status=201)


class CommentDetailView(APIView):
    @domain_errors({409: ["comment_deleted"]})
    @validates_whole_body  # `body` is required: the new text replaces the old
    @extend_schema(
        request=s.CommentUpdateSerializer, responses={200: s.CommentSerializer, **WRITE_ERRORS}
    )
    def patch(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.comment_for_user(user=user, comment_id=pk)
        data = s.CommentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.edit_comment(comment_id=pk, by=user, body=data.validated_data["body"])
        return Response(s.CommentSerializer(comment, context=_ctx(request)).data)

    @extend_schema(responses={204: None, **COMMON_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _comment, access = selectors.comment_for_user(user=user, comment_id=pk)
        services.delete_comment(comment_id=pk, access=access, by=user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- discussions ---------------------------------------------------------------------------------


class CourseDiscussionsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="ranked full-text search"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["discussion", "question"]),
            OpenApiParameter("resolved", OpenApiTypes.BOOL),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.DiscussionSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request, course: str) -> Response:
        access = selectors.course_access(user=current_user(request), ref=course)
        access.require_member_read()
        query = s.DiscussionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        discussions = selectors.discussions_of(access=access, **query.validated_data)
        return _paginated(request, self, discussions, s.DiscussionSerializer)

    @extend_schema(
        request=s.DiscussionInputSerializer,
        responses={201: s.DiscussionDetailSerializer, **COMMON_ERRORS},
    )
    def post(self, request: Request, course: str) -> Response:
        user = current_user(request)
        access = selectors.course_access(user=user, ref=course)
        access.require_member()
        data = s.DiscussionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        discussion = services.start_discussion(access=access, author=user, **data.validated_data)
        discussion, _access = selectors.discussion_for_user(user=user, discussion_id=discussion.pk)
        return Response(
            s.DiscussionDetailSerializer(discussion, context=_ctx(request)).data, status=201
        )


class DiscussionDetailView(APIView):
    @extend_schema(responses={200: s.DiscussionDetailSerializer, **COMMON_ERRORS})
    def get(self, request: Request, pk: str) -> Response:
        discussion, _access = selectors.discussion_for_user(
            user=current_user(request), discussion_id=pk
        )
        return Response(s.DiscussionDetailSerializer(discussion, context=_ctx(request)).data)


class DiscussionRepliesView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.ReplySerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        discussion, access = selectors.discussion_for_user(
            user=current_user(request), discussion_id=pk
        )
        replies = selectors.replies_of(discussion=discussion, access=access)
        return _paginated(request, self, replies, s.ReplySerializer)

    @domain_errors({400: ["invalid_parent"], 409: ["discussion_locked"]})
    @extend_schema(
        request=s.ReplyInputSerializer, responses={201: s.ReplySerializer, **WRITE_ERRORS}
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _discussion, access = selectors.discussion_for_user(user=user, discussion_id=pk)
        access.require_member()
        data = s.ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.reply_to_discussion(
            discussion_id=pk,
            access=access,
            author=user,
            body=data.validated_data["body"],
            parent_id=data.validated_data["parent"],
        )
        reply = selectors.reply_with_votes(reply_id=reply.pk, user_id=user.pk)
        return Response(s.ReplySerializer(reply, context=_ctx(request)).data, status=201)


class ReplyUpvoteView(APIView):
    @domain_errors({400: ["own_item"]})
    @extend_schema(request=None, responses={200: s.ReplySerializer, **COMMON_ERRORS})
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _reply, access = selectors.reply_for_user(user=user, reply_id=pk)
        services.upvote_reply(reply_id=pk, access=access, by=user)
        reply = selectors.reply_with_votes(reply_id=pk, user_id=user.pk)
        return Response(s.ReplySerializer(reply, context=_ctx(request)).data)

    @extend_schema(request=None, responses={200: s.ReplySerializer, **COMMON_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        selectors.reply_for_user(user=user, reply_id=pk)
        services.remove_reply_upvote(reply_id=pk, by=user)
        reply = selectors.reply_with_votes(reply_id=pk, user_id=user.pk)
        return Response(s.ReplySerializer(reply, context=_ctx(request)).data)


class DiscussionAcceptView(APIView):
    @domain_errors({400: ["invalid_answer"], 409: ["not_a_question"]})
    @extend_schema(
        request=s.AcceptInputSerializer,
        responses={200: s.DiscussionDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _discussion, access = selectors.discussion_for_user(user=user, discussion_id=pk)
        data = s.AcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.accept_answer(
            discussion_id=pk, access=access, by=user, reply_id=data.validated_data["reply_id"]
        )
        discussion, _access = selectors.discussion_for_user(user=user, discussion_id=pk)
        return Response(s.DiscussionDetailSerializer(discussion, context=_ctx(request)).data)

    @extend_schema(request=None, responses={200: s.DiscussionDetailSerializer, **COMMON_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _discussion, access = selectors.discussion_for_user(user=user, discussion_id=pk)
        services.withdraw_accepted_answer(discussion_id=pk, access=access, by=user)
        discussion, _access = selectors.discussion_for_user(user=user, discussion_id=pk)
        return Response(s.DiscussionDetailSerializer(discussion, context=_ctx(request)).data)


class DiscussionFlagView(APIView):
    """pin, unpin, lock, unlock, resolve, unresolve (`move` from the URL)."""

    move = ""

    @domain_errors({409: ["invalid_discussion_state"]})
    @extend_schema(request=None, responses={200: s.DiscussionDetailSerializer, **WRITE_ERRORS})
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        _discussion, access = selectors.discussion_for_user(user=user, discussion_id=pk)
        services.move_discussion_flag(
            discussion_id=pk, access=access, by=user, move=self.move, request=request
        )
        discussion, _access = selectors.discussion_for_user(user=user, discussion_id=pk)
        return Response(s.DiscussionDetailSerializer(discussion, context=_ctx(request)).data)


# --- reports and moderation ----------------------------------------------------------------------


class ReportView(APIView):
    """POST /{reviews,comments,discussions,replies}/{id}/report/ (`kind` from the URL)."""

    kind = ""

    @domain_errors({400: ["own_item"], 409: ["already_reported"]})
    @extend_schema(
        request=s.ReportInputSerializer, responses={201: s.ReportSerializer, **WRITE_ERRORS}
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        item, access = selectors.item_for_user(user=user, kind=self.kind, item_id=pk)
        data = s.ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_item(
            kind=self.kind, item=item, access=access, by=user, **data.validated_data
        )
        return Response(s.ReportSerializer(report).data, status=201)


class ModerationReportsView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.ReportedItemSerializer(many=True), 401: ERROR, 403: ERROR},
    )
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.open_report_groups(), request, view=self)
        items = selectors.reported_items(list(page or []))
        data = s.ReportedItemSerializer(items, many=True, context=_ctx(request)).data
        return paginator.get_paginated_response(data)


def _kind(value: str) -> str:
    if value not in ItemKind.values:
        raise NotFound("No such kind of item.")
    return value


class ModerationItemView(APIView):
    """POST /moderation/items/{kind}/{id}/hide/ , /restore/ , /dismiss/ (`action` from URL)."""

    permission_classes = [IsStaffMember]
    action = ""

    # hide and restore: `invalid_moderation_state`; dismiss: `no_open_reports`
    @domain_errors({409: ["invalid_moderation_state", "no_open_reports"]})
    @extend_schema(
        request=None,
        responses={
            200: s.ModerationResultSerializer,
            401: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
        },
    )
    def post(self, request: Request, kind: str, pk: str) -> Response:
        staff = current_user(request)
        kind = _kind(kind)
        if self.action == "dismiss":
            decision = services.dismiss_reports(kind=kind, item_id=pk, by=staff, request=request)
        else:
            decision = services.set_item_visibility(
                kind=kind, item_id=pk, by=staff, visible=self.action == "restore", request=request
            )
        return Response(s.ModerationResultSerializer(decision).data)
