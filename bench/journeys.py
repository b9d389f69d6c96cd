"""The main user journeys under load for a fixed time (issue 16, item 9).

`python -m bench.journeys [--seconds 60] [--users 8]`: gunicorn as deployed
(`bench.server.Gunicorn`: deploy/gunicorn.conf.py, 2 sync workers, PostgreSQL, the fake payment
provider, production settings with the throttles raised), then `--users` virtual users
(coroutines on one event loop, a closed loop: each sends its next request once it has the
last answer) run the journeys in a fixed mix until `--seconds` have passed; a journey started
before the timer ends is finished, none starts after it. A `--warmup` of the same mix runs
first and is not measured.

Journeys (each virtual user takes them in turn from `MIX`, starting at its own offset):

- browse (anonymous): course list, course detail, curriculum, categories;
- sign_in (a student): login with a password, `/auth/me/`, dashboard stats;
- purchase (a buyer; 60 courses each, then the next buyer): cart add, order, checkout,
  simulate(succeeded), through the fake provider, so the ledger is posted;
- learn (a learner; 50 lessons each, then the next): enroll in the free course the first
  time, then one lesson completed for the first time, continue-learning.

Printed: per journey the journeys done and failed, its requests, requests/s, p50, p99 and max
of its requests and its 5xx answers; then the same per step. Exit status 1 when any journey
failed (an unexpected status, a 5xx, a broken connection) or a journey never completed. The
ledger check runs after it (.ci/load.sh). Nothing here is a budget: `make bench` has those.

CPU: the CPU seconds gunicorn's processes and the database's backends spent during the
measured time (Linux /proc, before and after), per request and as requests per CPU-second
(`req/s/core`): what one app core or one database core serves of this mix, a figure a busy
machine disturbs far less than requests per wall-clock second. `--only JOURNEY` runs one
journey alone, for its own cost. Without a broker the Celery tasks (receipt PDF, emails) run
inside the requests, so the app's figure includes the workers' share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import flows, seeding, server

SEED_VERSION = "1"  # bench.registry's marker: bump when seed() changes
DOMAIN = "load.bench.example.com"
SELLER_EMAIL = f"load-seller@{DOMAIN}"
PAID_PREFIX = "load-paid-"
FREE_SLUG = "load-free-course"
PAID_COURSES = 60
SECTIONS = 5
LESSONS_PER_SECTION = 10
PASSWORD = "load-Password-2024!"
IDENTITIES_PER_USER = 20  # buyers and learners each: 1,200 purchases, 1,000 lessons per user

JOURNEYS = ("browse", "sign_in", "purchase", "learn")
# Reads first: half the journeys browse, a quarter learn, an eighth each sign in and buy.
MIX = ("browse", "learn", "browse", "purchase", "browse", "learn", "browse", "sign_in")


# --- data --------------------------------------------------------------------------------------


def seed() -> None:
    """A seller with 60 paid courses and one free course of 50 lessons; re-runnable (found
    by their slugs). Buyers, learners and students are made fresh by each run."""
    from django.utils import timezone

    from lms.accounts.models import InstructorProfile, Role, User

    now = timezone.now()
    seller, created = User.objects.get_or_create(
        email=SELLER_EMAIL,
        defaults={
            "first_name": "Load",
            "last_name": "Seller",
            "role": Role.INSTRUCTOR,
            "email_verified_at": now,
        },
    )
    if created:
        InstructorProfile.objects.create(user=seller, headline="Load-test instructor")
    paid = seeding.paid_courses(
        seller, prefix=PAID_PREFIX, count=PAID_COURSES, title="Load course", now=now
    )
    free = seeding.published_course(
        seller, slug=FREE_SLUG, title="Load free course", price=Decimal("0.00"), now=now
    )
    added = seeding.add_missing([*paid, free])
    seeding.curriculum(
        [course for course in added if course.slug == FREE_SLUG],
        sections=SECTIONS,
        lessons_per_section=LESSONS_PER_SECTION,
        previews=True,
    )


@dataclass
class Identities:
    """What one virtual user works with; buyers and learners are used up in order."""

    student_email: str
    buyers: list[str]  # access tokens
    learners: list[str]
    buyer_courses: int = 0  # courses the current buyer has bought
    learner_enrollment: str | None = None
    learner_lessons: int = 0


@dataclass
class Catalog:
    paid_course_ids: list[str]
    free_slug: str
    free_lesson_ids: list[str]
    browse_slugs: list[str]


def identities_for(users: int) -> tuple[Catalog, list[Identities]]:
    from django.contrib.auth.hashers import make_password

    from lms.accounts.models import User
    from lms.catalog.models import Course, Lesson

    paid = list(
        Course.objects.filter(slug__startswith=PAID_PREFIX)
        .order_by("slug")
        .values_list("pk", "slug")
    )
    catalog = Catalog(
        paid_course_ids=[str(pk) for pk, _ in paid],
        free_slug=FREE_SLUG,
        free_lesson_ids=[
            str(pk)
            for pk in Lesson.objects.filter(course__slug=FREE_SLUG)
            .order_by("section__order", "order")
            .values_list("pk", flat=True)
        ],
        browse_slugs=[FREE_SLUG, *(slug for _, slug in paid[:9])],
    )
    people = flows.fresh_students(
        users * (1 + 2 * IDENTITIES_PER_USER), label="load", domain=DOMAIN
    )
    User.objects.filter(pk__in=[person.pk for person in people[:users]]).update(
        password=make_password(PASSWORD)
    )
    tokens = [flows.access_token(person) for person in people[users:]]
    per = IDENTITIES_PER_USER
    identities = [
        Identities(
            student_email=people[n].email,
            buyers=tokens[2 * per * n : 2 * per * n + per],
            learners=tokens[2 * per * n + per : 2 * per * (n + 1)],
        )
        for n in range(users)
    ]
    return catalog, identities


# --- requests ----------------------------------------------------------------------------------


class JourneyFailed(Exception):
    pass


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class Tally:
    done: int = 0
    failed: int = 0
    server_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    first_error: str | None = None


class Client:
    """One journey's calls: raw HTTP/1.1 over asyncio, a connection per call (as bench.flows),
    each answer's time counted to its journey and step, every status kept."""

    def __init__(self, port: int, tally: Tally, token: str | None = None) -> None:
        self.port = port
        self.tally = tally
        self.token = token

    async def call(
        self,
        step: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        expect: int = 200,
        token: str | None = None,
    ) -> Any:
        status, data, elapsed = await flows.send(
            self.port, method, path, body, token=token or self.token
        )
        self.tally.latencies_ms.append(elapsed)
        self.tally.steps.setdefault(step, []).append(elapsed)
        if status >= 500:
            self.tally.server_errors += 1
        if status != expect:
            raise JourneyFailed(f"{step}: {method} {path} answered {status}: {data[:300]!r}")
        return json.loads(data) if data else None


