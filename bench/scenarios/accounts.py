"""Accounts: login (token pair issued, audit line written) and the current user (bearer token).

The bench server runs with FAST_PASSWORD_HASHER=true: argon2 spends tens of milliseconds of
CPU per login on purpose, which would measure the hasher rather than the code around it.

Budgets (SPEC.md gives none for these): set from a run on a quiet machine with some margin.
Measured there (wrk, 3 rounds, floor ~3,900 req/s): login ~220 req/s (6.0 %, p99 ~104 ms,
7 queries), me ~400 req/s (10.5 %, p99 ~55 ms, 2 queries). Most of both is DRF building the
nested UserSerializer.

Since issue 9 the user row and `/me`'s body are cached per user (lms.accounts.user_cache):
warm, `me` runs no query (the count below is taken cold: 2). On a busy machine (load ~7 on
2 CPUs, bench.loadgen, 3 rounds of 5 s) `me` went from 17.5 % of the floor (CompiledQuery,
before) to 26 % (cached user row) to 56 % (cached body; 52 % with Redis); loadgen's ratios
run 1.5-2x wrk's, so about 28-37 % in wrk terms. Budget: issue 9's 15 %.
"""

from __future__ import annotations

from bench.registry import Budget, Context, Scenario

SEED_VERSION = "1"
PASSWORD = "bench-Password-2024!"
LOGIN_EMAIL = "bench-login@bench.example.com"
ME_EMAIL = "bench-me@bench.example.com"
EXTRA_USERS = 2_000  # so the user table is not trivially small


def seed() -> None:
    """Verified students, two of them used by the scenarios; re-runnable."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from lms.accounts.models import Role, StudentProfile, User

    User.objects.filter(email__endswith="@bench.example.com").delete()
    now = timezone.now()
    password = make_password(PASSWORD)  # one hash for all: hashing is not what is measured
    users = [
        User(
            email=email,
            first_name="Bench",
            last_name=f"User {index}",
            role=Role.STUDENT,
            email_verified_at=now,
            password=password,
        )
        for index, email in enumerate(
            [LOGIN_EMAIL, ME_EMAIL]
            + [f"student-{index:05d}@bench.example.com" for index in range(EXTRA_USERS)]
        )
    ]
    User.objects.bulk_create(users, batch_size=1_000)
    StudentProfile.objects.bulk_create(
        [StudentProfile(user=user) for user in users[:2]], ignore_conflicts=True
    )


def prepare() -> Context:
    """A fresh access token each round (they live 15 minutes)."""
    from lms.accounts import tokens
    from lms.accounts.models import User

    me = User.objects.get(email=ME_EMAIL)
    return {"me_token": tokens.issue_token_pair(me)["access"]}


SCENARIOS = [
    Scenario(
        name="accounts.login",
        method="POST",
        path="/api/v1/auth/login/",
        body={"email": LOGIN_EMAIL, "password": PASSWORD},
        budget=Budget(min_ratio=0.05, max_p99_ms=150, max_queries=8),
        note="FAST_PASSWORD_HASHER: MD5 instead of argon2 (bench only)",
    ),
    Scenario(
        name="accounts.me",
        path="/api/v1/auth/me/",
        headers=lambda context: {"Authorization": f"Bearer {context['me_token']}"},
        budget=Budget(min_ratio=0.15, max_p99_ms=80, max_queries=3),
    ),
]
