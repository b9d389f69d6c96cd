import math
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled

from lms.accounts import services, staff_groups, two_factor, universities
from lms.accounts.current import current_user
from lms.accounts.models import (
    InstructorApplication,
    InstructorProfile,
    OnboardingChoice,
    OnboardingQuestion,
    StudentProfile,
    University,
    User,
)
from lms.accounts.throttles import (
    AuthIPThrottle,
    count_login_failure,
    forget_login_failures,
    login_email,
    login_refused_for,
)
from lms.core.admin import ServiceAdmin, ViewOnlyAdmin, apply_to_each
from lms.core.errors import Invalid, ServiceUnavailable
from lms.core.permissions import ADMIN, has_role


class TwoFactorAdminLoginForm(AdminAuthenticationForm):
    """Django admin's login form asking, after the password, for a two-factor code (TOTP or
    recovery) when the user has 2FA on; an admin or manager who must enrol (REQUIRE_STAFF_MFA)
    is refused until they set it up through the API."""

    otp_code = forms.CharField(
        label="Two-factor code", required=False, max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )  # fmt: skip

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if two_factor.is_enabled(user):
            try:
                two_factor.verify_code(
                    user=user,
                    code=self.cleaned_data.get("otp_code") or "",
                    request=self.request,
                    step="admin_login",
                )
            except (Invalid, Throttled) as exc:
                raise forms.ValidationError(
                    "Enter a current two-factor code or an unused recovery code.",
                    code="invalid_code",
                ) from exc
        elif two_factor.staff_must_enrol(user):
            raise forms.ValidationError(
                "Set up two-factor authentication (POST /api/v1/auth/2fa/setup/) first.",
                code="mfa_enrollment_required",
            )


admin.site.login_form = TwoFactorAdminLoginForm
admin.site.login_template = "accounts/admin_login.html"