Journey = Callable[[Client, Catalog, Identities, int], Awaitable[None]]


async def browse(client: Client, catalog: Catalog, me: Identities, turn: int) -> None:
    slug = catalog.browse_slugs[turn % len(catalog.browse_slugs)]
    page = await client.call("course list", "GET", "/api/v1/courses/")
    if not page["results"]:
        raise JourneyFailed("course list: no course")
    await client.call("course detail", "GET", f"/api/v1/courses/{slug}/")
    await client.call("curriculum", "GET", f"/api/v1/courses/{slug}/curriculum/")
    await client.call("categories", "GET", "/api/v1/categories/")


async def sign_in(client: Client, catalog: Catalog, me: Identities, turn: int) -> None:
    answer = await client.call(
        "login", "POST", "/api/v1/auth/login/", {"email": me.student_email, "password": PASSWORD}
    )
    token = answer["access"]
    await client.call("me", "GET", "/api/v1/auth/me/", token=token)
    await client.call("dashboard stats", "GET", "/api/v1/dashboard/stats/", token=token)


async def purchase(client: Client, catalog: Catalog, me: Identities, turn: int) -> None:
    if me.buyer_courses == len(catalog.paid_course_ids):
        me.buyers.pop(0)
        me.buyer_courses = 0
    if not me.buyers:
        raise JourneyFailed("purchase: every prepared buyer has bought every course")
    course_id = catalog.paid_course_ids[me.buyer_courses]
    me.buyer_courses += 1
    client.token = me.buyers[0]
    await client.call(
        "cart add", "POST", "/api/v1/cart/items/", {"course_id": course_id}, expect=201
    )
    order = await client.call("order", "POST", "/api/v1/orders/", {}, expect=201)
    payment = await client.call(
        "checkout", "POST", "/api/v1/payments/checkout/", {"order_id": order["id"]}
    )
    paid = await client.call(
        "simulate",
        "POST",
        f"/api/v1/payments/{payment['payment_id']}/simulate/",
        {"outcome": "succeeded"},
    )
    if paid["order_status"] != "paid":
        raise JourneyFailed(f"simulate: the order is {paid['order_status']}")


