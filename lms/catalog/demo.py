"""Demo catalog for `manage.py seed_demo`: published courses with curricula, idempotent.

Courses go through the same services as real ones (create, sections, lessons, submit,
approve, publish), so counters, search documents and audit lines are right.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from lms.accounts.models import Role, User

from . import services
from .models import Category, Course

CATEGORIES = [
    ("Development", "development", "code", None),
    ("Web Development", "web-development", "globe", "development"),
    ("Data Science", "data-science", "chart", None),
    ("Design", "design", "palette", None),
    ("Art", "art", "brush", "design"),
]

# (owner email, category slug, title, subtitle, level, price or None for free, tags, outline)
Outline = list[tuple[str, list[str]]]
COURSES: list[tuple[str, str, str, str, str, str | None, list[str], Outline]] = [
    (
        "grace@demo.learnflow.local", "development", "Python from First Principles",
        "Variables to packages: write clear, tested Python", "beginner", "29.99",
        ["python", "programming"],
        [
            ("Getting started", ["Why Python", "Installing the interpreter", "Your first script"]),
            ("Core language", ["Numbers and strings", "Lists and dictionaries", "Functions"]),
            ("Real programs", ["Modules and packages", "Testing with pytest", "Final project"]),
        ],
    ),
    (
        "grace@demo.learnflow.local", "development", "Build Your Own Compiler",
        "Lexing, parsing and code generation for a small language", "advanced", "59.00",
        ["compilers", "python"],
        [
            ("Front end", ["Tokens and lexers", "Recursive descent parsing", "Syntax trees"]),
            ("Back end", ["Type checking", "Generating bytecode", "A tiny virtual machine"]),
        ],
    ),
    (
        "grace@demo.learnflow.local", "web-development", "Django REST APIs that Last",
        "Design, test and ship a versioned HTTP API", "intermediate", "39.00",
        ["django", "python", "api"],
        [
            ("Foundations", ["Resources and URLs", "Serializers for input", "Permissions"]),
            ("Production", ["Pagination and filters", "Query counts", "Deploying"]),
        ],
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Machine Learning Foundations",
        "Regression, classification and honest evaluation", "intermediate", "49.99",
        ["machine learning", "mathematics", "python"],
        [
            ("Supervised learning", ["Linear regression", "Logistic regression", "Overfitting"]),
            ("Evaluation", ["Train, validation, test", "Metrics that matter", "Case study"]),
        ],
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Logic and Computation",
        "From truth tables to the halting problem", "all", None,
        ["mathematics", "logic"],
        [
            ("Logic", ["Propositions", "Proofs", "Predicate logic"]),
            ("Computation", ["Finite automata", "Turing machines", "Undecidability"]),
        ],
    ),
    (
        "frida@demo.learnflow.local", "art", "Painting Self-Portraits",
        "Colour, composition and telling your own story", "beginner", "24.00",
        ["painting", "art"],
        [
            ("Seeing", ["Observing your face", "Sketching proportions"]),
            ("Painting", ["Mixing skin tones", "Symbolic backgrounds", "Finishing touches"]),
        ],
    ),
    (
        "frida@demo.learnflow.local", "design", "Visual Storytelling for Designers",
        "Use colour and symbol to carry a message", "intermediate", "34.50",
        ["design", "storytelling"],
        [
            ("Principles", ["Colour meaning", "Symbols and motifs"]),
            ("Practice", ["Moodboards", "A poster from brief to print"]),
        ],
    ),
]  # fmt: skip


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {}
    for order, (name, slug, icon, parent) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "icon": icon,
                "order": order,
                "parent": found.get(parent or ""),
            },
        )
        found[slug] = category
    return found


@transaction.atomic
def seed_catalog(stdout: Any) -> None:
    """Create the demo categories and published courses that are not there yet."""
    categories = _categories()
    reviewer = User.objects.filter(role=Role.ADMIN).order_by("created_at").first()
    created = 0
    for email, category, title, subtitle, level, price, tags, outline in COURSES:
        owner = User.objects.filter(email=email).first()
        if owner is None or reviewer is None:
            continue
        if Course.objects.filter(slug=slugify(title)).exists():
            continue
        course = services.create_course(
            by=owner,
            data={
                "title": title,
                "subtitle": subtitle,
                "description": f"{subtitle}. A hands-on course by {owner.full_name}.",
                "outcomes": [
                    f"Understand {lesson.lower()}"
                    for _, lessons in outline
                    for lesson in lessons[:1]
                ],
                "requirements": ["Curiosity and a computer"],
                "category": categories[category],
                "tags": tags,
                "level": level,
                "price": Decimal(price) if price else Decimal("0"),
                "is_free": price is None,
            },
        )
        for section_title, lessons in outline:
            section = services.create_section(course=course, by=owner, title=section_title)
            for index, lesson_title in enumerate(lessons):
                services.create_lesson(
                    section=section,
                    by=owner,
                    data={
                        "title": lesson_title,
                        "type": "video" if index % 2 == 0 else "text",
                        "content": f"Notes for “{lesson_title}”.",
                        "duration_seconds": 300 + 60 * index,
                        "is_preview": index == 0 and section_title == outline[0][0],
                    },
                )
        course.refresh_from_db()
        services.submit_course_for_review(course=course, by=owner)
        services.approve_course(course=course, by=reviewer)
        services.publish_course(course=course, by=reviewer)
        created += 1
    stdout.write(f"Catalog: {created} demo course(s) published.")
