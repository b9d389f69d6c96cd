"""Audit tasks: the sweep that seals what the after-commit seal missed (lms.audit.chain)."""

from __future__ import annotations

from celery import shared_task

from lms.core.tasks import IDEMPOTENT, RETRIED

from . import chain


@shared_task(**RETRIED, **IDEMPOTENT)
def seal_audit_chain() -> int:
    """Seal every committed, unsealed audit line; the number sealed. Safe to run twice at
    once: sealers take turns on the chain head's row lock."""
    sealed = 0
    while count := chain.seal_pending():
        sealed += count
    return sealed
