"""`manage.py release_earnings [--all]`: move matured pending earnings to available balances.

The same service the hourly beat task runs (`lms.payouts.tasks.release_matured_earnings` ->
`services.release_matured_earnings`): each lot in its own short transaction, stamped once,
so running this while the task runs moves nothing twice. Without Celery beat (`make run`)
this is how pending money becomes available.

`--all` releases every pending lot now, as if its hold (`EARNINGS_HOLD_DAYS`) had passed: for
demo and development databases only, since the hold is what lets a refund take the money
back before the instructor withdraws it. It is refused unless `DEBUG` or
`ALLOW_FAKE_PAYMENTS` is on (the settings of `make run`, `make demo` and the tests).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max
from django.utils import timezone

from lms.payouts import services
from lms.payouts.models import PendingEarning

BATCH = 1000


def release(*, now: datetime | None = None) -> int:
    """Run the release service until a batch comes back short; returns the lots released."""
    total = 0
    while True:
        released = services.release_matured_earnings(now=now, limit=BATCH)
        total += released
        if released < BATCH:
            return total


class Command(BaseCommand):
    help = "Release pending earnings whose hold has passed (what the hourly beat task does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Release every pending earning now, hold or not (demo/development only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["all"]:
            if not (settings.DEBUG or settings.ALLOW_FAKE_PAYMENTS):
                raise CommandError(
                    "--all skips the refund hold: only with DEBUG=true or ALLOW_FAKE_PAYMENTS=true."
                )
            latest = PendingEarning.objects.filter(released_at__isnull=True).aggregate(
                latest=Max("release_at")
            )["latest"]
            now = max(now, latest) if latest else now
        released = release(now=now)
        waiting = PendingEarning.objects.filter(released_at__isnull=True).count()
        self.stdout.write(
            f"Released {released} pending earning(s) into available balances; "
            f"{waiting} still in their hold."
        )
