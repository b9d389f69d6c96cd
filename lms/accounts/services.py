"""Every write of accounts: registration, verification, login, passwords, profiles, roles,
instructor applications. Views call these; nothing else writes users."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from lms.accounts import tasks, throttles, tokens, two_factor, universities
from lms.accounts.errors import AccountError
from lms.accounts.models import (
    STAFF_ROLES,
    InstructorApplication,
    InstructorProfile,
    OneTimeCode,
    Role,
    StudentProfile,
    User,
    UserManager,
)
from lms.accounts.staff_groups import ensure_manager_group
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.audit.transitions import StateMachine
from lms.core.email import send_templated_email
from lms.core.errors import Conflict, Invalid, NotAuthenticated, PermissionDenied
from lms.core.permissions import MANAGER_GROUP
from lms.core.registry import Registry
from lms.core.requests import AnyRequest
from lms.core.sockets import close_user_sockets
from lms.core.uploads import resize_image
from lms.notifications.models import Category
from lms.notifications.services import notify

# --- one-time codes ------------------------------------------------------------------------


def _keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _code_hash(code_row_user_id: Any, purpose: str, code: str) -> str:
    return _keyed_hash(f"{purpose}:{code_row_user_id}:{code}")


def issue_one_time_code(*, user: User, purpose: OneTimeCode.Purpose) -> tuple[str, str]:
    """A fresh link token and 6-digit code for `purpose`; earlier unused ones stop working."""
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at=None).update(used_at=now)
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        token_hash=_keyed_hash(token),
        code_hash=_code_hash(user.pk, purpose, code),
        expires_at=now + timedelta(minutes=settings.ONE_TIME_CODE_TTL_MINUTES),
    )
    return token, code


def _find_one_time_code(
    *, purpose: OneTimeCode.Purpose, token: str | None, email: str | None, code: str | None
) -> OneTimeCode:
    """The unused, unexpired code the caller proved to hold; a wrong code counts an attempt.

    Codes of deactivated accounts never match: a reset link must not outlive deactivation.

    Not atomic on purpose: a failed attempt must stay counted although the request fails.
    """
    if token:
        row = (
            OneTimeCode.objects.select_related("user")
            .filter(
                token_hash=_keyed_hash(token), purpose=purpose, used_at=None, user__is_active=True
            )
            .first()
        )
        if row is None:
            raise Invalid("The link is invalid or has been used.", code=AccountError.INVALID_TOKEN)
    else:
        row = (
            OneTimeCode.objects.select_related("user")
            .filter(
                user__email=UserManager.normalize_email(email),
                user__is_active=True,
                purpose=purpose,
                used_at=None,
            )
            .order_by("-created_at")
            .first()
        )
        invalid = Invalid("The code is invalid.", code=AccountError.INVALID_CODE)
        if row is None or row.attempts >= settings.ONE_TIME_CODE_MAX_ATTEMPTS:
            raise invalid
        if not hmac.compare_digest(row.code_hash, _code_hash(row.user_id, purpose, code or "")):
            OneTimeCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            raise invalid
    if row.expires_at <= timezone.now():
        raise Invalid("The code has expired; ask for a new one.", code=AccountError.CODE_EXPIRED)
    return row


def _spend_one_time_code(row: OneTimeCode) -> None:
    """Mark the code used; a concurrent request that spent it first wins."""
    spent = OneTimeCode.objects.filter(pk=row.pk, used_at=None).update(used_at=timezone.now())
    if not spent:
        raise Invalid("The code has already been used.", code=AccountError.INVALID_TOKEN)


def _check_password_strength(password: str, user: User, *, field: str = "password") -> None:
    """Django's password validators; errors are reported on `field`, the input's own name."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(
            {field: [str(message) for message in exc.messages]},
            code=AccountError.PASSWORD_TOO_WEAK,
        ) from exc


# --- registration and verification -----------------------------------------------------------


def _send_verification(*, user: User) -> None:
    user_id = str(user.pk)
    tasks.send_verification_email.delay_on_commit(user_id)


def email_verification_code(*, user_id: str | None) -> None:
    """Issue a verification link and code and mail them (in the task: the secrets are made
    where they are sent); nothing when the account is verified or inactive by now, or for no
    account at all (`None`: `resend_verification` enqueues the task for every address)."""
    if user_id is None:
        return
    user = User.objects.filter(pk=user_id, is_active=True, email_verified_at=None).first()
    if user is None:
        return
    token, code = issue_one_time_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL)
    send_templated_email(
        to=user.email,
        template="verify_email",
        context={
            "user": user,
            "code": code,
            "link": f"{settings.FRONTEND_URL}/verify-email?token={token}",
            "minutes": settings.ONE_TIME_CODE_TTL_MINUTES,
        },
    )


