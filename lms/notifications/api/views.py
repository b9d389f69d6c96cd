from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.core.filters import BooleanFilter
from lms.core.schema import validates_whole_body
from lms.notifications import selectors, services
from lms.notifications.api.serializers import (
    EmailPreferencesSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)
from lms.notifications.models import Category, Notification


class NotificationFilter(django_filters.FilterSet):
    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull")
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Notification
        fields = ["unread", "category"]


class NotificationListView(generics.ListAPIView[Notification]):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self) -> Any:
        return selectors.notifications_of(user_id=self.request.user.pk)


class UnreadCountView(APIView):
    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request: Request) -> Response:
        count = selectors.unread_count(user_id=request.user.pk)
        return Response({"count": count})


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: str) -> Response:
        notification = get_object_or_404(selectors.notifications_of(user_id=request.user.pk), pk=pk)
        notification = services.mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=UnreadCountSerializer)
    def post(self, request: Request) -> Response:
        updated = services.mark_all_read(user=request.user)
        return Response({"count": updated})


class EmailPreferencesView(APIView):
    @extend_schema(responses=EmailPreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response({"email": services.email_preferences(user=request.user)})

    @validates_whole_body
    @extend_schema(request=EmailPreferencesSerializer, responses=EmailPreferencesSerializer)
    def patch(self, request: Request) -> Response:
        serializer = EmailPreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preferences = services.update_email_preferences(
            user=request.user, changes=serializer.validated_data["email"]
        )
        return Response({"email": preferences}, status=status.HTTP_200_OK)
