"""Races only PostgreSQL can show (row locks), and the ranked discussion search."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from lms.accounts.models import InstructorProfile
from lms.accounts.tests.factories import UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.catalog.models import Course
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.community import selectors, services
from lms.community.models import (
    Discussion,
    DiscussionReply,
    Report,
    Review,
    ReviewVote,
)
from lms.community.testing import assert_community_consistent
from lms.core.errors import Conflict
from lms.core.testing import run_at_once
from lms.learning.tests.factories import EnrollmentFactory

from .factories import discussion, reply, review

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


@pytest.mark.django_db(transaction=True)
def test_two_reviews_by_one_student_at_once_one_201_one_409(course, enrolled):
    student = enrolled()
    clients = [client_of(student), client_of(student)]
    url = f"/api/v1/courses/{course.course.pk}/reviews/"

    outcomes = run_at_once(
        2, lambda index: clients[index].post(url, {"rating": 4 + index}, format="json")
    )

    statuses = sorted(response.status_code for kind, response in outcomes if kind == "ok")
    assert statuses == [201, 409], outcomes
    assert Review.objects.count() == 1
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.review_count, fresh.rating) == (1, float(Review.objects.get().rating))
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_course_rating_exact(course, enrolled):
    students = [enrolled() for _ in range(8)]
    ratings = [5, 4, 4, 3, 5, 1, 2, 5]

    outcomes = run_at_once(8, lambda index: review(course.course, students[index], ratings[index]))

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    fresh = Course.objects.get(pk=course.course.pk)
    expected = float((Decimal(sum(ratings)) / 8).quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert (fresh.review_count, fresh.rating) == (8, expected)
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_reviews_of_two_courses_of_one_instructor_at_once_keep_the_profile_exact(course):
    # given: a second course of the same instructor; students in each
    second = PublishedCourseFactory(instructor=course.instructor)
    courses = [course.course, second] * 3
    students = []
    for target in courses:
        student = UserFactory()
        EnrollmentFactory(student=student, course=target)
        students.append(student)
    ratings = [5, 1, 4, 2, 3, 3]

    # when: six reviews at once, each locking its course, then the instructor's profile
    outcomes = run_at_once(6, lambda index: review(courses[index], students[index], ratings[index]))

    # then: no deadlock, and the profile counts all six
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    profile = InstructorProfile.objects.get(user=course.instructor)
    assert profile.review_count == 6
    assert profile.rating == 3.0
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_hides_and_deletes_keep_the_rating_exact(course, enrolled, manager):
    students = [enrolled() for _ in range(6)]
    written = [review(course.course, student, rating=5) for student in students]

    def work(index):
        if index < 2:
            return services.edit_review(review_id=written[index].pk, by=students[index], rating=1)
        if index < 4:
            return services.delete_review(review_id=written[index].pk, by=students[index])
        return services.set_item_visibility(
            kind="review", item_id=written[index].pk, by=manager, visible=False
        )

    outcomes = run_at_once(6, work)

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.review_count, fresh.rating) == (2, 1.0)
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_helpful_votes_keep_the_count_exact(course, enrolled):
    written = review(course.course, enrolled())
    voters = [UserFactory() for _ in range(10)]

    outcomes = run_at_once(
        10, lambda index: services.vote_review_helpful(review_id=written.pk, by=voters[index])
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert Review.objects.get(pk=written.pk).helpful_count == 10
    assert ReviewVote.objects.count() == 10
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_one_user_voting_twice_at_once_counts_once(course, enrolled):
    written = review(course.course, enrolled())
    voter = UserFactory()

    outcomes = run_at_once(
        4, lambda _: services.vote_review_helpful(review_id=written.pk, by=voter)
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert Review.objects.get(pk=written.pk).helpful_count == 1
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_upvotes_and_replies_keep_their_counts(course, enrolled):
    author = enrolled()
    thread = discussion(course.course, author)
    answer = reply(thread, author)
    members = [enrolled() for _ in range(8)]

    def work(index):
        access = selectors.course_access(user=members[index], ref=course.course.pk)
        if index % 2:
            return services.upvote_reply(reply_id=answer.pk, access=access, by=members[index])
        return services.reply_to_discussion(
            discussion_id=thread.pk, access=access, author=members[index], body="me too"
        )

    outcomes = run_at_once(8, work)

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert DiscussionReply.objects.get(pk=answer.pk).upvote_count == 4
    assert Discussion.objects.get(pk=thread.pk).reply_count == 5
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_lock_and_replies_at_once_no_reply_after_the_lock(course, enrolled):
    author = enrolled()
    thread = discussion(course.course, author)
    members = [enrolled() for _ in range(5)]

    def work(index):
        if index == 0:
            access = selectors.course_access(user=course.instructor, ref=course.course.pk)
            return services.move_discussion_flag(
                discussion_id=thread.pk, access=access, by=course.instructor, move="lock"
            )
        access = selectors.course_access(user=members[index], ref=course.course.pk)
        return services.reply_to_discussion(
            discussion_id=thread.pk, access=access, author=members[index], body="quick"
        )

    outcomes = run_at_once(5, work)

    # every reply either committed before the lock or was refused with discussion_locked
    errors = [value for kind, value in outcomes if kind == "error"]
    assert all(isinstance(e, Conflict) and e.code == "discussion_locked" for e in errors), errors
    assert outcomes[0][0] == "ok"
    assert DiscussionReply.objects.count() == 4 - len(errors)
    assert Discussion.objects.get(pk=thread.pk).is_locked
    assert_community_consistent()


@pytest.mark.django_db(transaction=True)
def test_two_reports_of_one_item_by_one_user_at_once(course, enrolled):
    written = review(course.course, enrolled())
    reporter = UserFactory()

    def work(_):
        item, access = selectors.item_for_user(user=reporter, kind="review", item_id=written.pk)
        return services.report_item(
            kind="review", item=item, access=access, by=reporter, reason="spam"
        )

    outcomes = run_at_once(2, work)

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Conflict)
    assert error.code == "already_reported"
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_search_is_ranked_by_the_stored_vector(client_for, course, enrolled):
    student = enrolled()
    in_body = discussion(course.course, student, title="A question about setup")
    Discussion.objects.filter(pk=in_body.pk).update(body="the compiler crashes")
    services.refresh_discussion_search(discussion_id=in_body.pk)
    in_title = discussion(course.course, student, title="Compiler crashes on line 3")
    in_reply = discussion(course.course, student, title="Odd output")
    reply(in_reply, student, body="my compiler prints nothing")
    discussion(course.course, student, title="Nothing to see")

    response = client_for(student).get(
        f"/api/v1/courses/{course.course.pk}/discussions/", {"search": "compiler"}
    )

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [str(in_title.pk), str(in_body.pk), str(in_reply.pk)]


@pytest.mark.django_db
def test_search_uses_the_gin_index(course, enrolled):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'discussion_search_vector_gin'"
        )
        [definition] = cursor.fetchone()
    assert "gin (search_vector)" in definition
    student = enrolled()
    access = selectors.course_access(user=student, ref=course.course.pk)
    sql = str(selectors.discussions_of(access=access, search="setup").matches.query)
    assert "search_vector" in sql
    assert "to_tsvector" not in sql