@transaction.atomic
def register_user(
    *, email: str, password: str, first_name: str, last_name: str, request: AnyRequest = None
) -> User:
    """Create a student account and send the verification email (link and 6-digit code)."""
    email = UserManager.normalize_email(email)
    user = User(email=email, first_name=first_name, last_name=last_name)
    _check_password_strength(password, user)
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {"email": ["An account with this email already exists."]}, code=AccountError.EMAIL_TAKEN
        )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same address
        raise ValidationError(
            {"email": ["An account with this email already exists."]}, code=AccountError.EMAIL_TAKEN
        ) from exc
    StudentProfile.objects.create(user=user)
    _send_verification(user=user)
    record(action=AuditAction.USER_REGISTERED, actor=user, target=user, request=request)
    return user


def verify_email(
    *,
    token: str | None = None,
    email: str | None = None,
    code: str | None = None,
    request: AnyRequest = None,
) -> User:
    row = _find_one_time_code(
        purpose=OneTimeCode.Purpose.VERIFY_EMAIL, token=token, email=email, code=code
    )
    with transaction.atomic():
        _spend_one_time_code(row)
        return _mark_email_verified(user=row.user, request=request)


def _mark_email_verified(*, user: User, request: AnyRequest) -> User:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
        record(action=AuditAction.USER_EMAIL_VERIFIED, actor=user, target=user, request=request)
        universities.email_verification_changed(user)
    return user


@transaction.atomic
def resend_verification(*, email: str) -> None:
    """Send a new code if the address belongs to an unverified account; silent otherwise.

    Any address costs the same here (one lookup, one task enqueued after commit, with the id
    or None): the answer's time does not tell whether the account exists."""
    user_id = (
        User.objects.filter(
            email=UserManager.normalize_email(email), is_active=True, email_verified_at=None
        )
        .values_list("pk", flat=True)
        .first()
    )
    found = str(user_id) if user_id is not None else None
    tasks.send_verification_email.delay_on_commit(found)


# --- sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """The password step's outcome: exactly one of `tokens` (`{access, refresh}`: signed in),
    `challenge` (2FA is on: send it with a code to the code step) or `setup_token` (an admin
    or manager who must enrol in 2FA first, lms.accounts.two_factor)."""

    user: User
    tokens: dict[str, str] | None = None
    challenge: str | None = None
    setup_token: str | None = None


def log_in(*, email: str, password: str, request: AnyRequest = None) -> LoginResult:
    """Check the credentials; sign in, or answer a 2FA challenge, or a setup-only token.

    A failure is audited in its own transaction: the line must survive the refusal.
    """
    user = authenticate(request, email=UserManager.normalize_email(email), password=password)
    if user is None:
        record(action=AuditAction.AUTH_LOGIN_FAILED, request=request, data={"email": email[:254]})
        if request is not None:
            throttles.count_login_failure(email=email, request=request)
        raise NotAuthenticated("Email or password is wrong.", code=AccountError.INVALID_CREDENTIALS)
    assert isinstance(user, User)
    if request is not None:
        throttles.forget_login_failures(email=email, request=request)
    if settings.REQUIRE_EMAIL_VERIFICATION and not user.email_verified:
        raise PermissionDenied(
            "Verify your email address before logging in.", code=AccountError.EMAIL_NOT_VERIFIED
        )
    if two_factor.is_enabled(user):
        return LoginResult(
            user=user, challenge=two_factor.issue_challenge(user=user, request=request)
        )
    if two_factor.staff_must_enrol(user):
        return LoginResult(
            user=user, setup_token=two_factor.setup_token(user=user, request=request)
        )
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login", "updated_at"])
        record(action=AuditAction.AUTH_LOGIN, actor=user, target=user, request=request)
        return LoginResult(user=user, tokens=tokens.issue_token_pair(user))


def log_out(*, user: User, refresh: str, request: AnyRequest = None) -> None:
    """End the session of this refresh token: the token is refused from now on and the
    session's WebSockets close (4401)."""
    tokens.blacklist_refresh_token(raw=refresh, user=user)
    session = tokens.session_of(refresh)
    if session is not None:
        close_user_sockets(user_id=user.pk, session=session)
    record(action=AuditAction.AUTH_LOGOUT, actor=user, target=user, request=request)


