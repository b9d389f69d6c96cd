"""Two-factor authentication by TOTP (RFC 6238) with pyotp, recovery codes, and the two-step
login.

- Setup: `begin_setup` makes a new secret (not active) and answers it as an `otpauth://` URL
  and a QR code (SVG); `confirm` activates it with a first code and returns ten recovery
  codes, shown once and stored as keyed hashes.
- Login: when the password is right and 2FA is on, `accounts.services.log_in` answers a
  challenge (`issue_challenge`: a random token, stored hashed, valid
  `MFA_CHALLENGE_TTL_SECONDS`, single use) and no tokens; `complete_login` exchanges the
  challenge and a code (TOTP or recovery) for a token pair.
- Codes: a TOTP code is accepted in the step before, at or after now (30 s each), and only
  once: the device keeps the last accepted step and refuses it and any earlier one. A
  recovery code is spent by one conditional UPDATE, so two requests cannot both use it.
- Limits: wrong codes count per account (`mfa_failures`, 5 a minute by default; 429 past
  it) and the views add the per-IP auth throttle; a challenge dies after 5 wrong codes.
- `REQUIRE_STAFF_MFA`: an admin or manager without 2FA gets, instead of tokens, a setup token
  (a 10-minute access token with the claim `scope: mfa_setup`) that only the setup and
  confirm endpoints accept (views with `accepts_mfa_setup_token`); every other refuses it.

Every step writes an audit line (auth.2fa_*); no secret, code or token is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import Throttled
from rest_framework_simplejwt.tokens import AccessToken

from lms.accounts import throttles, tokens
from lms.accounts.authentication import SCOPE_CLAIM, SETUP_SCOPE
from lms.accounts.errors import AccountError
from lms.accounts.models import LoginChallenge, RecoveryCode, TwoFactorDevice, User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.requests import AnyRequest

RECOVERY_CODE_COUNT = 10
CHALLENGE_MAX_ATTEMPTS = 5
TOTP_STEP_SECONDS = 30
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower-case


def _keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _recovery_hash(user_id: object, code: str) -> str:
    return _keyed_hash(f"recovery:{user_id}:{code}")


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def is_enabled(user: User) -> bool:
    """True when the user has a confirmed TOTP device."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def staff_must_enrol(user: User) -> bool:
    """An admin or manager without 2FA while REQUIRE_STAFF_MFA is on."""
    return bool(settings.REQUIRE_STAFF_MFA) and user.is_platform_staff and not is_enabled(user)


# --- setup -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupData:
    """`secret`: base32; `otpauth_url`: for authenticator apps; `qr_svg`: that URL as an SVG
    QR code (a complete `<svg>` document)."""

    secret: str
    otpauth_url: str
    qr_svg: str


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    svg: bytes = image.to_string()
    return svg.decode()


