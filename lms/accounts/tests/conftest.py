from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from lms.accounts.models import InstructorApplication, User
from lms.accounts.tests.factories import PASSWORD

LOGIN_URL = "/api/v1/auth/login/"


@pytest.fixture
def log_in(anon_client: APIClient) -> Callable[..., dict[str, Any]]:
    """`log_in(user)`: the body of a real login through the API (access, refresh, user)."""

    def do(user: Any, password: str = PASSWORD) -> dict[str, Any]:
        response = anon_client.post(LOGIN_URL, {"email": user.email, "password": password})
        assert response.status_code == 200, response.json()
        body: dict[str, Any] = response.json()
        return body

    return do


@pytest.fixture(autouse=True)
def _remove_uploaded_files(db: None) -> Iterator[None]:
    """Delete the avatars, CVs and certificates a test stored, before its rows are rolled back."""
    yield
    for application in InstructorApplication.objects.all():
        application.cv.delete(save=False)
        application.certificate.delete(save=False)
    for user in User.objects.exclude(avatar=""):
        user.avatar.delete(save=False)
