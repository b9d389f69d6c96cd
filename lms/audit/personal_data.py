"""Audit's part of a person's export and deletion. Registered by accounts' AppConfig (audit
sits below accounts and never imports it; lms.accounts.personal_data).

Export: the audit lines about the person (they acted, or they were the target).
Erase: the lines stay (what happened, when) but lose what identifies the person: the IP
and user agent of the lines they acted in, the target's text (their email), and any value
in a line's data holding their email or name (a failed login's address).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from lms.audit.chain import erase_personal_fields
from lms.audit.models import AuditLog


def _about(user: Any) -> Q:
    return Q(actor=user) | Q(target_id=str(user.pk))


def export(user: Any) -> Iterator[tuple[str, Any]]:
    """(path, data) pairs; accounts wraps them as ExportDocuments."""
    yield (
        "audit/audit_log.json",
        list(
            AuditLog.objects.filter(_about(user))
            .order_by("created_at")
            .values("action", "target_type", "target_id", "ip", "user_agent", "data", "created_at")
        ),
    )


def scrub(value: Any, needles: tuple[str, ...]) -> Any:
    """`value` (JSON) with every string holding one of the lower-case `needles` emptied."""
    if isinstance(value, str):
        return "" if any(needle in value.lower() for needle in needles) else value
    if isinstance(value, list):
        return [scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, needles) for key, item in value.items()}
    return value


def erase(user: Any, *, needles: tuple[str, ...]) -> None:
    """`needles`: lower-case texts identifying the person (email, full name). The lines are
    append-only: these fields are the only ones a line may lose, and the hash chain still
    verifies without them (lms.audit.chain.erase_personal_fields). Only blanks: `verify`
    accepts on an erased line `ip` None, empty texts, and `data` with strings emptied
    (`scrub`), never another value; a line may be erased again for another person."""
    erase_personal_fields(AuditLog.objects.filter(actor=user), ip=None, user_agent="")
    erase_personal_fields(AuditLog.objects.filter(target_id=str(user.pk)), target_repr="")
    mentions = Q()
    for needle in needles:
        mentions |= Q(data__icontains=needle) | Q(target_repr__icontains=needle)
    for line in AuditLog.objects.filter(mentions):
        erase_personal_fields(
            AuditLog.objects.filter(pk=line.pk),
            data=scrub(line.data, needles),
            target_repr=scrub(line.target_repr, needles),
        )
