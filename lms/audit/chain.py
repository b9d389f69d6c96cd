"""The audit log's hash chain: sealing lines, erasing a person from them, and verifying
the chain.

A line is inserted unsealed by `services.record` in its writer's transaction: one INSERT,
no lock, no hashing (a chain head locked there would serialise every transaction that
audits, and deadlock against their own locks). Sealing is off the request path: once that
transaction commits, `services` queues the `seal_audit_chain` task (with a broker a worker
seals; without one, eager mode in tests and development, it seals right at commit), and
beat runs the same task every minute as a safety net. `seal_pending`, under the head row's
lock (`locks.lock_chain_head`, the only lock it takes), gives each committed unsealed line,
oldest first, the next `position`, the previous line's hash as `prev_hash`, and

    hash = sha256(canonical JSON of position, prev_hash, id, created_at, actor_id,
                  impersonator_id, action, target_type, target_id, personal_digest)
    personal_digest = sha256(canonical JSON of ip, user_agent, target_repr, data)

so the chain's order is sealing order, and changing, removing or reordering any sealed line
breaks the link after it. Sealing is idempotent: a second sealer (the task run twice, beat
and a queued task at once) waits for the head, then finds the lines sealed and seals only
what is left. `verify` (the `verify_audit_chain` command) recomputes the chain and names
the first broken link. Lines not sealed yet are outside the chain: `verify` counts them
(`unsealed`, with the oldest one's time) and never reports them as a break; a line left
unsealed long after its commit means sealing is not running, not that the chain is broken.
What that costs: an unsealed line is not protected by any hash until it is sealed (under
a minute with beat running); the database trigger still refuses its DELETE and any change
of who did what to which object and when.

A person's deletion blanks what identifies them (`erase_personal_fields`) and sets
`erased_at`: the line keeps its `personal_digest`, so the chain still verifies over who
did what, when. What that costs: the blanked fields themselves are no longer verifiable,
so a line's personal fields could be changed together with `erased_at` unnoticed by
`verify`. On PostgreSQL the trigger (migration 0004) only lets an erasure blank them (`ip`
NULL, `user_agent` and `target_repr` empty, strings of `data` emptied, `erased_at` never
cleared); it refuses every other change to a sealed line, and every DELETE; the seal
itself is the one change it allows to a line's chain columns, once. Someone who can
disable the trigger, or on SQLite, can still rewrite an erased line's personal fields.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import DatabaseError, transaction
from django.utils import timezone

from lms.audit import locks
from lms.audit.models import AuditChainHead, AuditLog

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SEAL_BATCH = 1000


def _digest(payload: dict[str, Any]) -> str:
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z, default=str)
    return hashlib.sha256(body).hexdigest()


def personal_digest(line: AuditLog) -> str:
    """The hash of what identifies a person in `line` (erasable without breaking the chain)."""
    return _digest(
        {
            "ip": line.ip or None,
            "user_agent": line.user_agent,
            "target_repr": line.target_repr,
            "data": line.data,
        }
    )


def line_hash(line: AuditLog, *, position: int, prev_hash: str, personal: str) -> str:
    """The hash that seals `line` at `position` after the line whose hash is `prev_hash`."""
    created_at = line.created_at.astimezone(UTC)
    return _digest(
        {
            "position": position,
            "prev_hash": prev_hash,
            "id": str(line.pk),
            "created_at": created_at.isoformat(timespec="microseconds"),
            "actor_id": str(line.actor_id) if line.actor_id else None,
            "impersonator_id": str(line.impersonator_id) if line.impersonator_id else None,
            "action": line.action,
            "target_type": line.target_type,
            "target_id": line.target_id,
            "personal_digest": personal,
        }
    )


def seal_pending(*, limit: int = SEAL_BATCH) -> int:
    """Seal up to `limit` committed, unsealed lines, oldest first, in one transaction under
    the chain head's lock; the number sealed (0 when another sealer took them first).
    Queries: the head locked, the lines read, one UPDATE per line, the head's UPDATE."""
    with transaction.atomic():
        head = locks.lock_chain_head()
        lines = list(
            AuditLog.objects.filter(position__isnull=True).order_by("created_at", "id")[:limit]
        )
        position, prev_hash = head.position, head.hash or GENESIS
        for line in lines:
            position += 1
            personal = personal_digest(line)
            sealed = line_hash(line, position=position, prev_hash=prev_hash, personal=personal)
            AuditLog.objects.filter(pk=line.pk)._write(
                position=position, prev_hash=prev_hash, personal_digest=personal, hash=sealed
            )
            prev_hash = sealed
        if lines:
            AuditChainHead.objects.filter(id=1).update(position=position, hash=prev_hash)
    return len(lines)


