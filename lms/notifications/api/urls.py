from django.urls import path

from lms.notifications.api import views

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/unread-count/",
        views.UnreadCountView.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/read-all/",
        views.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        views.EmailPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<uuid:pk>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
]
