"""Public instructor profiles."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory, InstructorProfileFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/instructors/"


def test_list_is_public_and_paginated(anon_client, student, django_assert_max_num_queries):
    # given
    InstructorFactory.create_batch(24)

    # when
    with django_assert_max_num_queries(2):
        response = anon_client.get(LIST)

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 24
    assert len(body["results"]) == 20
    item = body["results"][0]
    assert {
        "id",
        "name",
        "avatar",
        "headline",
        "bio",
        "rating",
        "student_count",
        "course_count",
    } <= set(item)
    assert "email" not in item
    assert "payout_details" not in item
    assert "hourly_rate" not in item
    assert isinstance(item["rating"], float)
    assert isinstance(item["student_count"], int)


def test_list_ordered_by_students_and_searchable(anon_client):
    # given
    popular = InstructorProfileFactory(student_count=500, headline="Kubernetes in depth").user
    quiet = InstructorProfileFactory(student_count=3, headline="Watercolour basics").user

    # when
    everyone = anon_client.get(LIST).json()["results"]
    search = anon_client.get(LIST, {"search": "kubernetes"}).json()["results"]

    # then
    assert [i["id"] for i in everyone] == [str(popular.pk), str(quiet.pk)]
    assert [i["id"] for i in search] == [str(popular.pk)]


def test_list_hides_students_staff_and_inactive(anon_client, student, manager, admin_user):
    # given
    InstructorFactory(is_active=False)
    visible = InstructorFactory()

    # when
    response = anon_client.get(LIST)

    # then
    assert [i["id"] for i in response.json()["results"]] == [str(visible.pk)]


def test_list_works_with_a_token_too(student_client):
    # given
    InstructorFactory()

    # when
    response = student_client.get(LIST)

    # then
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_detail(anon_client, django_assert_max_num_queries):
    # given
    profile = InstructorProfileFactory(rating=4.5, student_count=12, course_count=2)

    # when
    with django_assert_max_num_queries(1):
        response = anon_client.get(f"{LIST}{profile.user.pk}/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["headline"] == profile.headline
    assert body["rating"] == 4.5
    assert body["student_count"] == 12
    assert body["course_count"] == 2
    assert body["name"] == profile.user.full_name


def test_detail_of_a_student_404(anon_client, student):
    assert anon_client.get(f"{LIST}{student.pk}/").status_code == 404


def test_detail_of_inactive_instructor_404(anon_client):
    instructor = InstructorFactory(is_active=False)
    assert anon_client.get(f"{LIST}{instructor.pk}/").status_code == 404


@pytest.mark.parametrize("suffix", ["nope/", "6f1c2b8e-0000-4000-8000-000000000001/"])
def test_detail_bad_or_unknown_id_404(anon_client, suffix):
    assert anon_client.get(f"{LIST}{suffix}").status_code == 404


def test_list_read_only(instructor_client):
    assert instructor_client.post(LIST, {}).status_code == 405
