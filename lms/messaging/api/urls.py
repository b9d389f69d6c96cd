from django.urls import path

from lms.messaging.api import views

urlpatterns = [
    path("conversations/", views.ConversationListView.as_view(), name="conversation-list"),
    path(
        "conversations/unread-count/",
        views.UnreadTotalView.as_view(),
        name="conversation-unread-count",
    ),
    path(
        "conversations/<uuid:pk>/",
        views.ConversationDetailView.as_view(),
        name="conversation-detail",
    ),
    path(
        "conversations/<uuid:pk>/messages/",
        views.MessageListView.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<uuid:pk>/read/",
        views.ConversationReadView.as_view(),
        name="conversation-read",
    ),
]
