"""schemathesis in-process against the WSGI application (issue 11 §1, issue 16 item 9).

Every phase schemathesis 4 offers (examples, coverage, fuzzing, stateful), positive and
negative data, every check, for four identities in turn: anonymous, the demo student, an
instructor of the demo (grace) and the demo admin, the admin last (its fuzzing deactivates and
re-roles demo accounts). The database is whatever DATABASE_URL names, migrated and seeded by
the caller (.ci/fuzz.sh uses a throwaway SQLite file).

    .venv/bin/python .ci/fuzz.py [--max-time SECONDS] [--seed N]
        [--fail-on all|schema|server-errors] [--server-errors-only]
        [--identity anonymous|student|instructor|admin ...] [--phases examples,coverage,...]
        [--path-regex REGEX] [--details]

Every check schemathesis has, except `positive_data_acceptance`, which judges a refusal of
valid data by its status and operation: `positive_data_refused_by_documented_rule` below
judges it by its code, for every operation (schemathesis.toml says why).

`--path-regex` restricts the run to the operations whose path matches (a quick re-run of the
operations being fixed); `--details` prints one failing request and the check's message per
check and operation. The failures are printed per check and operation, then counted by kind
(KINDS below). Exit status 1 on any server error (5xx) and:
  --fail-on all (the default): on any failed check and any schemathesis error;
  --fail-on schema: on a schema violation too (a response the document does not describe:
    its status, media type, headers, body or `Allow`), not on a judgement of what the server
    accepts or refuses, nor on the stateful and authorization checks (printed all the same);
  --fail-on server-errors (or --server-errors-only): on nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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
from schemathesis.core.failures import Failure  # noqa: E402
from schemathesis.engine import Status, events  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case  # noqa: E402
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


# --- valid data is refused only by a documented rule ----------------------------------------
#
# schemathesis's `positive_data_acceptance` fails a schema-valid request answered with a status
# outside a list (2xx, 401, 403, 404, 409, 429 by default), whatever the body says. Every API
# has rules a JSON Schema cannot state: over stored state (an empty cart, a taken slug, a
# wrong current password, an id of no such row), over the clock (a booking that starts in the
# past), over two fields at once (`from` after `to`, an amount with more decimals than its
# currency), over an upload's bytes. Listing the operations that apply such rules, one by
# one after each failure, is never done. So this check replaces it (schemathesis.toml turns
# `positive_data_acceptance` off) and judges the refusal by its code instead of its
# operation:
#
# - a valid request may be refused by the caller's identity or rate (401, 403, 429) as
#   before, and 5xx is `not_a_server_error`'s;
# - any other 4xx must be the error shape, and each of its errors' `code` must be a domain
#   rule's code that is documented: named in the OpenAPI document (the codes listed in a
#   response's description) or in docs/ (docs/api.md "Errors" names the codes of stored state
#   every body can answer: `does_not_exist`, `unique`);
# - a code of the document's own facts (SCHEMA_CODES: a type, a length, a bound, a pattern,
#   a choice, a required or non-null field, the body's media type...) always fails: the
#   server is stricter than the document, which must then say what the server does.
#
# A documented code the operation's own response does not list is no failure; it is printed
# after the run ("codes not listed on their operation") for the view's owner to declare.

SCHEMA_CODES = frozenset(
    {
        # DRF fields and serializers (rest_framework.fields, serializers, relations)
        "required",
        "null",
        "blank",
        "invalid",
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "max_digits",
        "max_decimal_places",
        "max_whole_digits",
        "max_string_length",
        "invalid_choice",
        "not_a_list",
        "not_a_dict",
        "empty",
        "incorrect_type",
        "no_name",
        "date",
        "datetime",
        "make_aware",
        "overflow",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
        # the request itself (parsers, content negotiation, methods)
        "parse_error",
        "unsupported_media_type",
        "not_acceptable",
        "method_not_allowed",
    }
)
# A valid request refused for who sends it or how often: no judgement of its data.
IDENTITY_STATUSES = frozenset({401, 403, 429})
_BACKTICKED = re.compile(r"`([a-z][a-z0-9_]*)`")


def _documented_codes(raw_schema: dict[str, Any]) -> frozenset[str]:
    """Every code named in backticks in a response description of the document or in docs/."""
    named: set[str] = set()
    for operations in raw_schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    named |= set(_BACKTICKED.findall(str(response.get("description", ""))))
    for page in (ROOT / "docs").glob("*.md"):
        named |= set(_BACKTICKED.findall(page.read_text()))
    return frozenset(named - SCHEMA_CODES)


_DOCUMENTED: dict[int, frozenset[str]] = {}
# (operation, status, code) of documented codes their operation's response does not list
UNLISTED: set[tuple[str, int, str]] = set()


def _error_codes(response: Any) -> list[str] | None:
    """The `code` of each error of the one error shape, or None for another body."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return None
    codes = [error.get("code") for error in errors if isinstance(error, dict)]
    named = [code for code in codes if isinstance(code, str)]
    return named if len(named) == len(errors) else None


