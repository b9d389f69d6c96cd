"""schemathesis in-process against the WSGI application (issue 16, item 9).

Every phase schemathesis 4 offers (examples, coverage, fuzzing, stateful), positive and
negative data, every check, for two signed-in identities in turn (the demo student and an
instructor of the demo: the stateful phase creates with one and the checks on authorization see
the other's refusals). The database is whatever DATABASE_URL names, migrated and seeded by
the caller (.ci/run uses a throwaway SQLite file).

    .venv/bin/python .ci/fuzz.py [--max-time SECONDS] [--server-errors-only]

Exit status 1 on any server error (5xx) and, unless --server-errors-only, on any failed
check; the failures are printed per check and per operation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import schemathesis  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.engine import Status, events  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.transport.wsgi import WSGITransport  # noqa: E402

from config.wsgi import application  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from lms.accounts.tokens import issue_token_pair  # noqa: E402

IDENTITIES = ("student@demo.learnflow.local", "grace@demo.learnflow.local")  # grace: instructor

# schemathesis 4.32.5's engine hands the in-process (WSGI) transport the network options of a
# requests session (max_redirects, verify, cert) when it has no session to take them from,
# and werkzeug refuses them; they mean nothing in-process, so they are dropped.
_send = WSGITransport.send


def _send_in_process(self: WSGITransport, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
    for name in ("max_redirects", "verify", "cert", "proxies"):
        kwargs.pop(name, None)
    return _send(self, case, session=session, **kwargs)


WSGITransport.send = _send_in_process  # type: ignore[method-assign]


def run(email: str, *, max_time: int, seed: int) -> tuple[int, Counter[str], dict[str, set[str]]]:
    token = issue_token_pair(User.objects.get(email=email))["access"]
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    config.update(seed=seed, max_time=max_time, max_failures=None)
    config.projects.override.update(headers={"Authorization": f"Bearer {token}"}, workers=1)
    config.projects.override.checks.update(included_check_names=["all"])
    config.projects.override.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)
    cases = 0
    failures: Counter[str] = Counter()
    where: dict[str, set[str]] = defaultdict(set)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            cases += len(recorder.cases)
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        failures[check.name] += 1
                        where[check.name].add(recorder.label)
        elif isinstance(event, events.NonFatalError):
            failures["error"] += 1
            where["error"].add(f"{event.label}: {event.info.message}"[:200])
        elif isinstance(event, events.FatalError):
            print(f"fatal: {event.exception!r}", file=sys.stderr)
            failures["fatal"] += 1
    return cases, failures, where


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=90, help="seconds per identity")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--server-errors-only", action="store_true")
    args = parser.parse_args()
    total: Counter[str] = Counter()
    for email in IDENTITIES:
        started = time.monotonic()
        cases, failures, where = run(email, max_time=args.max_time, seed=args.seed)
        total.update(failures)
        print(f"{email}: {cases} cases in {time.monotonic() - started:.0f} s", flush=True)
        for name, count in sorted(failures.items()):
            print(f"  {name}: {count} failed ({len(where[name])} operations)")
            for label in sorted(where[name])[:20]:
                print(f"    {label}")
    server_errors = total["not_a_server_error"] + total["fatal"]
    print(
        f"server errors: {server_errors}; failed checks: {dict(sorted(total.items()))}",
        flush=True,
    )
    if server_errors:
        return 1
    return 0 if args.server_errors_only or not total else 1


if __name__ == "__main__":
    sys.exit(main())
