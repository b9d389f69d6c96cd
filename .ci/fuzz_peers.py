"""schemathesis in-process with peer identities: object-level authorization (issue 16 item 9).

.ci/fuzz.py fuzzes each identity on its own, so schemathesis's `object_level_authorization`
check never runs: it needs several identities declared as peers (users that must not see each
other's objects). Here four demo accounts are peers, given to schemathesis as a Web Fuzzing
Commons document (`[auth.wfc]` with `peers`, written to a temporary file with one access
token each):

    sam    student@demo.learnflow.local  enrollments, orders, a certificate, bookings, chats
    lee    lee@demo.learnflow.local      enrollments, an order, attempts, a support ticket
    grace  grace@demo.learnflow.local    courses, sales, wallet, withdrawals
    alan   alan@demo.learnflow.local     courses, a tutor profile, slots

Each run pins one of them as the owner: every request is sent as the owner, and each of its
successful reads of an object (an id the owner created, or listed when the peer's list leaves
it out) is replayed as each other peer; a peer that gets the same object, while an anonymous
request does not and no list of the peer's shows it, fails `object_level_authorization`.
Course content (lessons, sections, quizzes, questions, assignments, discussions) read by a
peer enrolled in its course is shared by design and not counted (COURSE_OF below).
`ignored_auth` replays authenticated successes without credentials and with wrong ones.
Phases examples, coverage, fuzzing and stateful (the stateful phase creates objects and reads
them back); valid data only unless `--negative`.

    .venv/bin/python .ci/fuzz_peers.py [--max-time SECONDS] [--seed N]
        [--owner sam|lee|grace|alan ...] [--phases examples,...] [--negative]
        [--path-regex REGEX] [--probes]

The database is whatever DATABASE_URL names, migrated and seeded with `seed_demo` by the
caller (as .ci/fuzz.sh does). Prints the seed, then per owner: cases, how many times each of
the two checks ran and failed, the peer probes sent (`--probes` lists them), and each failure
with the owner's and the peer's request. After each owner's run every peer's token is
tried on /api/v1/auth/me/: one no longer signed in (the owner's run changed its account) is
printed, and its probes in that run proved nothing. Exit status 1 on any failure of the two
checks, a fatal schemathesis error or a peer signed out. The helpers (the in-process
transport fix, `Findings`, `_example`) are imported from .ci/fuzz.py.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Sets up Django, patches the in-process transport and registers fuzz.py's own check (which
# this script leaves off: only CHECKS run).
import fuzz
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import object_authorization
from schemathesis.wfc.escalation import escalating_provider
from werkzeug.test import Client

from config.wsgi import application
from lms.accounts.models import User
from lms.accounts.tokens import issue_token_pair
from lms.assessments.models import Assignment, Question, Quiz
from lms.catalog.models import Lesson, Section
from lms.community.models import Discussion
from lms.learning.models import Enrollment, EnrollmentStatus

PEERS = {
    "sam": "student@demo.learnflow.local",
    "lee": "lee@demo.learnflow.local",
    "grace": "grace@demo.learnflow.local",
    "alan": "alan@demo.learnflow.local",
}
CHECKS = ("object_level_authorization", "ignored_auth")
PHASES = ("examples", "coverage", "fuzzing", "stateful")

# --- course content is shared with the course's students by design ---------------------------
#
# A lesson (its section, quiz, questions, assignment) or a discussion an instructor creates in
# a published course is read by every student enrolled in it (the course's members); sam and
# lee are enrolled in grace's and alan's courses (lms/commerce/demo.py, lms/learning/demo.py).
# schemathesis sees the instructor create it, an anonymous read refused and no list of the
# student's showing it whole, and so reports the student's read as a leak. A peer's read of
# course content is therefore no leak when the peer holds an active or completed enrollment
# in that course (a fact of the database, not the view's own rule); a peer without one still
# fails.
# Each such exemption is counted and printed ("shared by design").
COURSE_OF: dict[str, tuple[Any, str]] = {
    "/api/v1/lessons/{id}/": (Lesson, "course_id"),
    "/api/v1/lessons/{id}/playback/": (Lesson, "course_id"),
    "/api/v1/lessons/{id}/comments/": (Lesson, "course_id"),
    "/api/v1/sections/{id}/lessons/": (Section, "course_id"),
    "/api/v1/quizzes/{id}/": (Quiz, "lesson__course_id"),
    "/api/v1/quizzes/{id}/questions/": (Quiz, "lesson__course_id"),
    "/api/v1/questions/{id}/": (Question, "quiz__lesson__course_id"),
    "/api/v1/assignments/{id}/": (Assignment, "lesson__course_id"),
    "/api/v1/discussions/{id}/": (Discussion, "course_id"),
    "/api/v1/discussions/{id}/replies/": (Discussion, "course_id"),
}
SHARED: Counter[str] = Counter()
_leaks = object_authorization._leaks


def _enrolled_peer(read: Any, peer: str) -> bool:
    """Whether `peer` is a student of the course the content `read` fetched belongs to."""
    target = COURSE_OF.get(read.case.operation.path)
    pk = (read.case.path_parameters or {}).get("id")
    if target is None or pk is None:
        return False
    model, field = target
    course_id = model.objects.filter(pk=pk).values_list(field, flat=True).first()
    return (
        course_id is not None
        and Enrollment.objects.filter(
            student__email=PEERS[peer],
            course_id=course_id,
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED],
        ).exists()
    )


def _leaks_unless_enrolled(read: Any, peer: str, peer_response: Any, value: object) -> bool:
    if not _leaks(read, peer, peer_response, value):
        return False
    if _enrolled_peer(read, peer):
        SHARED[f"{read.case.operation.label} as {peer}"] += 1
        return False
    return True


object_authorization._leaks = _leaks_unless_enrolled


def write_wfc_document(directory: Path) -> Path:
    """A WFC authentication document: one fixed `Authorization` header per peer."""
    entries = []
    for name, email in PEERS.items():
        token = issue_token_pair(User.objects.get(email=email, is_active=True))["access"]
        header = {"name": "Authorization", "value": f"Bearer {token}"}
        entries.append({"name": name, "fixedHeaders": [header]})
    path = directory / "peers.json"
    path.write_text(json.dumps({"schemaVersion": "0.2.0", "auth": entries}))
    return path


def signed_out_peers(wfc_path: Path) -> list[str]:
    """Peers whose header no longer signs them in (the owner's run may change its account)."""
    client = Client(application)
    out = []
    for entry in json.loads(wfc_path.read_text())["auth"]:
        header = entry["fixedHeaders"][0]
        response = client.get("/api/v1/auth/me/", headers={header["name"]: header["value"]})
        if response.status_code != 200:
            out.append(f"{entry['name']} ({response.status_code})")
    return out


def make_config(wfc_path: Path, owner: str, *, seed: int, max_time: int) -> SchemathesisConfig:
    """schemathesis.toml, plus the peers' `[auth.wfc]` section with `owner` pinned."""
    data = tomllib.loads((fuzz.ROOT / "schemathesis.toml").read_text())
    auth = data.setdefault("auth", {})
    auth["wfc"] = {"path": str(wfc_path), "user": owner, "peers": list(PEERS)}
    auth["auto-signup"] = False
    # Each run starts afresh (no identity assignments or examples kept from an earlier one).
    data["cache"] = {"enabled": False}
    config = SchemathesisConfig.from_dict(data, base_dir=str(fuzz.ROOT))
    config.update(seed=seed, max_time=max_time, max_failures=None)
    return config


def run(
    wfc_path: Path,
    owner: str,
    *,
    seed: int,
    max_time: int,
    phases: list[str],
    modes: list[GenerationMode],
    path_regex: str | None,
) -> tuple[fuzz.Findings, Counter[str], set[tuple[str, ...]]]:
    """One run as `owner`: its findings, how many times each check ran, the peer probes."""
    config = make_config(wfc_path, owner, seed=seed, max_time=max_time)
    override = config.projects.override
    override.update(workers=1)
    override.checks.update(included_check_names=list(CHECKS))
    override.phases.update(phases=phases)
    override.generation.update(modes=modes)
    schema: Any = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)
    if path_regex:
        schema = schema.include(path_regex=path_regex)
    provider = escalating_provider(schema)
    if provider is None or provider.peers != tuple(PEERS):
        raise SystemExit("schemathesis registered no peers: [auth.wfc] was not applied")
    ran: Counter[str] = Counter()
    found = fuzz.execute(schema, ran)
    # ("read", operation, resource, peer): each peer replay of an owner's read, once per run.
    probes = {key[1:] for key in provider._probed if key[0] == "read"}
    return found, ran, probes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=60, help="seconds per owner")
    parser.add_argument("--seed", type=int, help="default: a random one, printed")
    parser.add_argument("--owner", action="append", choices=list(PEERS), help="default: all")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--negative", action="store_true", help="invalid data too")
    parser.add_argument("--path-regex", help="only the operations whose path matches")
    parser.add_argument("--probes", action="store_true", help="list the probed operations")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed} (the same run again: --seed {seed})", flush=True)
    modes = [GenerationMode.POSITIVE]
    if args.negative:
        modes.append(GenerationMode.NEGATIVE)
    total: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as directory:
        wfc_path = write_wfc_document(Path(directory))
        for owner in args.owner or list(PEERS):
            started = time.monotonic()
            found, ran, probes = run(
                wfc_path,
                owner,
                seed=seed,
                max_time=args.max_time,
                phases=args.phases.split(","),
                modes=modes,
                path_regex=args.path_regex,
            )
            total.update(found.failures)
            elapsed = time.monotonic() - started
            print(f"owner {owner}: {found.cases} cases in {elapsed:.0f} s", flush=True)
            for name in CHECKS:
                print(f"  {name}: ran {ran[name]}, failed {found.failures[name]}")
            by_peer = Counter(probe[2] for probe in probes)
            print(
                f"  peer probes: {len(probes)} over {len({probe[0] for probe in probes})} "
                f"operations ({', '.join(f'{peer} {n}' for peer, n in sorted(by_peer.items()))})"
            )
            if args.probes:
                for label, resource, peer in sorted(probes):
                    print(f"    probe: {label} {resource} as {peer}")
            for name in sorted(found.failures):
                if name not in CHECKS:
                    print(f"  {name}: {found.failures[name]}")
                for label in sorted(found.where[name]):
                    print(f"    {name}: {label}")
                    if found.examples.get((name, label)):
                        print(f"        {found.examples[(name, label)]}")
            for shared, count in sorted(SHARED.items()):
                print(f"  shared by design (the peer is enrolled in the course): {shared} x{count}")
            SHARED.clear()
            signed_out = signed_out_peers(wfc_path)
            if signed_out:
                # The peers' probes since then prove nothing; fresh tokens for the next owner.
                print(f"  signed out during the run: {', '.join(signed_out)}")
                total["peer_signed_out"] += len(signed_out)
                wfc_path = write_wfc_document(Path(directory))
            sys.stdout.flush()
    failed = {name: total[name] for name in (*CHECKS, "fatal", "peer_signed_out") if total[name]}
    print(f"failed: {failed or 'none'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
