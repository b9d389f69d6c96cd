"""Searching for an instructor's name finds them by the name every response shows (issue 9,
one rule for names): the search vector takes the one name rule (lms.accounts.names), so a nameless
instructor shown by their e-mail's local part is found by it, in `/courses/?search=` and in
`/search/?q=`. Full-text search needs PostgreSQL; SQLite's fallback follows the same rule."""

import pytest
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog import services
from lms.catalog.tests.factories import PublishedCourseFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


def found_by_both_searches(client, term):
    listed = client.get("/api/v1/courses/", {"search": term}).json()["results"]
    searched = client.get("/api/v1/search/", {"q": term}).json()["results"]
    return {item["id"] for item in listed}, {item["id"] for item in searched}


@postgres_only
@pytest.mark.parametrize(
    ("first", "last", "email"),
    [
        ("", "", "zebulonx@example.com"),
        ("  ", " ", "quillonb@example.com"),
        ("Quirinus", "Blom", "q.blom@example.com"),
        ("", "Vexhollow", "vh@example.com"),
    ],
)
def test_a_course_is_found_by_its_instructors_shown_name(anon_client, first, last, email):
    # given: a course whose instructor's name is shown as the one rule says
    instructor = InstructorFactory(first_name=first, last_name=last, email=email)
    course = PublishedCourseFactory(instructor=instructor, title="Alpha topic")
    PublishedCourseFactory(title="Beta topic")
    services.refresh_search_vectors()
    shown = anon_client.get(f"/api/v1/courses/{course.slug}/").json()["instructor"]["name"]

    # when / then: both searches find it by that name
    assert found_by_both_searches(anon_client, shown) == ({str(course.pk)}, {str(course.pk)})


@postgres_only
def test_a_rename_to_no_name_keeps_the_course_findable_by_the_shown_name(anon_client):
    # given
    instructor = InstructorFactory(
        first_name="Ottoline", last_name="", email="zarqwell@example.com"
    )
    course = PublishedCourseFactory(instructor=instructor, title="Gamma topic")
    services.refresh_search_vectors()
    from lms.accounts.services import update_me

    # when: the instructor clears their name
    update_me(user=instructor, fields={"first_name": ""}, profile_fields={})

    # then: found by the name now shown, no longer by the old one
    assert found_by_both_searches(anon_client, "zarqwell") == ({str(course.pk)}, {str(course.pk)})
    assert found_by_both_searches(anon_client, "Ottoline") == (set(), set())


@pytest.mark.parametrize("term", ["zebulonx", "Quirinus Blom"])
def test_the_sqlite_fallback_finds_the_shown_name_too(anon_client, term):
    # given: a nameless instructor and a named one (the fallback's own rule is icontains)
    if connection.vendor == "postgresql":
        pytest.skip("the fallback is SQLite's")
    nameless = InstructorFactory(first_name="", last_name="", email="zebulonx@example.com")
    named = InstructorFactory(first_name="Quirinus", last_name="Blom")
    courses = {
        "zebulonx": PublishedCourseFactory(instructor=nameless, title="Alpha topic"),
        "Quirinus Blom": PublishedCourseFactory(instructor=named, title="Beta topic"),
    }

    # when
    listed = anon_client.get("/api/v1/courses/", {"search": term}).json()["results"]

    # then
    assert [item["id"] for item in listed] == [str(courses[term].pk)]
