"""The audit log's hash chain: sealing lines, erasing a person from them, and verifying
the chain.

A line is inserted unsealed by `services.record` in its writer's transaction: one INSERT,
no lock, no hashing (a chain head locked there would serialise every transaction that
audits, and deadlock against their own locks). Sealing is off the request path: once that
transaction commits, `services` queues the `seal_audit_chain` task (with a broker a worker
seals; without one, eager mode in tests and development, it seals right at commit), and
beat runs the same task every minute as a safety net. `seal_pending`, under the head row's
lock (`locks.lock_chain_head`, the only lock it takes), gives each committed unsealed line,
oldest first, the next `position`, the previous line's hash as `prev_hash`, and its own
`hash` (its formula and what it covers: below, by seal version),
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

A person's deletion (`erase_personal_fields`) blanks what identifies them and sets
`erased_at`. How a sealed line's personal fields (`ip`, `user_agent`, `target_repr`,
`data`) are then verified depends on the line's `seal_version`:

Version 2 (every line sealed since migration 0005). Sealing stores, in `field_digests`,
keyed digests of the personal fields, and the line's hash covers them:

    field_digests = {"ip": d(ip), "user_agent": d(user_agent), "target_repr": d(target_repr),
                     "data": [d(skeleton(data)), d(string 0 of data), d(string 1), ...]}
    d(value) = BLAKE2b-128(key, canonical JSON of [line id, field, (string index,) value])
    hash = BLAKE2b-256(key, canonical JSON of position, prev_hash, id, created_at, actor_id,
                       impersonator_id, action, target_type, target_id, seal_version,
                       key_id, field_digests)

BLAKE2b in its keyed mode (RFC 7693) is a MAC by design, and costs about half what
HMAC-SHA256 does here (a line takes eight digests: some 45 microseconds of hashing a line
against 90, next to its UPDATE's 300-2000).

`skeleton(data)` is `data` with every string emptied (keys, shape, numbers, booleans and
nulls kept); the strings are numbered depth first, object keys sorted. `verify` accepts a
personal field only if it matches the digest of its sealed value, or the line is erased
and the field is in an erasure's form: `ip` NULL, `user_agent` and `target_repr` empty
(fixed forms, so no digest is needed to recognise them), and `data` with the sealed
skeleton and each string either its sealed value or emptied. `lms.audit.personal_data
.erase` empties only the strings naming the person, and may run once per person a line
mentions, so an erased `data` is any such partial emptying; a digest per string accepts
exactly those and nothing else. A line rewritten otherwise (an IP, agent, text or value
that was never sealed, with or without `erased_at`) fails, the reason naming the field and
never its value. Why keyed: an IP or an email is guessable, so a plain digest of an erased
value could be brute-forced back; without the key it cannot, and the line id in every
digest keeps two erased lines about the same value from being linked. Why the hash is
keyed too: with a plain sha256 someone who can write the table could rewrite a line's
facts and recompute every hash after it and the head; without the key they cannot.
What version 2 cannot tell: an erasure nobody asked for. Blanking a field and setting
`erased_at` looks like a person's deletion; it loses a value but cannot forge one.

The key: `settings.AUDIT_DIGEST_KEY` (empty: `SECRET_KEY`), a separate secret from
Django's, passed through HMAC-SHA256 with a fixed label before use. Each line records
`key_id`, a fingerprint of its key (HMAC of a fixed label under it, 8 bytes in hex; it
reveals nothing of the key). Rotation: set the new `AUDIT_DIGEST_KEY` and move the old
one (or, if it was never set, the old `SECRET_KEY`) to `AUDIT_DIGEST_OLD_KEYS`; new lines
are sealed with the new key, old ones verify with theirs, nothing is re-sealed. A line
whose key is not configured fails ("key ... is not configured"): a lost key makes the
lines sealed with it unverifiable, so keep old keys as long as the log.

Version 1 (lines sealed before migration 0005; never re-sealed):

    hash = sha256(canonical JSON of position, prev_hash, id, created_at, actor_id,
                  impersonator_id, action, target_type, target_id, personal_digest)
    personal_digest = sha256(canonical JSON of ip, user_agent, target_repr, data)

What version 1 still cannot catch, stated: an erased line keeps its `personal_digest` and
its blanked fields are not checked, so a raw UPDATE that sets `erased_at` while rewriting
them (instead of blanking) goes unnoticed by `verify`; on PostgreSQL the trigger
(migration 0004) refuses it, but not for whoever can disable the trigger, nor on SQLite.
And its hashes are plain sha256: whoever can write the table can rewrite a version-1
line and recompute the hashes after it, up to the first version-2 line (whose keyed hash
covers its `prev_hash`, so the version-1 prefix before a version-2 line is anchored), or
to the head if none follows; migration 0006 fixed how far that prefix goes (below).
Downgrades: a version-1 line above the head's `legacy_until` or after a version-2 line is
a break; `verify` still reports how many version-1 lines there are (`legacy`).

The head (`AuditChainHead`: position and hash of the last sealed line) is sealed too:

    mac = BLAKE2b-256(key, canonical JSON of kind "audit chain head", position, hash,
                      legacy_until, key_id)

`legacy_until` is the last position sealed with version 1 (0 on a new database), fixed by
migration 0006, which sealed the head it found with the configured key; sealing never
changes it. Every seal rewrites the MAC (same key machinery as the lines: the current
sealing key, `key_id` recorded, old keys verify) in the head's one UPDATE, so sealing
still takes the same queries. `verify` requires each head it reads to carry a MAC that
verifies under a configured key (else a break naming the head), and so trusts its
`legacy_until`: re-sealing the whole chain as version 1 (unkeyed, so anyone who can write
the table could) breaks at the first line above it; moving the boundary up breaks the
head's MAC. Cutting the tail and moving the head back to the new last line breaks the
head's MAC too; cutting without moving the head leaves fewer lines than it says (a
break). The sealer checks the head's MAC before extending it (`HeadDoesNotVerify`:
nothing sealed, an error logged), so a tampered head is never vouched for by a new MAC.
The empty head (position 0, legacy_until 0) needs no MAC: it vouches for no line, and any
sealed line is then more than it says. On PostgreSQL a trigger (migration 0007) also
refuses deleting the head, moving it back or changing `legacy_until`, for whoever cannot
disable triggers.

What the chain itself cannot catch, stated: a head is a snapshot, and an old one is as
valid as the current one. Whoever keeps a copy of the head's row (MAC included) can later
delete the lines above it and put the copy back, and `verify` passes on the shorter chain
(deleting every line and the head row likewise leaves an empty chain that verifies). What
catches it is a head kept outside the database: `verify_audit_chain` prints the head's
`POSITION:HASH`; an operator or a cron keeps it elsewhere (a shipped log, a ticket), and
`--expect-at-least POSITION:HASH` fails when the chain no longer holds that line with that
hash (`contains`). A cut made since the last head kept elsewhere goes unseen until then.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from lms.audit import locks
from lms.audit.models import AuditChainHead, AuditLog

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SEAL_BATCH = 1000
LEGACY_SEAL = 1  # sha256, one personal_digest: erased lines' personal fields unchecked
SEAL_VERSION = 2  # keyed BLAKE2b, a digest per personal field (and per string of data)
SCALAR_FIELDS = {"ip": "ip", "user_agent": "user agent", "target_repr": "target text"}
_KEY_LABEL = b"lms.audit.chain field digests"
_KEY_ID_LABEL = b"lms.audit.chain key id"
_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


@dataclass(frozen=True, slots=True)
class DigestKey:
    """A sealing key: `id` (16 hex characters, recorded on the line) and the 32-byte key."""

    id: str
    secret: bytes

    def __repr__(self) -> str:  # never the key itself
        return f"DigestKey(id={self.id!r})"


def derive_key(secret: str) -> DigestKey:
    """The key derived from a configured secret (HMAC-SHA256 of a fixed label under it), and
    its fingerprint as its id."""
    key = hmac.digest(secret.encode(), _KEY_LABEL, "sha256")
    return DigestKey(id=hmac.digest(key, _KEY_ID_LABEL, "sha256")[:8].hex(), secret=key)


def sealing_key() -> DigestKey:
    """The key new lines are sealed with: `AUDIT_DIGEST_KEY`, or `SECRET_KEY` when empty."""
    return derive_key(getattr(settings, "AUDIT_DIGEST_KEY", "") or settings.SECRET_KEY)


def verifying_keys() -> dict[str, DigestKey]:
    """Every configured key by id: the sealing key and `AUDIT_DIGEST_OLD_KEYS` (rotated out)."""
    old = [derive_key(secret) for secret in getattr(settings, "AUDIT_DIGEST_OLD_KEYS", ()) or ()]
    return {key.id: key for key in (*old, sealing_key())}


def _digest(payload: dict[str, Any]) -> str:
    body = orjson.dumps(payload, option=_SORTED, default=str)
    return hashlib.sha256(body).hexdigest()


def _mac(key: DigestKey, payload: Any) -> str:
    """A field digest: keyed BLAKE2b of `payload`'s canonical JSON, 16 bytes in hex."""
    body = orjson.dumps(payload, option=_SORTED, default=str)
    return hashlib.blake2b(body, key=key.secret, digest_size=16).hexdigest()


