"""The authenticated user of a request, typed as the project's User."""

from typing import Any

from lms.accounts.models import User
from lms.core.errors import NotAuthenticated


def current_user(request: Any) -> User:
    """`request.user` for views behind IsAuthenticated (or a role permission)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
