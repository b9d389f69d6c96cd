"""Support ticket endpoints: authenticate, authorise, call a selector or a service."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.pagination import PageNumberPagination
from lms.core.permissions import is_staff_member
from lms.core.schema import domain_errors
from lms.support import selectors, services
from lms.support.api import serializers as s
from lms.support.filters import ORDERINGS, TicketFilter
from lms.support.models import TicketCategory, TicketPriority, TicketStatus

# Error answers (400, 401, 403, 404 in the error shape) are added to the schema by the
# AutoSchema (lms.core.schema); the domain codes are listed per operation (@domain_errors).


def _paginated(request: Request, view: APIView, queryset: Any, serializer: Any) -> Response:
    paginator = PageNumberPagination()
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    context = {"request": request}
    return paginator.get_paginated_response(serializer(page, many=True, context=context).data)


class TicketListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=TicketStatus.values, many=True),
            OpenApiParameter("priority", OpenApiTypes.STR, enum=TicketPriority.values, many=True),
            OpenApiParameter("category", OpenApiTypes.STR, enum=TicketCategory.values),
            OpenApiParameter("assignee", OpenApiTypes.UUID),
            OpenApiParameter("unassigned", OpenApiTypes.BOOL),
            OpenApiParameter("owner", OpenApiTypes.UUID, description="staff"),
            OpenApiParameter("search", OpenApiTypes.STR, description="subject, body, email"),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS)),
        ],
        responses=s.TicketSerializer(many=True),
        description="Staff see every ticket, anyone else their own; newest first.",
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        filtered = TicketFilter(request.query_params, queryset=selectors.tickets_visible_to(user))
        if not filtered.is_valid():
            raise ValidationError(filtered.errors)
        return _paginated(request, self, filtered.qs, s.TicketSerializer)

    @extend_schema(request=s.TicketInputSerializer, responses={201: s.TicketSerializer})
    def post(self, request: Request) -> Response:
        user = current_user(request)
        data = s.TicketInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.open_ticket(owner=user, **data.validated_data, request=request)
        ticket = selectors.ticket_for(user=user, ticket_id=ticket.pk)
        return Response(
            s.TicketSerializer(ticket, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class TicketDetailView(APIView):
    @extend_schema(responses=s.TicketSerializer)
    def get(self, request: Request, pk: str) -> Response:
        ticket = selectors.ticket_for(user=current_user(request), ticket_id=pk)
        return Response(s.TicketSerializer(ticket, context={"request": request}).data)

    @domain_errors(
        {
            400: ["assignee_not_staff"],
            403: ["staff_only"],
            409: ["invalid_ticket_state", "ticket_closed"],
        }
    )
    @extend_schema(
        request=s.TicketUpdateInputSerializer,
        responses=s.TicketSerializer,
        description="Staff: `status`, `assignee`, `priority`, `category`. The owner: `status` "
        "`open` (reopen while resolved) or `closed`; anything else 403 `staff_only`. A move "
        "the status table refuses: 409 `invalid_ticket_state`; a change to a closed ticket: "
        "409 `ticket_closed`; an assignee who is not staff: 400 `assignee_not_staff`.",
    )
    def patch(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        ticket = selectors.ticket_for(user=user, ticket_id=pk)
        data = s.TicketUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "assignee" in changes:
            changes["assignee_id"] = changes.pop("assignee")
        services.update_ticket(
            ticket=ticket, by=user, by_staff=is_staff_member(user), request=request, **changes
        )
        ticket = selectors.ticket_for(user=user, ticket_id=pk)
        return Response(s.TicketSerializer(ticket, context={"request": request}).data)


class TicketMessageListView(APIView):
    @extend_schema(responses=s.TicketMessageSerializer(many=True), description="Oldest first.")
    def get(self, request: Request, pk: str) -> Response:
        ticket = selectors.ticket_for(user=current_user(request), ticket_id=pk)
        return _paginated(
            request, self, selectors.messages_of(ticket=ticket), s.TicketMessageSerializer
        )

    @domain_errors({409: ["ticket_closed"]})
    @extend_schema(
        request=s.TicketMessageInputSerializer,
        responses={201: s.TicketMessageSerializer},
        description="The owner or staff; 409 `ticket_closed` on a closed ticket.",
    )
    def post(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        ticket = selectors.ticket_for(user=user, ticket_id=pk)
        data = s.TicketMessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.add_message(ticket=ticket, author=user, body=data.validated_data["body"])
        return Response(
            s.TicketMessageSerializer(message, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