def skeleton(value: Any) -> Any:
    """JSON `value` with every string emptied: what erasing all of it would leave."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [skeleton(item) for item in value]
    if isinstance(value, dict):
        return {key: skeleton(item) for key, item in value.items()}
    return value


def strings(value: Any) -> Iterator[str]:
    """The strings of JSON `value`, depth first, object keys in sorted order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from strings(value[key])


def _scalar(line: AuditLog, field: str) -> str | None:
    return (line.ip or None) if field == "ip" else getattr(line, field)


def field_digests(line: AuditLog, key: DigestKey) -> dict[str, Any]:
    """Version 2's keyed digests of `line`'s personal fields (module docstring)."""
    pk = str(line.pk)
    digests: dict[str, Any] = {
        field: _mac(key, [pk, field, _scalar(line, field)]) for field in SCALAR_FIELDS
    }
    digests["data"] = [_mac(key, [pk, "data", skeleton(line.data)])] + [
        _mac(key, [pk, "data", index, text]) for index, text in enumerate(strings(line.data))
    ]
    return digests


def _facts(line: AuditLog, position: int, prev_hash: str) -> dict[str, Any]:
    created_at = line.created_at.astimezone(UTC)
    return {
        "position": position,
        "prev_hash": prev_hash,
        "id": str(line.pk),
        "created_at": created_at.isoformat(timespec="microseconds"),
        "actor_id": str(line.actor_id) if line.actor_id else None,
        "impersonator_id": str(line.impersonator_id) if line.impersonator_id else None,
        "action": line.action,
        "target_type": line.target_type,
        "target_id": line.target_id,
    }