@transaction.atomic
def begin_setup(*, user: User, request: AnyRequest = None) -> SetupData:
    """A new secret for the user, inactive until `confirm`; replaces an unconfirmed one.

    409 `mfa_already_enabled` when 2FA is on (disable it first)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise Conflict(
            "Two-factor authentication is already on.", code=AccountError.MFA_ALREADY_ENABLED
        )
    secret = pyotp.random_base32()
    TwoFactorDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": None, "last_used_step": 0}
    )
    url = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.TOTP_ISSUER)
    record(action=AuditAction.AUTH_2FA_SETUP_STARTED, actor=user, target=user, request=request)
    return SetupData(secret=secret, otpauth_url=url, qr_svg=_qr_svg(url))


def _new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (`xxxxx-xxxxx`, base32, 50 bits each); earlier ones stop working."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [
            RecoveryCode(user=user, code_hash=_recovery_hash(user.pk, _normalise_recovery(c)))
            for c in codes
        ]
    )
    return codes


@dataclass(frozen=True)
class Enabled:
    """`recovery_codes`: the ten codes, shown once; `tokens`: a new `{access, refresh}` pair
    for the caller, since every token issued before is revoked."""

    recovery_codes: list[str]
    tokens: dict[str, str]


def confirm(*, user: User, code: str, request: AnyRequest = None) -> Enabled:
    """Turn 2FA on with a first TOTP code; returns the ten recovery codes (shown once) and a
    new token pair: every other session (and the setup-only token) is signed out, since a
    session opened with the password alone, perhaps by whoever made the user turn 2FA on,
    must not outlive it.

    400 `mfa_not_set_up` without a setup, 409 `mfa_already_enabled`, 400 `invalid_code`."""
    _refuse_when_throttled(user)
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is None:
        raise Invalid("Start the setup first.", code=AccountError.MFA_NOT_SET_UP)
    if device.confirmed_at is not None:
        raise Conflict(
            "Two-factor authentication is already on.", code=AccountError.MFA_ALREADY_ENABLED
        )
    if not _accept_totp(device, code):
        _failed(user, request=request, step="confirm")
    with transaction.atomic():
        TwoFactorDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        codes = _new_recovery_codes(user)
        LoginChallenge.objects.filter(user=user).delete()
        tokens.revoke_all_tokens(user=user)
        record(action=AuditAction.AUTH_2FA_ENABLED, actor=user, target=user, request=request)
        pair = tokens.issue_token_pair(user)
    return Enabled(recovery_codes=codes, tokens=pair)


def disable(*, user: User, code: str, request: AnyRequest = None) -> None:
    """Turn 2FA off with a current TOTP code or an unused recovery code. Sessions stay (they
    were opened with a code, and this call proves the device); pending challenges die.

    400 `mfa_not_enabled`, 400 `invalid_code`; 403 `mfa_required_for_staff` for an admin or
    manager while REQUIRE_STAFF_MFA is on."""
    if not is_enabled(user):
        raise Invalid("Two-factor authentication is off.", code=AccountError.MFA_NOT_ENABLED)
    if settings.REQUIRE_STAFF_MFA and user.is_platform_staff:
        raise PermissionDenied(
            "Staff must keep two-factor authentication on.",
            code=AccountError.MFA_REQUIRED_FOR_STAFF,
        )
    verify_code(user=user, code=code, request=request, step="disable")
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        LoginChallenge.objects.filter(user=user).delete()
        record(action=AuditAction.AUTH_2FA_DISABLED, actor=user, target=user, request=request)


# --- codes ---------------------------------------------------------------------------------------


def _accept_totp(device: TwoFactorDevice, code: str) -> bool:
    """True when `code` is the TOTP of the step before, at or after now and that step is
    later than the last accepted one; the step is recorded by one conditional UPDATE, so a
    replayed code (even a concurrent one) is refused."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):  # ASCII: not fullwidth digits
        return False
    totp = pyotp.TOTP(device.secret)
    now_step = int(time.time()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return bool(
                TwoFactorDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
                    last_used_step=step
                )
            )
    return False


def _accept_recovery_code(user: User, code: str, request: AnyRequest) -> bool:
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user.pk, _normalise_recovery(code)), used_at=None
    ).update(used_at=timezone.now())
    if spent:
        left = RecoveryCode.objects.filter(user=user, used_at=None).count()
        record(
            action=AuditAction.AUTH_2FA_RECOVERY_CODE_USED,
            actor=user,
            target=user,
            request=request,
            data={"recovery_codes_left": left},
        )
    return bool(spent)


def _mfa_limit(user: User) -> throttles.LoginFailureLimit:
    return throttles.MfaFailures(str(user.pk))


def _refuse_when_throttled(user: User) -> None:
    limit = _mfa_limit(user)
    if limit.reached():
        raise Throttled(wait=limit.wait())


