import math
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from lms.accounts import services
from lms.accounts.models import InstructorApplication, InstructorProfile, StudentProfile, User
from lms.accounts.throttles import (
    AuthIPThrottle,
    count_login_failure,
    forget_login_failures,
    login_email,
    login_refused_for,
)
from lms.core.admin import apply_to_each


def throttled_admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Django admin's login under the API login's limits (lms/accounts/throttles.py): every
    attempt counts per IP, failures per account and IP and per account; 429 past them."""
    email = login_email(request) if request.method == "POST" else None
    if email is not None:
        ip_limit = AuthIPThrottle()
        allowed = ip_limit.allow_request(request, None)  # type: ignore[arg-type]  # reads META
        wait = login_refused_for(email=email, request=request) if allowed else ip_limit.wait()
        if not allowed or wait is not None:
            response = HttpResponse(
                "Too many login attempts; try again later.", status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(math.ceil(wait or 1))
            return response
    response = admin.site.login(request, extra_context)
    if email is not None:
        if request.user.is_authenticated:
            forget_login_failures(email=email, request=request)
        else:  # a wrong password, or an account that may not use the admin
            count_login_failure(email=email, request=request)
    return response


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("-created_at",)
    list_display = ("email", "first_name", "last_name", "role", "is_active", "email_verified_at")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("created_at", "updated_at", "last_login", "tokens_valid_after")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "avatar")}),
        (
            "Access",
            {
                "fields": (
                    "role",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "email_verified_at",
                    "tokens_valid_after",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "role")}),
    )
    filter_horizontal = ()


@admin.register(StudentProfile)
class StudentProfileAdmin(admin.ModelAdmin[StudentProfile]):
    list_display = ("user", "country", "language", "timezone")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(InstructorProfile)
class InstructorProfileAdmin(admin.ModelAdmin[InstructorProfile]):
    list_display = ("user", "headline", "rating", "student_count", "course_count")
    search_fields = ("user__email", "headline")
    raw_id_fields = ("user",)


@admin.register(InstructorApplication)
class InstructorApplicationAdmin(admin.ModelAdmin[InstructorApplication]):
    """The approval queue: filter by status, approve or reject in bulk."""

    list_display = ("user", "headline", "status", "created_at", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("user__email", "headline", "expertise")
    list_select_related = ("user",)
    readonly_fields = ("user", "cv", "certificate", "status", "reviewed_by", "reviewed_at")
    actions = ("approve", "reject")

    @admin.action(description="Approve the selected applications")
    def approve(self, request: HttpRequest, queryset: QuerySet[InstructorApplication]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda application: services.approve_instructor_application(
                application=application,
                by=request.user,  # type: ignore[arg-type]
                request=request,
            ),
            done="{count} application(s) approved.",
        )

    @admin.action(description="Reject the selected applications")
    def reject(self, request: HttpRequest, queryset: QuerySet[InstructorApplication]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda application: services.reject_instructor_application(
                application=application,
                by=request.user,  # type: ignore[arg-type]
                reason="Rejected by staff review.",
                request=request,
            ),
            done="{count} application(s) rejected.",
        )
