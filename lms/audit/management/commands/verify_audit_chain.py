"""`manage.py verify_audit_chain`: recompute the audit log's hash chain (lms.audit.chain).

Exit status 0 when every sealed line and the chain head verify, 1 at the first broken link,
which it names (position, line id or the head, what changed: a field's name, never its
value, a key's id, never the key). Lines not sealed yet are outside the chain: counted,
with the oldest one's time (long past its commit: sealing is not running), never a break.
Lines sealed with version 1 (before seal version 2, lms.audit.chain) are counted too: that
count never grows. `--seal` first seals the lines committed since the last seal (what beat
does every minute).

On success it prints the head's position and hash (`head POSITION:HASH`): keep them outside
the database (a log shipped elsewhere, a ticket, a cron's mail). The head's MAC stops
anyone without the key from cutting the tail, but not from putting back an older head
together with its MAC after deleting the lines above it; `--expect-at-least POSITION:HASH`
(repeatable) fails when the chain no longer holds that line with that hash, which is what
catches it. A line hash is a keyed MAC of the line: it reveals nothing of it nor of the key.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.audit import chain

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def anchor(value: str) -> tuple[int, str]:
    """`POSITION:HASH` (a position from 1, 64 lowercase hex) as (position, hash)."""
    match = _ANCHOR.match(value.strip())
    if match is None or int(match[1]) < 1:
        raise ValueError(value)
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="Seal committed unsealed lines first."
        )
        parser.add_argument(
            "--expect-at-least",
            action="append",
            default=[],
            type=anchor,
            metavar="POSITION:HASH",
            help="Fail unless the chain still holds the line at POSITION with HASH "
            "(a head printed by an earlier run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            chain.seal_all()
        report = chain.verify()
        if not report.ok:
            where = f"line {report.line_id}" if report.line_id else "the chain head"
            raise CommandError(
                f"Broken at position {report.broken_at} ({where}): "
                f"{report.reason}. {report.checked} line(s) before it verify."
            )
        for position, hash in options["expect_at_least"]:
            if not chain.contains(position, hash):
                raise CommandError(
                    f"The chain no longer holds line {position} with the hash recorded for it "
                    f"(head now at {report.head_position}): cut back and replaced, or the "
                    "expectation is wrong."
                )
        legacy = f" ({report.legacy} sealed with version 1)" if report.legacy else ""
        waiting = f"{report.unsealed} waiting to be sealed"
        if report.oldest_unsealed_at is not None:
            waiting += f" (the oldest written {report.oldest_unsealed_at.isoformat()})"
        self.stdout.write(
            f"Audit chain intact: {report.checked} sealed line(s) verify{legacy}; {waiting}."
        )
        self.stdout.write(f"head {report.head_position}:{report.head_hash}")