def _failed(user: User, *, request: AnyRequest, step: str) -> None:
    """Count a wrong code, audit it (in its own statement: it survives the refusal), refuse."""
    _mfa_limit(user).count_failure()
    record(
        action=AuditAction.AUTH_2FA_FAILED,
        actor=user,
        target=user,
        request=request,
        data={"step": step},
    )
    raise Invalid("The code is wrong or has been used.", code=AccountError.INVALID_CODE)


def verify_code(*, user: User, code: str, request: AnyRequest = None, step: str = "verify") -> None:
    """Accept a TOTP code or an unused recovery code of the user's active device, once.

    429 past the per-account limit of wrong codes; 400 `invalid_code` otherwise."""
    _refuse_when_throttled(user)
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    code = (code or "").strip()
    if device is not None and (
        _accept_totp(device, code) or _accept_recovery_code(user, code, request)
    ):
        return
    _failed(user, request=request, step=step)


# --- two-step login ------------------------------------------------------------------------------


def issue_challenge(*, user: User, request: AnyRequest = None) -> str:
    """A single-use challenge for the code step, valid MFA_CHALLENGE_TTL_SECONDS."""
    token = secrets.token_urlsafe(32)
    LoginChallenge.objects.create(
        user=user,
        token_hash=_keyed_hash(f"challenge:{token}"),
        expires_at=timezone.now() + timedelta(seconds=settings.MFA_CHALLENGE_TTL_SECONDS),
    )
    record(action=AuditAction.AUTH_2FA_CHALLENGE_ISSUED, actor=user, target=user, request=request)
    return token


def complete_login(
    *, challenge: str, code: str, request: AnyRequest = None
) -> tuple[User, dict[str, str]]:
    """Exchange a challenge and a code for a token pair.

    400 `invalid_challenge` (unknown, used, its user gone, or issued before the user's last
    revocation of all tokens: a password change or reset, 2FA turned on or off), 400
    `challenge_expired`,
    400 `invalid_code` (the challenge dies after 5), 429 past the per-account limit."""
    now = timezone.now()
    row = (
        LoginChallenge.objects.select_related("user")
        .filter(token_hash=_keyed_hash(f"challenge:{challenge}"))
        .first()
    )
    if (
        row is None
        or row.used_at is not None
        or not row.user.is_active
        or row.created_at < row.user.tokens_valid_after
    ):
        raise Invalid("Log in with your password again.", code=AccountError.INVALID_CHALLENGE)
    if row.expires_at <= now:
        raise Invalid(
            "The login has expired; log in with your password again.",
            code=AccountError.CHALLENGE_EXPIRED,
        )
    user = row.user
    try:
        verify_code(user=user, code=code, request=request, step="login")
    except Invalid:
        row.attempts += 1
        LoginChallenge.objects.filter(pk=row.pk).update(
            attempts=row.attempts,
            used_at=now if row.attempts >= CHALLENGE_MAX_ATTEMPTS else None,
        )
        raise
    with transaction.atomic():
        spent = LoginChallenge.objects.filter(pk=row.pk, used_at=None).update(used_at=now)
        if not spent:  # a concurrent request used it first
            raise Invalid("Log in with your password again.", code=AccountError.INVALID_CHALLENGE)
        if request is not None:
            throttles.forget_login_failures(email=user.email, request=request)
        user.last_login = now
        user.save(update_fields=["last_login", "updated_at"])
        record(
            action=AuditAction.AUTH_LOGIN,
            actor=user,
            target=user,
            request=request,
            data={"mfa": True},
        )
        return user, tokens.issue_token_pair(user)


def setup_token(*, user: User, request: AnyRequest = None) -> str:
    """A short-lived access token that only the setup and confirm endpoints accept."""
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(minutes=settings.MFA_SETUP_TOKEN_TTL_MINUTES))
    token[SCOPE_CLAIM] = SETUP_SCOPE
    token[tokens.REVOCATION_CLAIM] = tokens.revocation_stamp(user)
    record(
        action=AuditAction.AUTH_2FA_ENROLLMENT_REQUIRED, actor=user, target=user, request=request
    )
    return str(token)