def seal_all() -> int:
    """Seal every committed, unsealed line, `SEAL_BATCH` per transaction, until a batch is
    not full; the number sealed."""
    sealed = count = seal_pending()
    while count == SEAL_BATCH:
        count = seal_pending()
        sealed += count
    return sealed


def seal_after_commit() -> None:
    """`seal_all` right after a commit, in eager mode (no broker): a failure is logged,
    never raised (the writer has committed; beat's `seal_audit_chain` seals what is left)."""
    try:
        seal_all()
    except DatabaseError:
        logger.warning("Sealing the audit chain failed; the periodic task will retry.")


def erase_personal_fields(lines: Any, **blanks: Any) -> int:
    """Blank person-identifying fields (`ip`, `user_agent`, `target_repr`, `data`) of the
    lines of queryset `lines`, marking them erased; the only change a line may take."""
    allowed = {"ip", "user_agent", "target_repr", "data"}
    if not blanks or not set(blanks) <= allowed:
        raise ValueError(f"Only {sorted(allowed)} can be erased.")
    return int(lines._write(erased_at=timezone.now(), **blanks))


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `verify` found: lines checked, lines not sealed yet (outside the chain, never a
    break) with the oldest one's `created_at`, and the first broken link."""

    checked: int
    unsealed: int
    oldest_unsealed_at: datetime | None = None
    broken_at: int | None = None  # the position of the first line that does not verify
    line_id: str | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(*, chunk: int = 2000) -> ChainReport:
    """Recompute the chain from the first position; stop at the first broken link.

    The head is read before and after the walk, so sealing going on meanwhile is not a
    break: the lines that verify must reach at least the first head (fewer: the tail was
    cut) and at most the second (more: lines sealed outside the chain), and agree with
    a head's hash where they end at its position. Unsealed lines are counted, not checked.
    """
    first_head = _head()
    expected_position, prev_hash, checked = 1, GENESIS, 0
    for line in _sealed_in_order(chunk):
        problem = _problem(line, expected_position, prev_hash)
        if problem:
            return ChainReport(
                checked=checked,
                **_unsealed(),
                broken_at=expected_position,
                line_id=str(line.pk),
                reason=problem,
            )
        checked += 1
        expected_position += 1
        prev_hash = line.hash
    last_head = _head()
    ends = (checked, prev_hash)
    if (
        checked < first_head[0]
        or checked > last_head[0]
        or (checked == first_head[0] and ends != first_head)
        or (checked == last_head[0] and ends != last_head)
    ):
        return ChainReport(
            checked=checked,
            **_unsealed(),
            broken_at=checked + 1 if first_head[0] > checked else max(checked, 1),
            reason=f"the chain head says {last_head[0]} lines; {checked} verify",
        )
    return ChainReport(checked=checked, **_unsealed())


def _head() -> tuple[int, str]:
    """The chain head's (position, hash): (0, GENESIS) before the first seal."""
    head = AuditChainHead.objects.filter(id=1).first()
    return (head.position, head.hash or GENESIS) if head is not None else (0, GENESIS)


def _problem(line: AuditLog, position: int, prev_hash: str) -> str:
    if line.position != position:
        return f"line {position} is missing (found position {line.position})"
    if line.prev_hash != prev_hash:
        return "prev_hash is not the previous line's hash"
    personal = line.personal_digest
    if line.erased_at is None and personal_digest(line) != personal:
        return "ip, user agent, target text or data changed"
    if line_hash(line, position=position, prev_hash=prev_hash, personal=personal) != line.hash:
        return "actor, action, target or time changed"
    return ""


def _sealed_in_order(chunk: int) -> Iterator[AuditLog]:
    last = 0
    while True:
        lines = list(AuditLog.objects.filter(position__gt=last).order_by("position")[:chunk])
        yield from lines
        if len(lines) < chunk:
            return
        last = lines[-1].position or last


def _unsealed() -> dict[str, Any]:
    """The lines outside the chain (not sealed yet): how many, and the oldest one's time."""
    pending = AuditLog.objects.filter(position__isnull=True).order_by()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return {"unsealed": pending.count(), "oldest_unsealed_at": oldest}
