"""Conversation and message endpoints: authenticate, authorise, call a selector or a service."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.pagination import PageNumberPagination
from lms.core.schema import domain_errors
from lms.messaging import selectors, services
from lms.messaging.api import serializers as s

# The error answers (400, 401, 403, 404 in the error shape) are added to the schema by the
# AutoSchema (lms.core.schema); the domain codes are listed per operation (@domain_errors).


def _conversation_page(request: Request, conversations: Any) -> dict[str, Any]:
    return {"request": request, "last_messages": selectors.last_messages(list(conversations))}


class ConversationListView(APIView):
    @extend_schema(responses={200: s.ConversationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user = current_user(request)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.conversations_of(user_id=user.pk), request, view=self
        )
        assert page is not None
        context = _conversation_page(request, page)
        return paginator.get_paginated_response(
            s.ConversationSerializer(page, many=True, context=context).data
        )

    @domain_errors({400: ["cannot_message_yourself"], 403: ["not_allowed_to_message"]})
    @extend_schema(
        request=s.ConversationStartInputSerializer,
        responses={
            201: s.ConversationSerializer,
            200: OpenApiResponse(s.ConversationSerializer, "the pair's existing conversation"),
        },
        description="Start (201) or find (200) the conversation with `participant_id`: only "
        "between a student and an instructor who share an enrollment or a booking (403 "
        "`not_allowed_to_message` otherwise; 400 `cannot_message_yourself`).",
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        data = s.ConversationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation, created = services.start_conversation(
            user=user, participant_id=data.validated_data["participant_id"]
        )
        conversation = selectors.conversation_for(user_id=user.pk, conversation_id=conversation.pk)
        context = _conversation_page(request, [conversation])
        return Response(
            s.ConversationSerializer(conversation, context=context).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationDetailView(APIView):
    @extend_schema(responses={200: s.ConversationSerializer})
    def get(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        conversation = selectors.conversation_for(user_id=user.pk, conversation_id=pk)
        context = _conversation_page(request, [conversation])
        return Response(s.ConversationSerializer(conversation, context=context).data)


class UnreadTotalView(APIView):
    @extend_schema(responses={200: s.UnreadTotalSerializer})
    def get(self, request: Request) -> Response:
        return Response({"count": selectors.unread_total(user_id=current_user(request).pk)})


class MessageListView(APIView):
    @extend_schema(
        responses={200: s.MessageSerializer(many=True)},
        description="Newest first: page 1 holds the latest messages.",
    )
    def get(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        conversation = selectors.conversation_for(user_id=user.pk, conversation_id=pk)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.messages_of(conversation=conversation), request, view=self
        )
        return paginator.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(request=s.MessageInputSerializer, responses={201: s.MessageSerializer})
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        conversation = selectors.conversation_for(user_id=user.pk, conversation_id=pk)
        data = s.MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.send_message(
            conversation=conversation, sender=user, body=data.validated_data["body"]
        )
        message.read_at = None  # type: ignore[attr-defined]  # just sent: nobody read it
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ConversationReadView(APIView):
    @extend_schema(request=None, responses={200: s.ReadReceiptsSerializer})
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        conversation = selectors.conversation_for(user_id=user.pk, conversation_id=pk)
        receipts = services.mark_read(conversation=conversation, reader=user)
        return Response(s.ReadReceiptsSerializer(receipts).data)
