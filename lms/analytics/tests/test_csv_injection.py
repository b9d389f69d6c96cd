"""CSV exports never hand a spreadsheet a formula: user-written text starting with = + - @
TAB or CR gets a leading quote; numbers (negative amounts included) stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from lms.analytics.export import safe_cell, to_csv
from lms.catalog.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

HOSTILE_TITLES = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_formula_title_is_text_in_the_instructor_and_course_csv(client_for, instructor, title):
    course = CourseFactory(instructor=instructor, title=title)
    client = client_for(instructor)
    for url in ("/api/v1/analytics/instructor/", f"/api/v1/analytics/courses/{course.pk}/"):
        response = client.get(url, {"format": "csv"})
        assert response.status_code == 200
        text = response.content.decode()
        cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
        assert "'" + title in cells
        assert title not in cells
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
        assert all(
            not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit()
            for cell in cells
        )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("-5.00", "-5.00"),
        ("+3", "+3"),
        ("-1e3", "'-1e3"),
        ("@x", "'@x"),
        ("plain", "plain"),
        ("", ""),
        (-5, -5),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_safe_cell(value: Any, written: Any) -> None:
    assert safe_cell(value) == written


def test_every_column_is_neutralised() -> None:
    text = to_csv({"courses": [{"title": "=A1", "status": "@B2"}], "=key": "-x"})
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert ["courses[0] =A1.title", "", "", "'=A1"] in rows
    assert ["courses[0] =A1.status", "", "", "'@B2"] in rows
    assert ["'=key", "", "", "'-x"] in rows
