"""The course list's boolean filters read `true`/`false` as every boolean query parameter
does (lms.core.filters.BooleanFilter; docs/api.md "The OpenAPI document")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.catalog.tests.factories import CourseFactory, PublishedCourseFactory
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"


@pytest.mark.parametrize("value", ["true", "TRUE", "True"])
def test_is_free_true_in_any_case_lists_the_free_courses(anon_client, value):
    # given
    free = PublishedCourseFactory(is_free=True, price=Decimal("0"))
    PublishedCourseFactory(is_free=False, price=Decimal("20"))

    # when
    response = anon_client.get(LIST, {"is_free": value})

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(free.pk)]


def test_is_free_false_lists_the_paid_courses_and_empty_is_no_filter(anon_client):
    # given
    PublishedCourseFactory(is_free=True, price=Decimal("0"))
    paid = PublishedCourseFactory(is_free=False, price=Decimal("20"))

    # when
    paid_only = anon_client.get(LIST, {"is_free": "false"})
    unfiltered = anon_client.get(f"{LIST}?is_free=")

    # then
    assert [row["id"] for row in paid_only.json()["results"]] == [str(paid.pk)]
    assert unfiltered.json()["count"] == 2


@pytest.mark.parametrize("name", ["is_free", "mine"])
@pytest.mark.parametrize("value", ["1", "0", "yes", "no", "on", " true"])
def test_a_boolean_filter_refuses_other_spellings(instructor_client, name, value):
    # when
    response = instructor_client.get(LIST, {name: value})

    # then: 400 on the parameter, not a silent reading
    assert response.status_code == 400
    assert error_codes(response) == ["invalid"]
    assert response.json()["errors"][0]["attr"] == name


def test_mine_true_lists_the_callers_courses_in_every_state(instructor, instructor_client):
    # given
    draft = CourseFactory(instructor=instructor, status="draft")
    PublishedCourseFactory()

    # when
    response = instructor_client.get(LIST, {"mine": "true"})

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(draft.pk)]
