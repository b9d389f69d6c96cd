"""Automatic scoring of quiz answers: pure functions, no database.

- single_choice and true_false: all the points when the one chosen choice is the right one.
- multiple_choice: partial credit. Each right choice picked earns a share of the points,
  each wrong choice picked cancels one right pick, never below zero:
  `points * max(0, right_picked - wrong_picked) / right_total`.
- short_text: all the points when the text matches an accepted answer after case folding
  and collapsing runs of whitespace ("  New   York " matches "new york").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import QuestionType

CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def normalise_text(value: str) -> str:
    """The form two short answers are compared in."""
    return " ".join(value.casefold().split())


@dataclass(frozen=True)
class QuestionScore:
    points_awarded: Decimal
    is_correct: bool


def score_choices(
    *, question_type: str, points: int, correct_ids: Collection[str], chosen_ids: Collection[str]
) -> QuestionScore:
    """Score a choice question; ids are compared as strings."""
    correct, chosen = set(correct_ids), set(chosen_ids)
    full = Decimal(points)
    if question_type == QuestionType.MULTIPLE_CHOICE:
        if not correct:
            return QuestionScore(Decimal("0.00"), False)
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        awarded = quantize(full * Decimal(max(0, right - wrong)) / Decimal(len(correct)))
        return QuestionScore(awarded, awarded == full)
    is_correct = bool(chosen) and chosen == correct
    return QuestionScore(quantize(full) if is_correct else Decimal("0.00"), is_correct)


def score_text(*, points: int, accepted_answers: Iterable[str], text: str) -> QuestionScore:
    """Score a short text answer against the accepted ones."""
    given = normalise_text(text)
    is_correct = bool(given) and given in {normalise_text(answer) for answer in accepted_answers}
    return QuestionScore(quantize(Decimal(points)) if is_correct else Decimal("0.00"), is_correct)


def percent_of(score: Decimal, max_score: Decimal) -> Decimal:
    """The score as a percentage of the maximum, to two decimals (0 for an empty quiz)."""
    if max_score <= 0:
        return Decimal("0.00")
    return quantize(score * Decimal(100) / max_score)