def personal_digest(line: AuditLog) -> str:
    """Version 1: the sha256 of what identifies a person in `line`."""
    return _digest(
        {
            "ip": line.ip or None,
            "user_agent": line.user_agent,
            "target_repr": line.target_repr,
            "data": line.data,
        }
    )


def line_hash(line: AuditLog, *, position: int, prev_hash: str, personal: str) -> str:
    """Version 1: the sha256 that sealed `line` at `position` after `prev_hash`."""
    return _digest({**_facts(line, position, prev_hash), "personal_digest": personal})


def keyed_line_hash(
    line: AuditLog, *, position: int, prev_hash: str, key: DigestKey, digests: dict[str, Any]
) -> str:
    """Version 2: the keyed BLAKE2b-256 (64 hex) sealing `line`, its digests and key id."""
    payload = {
        **_facts(line, position, prev_hash),
        "seal_version": SEAL_VERSION,
        "key_id": key.id,
        "field_digests": digests,
    }
    body = orjson.dumps(payload, option=_SORTED, default=str)
    return hashlib.blake2b(body, key=key.secret, digest_size=32).hexdigest()


def seal_fields(line: AuditLog, *, position: int, prev_hash: str, key: DigestKey) -> dict[str, Any]:
    """The columns that seal `line` at `position` (version 2): one UPDATE writes them."""
    digests = field_digests(line, key)
    return {
        "position": position,
        "prev_hash": prev_hash,
        "seal_version": SEAL_VERSION,
        "key_id": key.id,
        "field_digests": digests,
        "hash": keyed_line_hash(
            line, position=position, prev_hash=prev_hash, key=key, digests=digests
        ),
    }