async def learn(client: Client, catalog: Catalog, me: Identities, turn: int) -> None:
    if me.learner_lessons == len(catalog.free_lesson_ids):
        me.learners.pop(0)
        me.learner_enrollment, me.learner_lessons = None, 0
    if not me.learners:
        raise JourneyFailed("learn: every prepared learner has completed the course")
    client.token = me.learners[0]
    if me.learner_enrollment is None:
        enrollment = await client.call(
            "enroll", "POST", f"/api/v1/courses/{catalog.free_slug}/enroll/", {}, expect=201
        )
        me.learner_enrollment = enrollment["id"]
    lesson_id = catalog.free_lesson_ids[me.learner_lessons]
    me.learner_lessons += 1
    progress = await client.call(
        "lesson complete",
        "POST",
        f"/api/v1/enrollments/{me.learner_enrollment}/mark-lesson-complete/",
        {"lesson_id": lesson_id},
    )
    if progress["lessons_completed"] != me.learner_lessons:
        raise JourneyFailed(f"lesson complete: {progress}")
    await client.call("continue learning", "GET", "/api/v1/dashboard/continue-learning/")


JOURNEY_FUNCTIONS: dict[str, Journey] = {
    "browse": browse,
    "sign_in": sign_in,
    "purchase": purchase,
    "learn": learn,
}


# --- the run -----------------------------------------------------------------------------------


async def run_for(
    port: int,
    catalog: Catalog,
    identities: list[Identities],
    seconds: float,
    mix: tuple[str, ...] = MIX,
) -> tuple[dict[str, Tally], float]:
    tallies = {name: Tally() for name in JOURNEYS if name in mix}
    deadline = time.monotonic() + seconds

    async def virtual_user(n: int) -> None:
        turn = n
        while time.monotonic() < deadline:
            name = mix[turn % len(mix)]
            tally = tallies[name]
            try:
                await JOURNEY_FUNCTIONS[name](Client(port, tally), catalog, identities[n], turn)
            except Exception as exc:  # a failed journey, counted and shown; the user goes on
                tally.failed += 1
                tally.first_error = tally.first_error or f"{type(exc).__name__}: {exc}"
            else:
                tally.done += 1
            turn += 1

    began = time.monotonic()
    await asyncio.gather(*(virtual_user(n) for n in range(len(identities))))
    return tallies, time.monotonic() - began


