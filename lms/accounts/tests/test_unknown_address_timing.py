"""Password reset and resend-verification do the same work for an unknown address as for a
real one (issue 10, item 7): the same queries, the same task enqueued after commit, the same
answer, so neither the body nor the time tells whether an account exists. The task looks the
account up and mails only a real one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _shape(queries: CaptureQueriesContext) -> list[str]:
    """Each query's statement kind and table (the values differ, the work must not)."""
    # savepoint names are numbered per call: the kind of statement is the work
    return [
        " ".join(re.sub(r'"s\d+_x\d+"', "sp", query["sql"]).split()[:4])
        for query in queries.captured_queries
    ]


def _answer(client: Any, path: str, email: str, capture: Any) -> tuple[Any, list[str], int]:
    with capture(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        response = client.post(path, {"email": email})
    return (response.status_code, response.content), _shape(queries), len(callbacks)


@pytest.mark.parametrize(
    ("path", "verified", "after_commit"),
    [
        # the mail task, and sealing the reset's audit line into the chain (lms.audit.chain)
        ("/api/v1/auth/password-reset/", True, 2),
        ("/api/v1/auth/resend-verification/", False, 1),
    ],
    ids=["password-reset", "resend-verification"],
)
def test_an_unknown_address_costs_what_a_real_one_costs(
    anon_client, django_capture_on_commit_callbacks, path, verified, after_commit
):
    # given: a real account of the kind each endpoint mails (resend: not yet verified)
    real = UserFactory(email="real@example.com", email_verified_at=None)
    if verified:
        real.email_verified_at = real.created_at
        real.save(update_fields=["email_verified_at"])
    capture = django_capture_on_commit_callbacks

    # when
    known = _answer(anon_client, path, "real@example.com", capture)
    unknown = _answer(anon_client, path, "nobody@example.com", capture)

    # then: the same answer, the same queries, the same task enqueued
    assert known[0] == unknown[0]
    assert known[0][0] == 202
    assert known[1] == unknown[1]
    assert known[2] == unknown[2] == after_commit


@pytest.mark.parametrize(
    ("path", "template_word"),
    [("/api/v1/auth/password-reset/", "reset"), ("/api/v1/auth/resend-verification/", "erif")],
)
def test_the_task_mails_the_real_account_only(
    anon_client, django_capture_on_commit_callbacks, path, template_word
):
    UserFactory(email="real@example.com", email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post(path, {"email": "nobody@example.com"})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post(path, {"email": "real@example.com"})
    assert [message.to for message in mail.outbox] == [["real@example.com"]]
    assert template_word in mail.outbox[0].subject.lower()
