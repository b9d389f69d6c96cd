"""Demo data of accounts' second round (issue 14): universities, an affiliation, and the
onboarding questionnaire with one newcomer's answers. Idempotent; run by `seed_demo`."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import (
    Affiliation,
    OnboardingAnswer,
    OnboardingChoice,
    OnboardingQuestion,
    University,
    User,
)

# (name, country, domains); the last one holds the demo accounts' own domain, so the demo
# instructor's affiliation is verified and `/courses/?university=<id>` lists her courses.
UNIVERSITIES = [
    ("Massachusetts Institute of Technology", "US", ["mit.edu"]),
    ("University of Oxford", "GB", ["ox.ac.uk"]),
    ("ETH Zurich", "CH", ["ethz.ch"]),
    ("LearnFlow Demo University", "GB", ["demo.learnflow.local"]),
]
AFFILIATED = "grace@demo.learnflow.local"
# (text, type, [(choice, category slugs, tag slugs)])
QUESTIONS: list[tuple[str, str, list[tuple[str, list[str], list[str]]]]] = [
    (
        "What would you like to learn first?",
        "single_choice",
        [
            ("Programming", ["development"], ["python"]),
            ("Building websites", ["web-development"], []),
            ("Working with data", ["data-science"], []),
            ("Design and art", ["design"], []),
        ],
    ),
    (
        "What are you learning for?",
        "multiple_choice",
        [("A new job", [], []), ("My studies", [], []), ("Fun", [], [])],
    ),
    ("Anything else we should know about you?", "text", []),
]
# The newcomer (no enrollment) answered: her recommendations follow the answers.
NEWCOMER = "nina@demo.learnflow.local"


def seed(stdout: Any) -> None:
    universities = {}
    for name, country, domains in UNIVERSITIES:
        university, _ = University.objects.get_or_create(
            name=name, defaults={"country": country, "domains": domains}
        )
        universities[name] = university
    instructor = User.objects.filter(email=AFFILIATED).first()
    if instructor is not None:
        Affiliation.objects.get_or_create(
            user=instructor, defaults={"university": universities[UNIVERSITIES[-1][0]]}
        )
    questions = []
    for order, (text, kind, choices) in enumerate(QUESTIONS, start=1):
        question, created = OnboardingQuestion.objects.get_or_create(
            text=text, defaults={"type": kind, "order": order}
        )
        if created:
            for position, (label, categories, tags) in enumerate(choices, start=1):
                OnboardingChoice.objects.create(
                    question=question,
                    text=label,
                    order=position,
                    category_slugs=categories,
                    tag_slugs=tags,
                )
        questions.append(question)
    newcomer = User.objects.filter(email=NEWCOMER).first()
    if newcomer is not None and not OnboardingAnswer.objects.filter(user=newcomer).exists():
        first = questions[0]
        answer = OnboardingAnswer.objects.create(user=newcomer, question=first)
        answer.choices.set(first.choices.filter(text="Working with data"))
    stdout.write(
        f"accounts: {len(UNIVERSITIES)} universities, {len(QUESTIONS)} onboarding questions."
    )
