"""The worker's rules, read from the Celery application's configuration (no worker, no broker):
which queue each task goes to, which tasks retry and how, and that only tasks whose second run
changes nothing are acknowledged late (docs/operations.md, "Celery"; lms/core/tasks.py).

Every registered task is in TASKS below, so a task added tomorrow fails here until its queue,
retries and acknowledgement are decided.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.celery import app
from lms.core.tasks import IDEMPOTENT, RETRIED, TRANSIENT_ERRORS

# retries: "transient" (lms.core.tasks.RETRIED), "stripe" (send_stripe_payout's own policy)
# or None (a periodic task: beat's next run is the retry).
# idempotent: acks_late and reject_on_worker_lost (lms.core.tasks.IDEMPOTENT); a second run
# changes nothing (the task's docstring or docs/operations.md says why).
TASKS: dict[str, dict[str, Any]] = {
    "lms.accounts.tasks.build_personal_data_export": {
        "queue": "default",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.accounts.tasks.purge_expired_exports": {
        "queue": "default",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.accounts.tasks.send_password_reset_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.accounts.tasks.send_verification_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.audit.tasks.log_audit_chain_head": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.audit.tasks.seal_audit_chain": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.commerce.tasks.reconcile_pending_payments": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.commerce.tasks.retry_refund": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.commerce.tasks.send_order_receipt": {
        "queue": "pdfs",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.core.tasks.replay_cache_invalidations": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.core.tasks.resend_unsent_tasks": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.core.tasks.sweep_orphan_files": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.learning.tasks.issue_certificate": {
        "queue": "pdfs",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.learning.tasks.send_certificate_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.notifications.tasks.deliver_notification": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.notifications.tasks.send_digest_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.notifications.tasks.send_notification_digests": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.notifications.tasks.send_notification_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.payouts.tasks.release_matured_earnings": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.payouts.tasks.send_stripe_payout": {
        "queue": "default",
        "retries": "stripe",
        "idempotent": True,
    },
    "lms.tutoring.tasks.complete_due_bookings": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.tutoring.tasks.expire_pending_bookings": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.tutoring.tasks.extend_weekly_availability": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
    "lms.tutoring.tasks.refund_late_payment": {
        "queue": "default",
        "retries": "transient",
        "idempotent": True,
    },
    "lms.tutoring.tasks.send_booking_reminder_email": {
        "queue": "emails",
        "retries": "transient",
        "idempotent": False,
    },
    "lms.tutoring.tasks.send_due_reminders": {
        "queue": "default",
        "retries": None,
        "idempotent": True,
    },
}


def _tasks() -> dict[str, Any]:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker imports them
    # Tasks a test module defines for itself (test_broker_down's) are registered in whichever
    # test process imported it: they are not the product's.
    return {
        name: task
        for name, task in app.tasks.items()
        if not name.startswith("celery.") and ".tests." not in name
    }


def _queue(name: str) -> str:
    return str(app.amqp.router.route({}, name)["queue"].name)


def test_every_task_is_in_the_table():
    assert set(_tasks()) == set(TASKS)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_each_task_goes_to_its_queue(name):
    assert _queue(name) == TASKS[name]["queue"]


def test_the_three_queues_each_receive_tasks_and_exist():
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert queues == {"default", "emails", "pdfs"}
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    routed = {_queue(name) for name in _tasks()}
    assert routed == queues


def test_every_email_task_is_on_emails_and_only_they_are():
    for name in _tasks():
        sends_mail = bool(re.fullmatch(r"lms\.\w+\.tasks\.send_\w+_email", name))
        assert (_queue(name) == "emails") == sends_mail, name


@pytest.mark.parametrize("name", sorted(TASKS))
def test_each_task_retries_as_decided(name):
    task = _tasks()[name]
    retries = TASKS[name]["retries"]
    if retries == "transient":
        assert tuple(task.autoretry_for) == TRANSIENT_ERRORS
        assert task.max_retries == RETRIED["max_retries"] == 5
        assert task.retry_backoff == RETRIED["retry_backoff"] == 5
        assert task.retry_backoff_max == RETRIED["retry_backoff_max"] == 600
        assert task.retry_jitter is True
    elif retries == "stripe":
        # 7 attempts from 30 s, at most 30 min apart: inside Stripe's 24 h idempotency window
        # the provider's transfer is unavailable (lms.payouts.providers; core imports no app)
        assert [error.__name__ for error in task.autoretry_for] == ["TransferUnavailable"]
        assert (task.max_retries, task.retry_backoff, task.retry_backoff_max) == (7, 30, 1800)
        assert task.retry_jitter is True
    else:
        assert not getattr(task, "autoretry_for", ())


def test_transient_errors_are_the_network_and_the_database_connection_only():
    from django.db import InterfaceError, OperationalError

    assert set(TRANSIENT_ERRORS) == {OSError, OperationalError, InterfaceError}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_only_idempotent_tasks_are_acknowledged_late(name):
    task = _tasks()[name]
    if TASKS[name]["idempotent"]:
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
    else:
        # acknowledged on receipt: a worker lost mid-send loses an email rather than
        # sending it twice
        assert not task.acks_late
        assert not task.reject_on_worker_lost
    assert IDEMPOTENT == {"acks_late": True, "reject_on_worker_lost": True}


def test_late_acknowledgement_is_not_the_default():
    assert settings.CELERY_TASK_ACKS_LATE is False
    assert app.conf.task_acks_late is False
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_no_email_task_is_acknowledged_late():
    for name, task in _tasks().items():
        if _queue(name) == "emails":
            assert not task.acks_late, name


def test_the_tasks_the_operations_guide_calls_idempotent_are_acknowledged_late():
    text = Path(settings.BASE_DIR, "docs", "operations.md").read_text()
    paragraph = text.split("- **Acknowledgement**", 1)[1].split("\n- ", 1)[0]
    named = set(re.findall(r"`(?:\w+\.)?(\w+)`", paragraph))
    short = {name.rsplit(".", 1)[-1]: task for name, task in _tasks().items()}
    documented = named & set(short)
    assert len(documented) >= 7
    for name in documented:
        assert short[name].acks_late is True, name
