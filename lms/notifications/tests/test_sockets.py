"""Who may open a WebSocket (issue 11 item 2, issue 12 "Bad input and access"), on both routes'
shared rules (lms.notifications.sockets), through the real ASGI application of config.asgi."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.notifications import services
from lms.notifications.models import Category

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_4401 = {"type": "websocket.close", "code": 4401}


def communicator(path: str, origin: bytes | None = b"http://testserver") -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin))
    return WebsocketCommunicator(application, path, headers=headers)


def opened(path: str, origin: bytes | None = b"http://testserver") -> tuple[bool, object]:
    """Whether the handshake completed, and what came next (a close, or None)."""

    async def scenario() -> tuple[bool, object]:
        socket = communicator(path, origin)
        connected, _ = await socket.connect(timeout=3)
        following = None
        if connected and not await socket.receive_nothing(timeout=0.3):
            following = await socket.receive_output(timeout=1)
        await socket.disconnect()
        return connected, following

    return async_to_sync(scenario)()


def test_a_client_without_origin_is_accepted():
    access = issue_token_pair(UserFactory())["access"]

    assert opened(f"/ws/notifications/?token={access}", origin=None) == (True, None)


def test_a_foreign_origin_is_refused_at_the_handshake():
    access = issue_token_pair(UserFactory())["access"]

    connected, _ = opened(f"/ws/notifications/?token={access}", origin=b"https://evil.example")

    assert connected is False


def test_the_front_end_origin_is_accepted(settings):
    # CORS_ALLOWED_ORIGINS' default is the front end at http://localhost:3000
    access = issue_token_pair(UserFactory())["access"]

    assert opened(f"/ws/notifications/?token={access}", origin=b"http://localhost:3000") == (
        True,
        None,
    )


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-token"])
def test_no_or_a_bad_token_closes_with_4401(query):
    assert opened(f"/ws/notifications/{query}") == (True, CLOSED_4401)


def test_an_expired_token_closes_with_4401():
    access = issue_token_pair(UserFactory())["access"]

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert opened(f"/ws/notifications/?token={access}") == (True, CLOSED_4401)


def test_a_refresh_token_is_not_an_access_token():
    refresh = issue_token_pair(UserFactory())["refresh"]

    assert opened(f"/ws/notifications/?token={refresh}") == (True, CLOSED_4401)


def test_what_a_client_sends_is_ignored():
    access = issue_token_pair(UserFactory())["access"]

    async def scenario() -> bool:
        socket = communicator(f"/ws/notifications/?token={access}")
        connected, _ = await socket.connect()
        await socket.send_to(text_data="{not json")
        await socket.send_to(bytes_data=b"\x00\x01")
        quiet = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return connected and quiet

    assert async_to_sync(scenario)()


def test_each_user_gets_only_their_notifications_on_two_live_sockets():
    # given: A and B each with an open socket
    alice, bob = UserFactory(), UserFactory()
    tokens = {user.pk: issue_token_pair(user)["access"] for user in (alice, bob)}

    async def scenario() -> tuple[list[dict], list[dict]]:
        sockets = {
            pk: communicator(f"/ws/notifications/?token={access}") for pk, access in tokens.items()
        }
        for socket in sockets.values():
            assert (await socket.connect())[0]

        # when: each gets one notification, committed in a worker thread as a server would
        def send() -> None:
            for user in (alice, bob):
                with transaction.atomic():
                    services.notify(user=user, category=Category.ACCOUNT, title=f"for {user.pk}")

        await sync_to_async(send)()
        received = []
        for user in (alice, bob):
            socket = sockets[user.pk]
            messages = [await socket.receive_json_from(timeout=2)]
            assert await socket.receive_nothing(timeout=0.3)
            await socket.disconnect()
            received.append(messages)
        return received[0], received[1]

    alice_got, bob_got = async_to_sync(scenario)()

    # then
    assert [message["title"] for message in alice_got] == [f"for {alice.pk}"]
    assert [message["title"] for message in bob_got] == [f"for {bob.pk}"]


def test_a_notification_reaches_the_socket_within_200_ms_of_the_commit(record_property):
    user = UserFactory()
    access = issue_token_pair(user)["access"]

    async def scenario() -> list[float]:
        socket = communicator(f"/ws/notifications/?token={access}")
        assert (await socket.connect())[0]
        delays = []

        def send(index: int) -> float:
            """Commit one notification; returns the time of the commit."""
            stamps: list[float] = []
            with transaction.atomic():
                # on_commit callbacks run in order: this stamp runs first, at the commit
                transaction.on_commit(lambda: stamps.append(time.perf_counter()))
                services.notify(user=user, category=Category.ACCOUNT, title=f"n{index}")
            return stamps[0]

        for index in range(20):
            committed_at = await sync_to_async(send)(index)
            message = await socket.receive_json_from(timeout=2)
            delays.append(time.perf_counter() - committed_at)
            assert message["title"] == f"n{index}"
        await socket.disconnect()
        return delays

    delays = sorted(async_to_sync(scenario)())
    record_property("commit_to_socket_ms", [round(delay * 1000, 1) for delay in delays])
    print(f"commit -> socket: median {delays[10] * 1000:.1f} ms, max {delays[-1] * 1000:.1f} ms")
    # The budget is 200 ms (issue 12, "Speed"; docs/messaging.md has the figures). The median
    # is held to it; a single slow one on a CI machine shared by parallel workers only to 1 s.
    assert delays[10] < 0.2
    assert delays[-1] < 1.0


@pytest.mark.parametrize("path", ["/ws/nothing-here/", "/ws/conversations/not-a-uuid/"])
def test_an_unknown_route_closes_with_4404(path):
    access = issue_token_pair(UserFactory())["access"]

    assert opened(f"{path}?token={access}") == (True, {"type": "websocket.close", "code": 4404})
