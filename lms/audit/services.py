"""The audit log's one writer. Every app calls `record` in the transaction that makes the
change: one INSERT, nothing else in that transaction. The line is sealed into the hash
chain after the transaction commits, off the request path (`lms.audit.tasks.queue_sealing`,
`lms.audit.chain`). The action is always an `AuditAction` (mypy holds every caller to it;
lms/audit/tests/test_transitions.py refuses a string typed or built in place)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import models, transaction

from lms.audit.actions import AuditAction
from lms.audit.models import AuditLog
from lms.audit.tasks import queue_sealing
from lms.core.requests import AnyRequest


def client_ip(request: AnyRequest) -> str | None:
    """The client's address as the throttles see it (trusted proxies only). Only an IP
    address is returned: an X-Forwarded-For entry that is not one (the proxy count set too
    high lets a client write it) falls back to REMOTE_ADDR, and a REMOTE_ADDR that is not
    one (a Unix socket) to None, never a value the `inet` column would refuse."""
    if request is None:
        return None
    from rest_framework.settings import api_settings

    meta = request.META
    remote = _ip_or_none(meta.get("REMOTE_ADDR"))
    proxies = api_settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if forwarded and proxies:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return _ip_or_none(addresses[-min(proxies, len(addresses))]) or remote
    return remote


def _ip_or_none(value: Any) -> str | None:
    """`value` as an IP address in its normal form, None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(
    *,
    action: AuditAction,
    actor: Any = None,
    target: models.Model | None = None,
    request: AnyRequest = None,
    data: dict[str, Any] | None = None,
    impersonator: Any = None,
) -> AuditLog:
    """Append one audit line; `request` supplies the IP and user agent. `impersonator`: the
    staff member acting as `actor`, if any."""
    line = _line(action=action, actor=actor, target=target, request=request, data=data)
    line.impersonator = impersonator
    line.save(force_insert=True)
    _seal_after_commit()
    return line


def record_many(
    *,
    action: AuditAction,
    actor: Any = None,
    targets: list[tuple[models.Model, dict[str, Any]]],
    request: AnyRequest = None,
) -> list[AuditLog]:
    """One audit line per (target, data), written in one statement."""
    lines = AuditLog.objects.bulk_create(
        [
            _line(action=action, actor=actor, target=target, request=request, data=data)
            for target, data in targets
        ]
    )
    _seal_after_commit()
    return lines


def _seal_after_commit() -> None:
    """Have the lines sealed once the current transaction commits: `queue_sealing`, registered
    once however many lines the transaction writes. A registration made at this savepoint
    level or an outer one covers this line (whenever this line survives, so does it); one
    made in another savepoint does not (a rollback of it drops that registration, with
    its own lines only)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        here = set(connection.savepoint_ids)
        if any(
            callback is queue_sealing and savepoints <= here
            for savepoints, callback, _ in connection.run_on_commit
        ):
            return
    transaction.on_commit(queue_sealing)


def _line(
    *,
    action: AuditAction,
    actor: Any,
    target: models.Model | None,
    request: AnyRequest,
    data: dict[str, Any] | None,
) -> AuditLog:
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    return AuditLog(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        ip=client_ip(request),
        user_agent=user_agent,
        data=data or {},
    )
