"""Audit tasks: sealing the hash chain off the request path (lms.audit.chain).

`queue_sealing` runs after each commit that wrote audit lines (`services.record`): with a
broker it queues `seal_audit_chain` for a worker, at most one queued and not yet started
at a time (a cache flag, `SEAL_QUEUED_KEY`); without one (eager mode: tests, development)
it seals right there, at commit. Beat runs `seal_audit_chain` every minute as the safety
net (config/settings.py `audit-seal-chain`) for a task lost with its broker or worker.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.celery import broker_cooldown
from lms.core.tasks import IDEMPOTENT, RETRIED

from . import chain

logger = logging.getLogger(__name__)

# Set while a sealing task is queued and has not started: a commit that finds it set needs
# no task of its own, as that task seals after this commit. It expires on its own, so a
# lost task only delays sealing until the next commit or beat's run.
SEAL_QUEUED_KEY = "audit:seal-queued"
SEAL_QUEUED_SECONDS = 30


@shared_task(**RETRIED, **IDEMPOTENT)
def seal_audit_chain() -> int:
    """Seal every committed, unsealed audit line; the number sealed. Safe to run twice at
    once: sealers take turns on the chain head's row lock (lms/audit/locks.py), and a line
    is sealed once."""
    # Cleared before sealing, so a line committed from now on queues another task, and
    # one committed before is sealed by this run.
    cache.delete(SEAL_QUEUED_KEY)
    return chain.seal_all()


@shared_task(**IDEMPOTENT)
def log_audit_chain_head() -> dict[str, object]:
    """Beat, hourly: write the chain head's position and hash to the log (`audit_chain_head`),
    which production ships off the host. That copy is what catches the one cut the head's
    MAC cannot: an older head row put back after the lines above it were deleted
    (`verify_audit_chain --expect-at-least POSITION:HASH` with a logged pair; chain.py). A
    hash and a count, never a key or a line's content."""
    head = chain.current_head()
    logger.info("audit_chain_head", extra={"position": head.position, "hash": head.hash})
    return {"position": head.position, "hash": head.hash}


def queue_sealing() -> None:
    """After a commit that wrote audit lines: queue `seal_audit_chain` (unless one is queued
    and not started), or, without a broker, seal now (`chain.seal_after_commit`). Never
    raises: the writer has committed, and beat seals whatever is left. During this process's
    broker cool-down (config/celery.py) the broker is not tried (beat is the fallback)."""
    if seal_audit_chain.app.conf.task_always_eager:
        chain.seal_after_commit()
        return
    if broker_cooldown.skipping():  # the broker failed moments ago: beat seals instead
        logger.warning("audit_seal_not_queued")
        return
    # add() is False while a task is queued; None when the cache is down (queue anyway).
    if cache.add(SEAL_QUEUED_KEY, 1, timeout=SEAL_QUEUED_SECONDS) is False:
        return
    try:
        seal_audit_chain.delay()
    except BrokerUnavailable:
        cache.delete(SEAL_QUEUED_KEY)
        logger.warning("audit_seal_not_queued")
