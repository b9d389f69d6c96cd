"""`manage.py verify_audit_chain`: recompute the audit log's hash chain (lms.audit.chain).

Exit status 0 when every sealed line verifies, 1 at the first broken link, which it names
(position, line id, what changed: a field's name, never its value). Lines not sealed yet
are outside the chain: counted, with the oldest one's time (long past its commit: sealing
is not running), never a break. Lines sealed with version 1 (before seal version 2,
lms.audit.chain) are counted too: that count never grows. `--seal` first seals the lines
committed since the last seal (what beat does every minute).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.audit import chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="Seal committed unsealed lines first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            chain.seal_all()
        report = chain.verify()
        if not report.ok:
            raise CommandError(
                f"Broken at position {report.broken_at} (line {report.line_id or '-'}): "
                f"{report.reason}. {report.checked} line(s) before it verify."
            )
        legacy = f" ({report.legacy} sealed with version 1)" if report.legacy else ""
        waiting = f"{report.unsealed} waiting to be sealed"
        if report.oldest_unsealed_at is not None:
            waiting += f" (the oldest written {report.oldest_unsealed_at.isoformat()})"
        self.stdout.write(
            f"Audit chain intact: {report.checked} sealed line(s) verify{legacy}; {waiting}."
        )
