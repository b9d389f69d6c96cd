"""One rule for a person's display name, the same from a user, a row and SQL."""

from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.accounts.names import display_name, display_name_of_row, display_name_sql
from lms.accounts.tests.factories import UserFactory

CASES = [
    # first, last, email, name
    ("Ada", "Lovelace", "ada@example.com", "Ada Lovelace"),
    ("Ada", "", "ada@example.com", "Ada"),
    ("", "Lovelace", "ada@example.com", "Lovelace"),
    ("  Ada ", " Lovelace  ", "ada@example.com", "Ada Lovelace"),
    ("", "", "nameless.teacher@example.com", "nameless.teacher"),
    ("   ", " ", "blank@example.com", "blank"),
]


@pytest.mark.parametrize(("first", "last", "email", "name"), CASES)
def test_the_rule(first, last, email, name):
    assert display_name(first_name=first, last_name=last, email=email) == name


@pytest.mark.parametrize(("first", "last", "email", "name"), CASES)
def test_a_row_follows_the_rule(first, last, email, name):
    row = {
        "instructor__first_name": first,
        "instructor__last_name": last,
        "instructor__email": email,
    }
    assert display_name_of_row(row, "instructor__") == name


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last", "email", "name"), CASES)
def test_the_user_and_the_database_follow_the_rule(first, last, email, name):
    # given
    user = UserFactory(first_name=first, last_name=last, email=email)

    # when
    in_sql = User.objects.filter(pk=user.pk).values_list(display_name_sql(), flat=True).get()

    # then
    assert user.full_name == name
    assert in_sql == name