def report(tallies: dict[str, Tally], elapsed: float) -> bool:
    """Print the tables; True when no journey failed, no answer was a 5xx and each ran."""

    def row(name: str, values: list[float], *cells: object) -> str:
        if not values:
            return f"{name:18} " + " ".join(f"{cell!s:>8}" for cell in cells) + "  (no request)"
        return (
            f"{name:18} "
            + " ".join(f"{cell!s:>8}" for cell in cells)
            + f" {len(values):8} {len(values) / elapsed:8.1f} {statistics.median(values):8.1f}"
            f" {flows.percentile(values, 0.99):8.1f} {max(values):8.1f}"
        )

    header = ("done", "failed", "5xx", "requests", "req/s", "p50 ms", "p99 ms", "max ms")
    print(f"{'journey':18} " + " ".join(f"{title:>8}" for title in header))
    everything: list[float] = []
    for name, tally in tallies.items():
        everything += tally.latencies_ms
        print(row(name, tally.latencies_ms, tally.done, tally.failed, tally.server_errors))
    done = sum(tally.done for tally in tallies.values())
    failed = sum(tally.failed for tally in tallies.values())
    server_errors = sum(tally.server_errors for tally in tallies.values())
    print(row("all", everything, done, failed, server_errors))
    print(f"\n{'step':18} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for tally in tallies.values():
        for step, values in tally.steps.items():
            print(row(step, values))
    ok = True
    for name, tally in tallies.items():
        if tally.first_error:
            print(f"load: {name}: {tally.failed} failed, first: {tally.first_error}")
        if tally.failed or tally.server_errors or not tally.done:
            ok = False
    print(
        f"load: {'passed' if ok else 'FAILED'} ({done} journeys, {failed} failed, "
        f"{server_errors} answers 5xx)"
    )
    return ok


# --- CPU time: what capacity planning divides by (docs/deploy.md, "Capacity") -------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids += _process_tree(int(child))
    return pids


def app_cpu(master: int) -> dict[int, float]:
    """CPU seconds of gunicorn's master and workers, by pid."""
    return {pid: _cpu_seconds(pid) for pid in _process_tree(master)}


def database_cpu(database_url: str) -> dict[int, float] | None:
    """CPU seconds of the PostgreSQL backends connected to the database, by pid; None when the
    server's processes are not on this machine (or not readable)."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    if not rows or not Path(f"/proc/{rows[0][0]}/stat").exists():
        return None
    return {pid: _cpu_seconds(pid) for (pid,) in rows}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots (a process that appeared counts from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def report_cpu(requests: int, elapsed: float, app: float, database: float | None) -> None:
    print(f"\n{'cpu':18} {'seconds':>8} {'cores':>8} {'ms/req':>8} {'req/s/core':>10}")
    for name, seconds in (("app (gunicorn)", app), ("database", database)):
        if seconds is None or not requests:
            print(f"{name:18} {'n/a':>8}")
            continue
        print(
            f"{name:18} {seconds:8.1f} {seconds / elapsed:8.2f} {seconds / requests * 1000:8.2f}"
            f" {requests / seconds if seconds else 0:10.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    from bench import registry, run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds first, not measured")
    parser.add_argument("--users", type=int, default=8, help="concurrent virtual users")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ci_load")
    parser.add_argument(
        "--only", choices=JOURNEYS, help="run this journey alone (its own CPU cost per request)"
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="cache and throttles in Redis, as production has (tasks still run eagerly, in the "
        "requests: no worker is started)",
    )
    args = parser.parse_args(argv)
    mix = (args.only,) if args.only else MIX

    env = server.server_environment(args.database_url, redis_url=args.redis_url)
    if args.redis_url:
        env["CELERY_TASK_ALWAYS_EAGER"] = "true"  # nothing queued for a worker that is not there
    server.ensure_database(args.database_url, recreate=False)
    server.migrate(env)
    run.setup_django(env)
    registry.seed_stale_modules([registry.ScenarioModule("journeys", sys.modules[__name__])])
    from django.db import connections

    catalog, identities = identities_for(args.users)
    connections.close_all()
    with server.Gunicorn(env, workers=args.workers) as gunicorn:
        assert gunicorn.process is not None
        if args.warmup:
            asyncio.run(run_for(gunicorn.port, catalog, identities, args.warmup, mix))
        app_before = app_cpu(gunicorn.process.pid)
        database_before = database_cpu(args.database_url)
        tallies, elapsed = asyncio.run(
            run_for(gunicorn.port, catalog, identities, args.seconds, mix)
        )
        app_after = app_cpu(gunicorn.process.pid)
        database_after = database_cpu(args.database_url)
    load = os.getloadavg()
    print(
        f"\njourneys for {args.seconds:.0f} s (ran {elapsed:.1f} s, after {args.warmup:.0f} s "
        f"not measured): {args.users} virtual users, gunicorn {args.workers} sync workers, "
        f"PostgreSQL, {'Redis' if args.redis_url else 'no Redis'}, fake provider; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    passed = report(tallies, elapsed)
    report_cpu(
        sum(len(tally.latencies_ms) for tally in tallies.values()),
        elapsed,
        spent(app_before, app_after),
        spent(database_before, database_after)
        if database_before is not None and database_after is not None
        else None,
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