@transaction.atomic
def change_password(
    *, user: User, old_password: str, new_password: str, request: AnyRequest = None
) -> dict[str, str]:
    """Set a new password and return a fresh `{access, refresh}` pair for the caller: every
    other session's tokens are revoked (the caller's old ones too), the caller stays signed in
    with the new pair (API.md, change-password)."""
    if not user.check_password(old_password):
        raise ValidationError(
            {"old_password": ["The current password is wrong."]}, code=AccountError.WRONG_PASSWORD
        )
    _check_password_strength(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    tokens.revoke_all_tokens(user=user)
    record(action=AuditAction.AUTH_PASSWORD_CHANGED, actor=user, target=user, request=request)
    return tokens.issue_token_pair(user)


@transaction.atomic
def request_password_reset(*, email: str, request: AnyRequest = None) -> None:
    """Email a reset link and code when the account exists; the caller learns nothing either way.

    Any address costs the same here (one lookup, one audit line, one task enqueued after
    commit, with the id or None), so neither the answer nor its time tells whether the account
    exists; the code is made and mailed in the task."""
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    user_id = str(user.pk) if user is not None else None
    tasks.send_password_reset_email.delay_on_commit(user_id)
    # for an unknown address a line with neither actor nor target (and not the address)
    record(
        action=AuditAction.AUTH_PASSWORD_RESET_REQUESTED, actor=user, target=user, request=request
    )


def email_password_reset_code(*, user_id: str | None) -> None:
    """Issue a reset link and code and mail them (in the task: the secrets are made where
    they are sent); nothing when the account is inactive by now, or for no account at all
    (`None`: `request_password_reset` enqueues the task for every address)."""
    if user_id is None:
        return
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    token, code = issue_one_time_code(user=user, purpose=OneTimeCode.Purpose.PASSWORD_RESET)
    send_templated_email(
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "code": code,
            "link": f"{settings.FRONTEND_URL}/reset-password?token={token}",
            "minutes": settings.ONE_TIME_CODE_TTL_MINUTES,
        },
    )


def confirm_password_reset(
    *,
    new_password: str,
    token: str | None = None,
    email: str | None = None,
    code: str | None = None,
    request: AnyRequest = None,
) -> User:
    """Set a new password with a reset token or code; every session of the user ends."""
    row = _find_one_time_code(
        purpose=OneTimeCode.Purpose.PASSWORD_RESET, token=token, email=email, code=code
    )
    user = row.user
    _check_password_strength(new_password, user, field="new_password")
    with transaction.atomic():
        _spend_one_time_code(row)
        return _reset_password(user=user, new_password=new_password, request=request)


def _reset_password(*, user: User, new_password: str, request: AnyRequest) -> User:
    user.set_password(new_password)
    # The reset link reached the mailbox, so the address is proven too.
    newly_verified = user.email_verified_at is None
    user.email_verified_at = user.email_verified_at or timezone.now()
    user.save(update_fields=["password", "email_verified_at", "updated_at"])
    tokens.revoke_all_tokens(user=user)
    record(action=AuditAction.AUTH_PASSWORD_RESET, actor=user, target=user, request=request)
    if newly_verified:
        # as after the verification code: an affiliation by this address may hold now
        universities.email_verification_changed(user)
    return user


# --- profile -----------------------------------------------------------------------------------


def ensure_profile(user: User) -> StudentProfile | InstructorProfile:
    """The profile that `/auth/me/` shows: the instructor profile for instructors."""
    if user.role == Role.INSTRUCTOR:
        profile, _ = InstructorProfile.objects.get_or_create(user=user)
        return profile
    student_profile, _ = StudentProfile.objects.get_or_create(user=user)
    return student_profile


# Called with the user, in the same transaction, after their name changed. Apps above
# accounts register here at start-up (the catalog refreshes the search documents of the
# user's courses).
name_change_handlers: Registry[Callable[[User], None]] = Registry("accounts.name_change_handlers")
# Called with the user, in the same transaction, after anything others see of them changed:
# names, avatar or profile (the catalog's cached pages show instructors' names, avatars and
# headlines).
public_profile_handlers: Registry[Callable[[User], None]] = Registry(
    "accounts.public_profile_handlers"
)


def _public_profile_changed(user: User) -> None:
    for handler in public_profile_handlers:
        handler(user)


# Profile fields that decide where an instructor's money goes or what they charge: a change
# writes an audit line naming the fields (never their values).
PAYMENT_SETTINGS = ("payout_details", "hourly_rate", "currency")


