from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog import access
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import LessonFactory
from lms.conftest import error_codes
from lms.core.renderers import dumps
from lms.core.rendering import compiled_plan, render
from lms.learning import services
from lms.learning.api import serializers as s
from lms.learning.models import Enrollment, EnrollmentStatus, LessonProgress
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def enroll_url(ref) -> str:
    return f"/api/v1/courses/{ref}/enroll/"


def complete_url(enrollment) -> str:
    return f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/"


def position_url(enrollment, lesson) -> str:
    return f"/api/v1/enrollments/{enrollment.pk}/lessons/{lesson.pk}/progress/"


# --- POST /courses/{course}/enroll/


def test_enroll_in_free_course(student, student_client, free_course):
    # when
    response = student_client.post(enroll_url(free_course.course.slug))
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["course"]["id"] == str(free_course.course.pk)
    assert body["status"] == "active"
    assert body["source"] == "free"
    assert body["progress_percent"] == 0
    assert body["lessons_total"] == 4
    free_course.course.refresh_from_db()
    assert free_course.course.enrollment_count == 1
    assert access.is_enrolled(student, free_course.course.pk)


def test_enroll_by_id_twice_is_a_conflict(student_client, free_course):
    assert student_client.post(enroll_url(free_course.course.pk)).status_code == 201
    response = student_client.post(enroll_url(free_course.course.pk))
    assert response.status_code == 409
    assert error_codes(response) == ["already_enrolled"]
    free_course.course.refresh_from_db()
    assert free_course.course.enrollment_count == 1


def test_enroll_needs_a_login(anon_client, free_course):
    assert anon_client.post(enroll_url(free_course.course.pk)).status_code == 401


def test_paid_course_needs_payment(student_client):
    paid = make_course(price=Decimal("19.00"), is_free=False)
    response = student_client.post(enroll_url(paid.course.pk))
    assert response.status_code == 402
    assert error_codes(response) == ["payment_required"]
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("status", [EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED])
def test_owned_paid_course_is_already_enrolled_not_payment_required(
    student, student_client, status
):
    # given: a paid course the student bought (or finished)
    paid = make_course(price=Decimal("19.00"), is_free=False)
    services.enroll(student=student, course=paid.course, source="purchase")
    Enrollment.objects.filter(student=student).update(status=status)
    # when
    response = student_client.post(enroll_url(paid.course.slug))
    # then
    assert response.status_code == 409
    assert error_codes(response) == ["already_enrolled"]


def test_revoked_paid_course_needs_payment_again(student, student_client):
    paid = make_course(price=Decimal("19.00"), is_free=False)
    enrollment = services.enroll(student=student, course=paid.course, source="purchase")
    services.revoke_enrollment(enrollment=enrollment, reason="refund")
    response = student_client.post(enroll_url(paid.course.pk))
    assert response.status_code == 402
    assert error_codes(response) == ["payment_required"]


@pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.PENDING, "unpublished"])
def test_unpublished_course_is_not_found(student_client, status):
    hidden = make_course(status=status)
    assert student_client.post(enroll_url(hidden.course.pk)).status_code == 404
    assert student_client.post(enroll_url("no-such-course")).status_code == 404


def test_own_course_is_refused(client_for):
    made = make_course()
    co_instructor = InstructorFactory()
    made.course.co_instructors.add(co_instructor)
    for teacher in (made.course.instructor, co_instructor):
        response = client_for(teacher).post(enroll_url(made.course.pk))
        assert response.status_code == 400
        assert error_codes(response) == ["own_course"]


def test_prerequisites_must_be_completed_first(student, student_client):
    basics = make_course(lessons=1, title="Python basics")
    advanced = make_course()
    advanced.course.prerequisites.add(basics.course)

    response = student_client.post(enroll_url(advanced.course.pk))

    assert response.status_code == 409
    assert error_codes(response) == ["prerequisites_not_met"]
    assert "Python basics" in response.json()["errors"][0]["detail"]

    # given the prerequisite completed
    enrollment = services.enroll(student=student, course=basics.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=basics.lessons[0])
    assert student_client.post(enroll_url(advanced.course.pk)).status_code == 201


# --- GET /enrollments/ and /enrollments/{id}/


def _enroll_in_new_courses(student, count: int) -> None:
    for _ in range(count):
        made = make_course(lessons=2, sections=1)
        enrollment = services.enroll(student=student, course=made.course, source="free")
        services.complete_lesson(enrollment=enrollment, lesson=made.lessons[0])


