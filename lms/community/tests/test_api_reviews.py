"""Reviews: write, list, edit, delete, helpful votes, the instructor's reply; the course's
rating and review count; bad input and access."""

from __future__ import annotations

import pytest
from django.core import mail

from lms.accounts.tests.factories import UserFactory
from lms.audit.models import AuditLog
from lms.catalog import cache as catalog_cache
from lms.catalog.models import Course
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.community.models import Review
from lms.conftest import error_codes
from lms.learning.models import EnrollmentStatus
from lms.learning.tests.factories import EnrollmentFactory
from lms.notifications.models import Category, EmailPreference, Notification

from .factories import review

pytestmark = pytest.mark.django_db


def reviews_url(course):
    return f"/api/v1/courses/{course.pk}/reviews/"


def test_an_enrolled_student_reviews_and_the_course_figures_follow(client_for, course, enrolled):
    # given
    student = enrolled()

    # when
    response = client_for(student).post(
        reviews_url(course.course), {"rating": 4, "comment": "Clear and useful."}, format="json"
    )

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rating"] == 4
    assert body["comment"] == "Clear and useful."
    assert body["author"]["id"] == str(student.pk)
    assert body["author"]["name"] == student.full_name
    assert body["helpful_count"] == 0
    assert body["reply"] is None
    assert body["visibility"] == "visible"
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.rating, fresh.review_count) == (4.0, 1)
    # the instructor hears of it
    note = Notification.objects.get(user=course.instructor)
    assert note.category == Category.COMMUNITY
    assert note.data["review_id"] == body["id"]


def test_the_rating_is_the_mean_of_the_reviews_two_decimals(course, enrolled):
    for rating in (5, 4, 4):
        review(course.course, enrolled(), rating=rating)

    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.rating, fresh.review_count) == (4.33, 3)


def test_a_review_by_slug_works_too(client_for, course, enrolled):
    student = enrolled()
    response = client_for(student).post(
        f"/api/v1/courses/{course.course.slug}/reviews/", {"rating": 5}, format="json"
    )
    assert response.status_code == 201


def test_a_second_review_by_the_same_student_is_409(client_for, course, enrolled):
    student = enrolled()
    client = client_for(student)
    assert client.post(reviews_url(course.course), {"rating": 5}, format="json").status_code == 201

    response = client.post(reviews_url(course.course), {"rating": 1}, format="json")

    assert response.status_code == 409
    assert error_codes(response) == ["already_reviewed"]
    assert Review.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6, 4.5, "five", "4.5", True, None, -1, "", [5]])
