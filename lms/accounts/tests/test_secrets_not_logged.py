"""No code, token, password or email body reaches a log line: the flows that mail secrets run
through the API with every logger (Celery's included) captured at DEBUG."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery.app import trace
from django.core import mail
from pythonjsonlogger.json import JsonFormatter

from config.log_filters import REDACTED
from lms.accounts.tests.helpers import html_part, link_token, six_digit_code
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
RESEND = "/api/v1/auth/resend-verification/"
VERIFY = "/api/v1/auth/verify-email/"
RESET = "/api/v1/auth/password-reset/"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm/"
LOGIN = "/api/v1/auth/login/"

PASSWORD = "analytical-engine-1843"
NEW_PASSWORD = "difference-engine-1822"


@pytest.fixture
def logs(caplog) -> Any:
    """Every record of every logger (Celery's included) at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("celery", "celery.app.trace", "celery.worker.strategy", "django"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _everything_logged(caplog: Any) -> str:
    """All that the records say: the lines, every attribute, and the JSON formatter's output
    (which prints a record's extras, such as Celery's `data`)."""
    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(formatter.format(record))
        lines.append(repr(vars(record)))
    return "\n".join(lines)


def _secrets_of(message: mail.EmailMessage) -> list[str]:
    """What must never be logged: the code, the link token, and the whole body."""
    return [six_digit_code(message), link_token(message), str(message.body), html_part(message)]


def _assert_not_logged(log_text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in log_text, f"{secret[:40]!r} reached the logs"


def test_register_resend_reset_and_certificate_emails_log_no_secret(
    anon_client, client_for, logs, django_capture_on_commit_callbacks
):
    # given / when: register, resend, verify, reset and confirm through the API
    with django_capture_on_commit_callbacks(execute=True):
        registered = anon_client.post(
            REGISTER,
            {"email": "ada@example.com", "password": PASSWORD, "first_name": "A", "last_name": "L"},
        )
    with django_capture_on_commit_callbacks(execute=True):
        resent = anon_client.post(RESEND, {"email": "ada@example.com"})
    verification = mail.outbox[-1]
    verified = anon_client.post(VERIFY, {"token": link_token(verification)})
    with django_capture_on_commit_callbacks(execute=True):
        reset = anon_client.post(RESET, {"email": "ada@example.com"})
    reset_email = mail.outbox[-1]
    confirmed = anon_client.post(
        RESET_CONFIRM,
        {
            "email": "ada@example.com",
            "code": six_digit_code(reset_email),
            "new_password": NEW_PASSWORD,
        },
    )
    wrong_login = anon_client.post(LOGIN, {"email": "ada@example.com", "password": PASSWORD})
    login = anon_client.post(LOGIN, {"email": "ada@example.com", "password": NEW_PASSWORD})

    # and a course completed through the API, which mails the certificate
    made = make_course(lessons=1, sections=1)
    student = client_for(registered_user := _user(registered.json()["id"]))
    enrolled = student.post(f"/api/v1/courses/{made.course.slug}/enroll/")
    with django_capture_on_commit_callbacks(execute=True):
        completed = student.post(
            f"/api/v1/enrollments/{enrolled.json()['id']}/mark-lesson-complete/",
            {"lesson_id": str(made.lessons[0].pk)},
        )

    # then: every step answered, four emails went out through Celery
    assert registered.status_code == 201
    assert resent.status_code == 202
    assert verified.status_code == 200
    assert reset.status_code == 202
    assert confirmed.status_code == 204
    assert wrong_login.status_code == 401
    assert login.status_code == 200
    assert enrolled.status_code == 201, enrolled.json()
    assert completed.status_code == 200
    assert [message.to for message in mail.outbox] == [[registered_user.email]] * 4
    assert "certificate" in mail.outbox[-1].subject.lower()
    task_lines = [r for r in logs.records if r.name == "celery.app.trace"]
    assert len(task_lines) >= 4  # the eager runner logged each task, as a worker would

    # and nothing secret is in any of the log lines
    log_text = _everything_logged(logs)
    secrets = [PASSWORD, NEW_PASSWORD, login.json()["refresh"], login.json()["access"]]
    for message in mail.outbox[:-1]:
        secrets += _secrets_of(message)
    certificate_email = mail.outbox[-1]
    secrets += [str(certificate_email.body), html_part(certificate_email)]
    _assert_not_logged(log_text, secrets)
    for record in task_lines:  # tasks take ids: not even the address is an argument
        assert registered_user.email not in repr(vars(record))


def _user(user_id: str) -> Any:
    from lms.accounts.models import User

    return User.objects.get(pk=user_id)


@pytest.mark.parametrize(
    "logger_name", ["celery.app.trace", "celery.worker.strategy", "celery.worker.request"]
)
def test_task_arguments_are_redacted_in_celery_records(caplog, logger_name):
    # given: a record shaped as a worker logs a task it received (or ran), with a secret
    caplog.set_level(logging.DEBUG)
    context = {
        "id": "d5c8",
        "name": "lms.some.task",
        "args": "('123456',)",
        "kwargs": "{'token': 'reset-token-abc'}",
        "eta": None,
    }

    # when
    logging.getLogger(logger_name).info(trace.LOG_RECEIVED, context, extra={"data": context})

    # then: the line, its mapping and its `data` extra keep the task's name and id only
    (record,) = [r for r in caplog.records if r.name == logger_name]
    printed = JsonFormatter("%(message)s").format(record) + repr(vars(record))
    assert "123456" not in printed
    assert "reset-token-abc" not in printed
    assert record.data["args"] == record.data["kwargs"] == REDACTED
    assert record.data["name"] == "lms.some.task"
    assert record.getMessage() == "Task lms.some.task[d5c8] received"
