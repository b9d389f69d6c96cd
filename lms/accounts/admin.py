from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.accounts import services
from lms.accounts.models import InstructorApplication, InstructorProfile, StudentProfile, User
from lms.core.admin import apply_to_each


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
