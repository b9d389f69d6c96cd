"""schemathesis in-process against the WSGI application (issue 11 §1, issue 16 item 9).

Every phase schemathesis 4 offers (examples, coverage, fuzzing, stateful), positive and
negative data, every check, for four identities in turn: anonymous, the demo student, an
instructor of the demo (grace) and the demo admin, the admin last (its fuzzing deactivates and
re-roles demo accounts). The database is whatever DATABASE_URL names, migrated and seeded by
the caller (.ci/fuzz.sh uses a throwaway SQLite file).

    .venv/bin/python .ci/fuzz.py [--max-time SECONDS] [--server-errors-only]
        [--identity anonymous|student|instructor|admin ...] [--phases examples,coverage,...]
        [--path-regex REGEX] [--details]

`--path-regex` restricts the run to the operations whose path matches (a quick re-run of the
operations being fixed); `--details` prints one failing request and the check's message per
check and operation. Exit status 1 on any server error (5xx) and, unless
--server-errors-only, on any failed check; the failures are printed per check and operation.
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

# The order matters: the admin's run changes other accounts, so it comes last.
IDENTITIES = {
    "anonymous": None,
    "student": "student@demo.learnflow.local",
    "instructor": "grace@demo.learnflow.local",
    "admin": "admin@demo.learnflow.local",
}
PHASES = ("examples", "coverage", "fuzzing", "stateful")

# schemathesis 4.32.5's engine hands the in-process (WSGI) transport the network options of a
# requests session (max_redirects, verify, cert) when it has no session to take them from,
# and werkzeug refuses them; they mean nothing in-process, so they are dropped.
_send = WSGITransport.send


def _send_in_process(self: WSGITransport, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
    for name in ("max_redirects", "verify", "cert", "proxies"):
        kwargs.pop(name, None)
    return _send(self, case, session=session, **kwargs)


WSGITransport.send = _send_in_process  # type: ignore[method-assign]


class Findings:
    """Failed checks of one identity's run: counts, operations and one example each."""

    def __init__(self) -> None:
        self.cases = 0
        self.failures: Counter[str] = Counter()
        self.where: dict[str, set[str]] = defaultdict(set)
        self.examples: dict[tuple[str, str], str] = {}

    def record(self, name: str, label: str, example: str = "") -> None:
        self.failures[name] += 1
        self.where[name].add(label)
        self.examples.setdefault((name, label), example)


def _example(check: Any, recorder: Any) -> str:
    info = check.failure_info
    if info is None:
        return ""
    failure = info.failure
    message = " ".join(str(failure.message).split())[:600]
    request = ""
    if info.steps:
        request = info.steps[-1].curl
    elif info.code_sample:
        request = info.code_sample
    request = " ".join(request.split())
    request = request.replace(" -H 'Authorization: Bearer ", " -H 'Authorization: Bearer <token> ")
    return f"{failure.title}: {message}\n        {request[:700]}"


def run(
    email: str | None, *, max_time: int, seed: int, phases: list[str], path_regex: str | None
) -> Findings:
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    config.update(seed=seed, max_time=max_time, max_failures=None)
    override = config.projects.override
    override.update(workers=1)
    if email is not None:
        token = issue_token_pair(User.objects.get(email=email))["access"]
        override.update(headers={"Authorization": f"Bearer {token}"})
    # Every check is on by default; naming them (`--checks all`, `included_check_names`) would
    # also switch back on the ones schemathesis.toml turns off for an operation, with its reason.
    override.phases.update(phases=phases)
    override.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    schema: Any = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)
    if path_regex:
        schema = schema.include(path_regex=path_regex)
    found = Findings()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            found.cases += len(recorder.cases)
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        found.record(check.name, recorder.label, _example(check, recorder))
        elif isinstance(event, events.NonFatalError):
            found.record("error", f"{event.label}: {event.info.message}"[:200])
        elif isinstance(event, events.FatalError):
            print(f"fatal: {event.exception!r}", file=sys.stderr)
            found.record("fatal", repr(event.exception)[:200])
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=90, help="seconds per identity")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--server-errors-only", action="store_true")
    parser.add_argument(
        "--identity", action="append", choices=list(IDENTITIES), help="default: all four"
    )
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--path-regex", help="only the operations whose path matches")
    parser.add_argument("--details", action="store_true", help="one failing request each")
    args = parser.parse_args()
    wanted = args.identity or list(IDENTITIES)
    total: Counter[str] = Counter()
    for identity in IDENTITIES:
        if identity not in wanted:
            continue
        started = time.monotonic()
        found = run(
            IDENTITIES[identity],
            max_time=args.max_time,
            seed=args.seed,
            phases=args.phases.split(","),
            path_regex=args.path_regex,
        )
        total.update(found.failures)
        elapsed = time.monotonic() - started
        print(f"{identity}: {found.cases} cases in {elapsed:.0f} s", flush=True)
        for name, count in sorted(found.failures.items()):
            print(f"  {name}: {count} failed ({len(found.where[name])} operations)")
            for label in sorted(found.where[name])[:40]:
                print(f"    {label}")
                if args.details and found.examples.get((name, label)):
                    print(f"        {found.examples[(name, label)]}")
        sys.stdout.flush()
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
