"""`manage.py seed_demo`: idempotent demo data with known passwords, printed at the end.

Each app's seeder (`extra_seeders`, appended below) runs in one transaction, in order. The
e-mails and task logs that seeding causes are counted, not printed: the terminal is left for
the accounts and for the e-mails of what the newcomer does next. `--no-accounts` leaves the
accounts out (`make run` prints them after the server's start-up lines, `manage.py rundemo`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core import mail
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from lms.accounts.models import InstructorProfile, Role, StudentProfile, User
from lms.accounts.services import sync_staff_groups
from lms.catalog.demo import seed_thumbnails
from lms.demo.accounts import DEMO_PASSWORD, write_accounts

STAFF = [
    ("admin@demo.learnflow.local", "Ada", "Admin", Role.ADMIN),
    ("manager@demo.learnflow.local", "Max", "Manager", Role.MANAGER),
]
INSTRUCTORS = [
    (
        "grace@demo.learnflow.local",
        "Grace",
        "Hopper",
        "Compilers and the craft of programming",
        ["python", "compilers"],
    ),
    (
        "alan@demo.learnflow.local",
        "Alan",
        "Turing",
        "Computation, logic and machine learning",
        ["machine learning", "mathematics"],
    ),
    (
        "frida@demo.learnflow.local",
        "Frida",
        "Kahlo",
        "Painting and visual storytelling",
        ["painting", "design"],
    ),
]
STUDENTS = [
    ("student@demo.learnflow.local", "Sam", "Student"),
    ("lee@demo.learnflow.local", "Lee", "Learner"),
    ("nina@demo.learnflow.local", "Nina", "Newcomer"),
    # Instructor applicants (lms/demo/applications.py): Omar's is approved, Pia's rejected.
    ("omar@demo.learnflow.local", "Omar", "Okoye"),
    ("pia@demo.learnflow.local", "Pia", "Park"),
]


def _user(email: str, first: str, last: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first,
            "last_name": last,
            "role": role,
            "email_verified_at": timezone.now(),
            "is_staff": role in (Role.ADMIN, Role.MANAGER),
            "is_superuser": role == Role.ADMIN,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@contextmanager
def _quiet() -> Iterator[list[int]]:
    """E-mails go to memory and Celery's per-task lines are dropped; yields [e-mails sent]."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    before = len(getattr(mail, "outbox", []))
    sent = [0]
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield sent
            sent[0] = len(getattr(mail, "outbox", [])) - before
    finally:
        trace.setLevel(level)


class Command(BaseCommand):
    help = "Load demo users, courses, learning, sales, payouts and review queues (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-accounts",
            action="store_false",
            dest="accounts",
            help="Do not print the accounts (make run prints them once the server listens).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with _quiet() as sent:
            self._seed()
        self.stdout.write(f"seed_demo: done ({sent[0]} e-mail(s) sent while seeding, not shown).")
        if options["accounts"]:
            write_accounts(self.stdout)

    @transaction.atomic
    def _seed(self) -> None:
        for email, first, last, role in STAFF:
            sync_staff_groups(_user(email, first, last, role))  # managers: the admin group
        for email, first, last, headline, skills in INSTRUCTORS:
            user = _user(email, first, last, Role.INSTRUCTOR)
            InstructorProfile.objects.update_or_create(
                user=user,
                defaults={
                    "headline": headline,
                    "skills": skills,
                    "languages": ["en"],
                    "bio": f"{first} teaches {headline}.",
                },
            )
        for email, first, last in STUDENTS:
            user = _user(email, first, last, Role.STUDENT)
            StudentProfile.objects.get_or_create(user=user)
        for hook in extra_seeders:
            hook(self.stdout)
        # Last, so that every seeder's courses get one.
        seed_thumbnails(self.stdout)


# Later domains (catalog, learning, commerce) append their seeders here.
extra_seeders: list[Any] = []

# The catalog comes first: the seeders below enroll students in and sell its courses.
from lms.catalog.demo import seed_catalog  # noqa: E402

extra_seeders.append(seed_catalog)

# Learning runs after the catalog's seeder: it enrolls the demo students in its courses.
from lms.learning import demo as learning_demo  # noqa: E402

extra_seeders.append(learning_demo.seed)

# Commerce runs last: its buyers pay for a demo course through the fake provider.
from lms.commerce import demo as commerce_demo  # noqa: E402

extra_seeders.append(commerce_demo.seed)

# Assessments: a quiz with attempts and a graded assignment in a course learning enrolled in.
from lms.assessments import demo as assessments_demo  # noqa: E402

extra_seeders.append(assessments_demo.seed)

# Payouts, after commerce's sales: an available balance, a paid and a pending withdrawal.
from lms.payouts import demo as payouts_demo  # noqa: E402

extra_seeders.append(payouts_demo.seed)

# The staff's application queue: an application in each status (the manager decides two).
from lms.demo import applications as applications_demo  # noqa: E402

extra_seeders.append(applications_demo.seed)

# Messaging and support: a conversation between the demo student and their instructor, and a
# ticket in progress with the manager.
from lms.messaging import demo as messaging_demo  # noqa: E402
from lms.support import demo as support_demo  # noqa: E402

extra_seeders.append(messaging_demo.seed)
extra_seeders.append(support_demo.seed)

# Community, after learning's enrollments: reviews with a reply, a Q&A thread with an
# accepted answer and a lesson comment on the demo students' short course, and reports in
# the moderation queue (open, hidden, dismissed).
from lms.community import demo as community_demo  # noqa: E402

extra_seeders.append(community_demo.seed)

# Tutoring, after commerce: two tutors with weekly availability, a paid lesson, and a completed
# one with a testimonial (paid through commerce's checkout of a booking).
from lms.tutoring import demo as tutoring_demo  # noqa: E402

extra_seeders.append(tutoring_demo.seed)

# Accounts' second round: universities (the demo instructor verified at one) and the
# onboarding questionnaire, answered by the newcomer.
from lms.accounts import demo as accounts_demo  # noqa: E402

extra_seeders.append(accounts_demo.seed)