@transaction.atomic
def update_me(
    *,
    user: User,
    fields: dict[str, Any],
    profile_fields: dict[str, Any],
    request: AnyRequest = None,
) -> User:
    """Update names and profile fields; role, email and verification are never writable here."""
    old_name = (user.first_name, user.last_name)
    for name in ("first_name", "last_name"):
        if name in fields:
            setattr(user, name, fields[name])
    user.save(update_fields=["first_name", "last_name", "updated_at"])
    if (user.first_name, user.last_name) != old_name:
        for handler in name_change_handlers:
            handler(user)
    if profile_fields:
        profile = ensure_profile(user)
        money_changed = sorted(
            name
            for name in PAYMENT_SETTINGS
            if name in profile_fields and getattr(profile, name, None) != profile_fields[name]
        )
        for name, value in profile_fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        if money_changed and user.role == Role.INSTRUCTOR:
            record(
                action=AuditAction.USER_PAYMENT_SETTINGS_CHANGED,
                actor=user,
                target=user,
                request=request,
                data={"fields": money_changed},
            )
        # Only the edited columns: the counters beside them (course, student and review
        # counts, rating) are other services' and must never be written back stale.
        profile.save(update_fields=[*profile_fields, "updated_at"])
    if profile_fields or (user.first_name, user.last_name) != old_name:
        _public_profile_changed(user)
    return user


@transaction.atomic
def set_avatar(*, user: User, file: UploadedFile) -> User:
    """Store a re-encoded, resized copy of an already validated image."""
    old = user.avatar.name if user.avatar else None
    resized = resize_image(file, max_side=512)
    user.avatar.save(resized.name or "avatar.webp", resized, save=False)
    user.save(update_fields=["avatar", "updated_at"])
    if old:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    _public_profile_changed(user)
    return user


# --- instructor applications -----------------------------------------------------------------


@transaction.atomic
def submit_instructor_application(
    *,
    user: User,
    headline: str,
    bio: str,
    expertise: str,
    cv: UploadedFile,
    certificate: UploadedFile,
    request: AnyRequest = None,
) -> InstructorApplication:
    if user.role != Role.STUDENT:
        raise Conflict(
            "You are already an instructor or staff.", code=AccountError.ALREADY_INSTRUCTOR
        )
    locked_user = User.objects.select_for_update().get(pk=user.pk)
    if InstructorApplication.objects.filter(
        user=locked_user, status=InstructorApplication.Status.PENDING
    ).exists():
        raise Conflict(
            "You already have an application under review.", code=AccountError.APPLICATION_PENDING
        )
    application = InstructorApplication(user=user, headline=headline, bio=bio, expertise=expertise)
    application.cv.save(cv.name or "cv", cv, save=False)
    application.certificate.save(certificate.name or "certificate", certificate, save=False)
    application.save()
    record(
        action=AuditAction.INSTRUCTOR_APPLICATION_SUBMITTED,
        actor=user,
        target=application,
        request=request,
    )
    notify_staff(
        category=Category.ACCOUNT,
        title="New instructor application",
        body=f"{user.full_name} applied to teach: {headline}",
        data={"application_id": str(application.pk), "queue": "instructor_applications"},
    )
    return application


def notify_staff(
    *,
    category: Category | str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    roles: tuple[str, ...] = (Role.ADMIN, Role.MANAGER),
) -> None:
    """Tell every active staff member who works a queue (`roles`: admins and managers, or
    admins alone for money) of a new item in it (an application, a course submitted, a
    withdrawal requested), once the current transaction commits (at once without one): in the
    app, live, and by email as each one's preferences say. Nothing is sent for work that
    rolled back."""
    from lms.accounts.selectors import staff_members

    def send() -> None:
        for member in staff_members(roles=roles):
            notify(user=member, category=category, title=title, body=body, data=data)

    transaction.on_commit(send)


# An application is reviewed once: pending → approved or rejected.
APPLICATION_STATES = StateMachine(
    name="application",
    moves={
        InstructorApplication.Status.PENDING: (
            InstructorApplication.Status.APPROVED,
            InstructorApplication.Status.REJECTED,
        ),
    },
    actions={
        InstructorApplication.Status.APPROVED: AuditAction.INSTRUCTOR_APPLICATION_APPROVED,
        InstructorApplication.Status.REJECTED: AuditAction.INSTRUCTOR_APPLICATION_REJECTED,
    },
    conflict_code=AccountError.APPLICATION_NOT_PENDING,
)


