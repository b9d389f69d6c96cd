from django.urls import path

from . import views

urlpatterns = [
    path("tutors/", views.TutorListView.as_view(), name="tutor-list"),
    path("tutors/<uuid:tutor_id>/", views.TutorDetailView.as_view(), name="tutor-detail"),
    path(
        "tutors/<uuid:tutor_id>/availability/",
        views.TutorAvailabilityView.as_view(),
        name="tutor-availability",
    ),
    path("availability-slots/", views.SlotListView.as_view(), name="availability-slot-list"),
    path(
        "availability-slots/<uuid:slot_id>/",
        views.SlotDetailView.as_view(),
        name="availability-slot-detail",
    ),
    path("availability-weekly/", views.WeeklyListView.as_view(), name="availability-weekly-list"),
    path(
        "availability-weekly/<uuid:weekly_id>/",
        views.WeeklyDetailView.as_view(),
        name="availability-weekly-detail",
    ),
    path("tutor-settings/", views.TutorSettingsView.as_view(), name="tutor-settings"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/<uuid:booking_id>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path(
        "bookings/<uuid:booking_id>/confirm/",
        views.BookingConfirmView.as_view(),
        name="booking-confirm",
    ),
    path(
        "bookings/<uuid:booking_id>/complete/",
        views.BookingCompleteView.as_view(),
        name="booking-complete",
    ),
    path(
        "bookings/<uuid:booking_id>/cancel/",
        views.BookingCancelView.as_view(),
        name="booking-cancel",
    ),
    path(
        "bookings/<uuid:booking_id>/reschedule/",
        views.BookingRescheduleView.as_view(),
        name="booking-reschedule",
    ),
    path("bookings/<uuid:booking_id>/ics/", views.BookingIcsView.as_view(), name="booking-ics"),
    path("testimonials/", views.TestimonialListView.as_view(), name="testimonial-list"),
]
