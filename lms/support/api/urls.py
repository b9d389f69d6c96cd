from django.urls import path

from lms.support.api import views

urlpatterns = [
    path("support/tickets/", views.TicketListView.as_view(), name="ticket-list"),
    path("support/tickets/<uuid:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path(
        "support/tickets/<uuid:pk>/messages/",
        views.TicketMessageListView.as_view(),
        name="ticket-messages",
    ),
]
