"""A person's display name: the one rule every response uses, for users, rows and SQL.

The rule: the first and last names, each trimmed of spaces, joined by one space; a person
without either is shown by their email's local part (`ada@example.com` → `ada`), never as
an empty string. `User.full_name` applies it to a user, `display_name_of_row` to a
`.values()` row, and `display_name_sql` builds the same text in the database for a query
that needs it as one column; a test holds the three to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, CharField, F, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Concat, Left, NullIf, StrIndex, Trim


def display_name(*, first_name: str, last_name: str, email: str) -> str:
    name = " ".join(part for part in (first_name.strip(" "), last_name.strip(" ")) if part)
    return name or email.split("@")[0]


def display_name_of_row(row: Mapping[str, Any], prefix: str = "") -> str:
    """The name from a row holding `<prefix>first_name`, `<prefix>last_name`, `<prefix>email`."""
    return display_name(
        first_name=row[f"{prefix}first_name"] or "",
        last_name=row[f"{prefix}last_name"] or "",
        email=row[f"{prefix}email"] or "",
    )


def display_name_fields(prefix: str = "") -> tuple[str, str, str]:
    """The columns `display_name_of_row` reads, for a selector's `.values()`."""
    return (f"{prefix}first_name", f"{prefix}last_name", f"{prefix}email")


def display_name_sql(prefix: str = "") -> Combinable:
    """The same name as an SQL expression over the user reached by `prefix`
    (`""` on a user queryset, `"instructor__"` on courses)."""
    text = CharField()
    first = Trim(F(f"{prefix}first_name"))
    last = Trim(F(f"{prefix}last_name"))
    email = F(f"{prefix}email")
    at = StrIndex(email, Value("@"))
    local_part = Case(
        When(**{f"{prefix}email__contains": "@"}, then=Left(email, at - 1)),
        default=email,
        output_field=text,
    )
    name = Trim(Concat(first, Value(" "), last, output_field=text))
    return Coalesce(NullIf(name, Value("")), local_part, output_field=text)