def test_a_rating_outside_1_to_5_or_not_whole_is_400(client_for, course, enrolled, rating):
    student = enrolled()

    response = client_for(student).post(
        reviews_url(course.course), {"rating": rating, "comment": "x"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == "rating"
    assert Review.objects.count() == 0


def test_a_rating_as_digits_is_refused_in_json_and_taken_in_a_query(client_for, course, enrolled):
    # the document says integer: a JSON string is not one; a query string has only digits
    client = client_for(enrolled())
    response = client.post(reviews_url(course.course), {"rating": "3"}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == ["invalid"]
    assert client.get(reviews_url(course.course), {"rating": "3"}).status_code == 200


def test_a_comment_over_10000_characters_is_400(client_for, course, enrolled):
    response = client_for(enrolled()).post(
        reviews_url(course.course), {"rating": 5, "comment": "a" * 10_001}, format="json"
    )
    assert response.status_code == 400
    assert error_codes(response) == ["max_length"]


def test_html_in_a_comment_is_stored_and_returned_as_text(client_for, course, enrolled):
    text = '<script>alert("x")</script><b>bold</b>'
    response = client_for(enrolled()).post(
        reviews_url(course.course), {"rating": 5, "comment": text}, format="json"
    )
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert Review.objects.get().comment == text
    listed = client_for(UserFactory()).get(reviews_url(course.course))
    assert listed.json()["results"][0]["comment"] == text


def test_a_student_not_enrolled_gets_403(client_for, course):
    client = client_for(UserFactory())
    response = client.post(reviews_url(course.course), {"rating": 5}, format="json")
    assert response.status_code == 403
    assert error_codes(response) == ["not_enrolled"]


def test_a_revoked_enrollment_cannot_review(client_for, course):
    student = UserFactory()
    EnrollmentFactory(student=student, course=course.course, status=EnrollmentStatus.REVOKED)
    response = client_for(student).post(reviews_url(course.course), {"rating": 5}, format="json")
    assert response.status_code == 403


def test_the_instructor_cannot_review_their_own_course(client_for, course, enrolled):
    enrolled(course.instructor)
    response = client_for(course.instructor).post(
        reviews_url(course.course), {"rating": 5}, format="json"
    )
    assert response.status_code == 403
    assert error_codes(response) == ["own_course"]


def test_anonymous_cannot_review_but_can_read(anon_client, course, enrolled):
    review(course.course, enrolled())
    response = anon_client.post(reviews_url(course.course), {"rating": 5}, format="json")
    assert response.status_code == 401
    listed = anon_client.get(reviews_url(course.course))
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["voted"] is False


def test_reviews_of_a_draft_course_are_404(anon_client, client_for, instructor):
    draft = PublishedCourseFactory(instructor=instructor, status="draft")
    assert anon_client.get(reviews_url(draft)).status_code == 404
    response = client_for(UserFactory()).post(reviews_url(draft), {"rating": 5}, format="json")
    assert response.status_code == 404
    assert anon_client.get("/api/v1/courses/no-such-course/reviews/").status_code == 404


def test_orderings(anon_client, client_for, course, enrolled):
    low = review(course.course, enrolled(), rating=1)
    high = review(course.course, enrolled(), rating=5)
    helpful = review(course.course, enrolled(), rating=3)
    client_for(UserFactory()).post(f"/api/v1/reviews/{helpful.pk}/helpful/")

    def ids(ordering):
        response = anon_client.get(reviews_url(course.course), {"ordering": ordering})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("newest") == [str(helpful.pk), str(high.pk), str(low.pk)]
    assert ids("helpful")[0] == str(helpful.pk)
    assert ids("rating_high") == [str(high.pk), str(helpful.pk), str(low.pk)]
    assert ids("rating_low") == [str(low.pk), str(helpful.pk), str(high.pk)]
    assert ids("-rating") == ids("rating_high")
    response = anon_client.get(reviews_url(course.course), {"ordering": "cheapest"})
    assert response.status_code == 400
    response = anon_client.get(reviews_url(course.course), {"rating": 5})
    assert [row["id"] for row in response.json()["results"]] == [str(high.pk)]
    assert anon_client.get(reviews_url(course.course), {"rating": 9}).status_code == 400


@pytest.mark.parametrize("page_size", [1, 5, 40])
def test_the_list_runs_a_fixed_number_of_queries(
    client_for, course, enrolled, django_assert_max_num_queries, page_size
):
    # given: reviews with replies and votes
    for index in range(page_size):
        written = review(course.course, enrolled(), rating=1 + index % 5)
        client_for(course.instructor).post(
            f"/api/v1/reviews/{written.pk}/reply/", {"body": "Thanks"}, format="json"
        )
    reader = enrolled()
    client = client_for(reader)
    for written in Review.objects.all()[:3]:
        client.post(f"/api/v1/reviews/{written.pk}/helpful/")

    # when / then: the course, its co-instructors, the enrollment, count, page (+ the user)
    with django_assert_max_num_queries(6):
        response = client.get(reviews_url(course.course), {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert sum(row["voted"] for row in response.json()["results"]) == min(3, page_size)


def test_the_author_edits_and_deletes_and_the_figures_follow(client_for, course, enrolled):
    student = enrolled()
    written = review(course.course, student, rating=5)
    review(course.course, enrolled(), rating=3)
    client = client_for(student)

    response = client.patch(f"/api/v1/reviews/{written.pk}/", {"rating": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["rating"] == 1
    assert Course.objects.get(pk=course.course.pk).rating == 2.0

    assert client.delete(f"/api/v1/reviews/{written.pk}/").status_code == 204
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.rating, fresh.review_count) == (3.0, 1)


def test_someone_else_cannot_edit_or_delete_a_review(client_for, course, enrolled):
    written = review(course.course, enrolled())
    other = client_for(enrolled())
    response = other.patch(f"/api/v1/reviews/{written.pk}/", {"rating": 1}, format="json")
    assert response.status_code == 404
    assert other.delete(f"/api/v1/reviews/{written.pk}/").status_code == 404
    assert client_for(course.instructor).delete(f"/api/v1/reviews/{written.pk}/").status_code == 404
    assert Review.objects.get().rating == 5


def test_edit_refuses_bad_ratings(client_for, course, enrolled):
    student = enrolled()
    written = review(course.course, student)
    for bad in (0, 6, 4.5, "five"):
        response = client_for(student).patch(
            f"/api/v1/reviews/{written.pk}/", {"rating": bad}, format="json"
        )
        assert response.status_code == 400


def test_a_rating_change_makes_the_cached_catalog_old(
    client_for, course, enrolled, django_capture_on_commit_callbacks
):
    student = enrolled()
    before = catalog_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(student).post(reviews_url(course.course), {"rating": 5}, format="json")
    assert catalog_cache.version() > before


def test_helpful_vote_and_unvote(client_for, course, enrolled):
    written = review(course.course, enrolled())
    voter = client_for(UserFactory())
    url = f"/api/v1/reviews/{written.pk}/helpful/"

    first = voter.post(url)
    again = voter.post(url)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"id": str(written.pk), "helpful_count": 1, "voted": True}
    assert client_for(UserFactory()).post(url).json()["helpful_count"] == 2

    response = voter.delete(url)
    assert response.json() == {"id": str(written.pk), "helpful_count": 1, "voted": False}


def test_a_vote_on_your_own_review_is_400(client_for, course, enrolled):
    student = enrolled()
    written = review(course.course, student)
    response = client_for(student).post(f"/api/v1/reviews/{written.pk}/helpful/")
    assert response.status_code == 400
    assert error_codes(response) == ["own_review"]


def test_votes_need_a_signed_in_user_and_a_real_review(anon_client, client_for, course, enrolled):
    written = review(course.course, enrolled())
    assert anon_client.post(f"/api/v1/reviews/{written.pk}/helpful/").status_code == 401
    missing = "00000000-0000-0000-0000-000000000000"
    assert client_for(UserFactory()).post(f"/api/v1/reviews/{missing}/helpful/").status_code == 404


def test_the_instructor_replies_once_and_the_student_hears_of_it(client_for, course, enrolled):
    student = enrolled()
    written = review(course.course, student)
    client = client_for(course.instructor)
    url = f"/api/v1/reviews/{written.pk}/reply/"

    response = client.post(url, {"body": "Thank you!"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reply"]["body"] == "Thank you!"
    assert response.json()["reply"]["author"]["id"] == str(course.instructor.pk)
    assert Notification.objects.filter(user=student, data__kind="review_reply").count() == 1

    again = client.post(url, {"body": "Again"}, format="json")
    assert again.status_code == 409
    assert error_codes(again) == ["already_replied"]


def test_only_the_course_instructor_replies(client_for, course, enrolled, instructor):
    written = review(course.course, enrolled())
    url = f"/api/v1/reviews/{written.pk}/reply/"
    for user in (UserFactory(), enrolled()):
        response = client_for(user).post(url, {"body": "Me too"}, format="json")
        assert response.status_code == 403
    from lms.accounts.tests.factories import InstructorFactory

    response = client_for(InstructorFactory()).post(url, {"body": "Me too"}, format="json")
    assert response.status_code == 403
    assert error_codes(response) == ["not_course_instructor"]


def test_a_co_instructor_may_reply(client_for, course, enrolled):
    from lms.accounts.tests.factories import InstructorFactory

    co = InstructorFactory()
    course.course.co_instructors.add(co)
    written = review(course.course, enrolled())
    response = client_for(co).post(
        f"/api/v1/reviews/{written.pk}/reply/", {"body": "Thanks"}, format="json"
    )
    assert response.status_code == 201


def test_the_review_notification_honours_the_email_preference(
    client_for, course, enrolled, django_capture_on_commit_callbacks
):
    EmailPreference.objects.create(
        user=course.instructor, category=Category.COMMUNITY, enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(enrolled()).post(reviews_url(course.course), {"rating": 5}, format="json")
    assert Notification.objects.filter(user=course.instructor).count() == 1
    assert [message for message in mail.outbox if course.instructor.email in message.to] == []


def test_no_audit_line_for_plain_reviews(client_for, course, enrolled):
    client_for(enrolled()).post(reviews_url(course.course), {"rating": 5}, format="json")
    assert not AuditLog.objects.filter(action__startswith="community.").exists()


def test_the_cached_course_detail_shows_the_new_rating_after_a_review(
    anon_client, client_for, course, enrolled, django_capture_on_commit_callbacks
):
    # given: the anonymous course detail and list are cached
    detail = f"/api/v1/courses/{course.course.slug}/"
    assert anon_client.get(detail).json()["review_count"] == 0
    anon_client.get("/api/v1/courses/")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        client_for(enrolled()).post(reviews_url(course.course), {"rating": 4}, format="json")

    # then: the next anonymous reads are built again
    body = anon_client.get(detail).json()
    assert (body["rating"], body["review_count"]) == (4.0, 1)
    listed = anon_client.get("/api/v1/courses/").json()["results"]
    assert [(row["rating"], row["review_count"]) for row in listed] == [(4.0, 1)]