def throttled_admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Django admin's login under the API login's limits (lms/accounts/throttles.py): every
    attempt counts per IP, failures per account and IP and per account; 429 past them, 503
    while the cache that keeps them is down (they fail closed, as the API login's do)."""
    try:
        return _throttled_admin_login(request, extra_context)
    except ServiceUnavailable:
        response = HttpResponse(
            "Signing in is unavailable right now; try again shortly.",
            status=503,
            content_type="text/plain",
        )
        response["Retry-After"] = "5"
        return response


def _throttled_admin_login(request: HttpRequest, extra_context: Any) -> HttpResponse:
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
class UserAdmin(ServiceAdmin[User], DjangoUserAdmin):
    """Role and activity change through `update_user_by_admin` (audit line; deactivation
    revokes every token), names through `rename_user_by_staff` (audit line naming the staff
    member; search documents and cached pages as `update_me`), as through the API. Nothing
    else of a user is written here: accounts are made by sign-up (or `createsuperuser`),
    staff flags follow the role, passwords are reset by their owner."""

    ordering = ("-created_at",)
    list_display = ("email", "first_name", "last_name", "role", "is_active", "email_verified_at")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = (
        "email", "avatar", "is_staff", "is_superuser", "email_verified_at",
        "tokens_valid_after", "last_login", "created_at", "updated_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("email",)}),
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
    filter_horizontal = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Role and activity are the platform admin's, as in the API (IsAdmin), and not one's own.
        if not has_role(request.user, ADMIN) or (obj is not None and obj.pk == request.user.pk):
            return (*self.readonly_fields, "role", "is_active")
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: orders, ledger and audit lines point at the user

    def get_urls(self) -> Any:
        # Django's "set password" page would write a password with no audit line and no token
        # revocation; the owner resets it (POST /auth/password/reset/).
        return [url for url in super().get_urls() if url.name != "auth_user_password_change"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        by = current_user(request)
        changed = set(form.changed_data)
        if changed & {"first_name", "last_name"}:
            services.rename_user_by_staff(
                user=obj,  # the form already set the new names on obj; the service re-reads it
                by=by,
                first_name=obj.first_name,
                last_name=obj.last_name,
                request=request,
            )
        if changed & {"role", "is_active"}:
            services.update_user_by_admin(
                user=obj,
                by=by,
                role=obj.role if "role" in changed else None,
                is_active=obj.is_active if "is_active" in changed else None,
                request=request,
            )
        obj.refresh_from_db()


class ProfileAdmin(ViewOnlyAdmin):
    """Profiles are their owners' (PATCH /auth/me/); staff read them here."""


@admin.register(StudentProfile)
class StudentProfileAdmin(ProfileAdmin):
    list_display = ("user", "country", "language", "timezone")
    search_fields = ("user__email",)
    list_select_related = ("user",)


@admin.register(InstructorProfile)
class InstructorProfileAdmin(ProfileAdmin):
    list_display = ("user", "headline", "rating", "student_count", "course_count")
    search_fields = ("user__email", "headline")
    list_select_related = ("user",)
    exclude = ("payout_details",)


@admin.register(InstructorApplication)
class InstructorApplicationAdmin(admin.ModelAdmin[InstructorApplication]):
    """The approval queue: filter by status, approve or reject in bulk."""

    list_display = ("user", "headline", "status", "created_at", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("user__email", "headline", "expertise")
    list_select_related = ("user",)
    # The applicant's words are theirs and the review is the actions' (the services).
    readonly_fields = (
        "user", "headline", "bio", "expertise", "cv", "certificate", "status", "reason",
        "reviewed_by", "reviewed_at",
    )  # fmt: skip
    actions = ("approve", "reject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(permissions=["change"], description="Approve the selected applications")
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

    @admin.action(permissions=["change"], description="Reject the selected applications")
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


@admin.register(University)
class UniversityAdmin(admin.ModelAdmin[University]):
    """Domains are saved normalised (lower-case, each once) through `save_university`, which
    also drops the catalog's cached `?university=` lists and the members' cached `/auth/me/`;
    a delete (one or the bulk action) goes through `delete_university`, which drops them too."""

    list_display = ("name", "country", "domains")
    list_filter = ("country",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: University, form: Any, change: bool) -> None:
        universities.save_university(university=obj)

    def delete_model(self, request: HttpRequest, obj: University) -> None:
        universities.delete_university(university=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[University]) -> None:
        for university in queryset:
            universities.delete_university(university=university)


class OnboardingChoiceInline(admin.TabularInline[OnboardingChoice, OnboardingQuestion]):
    model = OnboardingChoice
    extra = 1
    fields = ("text", "order", "category_slugs", "tag_slugs")


@admin.register(OnboardingQuestion)
class OnboardingQuestionAdmin(admin.ModelAdmin[OnboardingQuestion]):
    """The onboarding questionnaire (lms.accounts.onboarding): questions in order, active or
    not, each with its choices and the catalog category and tag slugs a choice stands for."""

    list_display = ("text", "type", "order", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("type", "is_active")
    inlines = (OnboardingChoiceInline,)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Django's group admin, audited (`staff_groups.record_group_saved` and
    `record_group_deleted`): creating a group, renaming it, granting or removing a permission
    and deleting it each write an audit line with the staff member, the group and what
    changed. `lms.accounts.staff_groups` resets the Managers group to its code-defined grants
    after every `migrate`."""

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        # Before the form's many-to-many data is saved (`save_related`): the old state.
        before = Group.objects.filter(pk=obj.pk).first() if change else None
        obj._audit_before = (  # type: ignore[attr-defined]
            staff_groups.group_state(before) if before is not None else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        staff_groups.record_group_saved(
            actor=current_user(request),
            group=form.instance,
            before=getattr(form.instance, "_audit_before", None),
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        staff_groups.record_group_deleted(actor=current_user(request), group=obj, request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            staff_groups.record_group_deleted(
                actor=current_user(request), group=group, request=request
            )
        super().delete_queryset(request, queryset)
