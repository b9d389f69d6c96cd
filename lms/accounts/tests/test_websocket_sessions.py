"""An open WebSocket closes (4401) within seconds when its session ends (issue 10, item 7):
a password change or reset and a deactivation end every session of the user, a logout the
one of its refresh token, including after that token's rotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from lms.accounts.tests.factories import PASSWORD, AdminFactory, UserFactory
from lms.accounts.tokens import issue_token_pair

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED = {"type": "websocket.close", "code": 4401}


def _socket(access: str) -> WebsocketCommunicator:
    from config.asgi import application

    return WebsocketCommunicator(
        application,
        f"/ws/notifications/?token={access}",
        headers=[(b"host", b"testserver"), (b"origin", b"http://testserver")],
    )


def what_the_socket_gets(access: str, action: Callable[[], Any]) -> dict[str, Any] | None:
    """Open a socket with `access`, run `action` (HTTP calls, in a worker thread as a server
    would), and return what the socket receives within 3 seconds (None: nothing)."""

    async def scenario() -> dict[str, Any] | None:
        communicator = _socket(access)
        connected, _ = await communicator.connect()
        assert connected
        await sync_to_async(action)()
        if await communicator.receive_nothing(timeout=3):
            await communicator.disconnect()
            return None
        received: dict[str, Any] = await communicator.receive_output(timeout=1)
        return received

    return async_to_sync(scenario)()


def test_a_password_change_closes_every_socket(client_for):
    user = UserFactory()
    access = issue_token_pair(user)["access"]

    def change() -> None:
        response = client_for(user).post(
            "/api/v1/auth/change-password/",
            {"old_password": PASSWORD, "new_password": "An0ther-long-passphrase!"},
        )
        assert response.status_code in (200, 204), response.content

    assert what_the_socket_gets(access, change) == CLOSED


def test_a_deactivation_closes_every_socket(client_for):
    user = UserFactory()
    access = issue_token_pair(user)["access"]

    def deactivate() -> None:
        response = client_for(AdminFactory()).patch(
            f"/api/v1/users/{user.pk}/", {"is_active": False}, format="json"
        )
        assert response.status_code == 200, response.json()

    assert what_the_socket_gets(access, deactivate) == CLOSED


def test_a_logout_closes_the_sockets_of_its_session_only(client_for):
    user = UserFactory()
    this_session = issue_token_pair(user)
    other_session = issue_token_pair(user)
    # the session's refresh token rotated once: the logout sends the newer one
    rotated = client_for(user).post("/api/v1/auth/refresh/", {"refresh": this_session["refresh"]})
    assert rotated.status_code == 200

    def log_out() -> None:
        response = client_for(user).post(
            "/api/v1/auth/logout/", {"refresh": rotated.json()["refresh"]}
        )
        assert response.status_code == 204

    assert what_the_socket_gets(this_session["access"], log_out) == CLOSED
    # a socket of another session stays open through that logout
    again = issue_token_pair(user)

    def log_out_elsewhere() -> None:
        client_for(user).post("/api/v1/auth/logout/", {"refresh": again["refresh"]})

    assert what_the_socket_gets(other_session["access"], log_out_elsewhere) is None
