from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from lms.accounts.models import User
from lms.accounts.tokens import issued_before_revocation
from lms.core.compiled import CompiledQuery, Sentinel

# Every authenticated request loads its user: the query is compiled once per process.
_USER_BY_ID = CompiledQuery(
    User,
    lambda user_id: User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}),
    [Sentinel.uuid],
)


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's bearer authentication, also refusing tokens issued before a revocation.

    `get_user` is simplejwt's, step for step (unknown user, inactive user, and its optional
    password-change check), with the user row read through a query compiled once per
    process instead of built per request.
    """

    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        users = _USER_BY_ID.instances(user_id)
        if not users:
            raise AuthenticationFailed("User not found", code="user_not_found")
        user = users[0]
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        if issued_before_revocation(user=user, token=validated_token):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user
