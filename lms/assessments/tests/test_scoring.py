"""Automatic scoring rules, without the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.assessments.scoring import normalise_text, percent_of, score_choices, score_text


@pytest.mark.parametrize(
    ("chosen", "awarded", "is_correct"),
    [
        ({"a", "b"}, Decimal("3.00"), True),  # every right choice
        ({"a"}, Decimal("1.50"), False),  # half of the right choices
        ({"a", "b", "c"}, Decimal("1.50"), False),  # one wrong pick cancels one right pick
        ({"a", "c", "d"}, Decimal("0.00"), False),  # never below zero
        (set(), Decimal("0.00"), False),
    ],
)
def test_multiple_choice_partial_credit(chosen, awarded, is_correct):
    result = score_choices(
        question_type="multiple_choice", points=3, correct_ids={"a", "b"}, chosen_ids=chosen
    )
    assert result.points_awarded == awarded
    assert result.is_correct is is_correct


@pytest.mark.parametrize("question_type", ["single_choice", "true_false"])
def test_single_answer_questions_are_all_or_nothing(question_type):
    right = score_choices(
        question_type=question_type, points=2, correct_ids={"a"}, chosen_ids={"a"}
    )
    wrong = score_choices(
        question_type=question_type, points=2, correct_ids={"a"}, chosen_ids={"b"}
    )
    blank = score_choices(
        question_type=question_type, points=2, correct_ids={"a"}, chosen_ids=set()
    )
    assert (right.points_awarded, right.is_correct) == (Decimal("2.00"), True)
    assert (wrong.points_awarded, wrong.is_correct) == (Decimal("0.00"), False)
    assert (blank.points_awarded, blank.is_correct) == (Decimal("0.00"), False)


def test_partial_credit_rounds_to_cents():
    result = score_choices(
        question_type="multiple_choice", points=1, correct_ids={"a", "b", "c"}, chosen_ids={"a"}
    )
    assert result.points_awarded == Decimal("0.33")


@pytest.mark.parametrize(
    ("given", "is_correct"),
    [("new york", True), ("  NEW\tYork  ", True), ("New  York", True), ("nyc", True),
     ("NewYork", False), ("", False), ("York", False)],
)  # fmt: skip
def test_short_text_ignores_case_and_spacing(given, is_correct):
    result = score_text(points=3, accepted_answers=["New York", " NYC "], text=given)
    assert result.is_correct is is_correct
    assert result.points_awarded == (Decimal("3.00") if is_correct else Decimal("0.00"))


def test_normalise_text_folds_case_and_whitespace():
    assert normalise_text("  Straße\n  Eins ") == "strasse eins"


def test_percent_of():
    assert percent_of(Decimal("7"), Decimal("10")) == Decimal("70.00")
    assert percent_of(Decimal("1"), Decimal("3")) == Decimal("33.33")
    assert percent_of(Decimal("0"), Decimal("0")) == Decimal("0.00")
