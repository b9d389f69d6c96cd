"""Universities (public search), a user's affiliation verified by email domain (the suffix
trick refused), the course list's `?university=` filter (and its cache), the onboarding
questionnaire and the recommendations its answers feed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lms.accounts import universities
from lms.accounts.models import (
    Affiliation,
    OnboardingAnswer,
    OnboardingChoice,
    OnboardingQuestion,
    University,
)
from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.accounts.tests.helpers import link_token, sent_to
from lms.catalog.tests.factories import CategoryFactory, PublishedCourseFactory, TagFactory
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

UNIVERSITIES = "/api/v1/universities/"
MINE = "/api/v1/auth/me/university/"
ME = "/api/v1/auth/me/"
ONBOARDING = "/api/v1/onboarding/"
COURSES = "/api/v1/courses/"
RECOMMENDATIONS = "/api/v1/dashboard/recommendations/"


@pytest.fixture
def mit(db: None) -> University:
    return University.objects.create(name="MIT", country="US", domains=["mit.edu"])


@pytest.fixture
def oxford(db: None) -> University:
    return University.objects.create(name="Oxford", country="GB", domains=["ox.ac.uk"])


# --- the domain rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "verified"),
    [
        ("ada@mit.edu", True),
        ("ada@MIT.EDU", True),
        ("ada@cs.mit.edu", True),
        ("ada@evil-mit.edu", False),
        ("ada@mit.edu.evil.com", False),
        ("ada@notmit.edu", False),
        ("ada@edu", False),
    ],
)
def test_the_domain_rule(mit, email, verified):
    user = UserFactory(email=email)
    assert universities.is_verified(user, mit) is verified
    # the SQL form agrees
    Affiliation.objects.create(user=user, university=mit)
    in_sql = (
        type(user).objects.filter(pk=user.pk).filter(universities.verified_members_q(mit)).exists()
    )
    assert in_sql is verified


def test_an_unverified_email_is_not_verified(mit):
    user = UserFactory(email="ada@mit.edu", email_verified_at=None)
    assert universities.is_verified(user, mit) is False


# --- universities --------------------------------------------------------------------------------


def test_universities_are_public_searchable_and_paginated(
    anon_client, mit, oxford, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        everything = anon_client.get(UNIVERSITIES)
    by_name = anon_client.get(UNIVERSITIES, {"search": "oxf"})
    by_country = anon_client.get(UNIVERSITIES, {"country": "us"})

    assert everything.status_code == 200
    assert everything.json()["count"] == 2
    assert everything.json()["results"][0] == {
        "id": str(mit.pk),
        "name": "MIT",
        "country": "US",
        "domains": ["mit.edu"],
        "logo": None,
    }
    assert [u["name"] for u in by_name.json()["results"]] == ["Oxford"]
    assert [u["name"] for u in by_country.json()["results"]] == ["MIT"]


def test_university_detail_and_404(anon_client, mit, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = anon_client.get(f"{UNIVERSITIES}{mit.pk}/")
    assert response.json()["name"] == "MIT"
    missing = anon_client.get(f"{UNIVERSITIES}00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404


def test_universities_bad_query_400(anon_client):
    assert anon_client.get(UNIVERSITIES, {"country": "USA"}).status_code == 400


# --- affiliation ---------------------------------------------------------------------------------


def test_set_university_verified_by_domain(client_for, mit):
    user = UserFactory(email="ada@cs.mit.edu")
    client = client_for(user)
    client.get(ME)  # cached

    response = client.put(MINE, {"university_id": str(mit.pk)})

    assert response.status_code == 200
    assert response.json() == {"university": {"id": str(mit.pk), "name": "MIT"}, "verified": True}
    me = client.get(ME).json()
    assert me["university"] == {"id": str(mit.pk), "name": "MIT", "verified": True}
    assert me["university_verified"] is True


def test_the_suffix_trick_stays_unverified(client_for, mit):
    client = client_for(UserFactory(email="mallory@evil-mit.edu"))
    response = client.put(MINE, {"university_id": str(mit.pk)})
    assert response.json()["verified"] is False
    assert client.get(ME).json()["university_verified"] is False


def test_verified_once_the_email_is(anon_client, client_for, mit):
    from lms.accounts import services

    user = UserFactory(email="ada@mit.edu", email_verified_at=None)
    universities.set_affiliation(user=user, university_id=mit.pk)
    assert universities.is_verified(user, mit) is False
    services._mark_email_verified(user=user, request=None)
    assert universities.is_verified(user, mit) is True


def test_remove_university(client_for, mit):
    user = UserFactory(email="ada@mit.edu")
    client = client_for(user)
    client.put(MINE, {"university_id": str(mit.pk)})

    assert client.delete(MINE).status_code == 204
    assert client.get(ME).json()["university"] is None
    assert not Affiliation.objects.filter(user=user).exists()


def test_set_an_unknown_university_400(student_client):
    response = student_client.put(MINE, {"university_id": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400
    assert error_codes(response) == ["university_not_found"]


@pytest.mark.parametrize("payload", [{}, {"university_id": "nope"}])
def test_set_university_bad_input_400(student_client, payload):
    assert student_client.put(MINE, payload, format="json").status_code == 400


def test_my_university_anonymous_401(anon_client, mit):
    assert anon_client.put(MINE, {"university_id": str(mit.pk)}).status_code == 401
    assert anon_client.delete(MINE).status_code == 401


def test_users_per_university(mit, oxford):
    for email in ("a@mit.edu", "b@cs.mit.edu", "c@evil-mit.edu"):
        Affiliation.objects.create(user=UserFactory(email=email), university=mit)
    counts = universities.users_per_university()
    assert [(c.name, c.users, c.verified_users) for c in counts] == [("MIT", 3, 2)]


# --- the course list's filter ---------------------------------------------------------------------


def test_courses_filtered_by_university(anon_client, mit, django_assert_max_num_queries):
    member = InstructorFactory(email="prof@mit.edu")
    pretender = InstructorFactory(email="prof@evil-mit.edu")
    outsider = InstructorFactory()
    Affiliation.objects.create(user=member, university=mit)
    Affiliation.objects.create(user=pretender, university=mit)
    mine = PublishedCourseFactory(instructor=member)
    PublishedCourseFactory(instructor=pretender)
    PublishedCourseFactory(instructor=outsider)

    with django_assert_max_num_queries(8):
        response = anon_client.get(COURSES, {"university": str(mit.pk)})

    assert response.status_code == 200
    assert [course["id"] for course in response.json()["results"]] == [str(mine.pk)]
    assert anon_client.get(COURSES, {"university": "bad"}).status_code == 400


def test_an_affiliation_change_refreshes_the_cached_filtered_list(
    anon_client, client_for, mit, django_capture_on_commit_callbacks
):
    member = InstructorFactory(email="prof@mit.edu")
    course = PublishedCourseFactory(instructor=member)
    before = anon_client.get(COURSES, {"university": str(mit.pk)}).json()["count"]

    with django_capture_on_commit_callbacks(execute=True):
        client_for(member).put(MINE, {"university_id": str(mit.pk)})

    after = anon_client.get(COURSES, {"university": str(mit.pk)}).json()
    assert before == 0
    assert [c["id"] for c in after["results"]] == [str(course.pk)]


def test_an_address_proven_by_a_password_reset_refreshes_the_cached_filtered_list(
    anon_client, mit, django_capture_on_commit_callbacks
):
    # given: an affiliated instructor whose address is not verified yet, the list cached
    member = InstructorFactory(email="prof@mit.edu", email_verified_at=None)
    Affiliation.objects.create(user=member, university=mit)
    course = PublishedCourseFactory(instructor=member)
    assert anon_client.get(COURSES, {"university": str(mit.pk)}).json()["count"] == 0

    # when: they reset their password through the link e-mailed to that address
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post("/api/v1/auth/password-reset/", {"email": member.email})
    (message,) = sent_to(member.email)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = anon_client.post(
            "/api/v1/auth/password-reset/confirm/",
            {"token": link_token(message), "new_password": "a-new-passphrase-2026"},
        )
    assert confirmed.status_code == 204, confirmed.content

    # then: the address is proven, so the affiliation is, and the list shows their course
    after = anon_client.get(COURSES, {"university": str(mit.pk)}).json()
    assert [c["id"] for c in after["results"]] == [str(course.pk)]
    assert after["count"] == 1


# --- onboarding ----------------------------------------------------------------------------------


@pytest.fixture
def questionnaire(db: None) -> dict[str, Any]:
    goal = OnboardingQuestion.objects.create(
        text="What do you want to learn?", type="single_choice", order=1
    )
    data = OnboardingChoice.objects.create(
        question=goal, text="Data", order=1, category_slugs=["data-science"]
    )
    web = OnboardingChoice.objects.create(question=goal, text="Web", order=2, tag_slugs=["react"])
    topics = OnboardingQuestion.objects.create(text="Topics?", type="multiple_choice", order=2)
    a = OnboardingChoice.objects.create(question=topics, text="A", order=1)
    b = OnboardingChoice.objects.create(question=topics, text="B", order=2)
    about = OnboardingQuestion.objects.create(text="About you", type="text", order=3)
    OnboardingQuestion.objects.create(text="Retired", type="text", order=4, is_active=False)
    return {
        "goal": goal,
        "data": data,
        "web": web,
        "topics": topics,
        "a": a,
        "b": b,
        "about": about,
    }


def test_get_onboarding_lists_active_questions_in_order(
    student_client, questionnaire, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = student_client.get(ONBOARDING)

    assert response.status_code == 200
    body = response.json()
    assert [q["text"] for q in body["questions"]] == [
        "What do you want to learn?",
        "Topics?",
        "About you",
    ]
    first = body["questions"][0]
    assert first["type"] == "single_choice"
    assert first["order"] == 1
    assert first["choices"] == [
        {"id": str(questionnaire["data"].pk), "text": "Data"},
        {"id": str(questionnaire["web"].pk), "text": "Web"},
    ]
    assert body["answers"] == []


def test_put_answers_and_read_them_back(student_client, student, questionnaire):
    q = questionnaire
    payload = {
        "answers": [
            {"question_id": str(q["goal"].pk), "choice_ids": [str(q["data"].pk)]},
            {"question_id": str(q["topics"].pk), "choice_ids": [str(q["a"].pk), str(q["b"].pk)]},
            {"question_id": str(q["about"].pk), "text": "I teach maths."},
        ]
    }

    response = student_client.put(ONBOARDING, payload, format="json")

    assert response.status_code == 200
    answers = {a["question_id"]: a for a in response.json()["answers"]}
    assert answers[str(q["goal"].pk)]["choice_ids"] == [str(q["data"].pk)]
    assert sorted(answers[str(q["topics"].pk)]["choice_ids"]) == sorted(
        [str(q["a"].pk), str(q["b"].pk)]
    )
    assert answers[str(q["about"].pk)]["text"] == "I teach maths."
    # a second PUT replaces the answers
    student_client.put(
        ONBOARDING,
        {"answers": [{"question_id": str(q["goal"].pk), "choice_ids": [str(q["web"].pk)]}]},
        format="json",
    )
    assert OnboardingAnswer.objects.filter(user=student).count() == 1


@pytest.mark.parametrize(
    "build",
    [
        lambda q: {
            "question_id": str(q["goal"].pk),
            "choice_ids": [str(q["data"].pk), str(q["web"].pk)],
        },
        lambda q: {"question_id": str(q["goal"].pk), "choice_ids": []},
        lambda q: {"question_id": str(q["goal"].pk), "choice_ids": [str(q["a"].pk)]},
        lambda q: {"question_id": str(q["goal"].pk), "text": "hello"},
        lambda q: {"question_id": str(q["about"].pk), "choice_ids": [str(q["a"].pk)]},
        lambda q: {"question_id": str(q["about"].pk), "text": "  "},
        lambda q: {"question_id": "00000000-0000-0000-0000-000000000000", "text": "x"},
    ],
    ids=[
        "two-for-single",
        "none-for-single",
        "choice-of-another-question",
        "text-for-choice",
        "choices-for-text",
        "blank-text",
        "unknown-question",
    ],
)
def test_bad_answers_400(student_client, questionnaire, build):
    response = student_client.put(ONBOARDING, {"answers": [build(questionnaire)]}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_answer"]


def test_an_inactive_question_cannot_be_answered(student_client, questionnaire):
    retired = OnboardingQuestion.objects.get(text="Retired")
    response = student_client.put(
        ONBOARDING, {"answers": [{"question_id": str(retired.pk), "text": "x"}]}, format="json"
    )
    assert error_codes(response) == ["invalid_answer"]


@pytest.mark.parametrize("payload", [{}, {"answers": "x"}, {"answers": [{"text": "x"}]}])
def test_onboarding_bad_shape_400(student_client, payload):
    response = student_client.put(ONBOARDING, payload, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_onboarding_anonymous_401(anon_client):
    assert anon_client.get(ONBOARDING).status_code == 401
    assert anon_client.put(ONBOARDING, {"answers": []}, format="json").status_code == 401


def test_answers_feed_recommendations_of_a_user_without_enrollments(student_client, questionnaire):
    q = questionnaire
    data_science = CategoryFactory(slug="data-science")
    react = TagFactory(slug="react")
    popular = PublishedCourseFactory(enrollment_count=500, price=Decimal("10.00"))
    in_category = PublishedCourseFactory(category=data_science, enrollment_count=1)
    tagged = PublishedCourseFactory(enrollment_count=2)
    tagged.tags.add(react)
    before = [c["id"] for c in student_client.get(RECOMMENDATIONS).json()["results"]]
    assert before[0] == str(popular.pk)

    student_client.put(
        ONBOARDING,
        {
            "answers": [
                {"question_id": str(q["goal"].pk), "choice_ids": [str(q["data"].pk)]},
            ]
        },
        format="json",
    )
    after = [c["id"] for c in student_client.get(RECOMMENDATIONS).json()["results"]]

    assert after[0] == str(in_category.pk)
    student_client.put(
        ONBOARDING,
        {"answers": [{"question_id": str(q["goal"].pk), "choice_ids": [str(q["web"].pk)]}]},
        format="json",
    )
    web = [c["id"] for c in student_client.get(RECOMMENDATIONS).json()["results"]]
    assert web[0] == str(tagged.pk)


def test_me_shows_the_university_without_extra_queries(
    client_for, mit, django_assert_max_num_queries
):
    user = UserFactory(email="ada@mit.edu")
    Affiliation.objects.create(user=user, university=mit)
    client = client_for(user)

    with django_assert_max_num_queries(3):  # the user row, the profiles' join, one save point
        response = client.get(ME)

    assert response.json()["university"]["name"] == "MIT"


def test_the_admin_saves_domains_normalised(admin_user, client, mit):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/accounts/university/{mit.pk}/change/",
        {"name": "MIT", "country": "US", "domains": '[" @MIT.edu ", "mit.edu", "CSAIL.mit.edu."]'},
    )
    assert response.status_code == 302, response.content[:500]
    mit.refresh_from_db()
    assert mit.domains == ["mit.edu", "csail.mit.edu"]
