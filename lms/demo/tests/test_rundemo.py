"""`manage.py rundemo`: daphne's runserver, with the demo accounts written once it listens."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from lms.accounts.tests.factories import UserFactory
from lms.demo.accounts import DEMO_PASSWORD
from lms.demo.management.commands import rundemo

pytestmark = pytest.mark.django_db

EVENTS: list[str] = []


class Terminal(StringIO):
    """stdout that records, in EVENTS, when the accounts were written."""

    def write(self, text: str) -> int:
        if "Demo accounts" in text or "No demo accounts" in text:
            EVENTS.append("accounts")
        return super().write(text)


class FakeServer:
    """daphne's Server as far as runserver uses it: it logs that it listens, calls the ready
    hook before its reactor runs, then runs what was scheduled for the reactor's start."""

    started: list[Any] = []

    def __init__(self, *, ready_callable: Any = None, endpoints: Any = (), **kwargs: Any) -> None:
        self.ready_callable = ready_callable
        self.endpoints = endpoints

    def run(self) -> None:
        EVENTS.append("listening")
        if self.ready_callable:
            self.ready_callable()
        for callback in FakeServer.started:  # the reactor starts
            callback()


@pytest.fixture
def fake_server(monkeypatch: Any) -> None:
    EVENTS.clear()
    FakeServer.started = []
    monkeypatch.setattr(rundemo, "Server", FakeServer)
    monkeypatch.setattr(rundemo.Command, "when_running", staticmethod(FakeServer.started.append))


def run(address: str = "127.0.0.1:8123") -> str:
    out = Terminal()
    call_command("rundemo", address, use_reloader=False, skip_checks=True, stdout=out)
    return out.getvalue()


def test_the_accounts_come_after_the_banner_and_the_servers_lines(fake_server):
    # given: a demo account, and the server replaced by one that does not listen
    UserFactory(email="student@demo.learnflow.local", role="student")
    # when
    text = run()
    # then: banner first, accounts last, with the address it serves
    assert text.index("Starting ASGI/Daphne") < text.index("Demo accounts")
    assert text.rstrip().endswith("=" * 78)
    assert "student@demo.learnflow.local" in text
    assert DEMO_PASSWORD in text
    assert "http://127.0.0.1:8123/api/docs/" in text
    assert EVENTS == ["listening", "accounts"]  # once the server listens
    assert logging.getLogger("daphne.server").getEffectiveLevel() == logging.WARNING


def test_without_demo_data_it_says_how_to_get_it(fake_server):
    assert run().rstrip().endswith("No demo accounts in this database: run `manage.py seed_demo`.")


def test_a_wildcard_address_is_printed_as_the_loopback_one(fake_server):
    UserFactory(email="student@demo.learnflow.local", role="student")
    assert "http://127.0.0.1:8123/api/docs/" in run("0.0.0.0:8123")