@dataclass(frozen=True, slots=True)
class Head:
    """The chain head as read: (`position`, `hash`) of the last sealed line (0 and GENESIS
    before the first), `legacy_until`, and its seal (`key_id`, `mac`); `exists` False when
    the row is absent (a database flushed, or never sealed)."""

    position: int = 0
    hash: str = GENESIS
    legacy_until: int = 0
    key_id: str = ""
    mac: str = ""
    exists: bool = False

    @property
    def ends(self) -> tuple[int, str]:
        return (self.position, self.hash)


class HeadDoesNotVerify(Exception):
    """The chain head's MAC does not verify: sealing on top of it would vouch for a head
    someone else wrote (a cut tail, a moved legacy boundary), so the sealer refuses."""


def head_mac(key: DigestKey, *, position: int, hash: str, legacy_until: int) -> str:
    """The head's keyed BLAKE2b-256 (64 hex) over its position, hash (GENESIS for none),
    `legacy_until` and key id; a fixed "kind" keeps it apart from any line's hash."""
    payload = {
        "kind": "audit chain head",
        "position": position,
        "hash": hash or GENESIS,
        "legacy_until": legacy_until,
        "key_id": key.id,
    }
    body = orjson.dumps(payload, option=_SORTED)
    return hashlib.blake2b(body, key=key.secret, digest_size=32).hexdigest()


def head_seal(*, position: int, hash: str, legacy_until: int, key: DigestKey) -> dict[str, Any]:
    """The head's seal columns (`key_id`, `mac`) for these values: what sealing, and
    migration 0006 for the head it finds, write with them."""
    mac = head_mac(key, position=position, hash=hash, legacy_until=legacy_until)
    return {"key_id": key.id, "mac": mac}


def _head_problem(head: Head, keys: dict[str, DigestKey]) -> str:
    """Why `head` does not verify ("" when it does); names the key's id, never the key.

    The empty head (position 0, no hash, `legacy_until` 0) needs no MAC: it vouches for
    no line, and any sealed line is then more than it says (a break, `verify`), so a key
    changed before the first seal, or a flushed database, does not stop sealing."""
    if (head.position, head.hash, head.legacy_until) == (0, GENESIS, 0):
        return ""
    if not head.mac:
        return "the chain head carries no MAC (written without the audit key)"
    key = keys.get(head.key_id)
    if key is None:
        return (
            f"the chain head is sealed with audit key {head.key_id or '-'}, which is not "
            "configured (AUDIT_DIGEST_KEY, AUDIT_DIGEST_OLD_KEYS)"
        )
    sealed = head_mac(key, position=head.position, hash=head.hash, legacy_until=head.legacy_until)
    if not hmac.compare_digest(sealed, head.mac):
        return "the chain head's position, hash or legacy boundary changed (its MAC fails)"
    return ""


def _as_head(row: AuditChainHead | None) -> Head:
    if row is None:
        return Head()
    return Head(
        position=row.position,
        hash=row.hash or GENESIS,
        legacy_until=row.legacy_until,
        key_id=row.key_id,
        mac=row.mac,
        exists=True,
    )


