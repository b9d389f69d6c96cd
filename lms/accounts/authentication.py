from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from lms.accounts.models import User
from lms.accounts.tokens import issued_before_revocation
from lms.accounts.user_cache import CachedUserLookup

# The claim marking REQUIRE_STAFF_MFA's setup-only token (lms.accounts.two_factor).
SCOPE_CLAIM = "scope"
SETUP_SCOPE = "mfa_setup"


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's bearer authentication, its user read from the per-user cache, also
    refusing tokens issued before the user's last revocation of all tokens.

    `get_user` is simplejwt's own (the user by USER_ID_FIELD, unknown user, inactive user,
    its optional password-change check); only the row comes from `lms.accounts.user_cache`
    instead of a query, and every write of the user flushes it.
    """

    # True only while authenticating for a view that sets `accepts_mfa_setup_token`
    accepts_setup_tokens = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = CachedUserLookup  # type: ignore[assignment]

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        assert isinstance(user, User)  # CachedUserLookup answers the project's User
        if issued_before_revocation(user=user, token=validated_token):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        if validated_token.get(SCOPE_CLAIM) == SETUP_SCOPE and not self.accepts_setup_tokens:
            raise AuthenticationFailed(
                "This token only sets up two-factor authentication.", code="mfa_setup_token_only"
            )
        return user

    def authenticate(self, request: Request) -> Any:
        """As simplejwt's; a view with `accepts_mfa_setup_token = True` (the 2FA setup and
        confirm endpoints) also takes REQUIRE_STAFF_MFA's setup-only token."""
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.accepts_setup_tokens = bool(getattr(view, "accepts_mfa_setup_token", False))
        return super().authenticate(request)
