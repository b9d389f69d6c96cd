"""`manage.py seed_demo`: idempotent demo data with known passwords, printed at the end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from lms.accounts.models import InstructorProfile, Role, StudentProfile, User

DEMO_PASSWORD = "demo-pass-2026"

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


class Command(BaseCommand):
    help = "Load demo users (and, as later apps arrive, their courses and activity)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for email, first, last, role in STAFF:
            _user(email, first, last, role)
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
        self._print_accounts()

    def _print_accounts(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with any of these:"))
        for email, *_rest in [*STAFF, *INSTRUCTORS, *STUDENTS]:
            self.stdout.write(f"  {email:40} password: {DEMO_PASSWORD}")


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