def seal_pending(*, limit: int = SEAL_BATCH) -> int:
    """Seal up to `limit` committed, unsealed lines, oldest first, in one transaction under
    the chain head's lock, with the current seal version and key; the number sealed (0 when
    another sealer took them first). Queries: the head locked, the lines read, one UPDATE
    per line, the head's UPDATE (with its new MAC, under the sealing key).

    The head's MAC is checked first: on a head that does not verify (`HeadDoesNotVerify`)
    nothing is sealed, as a new MAC would vouch for what someone else wrote there. A head
    created here (none yet: a new or flushed database) starts sealed at position 0."""
    key = sealing_key()
    with transaction.atomic():
        head = locks.lock_chain_head(
            initial=lambda: head_seal(position=0, hash=GENESIS, legacy_until=0, key=key)
        )
        problem = _head_problem(_as_head(head), verifying_keys())
        if problem:
            raise HeadDoesNotVerify(problem)
        lines = list(
            AuditLog.objects.filter(position__isnull=True).order_by("created_at", "id")[:limit]
        )
        position, prev_hash = head.position, head.hash or GENESIS
        for line in lines:
            position += 1
            columns = seal_fields(line, position=position, prev_hash=prev_hash, key=key)
            AuditLog.objects.filter(pk=line.pk)._write(**columns)
            prev_hash = columns["hash"]
        if lines:
            legacy_until = head.legacy_until
            AuditChainHead.objects.filter(id=1).update(
                position=position,
                hash=prev_hash,
                **head_seal(position=position, hash=prev_hash, legacy_until=legacy_until, key=key),
            )
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
    except HeadDoesNotVerify:
        logger.error("audit_chain_head_does_not_verify: sealing stopped; run verify_audit_chain")