@schemathesis.check
def positive_data_refused_by_documented_rule(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request answered 4xx (other than 401, 403, 429) names only documented
    domain rule codes; a schema-level code or an undocumented one fails (see above)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if is_unexpected_http_status_case(case):  # coverage's request-shape probes
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in IDENTITY_STATUSES:
        return None
    label = case.operation.label
    codes = _error_codes(response)
    if codes is None:
        raise Failure(
            operation=label,
            title="Valid data refused without the error shape",
            message=f"{status} for schema-valid data, and the body is not "
            '`{"type", "errors": [{"code", "detail", "attr"}]}`.',
        )
    schema_level = sorted({code for code in codes if code in SCHEMA_CODES})
    if schema_level:
        raise Failure(
            operation=label,
            title="Valid data refused for a reason the document states",
            message=f"{status} {', '.join(schema_level)} for schema-valid data: the server is "
            "stricter than the document (a type, length, bound, pattern, choice or required "
            "field the document does not state).",
        )
    raw = case.operation.schema.raw_schema
    documented = _DOCUMENTED.get(id(raw))
    if documented is None:
        documented = _DOCUMENTED[id(raw)] = _documented_codes(raw)
    undocumented = sorted({code for code in codes if code not in documented})
    if undocumented:
        raise Failure(
            operation=label,
            title="Valid data refused by an undocumented rule",
            message=f"{status} {', '.join(undocumented)} for schema-valid data: no response "
            "description of the document and no page of docs/ names this code.",
        )
    listed = str(
        case.operation.definition.raw.get("responses", {}).get(str(status), {}).get("description")
    )
    for code in codes:
        if f"`{code}`" not in listed and status != 404:  # 404 is `not_found` everywhere
            UNLISTED.add((label, status, code))
    return None


# What each check judges, for the summary and `--fail-on schema` (docs/operations.md,
# "Fuzzing, load and security in CI"). A check not named here counts as "other" and fails
# only `--fail-on all`.
KINDS = {
    # the server broke
    "not_a_server_error": "server error",
    "fatal": "server error",
    # a response the document does not describe (the document is wrong or the server is)
    "status_code_conformance": "schema violation",
    "content_type_conformance": "schema violation",
    "response_headers_conformance": "schema violation",
    "response_schema_conformance": "schema violation",
    "allow_header_conformance": "schema violation",
    # what the server accepts or refuses, against what the document allows
    "negative_data_rejection": "acceptance",
    "positive_data_acceptance": "acceptance",
    "positive_data_refused_by_documented_rule": "acceptance",
    "missing_required_header": "acceptance",
    "unsupported_method": "acceptance",
    # sequences of calls (the stateful phase) and who may call what
    "use_after_free": "stateful/authorization",
    "ensure_resource_availability": "stateful/authorization",
    "ignored_auth": "stateful/authorization",
    "object_level_authorization": "stateful/authorization",
    # schemathesis could not test an operation (it names the operation and why)
    "error": "schemathesis error",
}
FAILS_ON = {
    "all": None,  # everything
    "schema": frozenset({"server error", "schema violation"}),
    "server-errors": frozenset({"server error"}),
}


def kind(check: str) -> str:
    return KINDS.get(check, "other")


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
    return execute(schema)


def execute(schema: Any, ran: Counter[str] | None = None) -> Findings:
    """Run schemathesis's engine over `schema`: the cases, each failed check with one request,
    the engine's own errors; `ran` (if given) counts every check that ran, by name."""
    found = Findings()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            found.cases += len(recorder.cases)
            for checks in recorder.checks.values():
                for check in checks:
                    if ran is not None:
                        ran[check.name] += 1
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
    parser.add_argument(
        "--seed", type=int, help="default: a random one, printed (every run explores anew)"
    )
    parser.add_argument(
        "--fail-on",
        choices=list(FAILS_ON),
        default="all",
        help="all: any failed check; schema: server errors and schema violations; "
        "server-errors: 5xx only",
    )
    parser.add_argument("--server-errors-only", action="store_true", help="--fail-on server-errors")
    parser.add_argument(
        "--identity", action="append", choices=list(IDENTITIES), help="default: all four"
    )
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--path-regex", help="only the operations whose path matches")
    parser.add_argument("--details", action="store_true", help="one failing request each")
    args = parser.parse_args()
    wanted = args.identity or list(IDENTITIES)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed} (the same run again: --seed {seed}, or FUZZ_SEED={seed})", flush=True)
    total: Counter[str] = Counter()
    for identity in IDENTITIES:
        if identity not in wanted:
            continue
        started = time.monotonic()
        found = run(
            IDENTITIES[identity],
            max_time=args.max_time,
            seed=seed,
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
    if UNLISTED:
        print("codes not listed on their operation (documented elsewhere; no failure):")
        for label, status, code in sorted(UNLISTED):
            print(f"  {label} {status} {code}")
    server_errors = total["not_a_server_error"] + total["fatal"]
    print(
        f"server errors: {server_errors}; failed checks: {dict(sorted(total.items()))}",
        flush=True,
    )
    by_kind: Counter[str] = Counter()
    for name, count in total.items():
        by_kind[kind(name)] += count
    print(
        "by kind: "
        + ", ".join(
            f"{name} {by_kind[name]}"
            for name in (*dict.fromkeys(KINDS.values()), "other")
            if name != "other" or by_kind[name]
        ),
        flush=True,
    )
    fail_on = "server-errors" if args.server_errors_only else args.fail_on
    failing = FAILS_ON[fail_on]
    if server_errors:
        return 1
    if failing is None:
        return 1 if total else 0
    return 1 if any(by_kind[name] for name in failing) else 0


if __name__ == "__main__":
    sys.exit(main())
