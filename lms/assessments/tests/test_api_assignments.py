"""Assignments through the API: settings, submissions (text and files), downloads and grading."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from lms.accounts.tests.factories import UserFactory
from lms.assessments.models import Assignment, Submission, SubmissionStatus
from lms.assessments.tests.factories import assignment_in
from lms.audit.models import AuditLog
from lms.conftest import error_codes
from lms.learning.models import ActivityEvent, ActivityKind, Enrollment, LessonProgress
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def pdf(name: str = "essay.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile("drawing.png", buffer.getvalue(), content_type="image/png")


def submissions_url(assignment: Assignment) -> str:
    return f"/api/v1/assignments/{assignment.pk}/submissions/"


def grade_url(submission_id) -> str:
    return f"/api/v1/submissions/{submission_id}/grade/"


@pytest.fixture
def assignment(course):
    return assignment_in(
        course, max_score=100, pass_score=60, allowed_file_types=["pdf"], max_file_size_mb=1
    )


def submit(client, assignment, **data):
    return client.post(submissions_url(assignment), data, format="multipart")


# --- GET/PATCH /assignments/{id}/ ---------------------------------------------------------------


def test_enrolled_student_reads_the_assignment_with_its_due_date(
    course, student, enrolled, client_for
):
    assignment = assignment_in(course, due_days=7, instructions="Write an essay.")
    with time_machine.travel(timezone.now(), tick=False):
        enrollment = enrolled(student, course)
        response = client_for(student).get(f"/api/v1/assignments/{assignment.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["instructions"] == "Write an essay."
    assert body["allowed_file_types"] == ["pdf"]
    assert body["due_days"] == 7
    due = enrollment.enrolled_at + timedelta(days=7)
    assert body["due_at"] == due.isoformat().replace("+00:00", "Z")


def test_assignment_access(course, student, anon_client, client_for):
    assignment = assignment_in(course)
    url = f"/api/v1/assignments/{assignment.pk}/"
    assert anon_client.get(url).status_code == 401
    assert client_for(student).get(url).status_code == 403


def test_instructor_changes_the_assignment(course, instructor, client_for):
    assignment = assignment_in(course)
    response = client_for(instructor).patch(
        f"/api/v1/assignments/{assignment.pk}/",
        {
            "instructions": "Build a bridge.",
            "max_score": 20,
            "pass_score": 12,
            "allowed_file_types": ["pdf", "image", "archive"],
            "max_file_size_mb": 25,
            "due_days": 14,
        },
    )
    assert response.status_code == 200, response.json()
    assignment.refresh_from_db()
    assert assignment.max_score == 20
    assert assignment.pass_score == 12
    assert assignment.allowed_file_types == ["pdf", "image", "archive"]
    assert assignment.max_file_size_mb == 25
    assert assignment.due_days == 14


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"pass_score": 101}, "pass_score"),
        ({"max_score": 10}, "pass_score"),  # the current pass score (60) would exceed it
        ({"allowed_file_types": ["exe"]}, "allowed_file_types"),
        ({"max_file_size_mb": 500}, "max_file_size_mb"),
        ({"due_days": -1}, "due_days"),
    ],
)
def test_bad_assignment_settings_are_400(course, instructor, client_for, payload, attr):
    assignment = assignment_in(course)
    response = client_for(instructor).patch(f"/api/v1/assignments/{assignment.pk}/", payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"].startswith(attr)
    assignment.refresh_from_db()
    assert (assignment.max_score, assignment.pass_score) == (100, 60)


def test_student_cannot_change_the_assignment(assignment, enrolled_student, client_for):
    response = client_for(enrolled_student).patch(
        f"/api/v1/assignments/{assignment.pk}/", {"pass_score": 0}
    )
    assert response.status_code == 403


# --- POST /assignments/{id}/submissions/ -------------------------------------------------------


def test_student_submits_text_and_a_pdf(
    assignment, course, enrolled_student, instructor, client_for
):
    # when
    response = submit(client_for(enrolled_student), assignment, text="My essay", file=pdf())

    # then the file is stored privately under a generated name
    assert response.status_code == 201, response.json()
    body = response.json()
    submission = Submission.objects.get(pk=body["id"])
    assert submission.student == enrolled_student
    assert submission.text == "My essay"
    assert submission.revision == 1
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.file_content_type == "application/pdf"
    assert submission.file.name.startswith("assessments/submissions/")
    assert "essay" not in submission.file.name
    assert submission.file.storage.exists(submission.file.name)
    assert body["file_url"].endswith(f"/api/v1/submissions/{submission.pk}/file/")
    # and the instructor hears about it; the activity counts for the streak
    assert Notification.objects.filter(
        user=instructor, data__submission_id=str(submission.pk)
    ).exists()
    assert ActivityEvent.objects.filter(
        user=enrolled_student, kind=ActivityKind.ASSIGNMENT_SUBMITTED
    ).exists()


def test_text_only_submission(assignment, enrolled_student, client_for):
    response = submit(client_for(enrolled_student), assignment, text="Only words")
    assert response.status_code == 201
    assert response.json()["file_url"] is None


def test_an_empty_submission_is_400(assignment, enrolled_student, client_for):
    response = submit(client_for(enrolled_student), assignment, text="   ")
    assert response.status_code == 400
    assert error_codes(response) == ["empty_submission"]
    assert not Submission.objects.exists()


def test_a_wrong_file_type_is_415(assignment, enrolled_student, client_for):
    # a PNG where only PDFs are accepted, and text dressed up as a PDF
    client = client_for(enrolled_student)
    assert submit(client, assignment, file=png()).status_code == 415
    fake = SimpleUploadedFile(
        "essay.pdf", b"plain text, honestly\n" * 50, content_type="application/pdf"
    )
    response = submit(client, assignment, file=fake)
    assert response.status_code == 415
    assert error_codes(response) == ["unsupported_file_type"]
    assert not Submission.objects.exists()


def test_a_file_over_the_limit_is_413(assignment, enrolled_student, client_for):
    big = pdf(data=PDF_BYTES + b"\0" * (MB + 1))
    response = submit(client_for(enrolled_student), assignment, file=big)
    assert response.status_code == 413
    assert error_codes(response) == ["file_too_large"]
    assert not Submission.objects.exists()


def test_a_text_only_assignment_refuses_files_with_415(course, enrolled_student, client_for):
    assignment = assignment_in(course, allowed_file_types=[])
    response = submit(client_for(enrolled_student), assignment, text="hi", file=pdf())
    assert response.status_code == 415
    assert error_codes(response) == ["files_not_accepted"]


def test_images_are_accepted_when_allowed(course, enrolled_student, client_for):
    assignment = assignment_in(course, allowed_file_types=["image", "pdf"])
    response = submit(client_for(enrolled_student), assignment, file=png())
    assert response.status_code == 201
    assert response.json()["file_content_type"] == "image/png"


def test_resubmitting_replaces_the_submission_until_graded(
    assignment, enrolled_student, client_for, django_capture_on_commit_callbacks
):
    # given a first submission with a file
    client = client_for(enrolled_student)
    first = submit(client, assignment, text="draft", file=pdf()).json()
    old = Submission.objects.get(pk=first["id"])
    old_name = old.file.name

    # when the student sends a new version (the old file goes once the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, assignment, text="final", file=pdf())

    # then the same submission carries the new work, and the old file is gone
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    submission = Submission.objects.get(pk=first["id"])
    assert submission.revision == 2
    assert submission.text == "final"
    assert submission.file.name != old_name
    assert not submission.file.storage.exists(old_name)
    assert Submission.objects.count() == 1


def test_resubmitting_after_grading_is_409(assignment, enrolled_student, instructor, client_for):
    client = client_for(enrolled_student)
    first = submit(client, assignment, text="draft").json()
    client_for(instructor).post(grade_url(first["id"]), {"score": "30"})

    response = submit(client, assignment, text="better")

    assert response.status_code == 409
    assert error_codes(response) == ["submission_already_graded"]
    assert Submission.objects.get(pk=first["id"]).text == "draft"


def test_late_work_is_accepted_and_flagged(course, student, enrolled, client_for):
    assignment = assignment_in(course, due_days=3)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        enrolled(student, course)
        traveller.shift(timedelta(days=3, minutes=1))
        response = submit(client_for(student), assignment, text="sorry, late")
    assert response.status_code == 201
    assert response.json()["is_late"] is True


def test_submitting_needs_an_enrollment(assignment, student, instructor, anon_client, client_for):
    assert submit(anon_client, assignment, text="x").status_code == 401
    response = submit(client_for(student), assignment, text="x")
    assert response.status_code == 403
    assert error_codes(response) == ["enrollment_required"]
    assert submit(client_for(instructor), assignment, text="x").status_code == 403


# --- GET /assignments/{id}/submissions/ --------------------------------------------------------


def test_students_see_their_own_and_instructors_see_all(
    assignment, course, enrolled_student, other_student, enrolled, instructor, client_for
):
    enrolled(other_student, course)
    mine = submit(client_for(enrolled_student), assignment, text="mine").json()
    theirs = submit(client_for(other_student), assignment, text="theirs").json()

    own = client_for(enrolled_student).get(submissions_url(assignment)).json()
    everything = client_for(instructor).get(submissions_url(assignment)).json()

    assert [item["id"] for item in own["results"]] == [mine["id"]]
    assert {item["id"] for item in everything["results"]} == {mine["id"], theirs["id"]}


def test_instructors_filter_by_status(
    assignment, course, enrolled_student, other_student, enrolled, instructor, client_for
):
    enrolled(other_student, course)
    graded = submit(client_for(enrolled_student), assignment, text="a").json()
    submit(client_for(other_student), assignment, text="b")
    client = client_for(instructor)
    client.post(grade_url(graded["id"]), {"score": "70"})
    response = client.get(submissions_url(assignment), {"status": "submitted"})
    assert [item["student"]["id"] for item in response.json()["results"]] == [str(other_student.pk)]
    assert client.get(submissions_url(assignment), {"status": "lost"}).status_code == 400


def test_submission_list_access(assignment, student, other_instructor, anon_client, client_for):
    assert anon_client.get(submissions_url(assignment)).status_code == 401
    assert client_for(student).get(submissions_url(assignment)).status_code == 403
    assert client_for(other_instructor).get(submissions_url(assignment)).status_code == 403


def test_submission_list_runs_a_constant_number_of_queries(
    assignment, course, instructor, client_for, django_assert_max_num_queries
):
    # given 20 graded and ungraded submissions from 20 students
    for index in range(20):
        Submission.objects.create(
            assignment=assignment,
            student=UserFactory(),
            text=f"work {index}",
            submitted_at=timezone.now(),
            status=SubmissionStatus.GRADED if index % 2 else SubmissionStatus.SUBMITTED,
            graded_by=instructor if index % 2 else None,
            score=Decimal("70") if index % 2 else None,
        )
    client = client_for(instructor)

    # then: auth user + assignment + co-instructors + count + page (students joined)
    with django_assert_max_num_queries(5):
        response = client.get(submissions_url(assignment), {"page_size": 20})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


# --- GET /submissions/{id}/ and its file -------------------------------------------------------


def test_the_file_is_downloaded_as_an_attachment(
    assignment, enrolled_student, instructor, client_for
):
    body = submit(client_for(enrolled_student), assignment, file=pdf()).json()
    for user in (enrolled_student, instructor):
        response = client_for(user).get(body["file_url"])
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert b"".join(response.streaming_content) == PDF_BYTES


def test_another_students_submission_and_file_are_404(
    assignment, course, enrolled_student, other_student, enrolled, client_for
):
    enrolled(other_student, course)
    body = submit(client_for(enrolled_student), assignment, text="x", file=pdf()).json()
    intruder = client_for(other_student)
    assert intruder.get(f"/api/v1/submissions/{body['id']}/").status_code == 404
    assert intruder.get(body["file_url"]).status_code == 404
    assert intruder.post(grade_url(body["id"]), {"score": "100"}).status_code == 404


def test_an_instructor_of_another_course_gets_404(
    assignment, enrolled_student, other_instructor, client_for
):
    body = submit(client_for(enrolled_student), assignment, text="x").json()
    client = client_for(other_instructor)
    assert client.get(f"/api/v1/submissions/{body['id']}/").status_code == 404
    assert client.post(grade_url(body["id"]), {"score": "100"}).status_code == 404


def test_a_text_submission_has_no_file(assignment, enrolled_student, client_for):
    body = submit(client_for(enrolled_student), assignment, text="x").json()
    response = client_for(enrolled_student).get(f"/api/v1/submissions/{body['id']}/file/")
    assert response.status_code == 404
    assert error_codes(response) == ["no_file"]


# --- POST /submissions/{id}/grade/ -------------------------------------------------------------


def test_a_passing_grade_completes_the_lesson_and_tells_the_student(
    assignment, course, enrolled_student, instructor, client_for
):
    # given
    body = submit(client_for(enrolled_student), assignment, text="essay").json()

    # when
    response = client_for(instructor).post(
        grade_url(body["id"]), {"score": "75.5", "feedback": "Good."}
    )

    # then
    assert response.status_code == 200, response.json()
    graded = response.json()
    assert graded["status"] == "graded"
    assert graded["score"] == 75.5
    assert graded["passed"] is True
    assert graded["feedback"] == "Good."
    assert graded["graded_by"]["id"] == str(instructor.pk)
    enrollment = Enrollment.objects.get(student=enrolled_student, course=course)
    assert LessonProgress.objects.filter(
        enrollment=enrollment, lesson=assignment.lesson, completed_at__isnull=False
    ).exists()
    notice = Notification.objects.get(user=enrolled_student, data__submission_id=body["id"])
    assert notice.category == "learning"
    assert notice.data["passed"] is True
    assert AuditLog.objects.filter(
        action="assessments.submission_graded", target_id=body["id"]
    ).exists()
    # the student reads the grade
    mine = client_for(enrolled_student).get(f"/api/v1/submissions/{body['id']}/").json()
    assert mine["score"] == 75.5


def test_a_failing_grade_does_not_complete_the_lesson(
    assignment, enrolled_student, instructor, client_for
):
    body = submit(client_for(enrolled_student), assignment, text="essay").json()
    response = client_for(instructor).post(grade_url(body["id"]), {"score": "59.99"})
    assert response.json()["passed"] is False
    assert not LessonProgress.objects.filter(
        lesson=assignment.lesson, completed_at__isnull=False
    ).exists()
    assert Notification.objects.filter(
        user=enrolled_student, data__submission_id=body["id"]
    ).exists()


@pytest.mark.parametrize("score", ["-1", "100.01", "lots"])
def test_a_score_out_of_range_is_400(assignment, enrolled_student, instructor, client_for, score):
    body = submit(client_for(enrolled_student), assignment, text="essay").json()
    response = client_for(instructor).post(grade_url(body["id"]), {"score": score})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "score"
    assert Submission.objects.get(pk=body["id"]).status == SubmissionStatus.SUBMITTED


def test_students_and_managers_cannot_grade(
    assignment, enrolled_student, manager_client, client_for, anon_client
):
    body = submit(client_for(enrolled_student), assignment, text="essay").json()
    assert (
        client_for(enrolled_student).post(grade_url(body["id"]), {"score": "100"}).status_code
        == 403
    )
    assert manager_client.post(grade_url(body["id"]), {"score": "100"}).status_code == 403
    assert anon_client.post(grade_url(body["id"]), {"score": "100"}).status_code == 401
    assert Submission.objects.get(pk=body["id"]).score is None


def test_regrading_updates_the_grade(assignment, enrolled_student, instructor, client_for):
    body = submit(client_for(enrolled_student), assignment, text="essay").json()
    client = client_for(instructor)
    client.post(grade_url(body["id"]), {"score": "40"})
    response = client.post(
        grade_url(body["id"]), {"score": "90", "feedback": "On reflection, great."}
    )
    assert response.json()["score"] == 90.0
    assert response.json()["passed"] is True
    assert LessonProgress.objects.filter(
        lesson=assignment.lesson, completed_at__isnull=False
    ).exists()