def erase_personal_fields(lines: Any, **blanks: Any) -> int:
    """Blank person-identifying fields (`ip`, `user_agent`, `target_repr`, `data`) of the
    lines of queryset `lines`, marking them erased; the only change a line may take.
    `verify` accepts on an erased version-2 line only an erasure's forms: `ip` None,
    `user_agent` and `target_repr` "", `data` with some of its strings emptied."""
    allowed = {"ip", "user_agent", "target_repr", "data"}
    if not blanks or not set(blanks) <= allowed:
        raise ValueError(f"Only {sorted(allowed)} can be erased.")
    return int(lines._write(erased_at=timezone.now(), **blanks))


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `verify` found: lines checked (`legacy` of them sealed with version 1), lines not
    sealed yet (outside the chain, never a break) with the oldest one's `created_at`, the
    first broken link, and the head read after the walk (`head_position`, `head_hash`: what
    an operator keeps elsewhere to catch a replayed head, `contains`)."""

    checked: int
    unsealed: int
    oldest_unsealed_at: datetime | None = None
    broken_at: int | None = None  # the position of the first line that does not verify
    line_id: str | None = None
    reason: str = ""
    legacy: int = 0
    head_position: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(*, chunk: int = 2000) -> ChainReport:
    """Recompute the chain from the first position; stop at the first broken link.

    The head is read before and after the walk, so sealing going on meanwhile is not a
    break: the lines that verify must reach at least the first head (fewer: the tail was
    cut) and at most the second (more: lines sealed outside the chain), and agree with
    a head's hash where they end at its position. Each head read must carry a MAC that
    verifies under a configured key (`head_seal`), so its position, hash and
    `legacy_until` are the sealer's: a version-1 line above `legacy_until` is a break (a
    downgrade), as is one after a version-2 line. A missing head row is a chain of none.
    Unsealed lines are counted, not checked. A reason names what changed (a field, the
    facts, the key, the head), never a value or a key.
    """
    keys = verifying_keys()
    first_head = _head()
    expected_position, prev_hash, checked, legacy = 1, GENESIS, 0, 0
    for line in _sealed_in_order(chunk):
        problem = _problem(
            line,
            expected_position,
            prev_hash,
            keys,
            after_v2=checked > legacy,
            legacy_until=first_head.legacy_until,
        )
        if problem:
            return ChainReport(
                checked=checked,
                **_unsealed(),
                broken_at=expected_position,
                line_id=str(line.pk),
                reason=problem,
                legacy=legacy,
                head_position=first_head.position,
                head_hash=first_head.hash,
            )
        checked += 1
        legacy += line.seal_version == LEGACY_SEAL
        expected_position += 1
        prev_hash = line.hash
    last_head = _head()
    found: dict[str, Any] = {"head_position": last_head.position, "head_hash": last_head.hash}
    for head in (first_head, last_head):
        problem = _head_problem(head, keys) if head.exists else ""
        if problem:
            return ChainReport(
                checked=checked,
                **_unsealed(),
                broken_at=checked + 1,
                reason=problem,
                legacy=legacy,
                **found,
            )
    ends = (checked, prev_hash)
    if (
        checked < first_head.position
        or checked > last_head.position
        or (checked == first_head.position and ends != first_head.ends)
        or (checked == last_head.position and ends != last_head.ends)
    ):
        return ChainReport(
            checked=checked,
            **_unsealed(),
            broken_at=checked + 1 if first_head.position > checked else max(checked, 1),
            reason=f"the chain head says {last_head.position} lines; {checked} verify",
            legacy=legacy,
            **found,
        )
    return ChainReport(checked=checked, **_unsealed(), legacy=legacy, **found)


def contains(position: int, hash: str) -> bool:
    """Whether the line at `position` is there with `hash`: a head's (position, hash) kept
    elsewhere earlier, checked against a chain that `verify` found intact, proves the chain
    was not cut back below it nor replaced (what the head's MAC cannot tell, module
    docstring)."""
    found = AuditLog.objects.filter(position=position).values_list("hash", flat=True).first()
    return found is not None and hmac.compare_digest(found, hash)


def current_head() -> Head:
    """The chain head as read now (position, hash, ...), for the log's hourly copy
    (tasks.log_audit_chain_head); no lock."""
    return _head()


def _head() -> Head:
    """The chain head as read now (no lock); an absent row: a chain of none, no seal."""
    return _as_head(AuditChainHead.objects.filter(id=1).first())


def _problem(
    line: AuditLog,
    position: int,
    prev_hash: str,
    keys: dict[str, DigestKey],
    *,
    after_v2: bool,
    legacy_until: int,
) -> str:
    if line.position != position:
        return f"line {position} is missing (found position {line.position})"
    if line.prev_hash != prev_hash:
        return "prev_hash is not the previous line's hash"
    if line.seal_version == LEGACY_SEAL:
        if after_v2:
            return f"sealed with version {LEGACY_SEAL} after a version {SEAL_VERSION} line"
        if position > legacy_until:
            return (
                f"sealed with version {LEGACY_SEAL} above the last version-1 position the "
                f"chain head vouches for ({legacy_until})"
            )
        return _legacy_problem(line, position, prev_hash)
    if line.seal_version != SEAL_VERSION:
        return f"unknown seal version {line.seal_version}"
    key = keys.get(line.key_id)
    if key is None:
        return (
            f"sealed with audit key {line.key_id or '-'}, which is not configured "
            "(AUDIT_DIGEST_KEY, AUDIT_DIGEST_OLD_KEYS)"
        )
    digests = line.field_digests
    sealed = keyed_line_hash(line, position=position, prev_hash=prev_hash, key=key, digests=digests)
    if not hmac.compare_digest(sealed, line.hash):
        return "actor, action, target, time or the personal fields' digests changed"
    return _personal_problem(line, digests, key)


def _legacy_problem(line: AuditLog, position: int, prev_hash: str) -> str:
    personal = line.personal_digest
    if line.erased_at is None and personal_digest(line) != personal:
        return "ip, user agent, target text or data changed"
    if line_hash(line, position=position, prev_hash=prev_hash, personal=personal) != line.hash:
        return "actor, action, target or time changed"
    return ""


def _personal_problem(line: AuditLog, digests: dict[str, Any], key: DigestKey) -> str:
    """Each personal field is its sealed value or, on an erased line, an erasure's blank."""
    pk, erased = str(line.pk), line.erased_at is not None
    for field, label in SCALAR_FIELDS.items():
        value = _scalar(line, field)
        if _mac(key, [pk, field, value]) == digests[field]:
            continue
        if erased and value == (None if field == "ip" else ""):
            continue
        return f"{label} ({field}) changed: neither its sealed value nor an erasure's blank"
    sealed_skeleton, *sealed_strings = digests["data"]
    if _mac(key, [pk, "data", skeleton(line.data)]) != sealed_skeleton:
        return "data changed: its keys, shape or a value other than text"
    texts = list(strings(line.data))
    if len(texts) != len(sealed_strings):
        return "data changed: its keys, shape or a value other than text"
    for index, (text, sealed) in enumerate(zip(texts, sealed_strings, strict=True)):
        if _mac(key, [pk, "data", index, text]) != sealed and not (erased and text == ""):
            return f"data changed: text value {index} is neither its sealed value nor erased"
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
