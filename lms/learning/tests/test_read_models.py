"""Learning's read models (lms/learning/read_models.py, `selectors.DashboardStats`) render
through their one serializer each, every field accounted for, as the document describes them
(lms.core.tests.read_models; commerce's and payouts' tests are the model). The completion's
fast rendering against DRF's is held byte for byte in test_api_enrollments.py
(`test_the_completion_answer_is_its_serializers_rendering`); the dashboard's here, and the
recommendations' rendering with its query count."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.core.tests.read_models import (
    assert_documented_as_rendered,
    assert_documented_throughout,
    assert_fast_rendering_is_the_serializers,
    assert_renders_exactly,
)
from lms.learning import read_models as rm
from lms.learning import selectors, services
from lms.learning.api import serializers as s
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db

# read model -> its one serializer (a field not rendered is named in `assert_renders_exactly`)
PAIRS = [
    (rm.EnrollmentSummary, s.EnrollmentSerializer),
    (rm.CourseRef, s.CourseSummarySerializer),
    (rm.PersonRef, s.PersonRefSerializer),
    (rm.LessonRef, s.LessonSummarySerializer),
    (rm.LessonPosition, s.LessonPositionSerializer),
    (rm.NextLesson, s.NextLessonSerializer),
    (rm.ContinueItem, s.ContinueLearningSerializer),
    (selectors.DashboardStats, s.DashboardStatsSerializer),
    (rm.RecommendedCourse, s.RecommendedCourseSerializer),
]


@pytest.mark.parametrize(("model", "serializer"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_every_field_of_the_read_model_is_rendered(model, serializer):
    assert_renders_exactly(model, serializer)


def test_the_enrollment_answers_are_the_documented_shape(document, student_client, free_course):
    # given: an enrollment with a lesson done (a last lesson, a course with its instructor)
    enrolled = student_client.post(f"/api/v1/courses/{free_course.course.slug}/enroll/")
    lesson = free_course.lessons[0]
    url = f"/api/v1/enrollments/{enrolled.json()['id']}"
    completed = student_client.post(f"{url}/mark-lesson-complete/", {"lesson_id": str(lesson.pk)})
    position = student_client.put(
        f"{url}/lessons/{lesson.pk}/progress/", {"position_seconds": 30}, format="json"
    )
    listed = student_client.get("/api/v1/enrollments/").json()["results"]

    # then: every answer has exactly the documented keys, nested ones too
    for body in (enrolled.json(), completed.json(), listed[0]):
        assert_documented_as_rendered(document, s.EnrollmentSerializer, body)
        assert_documented_as_rendered(document, s.CourseSummarySerializer, body["course"])
        instructor = body["course"]["instructor"]
        assert_documented_as_rendered(document, s.PersonRefSerializer, instructor)
    last_lesson = completed.json()["last_lesson"]
    assert_documented_as_rendered(document, s.LessonSummarySerializer, last_lesson)
    assert_documented_as_rendered(document, s.LessonPositionSerializer, position.json())
    assert completed.json()["course"]["id"] == str(free_course.course.pk)


def test_the_dashboard_renders_its_stats_as_the_serializer_does(
    document, student, student_client, free_course
):
    # given
    services.enroll(student=student, course=free_course.course, source="free")

    # when
    answered = student_client.get("/api/v1/dashboard/stats/").json()

    # then: the fast rendering is DRF's, byte for byte, and the documented shape
    stats = selectors.dashboard_stats(user=student)
    assert_fast_rendering_is_the_serializers(s.DashboardStatsSerializer, stats)
    assert answered == s.DashboardStatsSerializer(stats).data
    assert_documented_as_rendered(document, s.DashboardStatsSerializer, answered)
    assert answered["enrolled_count"] == 1


def test_continue_learning_is_its_read_models_rendering(document, student, student_client):
    # given: two active enrollments, one with its next lesson half watched
    started, fresh = make_course(lessons=3), make_course(lessons=2)
    enrollment = services.enroll(student=student, course=started.course, source="free")
    services.enroll(student=student, course=fresh.course, source="free")
    url = f"/api/v1/enrollments/{enrollment.pk}"
    student_client.post(f"{url}/mark-lesson-complete/", {"lesson_id": str(started.lessons[0].pk)})
    student_client.put(
        f"{url}/lessons/{started.lessons[1].pk}/progress/", {"position_seconds": 42}, format="json"
    )

    # when
    answered = student_client.get("/api/v1/dashboard/continue-learning/").json()["results"]

    # then: the serializer's rendering of the read models, documented throughout
    page = list(selectors.continue_learning(user=student))
    lessons = selectors.next_lessons(enrollments=page)
    positions = selectors.resume_positions(enrollments=page)
    items = [rm.ContinueItem.of(enrollment, lessons, positions) for enrollment in page]
    assert answered == s.ContinueLearningSerializer(items, many=True).data
    for body in answered:
        assert_documented_throughout(document, s.ContinueLearningSerializer, body)
    resumed = next(item for item in answered if item["course"]["id"] == str(started.course.pk))
    assert resumed["next_lesson"]["id"] == str(started.lessons[1].pk)
    assert resumed["next_lesson"]["position_seconds"] == 42


RECOMMENDATIONS = "/api/v1/dashboard/recommendations/"


def test_recommendations_are_their_read_models_rendering(
    document, student, student_client, client_for, django_assert_num_queries
):
    # given: a studied course, a course sharing its category (a thumbnail, a named instructor),
    # one with neither (no thumbnail), and a newcomer who has studied nothing (a cold start)
    studied = make_course().course
    services.enroll(student=student, course=studied, source="free")
    teacher = InstructorFactory(first_name="Ada", last_name="Lovelace")
    related = PublishedCourseFactory(
        category=studied.category,
        instructor=teacher,
        thumbnail="thumbnails/related.webp",
        price=Decimal("20.00"),
        rating=4.5,
        review_count=2,
        enrollment_count=7,
        lesson_count=3,
    )
    plain = PublishedCourseFactory(price=Decimal("1500"), currency="JPY")
    newcomer = UserFactory()

    # when
    answered = student_client.get(RECOMMENDATIONS).json()["results"]
    cold = client_for(newcomer).get(RECOMMENDATIONS).json()["results"]

    # then: the one serializer's rendering of the selector's read models, documented throughout
    request = student_client.get(RECOMMENDATIONS).wsgi_request
    courses = selectors.recommendations(user=student, limit=selectors.RECOMMENDATION_LIMIT)
    rendered = s.RecommendedCourseSerializer(courses, many=True, context={"request": request})
    assert answered == rendered.data
    newcomer_courses = selectors.recommendations(user=newcomer, limit=50)
    assert (
        cold
        == s.RecommendedCourseSerializer(
            newcomer_courses, many=True, context={"request": request}
        ).data
    )
    for body in answered + cold:
        assert_documented_throughout(document, s.RecommendedCourseSerializer, body)
    thumbnail = document["components"]["schemas"]["RecommendedCourse"]["properties"]["thumbnail"]
    assert thumbnail["format"] == "uri"  # the absolute URL the course lists document
    # the answer's exact JSON, as API.md's clients read it (unchanged by the read model)
    assert answered == [
        {
            "id": str(related.pk),
            "slug": related.slug,
            "title": related.title,
            "subtitle": related.subtitle,
            "thumbnail": "http://testserver/media/thumbnails/related.webp",
            "level": related.level,
            "language": "en",
            "price": "20.00",
            "currency": "USD",
            "is_free": False,
            "rating": 4.5,
            "review_count": 2,
            "enrollment_count": 7,
            "lesson_count": 3,
            "instructor": {"id": str(teacher.pk), "name": "Ada Lovelace"},
            "score": 3,
        },
        {
            "id": str(plain.pk),
            "slug": plain.slug,
            "title": plain.title,
            "subtitle": plain.subtitle,
            "thumbnail": None,
            "level": plain.level,
            "language": "en",
            "price": "1500",
            "currency": "JPY",
            "is_free": False,
            "rating": 0.0,
            "review_count": 0,
            "enrollment_count": 0,
            "lesson_count": 0,
            "instructor": {"id": str(plain.instructor_id), "name": plain.instructor.full_name},
            "score": 0,
        },
    ]
    assert {course["score"] for course in cold} == {0}  # popularity only: no score of its own
    assert len(cold) == 3

    # and the page costs what it did before the read model (the user is cached): the studied
    # courses, their categories, the ranked page
    with django_assert_num_queries(3):
        assert student_client.get(RECOMMENDATIONS).status_code == 200
