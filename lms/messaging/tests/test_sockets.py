"""Live delivery at /ws/conversations/{id}/ to participants only (issue 12 item 5 and "Bad
input and access"), through config.asgi's application with channels' WebsocketCommunicator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.messaging import services
from lms.messaging.tests.factories import enrolled_pair

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(path: str, origin: bytes | None = b"http://testserver") -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin))
    return WebsocketCommunicator(application, path, headers=headers)


def route(conversation: Any, user: Any) -> str:
    return f"/ws/conversations/{conversation.pk}/?token={issue_token_pair(user)['access']}"


def handshake(path: str, origin: bytes | None = b"http://testserver") -> tuple[bool, object]:
    async def scenario() -> tuple[bool, object]:
        socket = communicator(path, origin)
        connected, _ = await socket.connect(timeout=3)
        following = None
        if connected and not await socket.receive_nothing(timeout=0.3):
            following = await socket.receive_output(timeout=1)
        await socket.disconnect()
        return connected, following

    return async_to_sync(scenario)()


@pytest.fixture
def conversation_of_two():
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    return conversation, student, instructor


def test_both_participants_get_a_new_message_live(conversation_of_two):
    conversation, student, instructor = conversation_of_two
    paths = [route(conversation, student), route(conversation, instructor)]

    async def scenario() -> list[dict[str, Any]]:
        sockets = [communicator(path) for path in paths]
        for socket in sockets:
            assert (await socket.connect())[0]
        await sync_to_async(services.send_message)(
            conversation=conversation, sender=student, body="<b>hi</b>"
        )
        received = [await socket.receive_json_from(timeout=2) for socket in sockets]
        for socket in sockets:
            await socket.disconnect()
        return received

    for event in async_to_sync(scenario)():
        assert event["type"] == "message"
        assert event["message"]["body"] == "<b>hi</b>"
        assert event["message"]["sender"] == str(student.pk)
        assert event["message"]["conversation"] == str(conversation.pk)
        assert event["message"]["read_at"] is None


def test_a_read_receipt_reaches_the_sender_live(conversation_of_two):
    conversation, student, instructor = conversation_of_two
    message = services.send_message(conversation=conversation, sender=student, body="hello")
    path = route(conversation, student)

    async def scenario() -> dict[str, Any]:
        socket = communicator(path)
        assert (await socket.connect())[0]
        await sync_to_async(services.mark_read)(conversation=conversation, reader=instructor)
        event = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert event["type"] == "read"
    assert event["reader"] == str(instructor.pk)
    assert event["messages"] == [str(message.pk)]


def test_user_a_never_receives_b_s_messages_on_two_live_sockets():
    # given: two conversations; A's socket on A's, B's socket on B's
    a_student, a_instructor = enrolled_pair()
    b_student, b_instructor = enrolled_pair()
    a_conversation, _ = services.start_conversation(user=a_student, participant_id=a_instructor.pk)
    b_conversation, _ = services.start_conversation(user=b_student, participant_id=b_instructor.pk)
    a_path, b_path = route(a_conversation, a_student), route(b_conversation, b_student)

    async def scenario() -> tuple[list[str], list[str]]:
        a_socket, b_socket = communicator(a_path), communicator(b_path)
        assert (await a_socket.connect())[0]
        assert (await b_socket.connect())[0]

        # when: one message in each conversation
        await sync_to_async(services.send_message)(
            conversation=a_conversation, sender=a_instructor, body="for A"
        )
        await sync_to_async(services.send_message)(
            conversation=b_conversation, sender=b_instructor, body="for B"
        )
        got = []
        for socket in (a_socket, b_socket):
            bodies = [(await socket.receive_json_from(timeout=2))["message"]["body"]]
            assert await socket.receive_nothing(timeout=0.3)
            await socket.disconnect()
            got.append(bodies)
        return got[0], got[1]

    # then
    assert async_to_sync(scenario)() == (["for A"], ["for B"])


def test_someone_else_is_closed_with_4404(conversation_of_two):
    conversation, _, _ = conversation_of_two

    assert handshake(route(conversation, UserFactory())) == (
        True,
        {"type": "websocket.close", "code": 4404},
    )


def test_an_unknown_conversation_reads_the_same(conversation_of_two):
    access = issue_token_pair(UserFactory())["access"]

    assert handshake(f"/ws/conversations/00000000-0000-0000-0000-000000000000/?token={access}") == (
        True,
        {"type": "websocket.close", "code": 4404},
    )


@pytest.mark.parametrize("query", ["", "?token=garbage"])
def test_no_or_a_bad_token_closes_with_4401(conversation_of_two, query):
    conversation, _, _ = conversation_of_two

    assert handshake(f"/ws/conversations/{conversation.pk}/{query}") == (
        True,
        {"type": "websocket.close", "code": 4401},
    )


def test_an_expired_token_closes_with_4401(conversation_of_two):
    conversation, student, _ = conversation_of_two
    path = route(conversation, student)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert handshake(path) == (True, {"type": "websocket.close", "code": 4401})


def test_a_foreign_origin_is_refused_and_none_is_accepted(conversation_of_two):
    conversation, student, _ = conversation_of_two
    path = route(conversation, student)

    assert handshake(path, origin=b"https://attacker.example")[0] is False
    assert handshake(path, origin=None) == (True, None)