def test_enrollment_list_is_own_and_in_constant_queries(student, student_client):
    _enroll_in_new_courses(student, 2)
    services.enroll(student=UserFactory(), course=make_course().course, source="free")
    student_client.get("/api/v1/enrollments/")  # the user row is cached from here on

    with CaptureQueriesContext(connection) as few:
        response = student_client.get("/api/v1/enrollments/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {item["progress_percent"] for item in body["results"]} == {50}
    assert all(item["last_lesson"] is not None for item in body["results"])

    _enroll_in_new_courses(student, 8)
    with CaptureQueriesContext(connection) as many:
        response = student_client.get("/api/v1/enrollments/")
    assert response.json()["count"] == 10
    assert len(many) == len(few)
    assert len(many) <= 3  # count, page (+ nothing per row); the user row is cached


def test_enrollment_list_needs_a_login(anon_client):
    assert anon_client.get("/api/v1/enrollments/").status_code == 401


def test_enrollment_detail_shows_lesson_progress(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=free_course.lessons[1])

    response = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["progress_percent"] == 25
    assert body["last_lesson"]["id"] == str(free_course.lessons[1].pk)
    # every current lesson in curriculum order, the completed one with its date
    assert [row["lesson_id"] for row in body["lessons"]] == [
        str(lesson.pk) for lesson in free_course.lessons
    ]
    done = [row["lesson_id"] for row in body["lessons"] if row["completed_at"] is not None]
    assert done == [str(free_course.lessons[1].pk)]
    assert {row["completed_by"] for row in body["lessons"]} == {"student"}


def test_another_students_enrollment_is_not_found(other_student, client_for, free_course):
    theirs = services.enroll(student=other_student, course=free_course.course, source="free")
    intruder = client_for(UserFactory())
    assert intruder.get(f"/api/v1/enrollments/{theirs.pk}/").status_code == 404
    response = intruder.post(complete_url(theirs), {"lesson_id": str(free_course.lessons[0].pk)})
    assert response.status_code == 404
    response = intruder.put(position_url(theirs, free_course.lessons[0]), {"position_seconds": 5})
    assert response.status_code == 404
    assert not LessonProgress.objects.exists()


# --- POST /enrollments/{id}/mark-lesson-complete/


def test_mark_lesson_complete_is_idempotent(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    lesson = free_course.lessons[0]

    first = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    second = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})

    assert first.status_code == second.status_code == 200
    assert first.json()["progress_percent"] == second.json()["progress_percent"] == 25
    assert first.json()["last_lesson"]["id"] == str(lesson.pk)
    assert LessonProgress.objects.filter(enrollment=enrollment).count() == 1
    assert access.completed_lesson_ids(student, free_course.course.pk) == {lesson.pk}


def test_completing_the_last_lesson_completes_the_course(
    student, student_client, free_course, django_capture_on_commit_callbacks
):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in free_course.lessons:
            response = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    body = response.json()
    assert body["progress_percent"] == 100
    assert body["status"] == "completed"
    assert body["completed_at"] is not None
    # the task had not run when the answer was made (callbacks captured till the block's end):
    # the answer says the certificate is coming, and a read afterwards names it
    assert body["certificate_id"] is None
    assert body["certificate_status"] == "issuing"
    detail = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    assert detail["certificate_id"] is not None
    assert detail["certificate_status"] == "issued"


@pytest.mark.django_db(transaction=True)
def test_the_progress_report_that_completes_the_course_names_its_certificate(client_for):
    """The resume point saved with `completed: true` on the last lesson answers as the
    completion does: the enrollment's status and its certificate (issue 11 §2)."""
    student = UserFactory()
    course = make_course(lessons=2)
    enrollment = services.enroll(student=student, course=course.course, source="free")
    client = client_for(student)
    for lesson in course.lessons:
        response = client.put(
            position_url(enrollment, lesson), {"position_seconds": 5, "completed": True}
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["progress_percent"], body["enrollment_status"]) == (100, "completed")
    assert body["certificate_status"] == "issued"
    assert client.get(f"/api/v1/certificates/{body['certificate_id']}/").status_code == 200


def test_an_unfinished_enrollment_has_no_certificate_status(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    lesson = free_course.lessons[0]
    body = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)}).json()
    assert (body["certificate_id"], body["certificate_status"]) == (None, None)
    listed = student_client.get("/api/v1/enrollments/").json()["results"][0]
    assert listed["certificate_status"] is None


