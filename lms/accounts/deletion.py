"""A person deletes their own account (GDPR art. 17), keeping what the law keeps.

`delete_account` checks the password (and a 2FA code when 2FA is on), then in one
transaction, with the user row locked: asks every deletion blocker
(lms.accounts.personal_data; payouts refuses with 409 `balance_outstanding` while an
instructor has money or a withdrawal pending), runs every app's eraser, erases what accounts
holds (profiles, avatar, applications and their files, answers, affiliation, 2FA, one-time
codes, exports), and turns the user row into an anonymous placeholder: email
`deleted-<id>@deleted.invalid`, name "Deleted user", no password, inactive, `deleted_at` set.
Orders, payments, ledger lines, invoices, enrollments and certificates keep pointing to
that row, so the books still balance and a certificate's code still verifies (with the name
removed). Every token is revoked and every WebSocket closed; files are deleted after
commit. One audit line `user.deleted` (no actor: the person is gone).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from rest_framework.exceptions import Throttled, ValidationError

from lms.accounts import personal_data, throttles, tokens, two_factor
from lms.accounts.errors import AccountError
from lms.accounts.models import (
    Affiliation,
    InstructorApplication,
    InstructorProfile,
    LoginChallenge,
    OnboardingAnswer,
    OneTimeCode,
    PersonalDataExport,
    RecoveryCode,
    Role,
    StudentProfile,
    TwoFactorDevice,
    User,
)
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict
from lms.core.requests import AnyRequest

PLACEHOLDER_DOMAIN = "deleted.invalid"  # RFC 2606: never a real mailbox


def placeholder_email(user: User) -> str:
    return f"deleted-{user.pk.hex}@{PLACEHOLDER_DOMAIN}"


def delete_files_after_commit(*files: FieldFile) -> None:
    """Delete stored files once the transaction commits (a rollback keeps them)."""
    for file in files:
        if file:
            transaction.on_commit(partial(file.storage.delete, str(file.name)))


def _refuse_the_last_admin(user: User) -> None:
    """409 `last_admin` when the user is the only active admin: the platform would be left
    with nobody to approve instructors, pay out or appoint a new admin. The active admins'
    rows are locked in primary-key order (before the user's own, which is among them), so two
    admins leaving at once cannot both pass."""
    if user.role != Role.ADMIN:
        return
    admins = list(
        User.objects.select_for_update()
        .filter(role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if admins == [user.pk]:
        raise Conflict(
            "You are the only admin: appoint another admin first.", code=AccountError.LAST_ADMIN
        )


def delete_account(
    *, user: User, password: str, code: str | None = None, request: AnyRequest = None
) -> None:
    """Erase the person and keep the anonymous placeholder; see the module's docstring.

    400 `wrong_password` (attr `password`); 400 `code_required` / `invalid_code` (attr
    `code`) when 2FA is on; 409 `last_admin` for the only active admin, 409 from a deletion
    blocker (`balance_outstanding`); 429 once
    the account's wrong passwords reach the login's limits (they count as failed logins)."""
    if request is not None:
        wait = throttles.login_refused_for(email=user.email, request=request)
        if wait is not None:
            raise Throttled(wait=wait)
    if not user.check_password(password):
        if request is not None:
            throttles.count_login_failure(email=user.email, request=request)
        raise ValidationError(
            {"password": ["The password is wrong."]}, code=AccountError.WRONG_PASSWORD
        )
    if two_factor.is_enabled(user):
        if not code:
            raise ValidationError(
                {"code": ["Two-factor authentication is on: send a current code."]},
                code=AccountError.CODE_REQUIRED,
            )
        two_factor.verify_code(user=user, code=code, request=request, step="delete_account")
    with transaction.atomic():
        _refuse_the_last_admin(user)
        user = User.objects.select_for_update().get(pk=user.pk)
        for blocker in personal_data.deletion_blockers:
            blocker(user)
        for eraser in personal_data.erasers:
            eraser(user)
        _erase_own(user)
        _anonymise(user)
        tokens.revoke_all_tokens(user=user)
        record(action=AuditAction.USER_DELETED, actor=None, target=user, request=None)
        # names on others' pages (course cards, search documents, cached pages) follow
        from lms.accounts.services import name_change_handlers, public_profile_handlers

        for handler in (*name_change_handlers, *public_profile_handlers):
            handler(user)


def _erase_own(user: User) -> None:
    StudentProfile.objects.filter(user=user).update(
        bio="", language="", country="", education="", timezone="UTC"
    )
    InstructorProfile.objects.filter(user=user).update(
        headline="",
        bio="",
        skills=[],
        languages=[],
        payout_details={},
        hourly_rate=Decimal("0.00"),
        timezone="UTC",
    )
    for application in InstructorApplication.objects.filter(user=user):
        delete_files_after_commit(application.cv, application.certificate)
    InstructorApplication.objects.filter(user=user).delete()
    for export in PersonalDataExport.objects.filter(user=user).exclude(file=""):
        delete_files_after_commit(export.file)
    PersonalDataExport.objects.filter(user=user).delete()
    for model in (
        OnboardingAnswer,
        Affiliation,
        TwoFactorDevice,
        RecoveryCode,
        LoginChallenge,
        OneTimeCode,
    ):
        model.objects.filter(user=user).delete()
    delete_files_after_commit(user.avatar)


def _anonymise(user: User) -> None:
    user.email = placeholder_email(user)
    user.first_name = personal_data.DELETED_USER_NAME
    user.last_name = ""
    user.avatar = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
