"""JWT pairs, refresh rotation that survives concurrent use, and revocation.

simplejwt signs, verifies and records tokens (OutstandingToken / BlacklistedToken);
what it does not do is rotate atomically: its refresh view reads the blacklist and
then writes, so ten parallel refreshes of one token can all succeed. Here the
outstanding-token row is locked and the blacklist row is the single point of truth.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from lms.accounts.models import User
from lms.accounts.user_cache import flush_cached_user
from lms.core.sockets import close_user_sockets

# Claim carrying the user's revocation stamp; `iat` has whole seconds only, too coarse to
# tell a token issued just before a password change from one issued just after.
REVOCATION_CLAIM = "rev"
# Claim naming the session: the first refresh token's id, kept by every rotation and copied
# into each access token, so a logout can close the WebSockets opened in that session.
SESSION_CLAIM = "sid"


def revocation_stamp(user: User) -> int:
    return int(user.tokens_valid_after.timestamp() * 1_000_000)


def issue_token_pair(user: User, *, session: str | None = None) -> dict[str, str]:
    """A new pair; `session`: the session it continues (a rotation), else a new one."""
    refresh = RefreshToken.for_user(user)  # recorded as an OutstandingToken
    refresh[REVOCATION_CLAIM] = revocation_stamp(user)  # copied into the access token
    refresh[SESSION_CLAIM] = session or refresh[api_settings.JTI_CLAIM]  # this one too
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_of(raw: str) -> str | None:
    """The session id of a token whose signature holds (None otherwise, or before sessions
    had ids); no database query."""
    try:
        # the stubs say Token; PyJWT, under simplejwt's backend, decodes the raw string
        payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        return None
    session = payload.get(SESSION_CLAIM)
    return str(session) if session else None


def issued_before_revocation(*, user: User, token: Any) -> bool:
    """True when the token was issued before the user's last revocation of all tokens."""
    return token.get(REVOCATION_CLAIM) != revocation_stamp(user)


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]  # signature, expiry, token type and blacklist
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc


def _user_of(token: RefreshToken) -> User:
    user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None or issued_before_revocation(user=user, token=token):
        raise InvalidToken("Token is no longer valid.")
    return user


def _spend(token: RefreshToken) -> None:
    """Blacklist the token under a lock of its outstanding row, or refuse it as already spent.

    Rotation and logout both go through here: of two requests presenting one refresh token
    at the same moment, the second waits for the first's lock and then finds the blacklist
    row, so exactly one of them wins. Call inside a transaction.
    """
    # No ordering: OutstandingToken orders by its nullable `user`, which would join it and
    # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .filter(jti=token[api_settings.JTI_CLAIM])
        .order_by()
        .first()
    )
    if outstanding is None:
        raise InvalidToken("Token is not recognised.")
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not created:
        raise InvalidToken("Token is blacklisted.")


def rotate_refresh_token(*, raw: str) -> dict[str, str]:
    """Spend a refresh token once and return a new pair; a second use is refused."""
    token = _parse_refresh(raw)
    user = _user_of(token)
    try:
        with transaction.atomic():
            _spend(token)
            return issue_token_pair(user, session=token.get(SESSION_CLAIM))
    except IntegrityError as exc:  # a concurrent rotation won the insert
        raise InvalidToken("Token is blacklisted.") from exc


def blacklist_refresh_token(*, raw: str, user: User) -> None:
    """Logout: this refresh token is refused from now on; one already spent is refused."""
    token = _parse_refresh(raw)
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidToken("Token belongs to another user.")
    try:
        with transaction.atomic():
            _spend(token)
    except IntegrityError as exc:  # a concurrent rotation or logout won the insert
        raise InvalidToken("Token is blacklisted.") from exc


def revoke_all_tokens(*, user: User) -> None:
    """Refuse every token of the user issued until now: refresh tokens are blacklisted, and
    access tokens carry a stamp of `tokens_valid_after` that no longer matches."""
    now = timezone.now()
    if now <= user.tokens_valid_after:  # a coarse or frozen clock: the stamp must still move
        now = user.tokens_valid_after + timedelta(microseconds=1)
    User.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now
    flush_cached_user(user)  # an update() skips User.save()
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    close_user_sockets(user_id=user.pk)  # every session ended: its WebSockets too