def _lock_pending(application: InstructorApplication) -> InstructorApplication:
    return (
        InstructorApplication.objects.select_for_update()
        .select_related("user")
        .get(pk=application.pk)
    )


@transaction.atomic
def approve_instructor_application(
    *, application: InstructorApplication, by: User, request: AnyRequest = None
) -> InstructorApplication:
    """Make the applicant an instructor with a profile from the application; tell them."""
    application = _lock_pending(application)
    APPLICATION_STATES.apply(
        application, InstructorApplication.Status.APPROVED, actor=by, request=request
    )
    application.reviewed_by = by
    application.reviewed_at = timezone.now()
    application.save()
    user = application.user
    InstructorProfile.objects.update_or_create(
        user=user,
        defaults={"headline": application.headline, "bio": application.bio},
    )
    if user.role == Role.STUDENT:
        _set_role(user=user, role=Role.INSTRUCTOR, by=by, request=request)
    notify(
        user=user,
        category=Category.ACCOUNT,
        title="You are now an instructor",
        body="Your instructor application was approved. You can create your first course.",
        data={"application_id": str(application.pk)},
    )
    return application


@transaction.atomic
def reject_instructor_application(
    *, application: InstructorApplication, by: User, reason: str, request: AnyRequest = None
) -> InstructorApplication:
    application = _lock_pending(application)
    APPLICATION_STATES.apply(
        application,
        InstructorApplication.Status.REJECTED,
        actor=by,
        request=request,
        data={"reason": reason},
    )
    application.reason = reason
    application.reviewed_by = by
    application.reviewed_at = timezone.now()
    application.save()
    notify(
        user=application.user,
        category=Category.ACCOUNT,
        title="Your instructor application was not approved",
        body=reason,
        data={"application_id": str(application.pk)},
    )
    return application


# --- administration ----------------------------------------------------------------------------


def sync_staff_groups(user: User) -> None:
    """A manager is in the "Managers" group (MANAGER_GROUP: the Django admin permissions of
    the queues the role works, made by commerce's migration 0006); nobody else is. Admins
    are superusers and need no group."""
    group = Group.objects.filter(name=MANAGER_GROUP).first()
    if group is None and user.role == Role.MANAGER:
        group = ensure_manager_group()
    if group is None:
        return
    if user.role == Role.MANAGER:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def _set_role(*, user: User, role: str, by: User, request: AnyRequest) -> None:
    previous = user.role
    user.role = role
    user.is_staff = role in STAFF_ROLES
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser", "updated_at"])
    sync_staff_groups(user)
    if role == Role.INSTRUCTOR:
        InstructorProfile.objects.get_or_create(user=user)
    record(
        action=AuditAction.USER_ROLE_CHANGED,
        actor=by,
        target=user,
        request=request,
        data={"from": previous, "to": role},
    )


@transaction.atomic
def update_user_by_admin(
    *,
    user: User,
    by: User,
    role: str | None = None,
    is_active: bool | None = None,
    request: AnyRequest = None,
) -> User:
    """An admin changes a user's role or activity (the API and the Django admin alike); a new
    role or a deactivation ends every session at once (tokens and WebSockets of the old role)."""
    if user.pk == by.pk:
        raise Invalid(
            "You cannot change your own role or status.", code=AccountError.CANNOT_MODIFY_SELF
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if role is not None and role != user.role:
        _set_role(user=user, role=role, by=by, request=request)
        tokens.revoke_all_tokens(user=user)
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active", "updated_at"])
        if not is_active:
            tokens.revoke_all_tokens(user=user)
        record(
            action=AuditAction.USER_ACTIVATED if is_active else AuditAction.USER_DEACTIVATED,
            actor=by,
            target=user,
            request=request,
        )
    return user


@transaction.atomic
def rename_user_by_staff(
    *,
    user: User,
    by: User,
    first_name: str,
    last_name: str,
    request: AnyRequest = None,
) -> User:
    """A staff member changes a user's names (the Django admin): the names change as through
    `update_me` (name-change handlers: search documents, cached pages), and an audit line
    says who renamed whom and which of the two names changed. The line names the fields,
    never the names: an erasure finds a person's lines by their current name, so a former
    name written here would outlive it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    names = {"first_name": first_name, "last_name": last_name}
    changed = sorted(name for name, value in names.items() if getattr(user, name) != value)
    if not changed:
        return user
    update_me(user=user, fields=names, profile_fields={}, request=request)
    record(
        action=AuditAction.USER_RENAMED,
        actor=by,
        target=user,
        request=request,
        data={"fields": changed},
    )
    return user