@pytest.mark.django_db(transaction=True)
def test_the_answer_that_completes_the_course_names_its_certificate(client_for):
    """Committed for real: the certificate task runs at commit (in-process tasks), so the
    completing answer itself carries the certificate's id, and the id opens it."""
    student = UserFactory()
    course = make_course(lessons=2)
    enrollment = services.enroll(student=student, course=course.course, source="free")
    client = client_for(student)
    for lesson in course.lessons:
        response = client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    body = response.json()
    assert body["status"] == "completed"
    assert body["certificate_status"] == "issued"
    assert body["certificate_id"] is not None
    certificate = client.get(f"/api/v1/certificates/{body['certificate_id']}/")
    assert certificate.status_code == 200


def test_a_lesson_added_later_lowers_progress(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    for lesson in free_course.lessons[:2]:
        services.complete_lesson(enrollment=enrollment, lesson=lesson)
    LessonFactory(section=free_course.lessons[0].section)

    body = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()

    assert body["progress_percent"] == 40
    assert body["lessons_total"] == 5


def test_mark_lesson_of_another_course_is_bad_input(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    other = make_course(lessons=1)
    response = student_client.post(
        complete_url(enrollment), {"lesson_id": str(other.lessons[0].pk)}
    )
    assert response.status_code == 400
    assert error_codes(response) == ["lesson_not_in_course"]
    missing = student_client.post(complete_url(enrollment), {})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["attr"] == "lesson_id"
    unknown = student_client.post(
        complete_url(enrollment), {"lesson_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.status_code == 404


def test_revoked_enrollment_loses_access_at_once(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=free_course.lessons[0])
    assert access.is_enrolled(student, free_course.course.pk)

    services.revoke_enrollment(enrollment=enrollment, reason="refund")

    assert not access.is_enrolled(student, free_course.course.pk)
    assert access.completed_lesson_ids(student, free_course.course.pk) == set()
    response = student_client.post(
        complete_url(enrollment), {"lesson_id": str(free_course.lessons[1].pk)}
    )
    assert response.status_code == 403
    assert error_codes(response) == ["enrollment_revoked"]
    response = student_client.put(
        position_url(enrollment, free_course.lessons[1]), {"position_seconds": 30}
    )
    assert response.status_code == 403
    listed = student_client.get("/api/v1/enrollments/").json()["results"]
    assert [item["status"] for item in listed] == [EnrollmentStatus.REVOKED]


def test_mark_lesson_complete_needs_a_login(anon_client, student, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    response = anon_client.post(
        complete_url(enrollment), {"lesson_id": str(free_course.lessons[0].pk)}
    )
    assert response.status_code == 401


# --- PUT /enrollments/{id}/lessons/{lesson_id}/progress/


def test_video_position_is_saved_and_capped(student, free_course, time_machine):
    # a frozen clock in the past: authenticate without a (time-stamped) token
    student_client = APIClient()
    student_client.force_authenticate(student)
    time_machine.move_to("2025-03-01T10:00:00Z", tick=False)
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    video = free_course.lessons[0]

    time_machine.move_to("2025-03-01T10:02:00Z", tick=False)
    response = student_client.put(position_url(enrollment, video), {"position_seconds": 120})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "lesson_id": str(video.pk),
        "position_seconds": 120,
        "completed": False,
        "completed_at": None,
        "progress_percent": 0.0,
        "enrollment_status": "active",
        "certificate_id": None,
        "certificate_status": None,
    }
    # seeking far past the end is kept at the lesson's end
    time_machine.move_to("2025-03-01T10:03:00Z", tick=False)
    response = student_client.put(position_url(enrollment, video), {"position_seconds": 9999})
    assert response.json()["position_seconds"] == 600
    enrollment.refresh_from_db()
    assert enrollment.last_lesson_id == video.pk
    # 120 s watched, then only 60 s of wall-clock time for the jump
    stats = student_client.get("/api/v1/dashboard/stats/").json()
    assert stats["learning_minutes_7d"] == 3


def test_video_position_with_completed_completes_the_lesson(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    video = free_course.lessons[0]
    response = student_client.put(
        position_url(enrollment, video), {"position_seconds": 600, "completed": True}
    )
    assert response.status_code == 200
    assert response.json()["completed"] is True
    assert response.json()["progress_percent"] == 25


def test_video_position_bad_input(student, student_client, free_course):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    video = free_course.lessons[0]
    response = student_client.put(position_url(enrollment, video), {"position_seconds": -5})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "position_seconds"
    other = make_course(lessons=1)
    response = student_client.put(
        position_url(enrollment, other.lessons[0]), {"position_seconds": 5}
    )
    assert response.status_code == 400
    assert error_codes(response) == ["lesson_not_in_course"]


def test_repeated_completion_answers_as_the_full_path(
    student, student_client, free_course, django_capture_on_commit_callbacks
):
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    lesson = free_course.lessons[0]
    first = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    # the first completion answers what the enrollment's detail shows (its serializer)
    shown = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    shown.pop("lessons")
    assert first.json() == shown
    with CaptureQueriesContext(connection) as repeat_queries:
        second = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    assert second.json() == first.json()
    assert not any(
        query["sql"].startswith(("UPDATE", "INSERT", "SAVEPOINT"))
        for query in repeat_queries.captured_queries
    )

    with django_capture_on_commit_callbacks(execute=True):
        for each in free_course.lessons:
            last = student_client.post(complete_url(enrollment), {"lesson_id": str(each.pk)})
    again = student_client.post(
        complete_url(enrollment), {"lesson_id": str(free_course.lessons[-1].pk)}
    )
    detail = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    detail.pop("lessons")
    assert again.json() == detail
    assert again.json()["certificate_id"] is not None
    assert last.json()["progress_percent"] == again.json()["progress_percent"] == 100


def test_completion_query_counts(
    student, student_client, free_course, django_assert_max_num_queries
):
    # given
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    first, second = free_course.lessons[:2]
    student_client.post(complete_url(enrollment), {"lesson_id": str(first.pk)})
    # a first completion: the user (unless cached), the snapshot, the lesson's few fields,
    # then in one transaction (2 savepoint statements here) the enrollment locked, its
    # progress row read and inserted, an activity line, the lesson counts and the enrollment
    # saved; nothing read back
    with django_assert_max_num_queries(10):
        response = student_client.post(complete_url(enrollment), {"lesson_id": str(second.pk)})
    assert response.json()["progress_percent"] == 50
    # a player resending it: the user and the snapshot, no lock, no write
    with django_assert_max_num_queries(2):
        again = student_client.post(complete_url(enrollment), {"lesson_id": str(second.pk)})
    assert again.json() == response.json()


def test_the_completion_answer_is_its_serializers_rendering(student, free_course, rf):
    # given: a course with a thumbnail (a link built from the request) and a fresh enrollment
    Course.objects.filter(pk=free_course.course.pk).update(thumbnail="thumbnails/course.png")
    enrollment = services.enroll(student=student, course=free_course.course, source="free")
    request = rf.post("/")
    # when: every first completion up to the course's end, then a resent one (the snapshot)
    summaries = [
        services.mark_lesson_complete(
            user=student, enrollment_id=enrollment.pk, lesson_id=lesson.pk
        )
        for lesson in [*free_course.lessons, free_course.lessons[-1]]
    ]
    # then: the view's fast rendering is DRF's rendering of the same serializer, byte for byte
    assert compiled_plan(s.EnrollmentSerializer) is not None
    for summary in summaries:
        context = {"request": request}
        fast = dumps(render(s.EnrollmentSerializer, summary, context=context))
        assert fast == dumps(s.EnrollmentSerializer(summary, context=context).data)
    last = json.loads(dumps(render(s.EnrollmentSerializer, summaries[-1], context=context)))
    assert last["course"]["thumbnail"] == "http://testserver/media/thumbnails/course.png"
    assert last["status"] == "completed"
    assert last["progress_percent"] == 100
    assert last["certificate_status"] == "issuing"


def test_an_enrollment_has_one_shape_in_every_answer(student, student_client, free_course):
    # given: a nameless instructor (the name rule's fallback) and one completed lesson
    free_course.course.instructor.first_name = free_course.course.instructor.last_name = ""
    free_course.course.instructor.save()
    enrolled = student_client.post(enroll_url(free_course.course.slug))
    enrollment = Enrollment.objects.get(pk=enrolled.json()["id"])
    lesson = free_course.lessons[0]

    # when: the completion answer (the snapshot row), the list and the detail (the model)
    completed = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    repeated = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    listed = student_client.get("/api/v1/enrollments/").json()["results"][0]
    detail = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()

    # then: the same fields and values, whichever path built the read model
    assert enrolled.status_code == 201
    assert completed.json() == repeated.json() == listed
    assert {k: v for k, v in detail.items() if k != "lessons"} == listed
    assert (
        listed["course"]["instructor"]["name"] == free_course.course.instructor.email.split("@")[0]
    )
