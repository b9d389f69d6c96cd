from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from lms.accounts.models import User
from lms.accounts.tokens import issued_before_revocation


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's bearer authentication, also refusing tokens issued before a revocation."""

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)  # inactive users are refused here
        if not isinstance(user, User) or issued_before_revocation(user=user, token=validated_token):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user
