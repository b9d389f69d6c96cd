"""`manage.py rundemo [addr:port]`: the development server (`runserver`), then the demo accounts.

`make run` migrates, seeds (`seed_demo --no-accounts`) and then runs this, so the accounts
and their password are the last lines before the requests' log: they are written once the
server listens (daphne's ready hook, run when its reactor starts), after Django's banner and
daphne's own lines. Everything else is daphne's `runserver` (HTTP and WebSockets, the
reloader; after a reload the accounts are printed again under the new banner).

Two kinds of INFO lines are left out here, warnings and errors of both still show: daphne's
about HTTP/2 (it needs Twisted's TLS extras, which development over plain HTTP does not use),
and Celery's "Task ... succeeded" of every task that runs eagerly inside a request (without
REDIS_URL), so each request is one line in the log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from daphne.management.commands.runserver import Command as DaphneRunserver
from daphne.server import Server
from django.conf import settings
from django.db import DatabaseError

from lms.demo.accounts import DemoAccount, accounts_block, demo_accounts


def _call_when_running(callback: Callable[[], None]) -> None:
    from twisted.internet import reactor  # daphne installs its asyncio reactor first

    reactor.callWhenRunning(callback)


class Command(DaphneRunserver):
    help = "runserver (HTTP and WebSockets), then the demo accounts once the server listens."

    # Replaced in tests; daphne calls `ready_callable` before its reactor runs.
    when_running: Callable[[Callable[[], None]], None] = staticmethod(_call_when_running)

    def inner_run(self, *args: Any, **options: Any) -> None:
        logging.getLogger("daphne.server").setLevel(logging.WARNING)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        # Read now: the ORM refuses to run in the reactor's event loop.
        try:
            accounts: list[DemoAccount] = demo_accounts()
        except DatabaseError:  # not migrated yet: runserver says so in its banner
            accounts = []
        # A wildcard address listens everywhere; this machine reaches it on the loopback one.
        addr = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.addr, self.addr)  # noqa: S104
        host = f"[{addr}]" if self._raw_ipv6 else addr
        base_url = f"{self.protocol}://{host}:{self.port}"
        text = accounts_block(accounts, base_url=base_url)
        self.server_cls = functools.partial(Server, ready_callable=self._ready(text))
        super().inner_run(*args, **options)

    def _ready(self, text: str) -> Callable[[], None]:
        def write() -> None:
            self.stdout.write(text, ending="")
            self.stdout.flush()

        return lambda: self.when_running(write)
