"""The onboarding questionnaire: questions staff define in the Django admin, a user's answers,
and the interests those answers give recommendations.

Questions are `single_choice` (exactly one choice), `multiple_choice` (one or more) or
`text` (free text, at most 2000 characters); only active ones are asked, in `order`. A
choice may stand for catalog categories and tags (by slug); `interests_of` gathers the
slugs of the user's chosen choices, which `lms.learning.selectors.recommendations` weighs
for a user with no enrollment yet.

`save_answers` is a PUT: the answers sent replace the user's earlier ones (a question left
out loses its answer). Errors: 400 `invalid_answer` with `attr` `answers[i]` (an unknown or
inactive question, a choice of another question, a choice count the type does not allow,
text for a choice question or choices for a text one, a question answered twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from rest_framework.exceptions import ValidationError

from lms.accounts.errors import AccountError
from lms.accounts.models import OnboardingAnswer, OnboardingChoice, OnboardingQuestion, User

Type = OnboardingQuestion.Type


def active_questions() -> QuerySet[OnboardingQuestion]:
    """The active questions in order, each with its choices in order (two queries)."""
    return OnboardingQuestion.objects.filter(is_active=True).prefetch_related(
        Prefetch("choices", queryset=OnboardingChoice.objects.order_by("order", "created_at"))
    )


def answers_of(user: User) -> QuerySet[OnboardingAnswer]:
    """The user's answers to active questions, with their choice ids (two queries)."""
    return (
        OnboardingAnswer.objects.filter(user=user, question__is_active=True)
        .prefetch_related(Prefetch("choices", queryset=OnboardingChoice.objects.only("id")))
        .order_by("question__order", "question__created_at")
    )


def _invalid(index: int, message: str) -> ValidationError:
    return ValidationError({f"answers[{index}]": [message]}, code=AccountError.INVALID_ANSWER)


@transaction.atomic
def save_answers(*, user: User, answers: Iterable[Mapping[str, Any]]) -> None:
    """Replace the user's answers; see the module's docstring for the rules."""
    questions = {question.pk: question for question in active_questions()}
    seen: set[Any] = set()
    checked: list[tuple[OnboardingQuestion, list[OnboardingChoice], str]] = []
    for index, answer in enumerate(answers):
        question = questions.get(answer["question_id"])
        if question is None:
            raise _invalid(index, "No such active question.")
        if question.pk in seen:
            raise _invalid(index, "This question is answered twice.")
        seen.add(question.pk)
        choice_ids = list(dict.fromkeys(answer.get("choice_ids") or []))
        text = (answer.get("text") or "").strip()
        if question.type == Type.TEXT:
            if choice_ids or not text:
                raise _invalid(index, "Answer this question with text.")
            checked.append((question, [], text))
            continue
        by_id = {choice.pk: choice for choice in question.choices.all()}
        if text or any(choice_id not in by_id for choice_id in choice_ids):
            raise _invalid(index, "Answer with choices of this question.")
        if not choice_ids or (question.type == Type.SINGLE_CHOICE and len(choice_ids) != 1):
            wanted = "one choice" if question.type == Type.SINGLE_CHOICE else "at least one choice"
            raise _invalid(index, f"Pick {wanted}.")
        checked.append((question, [by_id[choice_id] for choice_id in choice_ids], ""))
    OnboardingAnswer.objects.filter(user=user).delete()
    for question, choices, text in checked:
        row = OnboardingAnswer.objects.create(user=user, question=question, text=text)
        if choices:
            row.choices.set(choices)


@dataclass(frozen=True)
class Interests:
    """Catalog slugs the user's onboarding choices stand for."""

    category_slugs: frozenset[str]
    tag_slugs: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.category_slugs or self.tag_slugs)


def interests_of(user: Any) -> Interests:
    """The categories and tags of the user's chosen choices (one query)."""
    rows = OnboardingAnswer.choices.through.objects.filter(
        onboardinganswer__user_id=user.pk, onboardinganswer__question__is_active=True
    ).values_list("onboardingchoice__category_slugs", "onboardingchoice__tag_slugs")
    categories: set[str] = set()
    tags: set[str] = set()
    for category_slugs, tag_slugs in rows:
        categories.update(str(slug).lower() for slug in category_slugs or [])
        tags.update(str(slug).lower() for slug in tag_slugs or [])
    return Interests(frozenset(categories), frozenset(tags))
