"""Tutoring in the Django admin: slots and bookings read here; bookings are changed only by
their services (actions below), so the audit lines, refunds and notifications happen."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.accounts.current import current_user
from lms.core.admin import ViewOnlyAdmin, apply_to_each

from . import services
from .models import AvailabilitySlot, Booking, Testimonial, TutorSettings, WeeklyAvailability


@admin.register(AvailabilitySlot)
class AvailabilitySlotAdmin(ViewOnlyAdmin):
    list_display = ["tutor", "start", "end", "weekly"]
    list_filter = ["start"]
    search_fields = ["tutor__email"]
    date_hierarchy = "start"
    list_select_related = ["tutor"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(ViewOnlyAdmin):
    list_display = ["tutor", "weekday", "start_time", "duration_minutes", "timezone"]
    search_fields = ["tutor__email"]
    list_select_related = ["tutor"]


@admin.register(Booking)
class BookingAdmin(ViewOnlyAdmin):
    list_display = ["id", "student", "tutor", "start", "status", "price", "currency"]
    list_filter = ["status", "cancel_reason", "currency"]
    search_fields = ["student__email", "tutor__email", "id"]
    date_hierarchy = "start"
    list_select_related = ["student", "tutor"]
    actions = ["cancel_with_refund"]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        """Staff who hold the model's change permission (the rows stay read-only in forms:
        `has_change_permission` is False, so the action cannot ask for "change" itself)."""
        return bool(request.user.has_perm("tutoring.change_booking"))

    @admin.action(
        permissions=["cancel"], description="Cancel the selected bookings (full refund when paid)"
    )
    def cancel_with_refund(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        staff = current_user(request)
        apply_to_each(
            self,
            request,
            queryset,
            lambda booking: services.cancel_booking(
                by=staff, booking=booking, reason="Cancelled by staff"
            ),
            done="{count} booking(s) cancelled.",
        )


@admin.register(Testimonial)
class TestimonialAdmin(ViewOnlyAdmin):
    list_display = ["tutor", "student", "rating", "created_at"]
    list_filter = ["rating"]
    list_select_related = ["tutor", "student"]


@admin.register(TutorSettings)
class TutorSettingsAdmin(ViewOnlyAdmin):
    list_display = ["tutor", "buffer_minutes", "min_notice_minutes", "rating_count"]
    list_select_related = ["tutor"]
