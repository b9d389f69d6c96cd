"""`manage.py seed_demo`: every screen has data, every printed login works, links follow the port.

Seeding takes a while, so one test walks every screen over the API after one seeding (and a
second seeding, which must change nothing).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from lms.accounts.models import InstructorApplication
from lms.assessments.models import Attempt, Submission
from lms.catalog.models import Course, CourseStatus, Lesson, LessonType, MediaAsset
from lms.community.models import DiscussionReply, Report, ReportDecision, ReportStatus
from lms.demo.accounts import DEMO_PASSWORD, demo_accounts
from lms.payouts.models import Withdrawal
from lms.payouts.testing import assert_payouts_consistent

pytestmark = pytest.mark.django_db

# What a newcomer's browser sends after `PORT=8123 make run`.
HOST = "127.0.0.1:8123"
BASE = f"http://{HOST}"
API_COURSE = "django-rest-apis-that-last"


def seed(capture: Any) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def login(email: str) -> APIClient:
    client = APIClient(HTTP_HOST=HOST)
    response = client.post(
        "/api/v1/auth/login/", {"email": email, "password": DEMO_PASSWORD}, format="json"
    )
    assert response.status_code == 200, (email, response.content)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def fetch(client: APIClient, url: str, **headers: str) -> Any:
    assert url.startswith(f"{BASE}/"), url  # the port the server runs on, not BACKEND_URL's
    response = client.get(url.removeprefix(BASE), **headers)
    assert response.status_code in (200, 206), (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_seed_demo_builds_every_screen_and_every_printed_login_works(
    settings, django_capture_on_commit_callbacks
):
    settings.REQUIRE_STAFF_MFA = False  # as `make run` sets it
    settings.BACKEND_URL = "http://127.0.0.1:8000"  # a request's own port must win over it
    # when
    output = seed(django_capture_on_commit_callbacks)

    # then: the accounts close the output, and each of them logs in through the API
    accounts = demo_accounts()
    tail = output[output.index("Demo accounts") :]
    assert tail.rstrip().endswith("=" * 78)
    assert "while seeding, not shown" in output
    assert {a.role for a in accounts} == {"admin", "manager", "instructor", "student"}
    clients = {}
    for account in accounts:
        assert account.email in tail
        clients[account.email] = login(account.email)
    sam = clients["student@demo.learnflow.local"]
    lee = clients["lee@demo.learnflow.local"]
    grace = clients["grace@demo.learnflow.local"]
    admin = clients["admin@demo.learnflow.local"]

    # the catalog: drawn thumbnails whose links follow the request's port
    courses = results(APIClient(HTTP_HOST=HOST).get("/api/v1/courses/"))
    assert len(courses) >= 8
    for course in courses:
        assert course["thumbnail"].startswith(f"{BASE}/media/"), course["thumbnail"]

    # a video lesson plays (a real MP4, ranges served) and a PDF lesson opens
    enrolled = sam.get("/api/v1/enrollments/").json()["results"]
    course_ids = {row["course"]["id"] for row in enrolled}
    video = Lesson.objects.filter(
        course_id__in=course_ids, type=LessonType.VIDEO, media__isnull=False
    ).first()
    pdf = Lesson.objects.filter(course_id__in=course_ids, type=LessonType.PDF).first()
    assert video is not None
    assert pdf is not None
    media = sam.get(f"/api/v1/lessons/{video.pk}/").json()["media"]
    assert media["content_type"] == "video/mp4"
    head = fetch(sam, media["url"], HTTP_RANGE="bytes=0-63")
    assert head[4:8] == b"ftyp"
    assert b"moov" in head  # the index first: a browser starts playing at once
    pdf_media = sam.get(f"/api/v1/lessons/{pdf.pk}/").json()["media"]
    assert fetch(sam, pdf_media["url"]).startswith(b"%PDF")
    preview = APIClient(HTTP_HOST=HOST).get(f"/api/v1/courses/{API_COURSE}/").json()
    assert preview["preview_video"].startswith(f"{BASE}/")

    # a quiz with questions and attempts (one passed, one failed), an assignment graded
    quiz_lesson = Lesson.objects.get(type=LessonType.QUIZ, course__slug=API_COURSE)
    questions = results(grace.get(f"/api/v1/quizzes/{quiz_lesson.pk}/questions/"))
    assert len({q["type"] for q in questions}) == 4
    for client, passed in ((sam, True), (lee, False)):
        (attempt,) = results(client.get(f"/api/v1/quizzes/{quiz_lesson.pk}/attempts/"))
        assert attempt["passed"] is passed
    second = Lesson.objects.get(type=LessonType.QUIZ, course__slug="build-your-own-compiler")
    tries = results(sam.get(f"/api/v1/quizzes/{second.pk}/attempts/"))
    assert sorted(a["passed"] for a in tries) == [False, True]
    assignment = Lesson.objects.get(type=LessonType.ASSIGNMENT, course=quiz_lesson.course)
    submissions = results(grace.get(f"/api/v1/assignments/{assignment.pk}/submissions/"))
    assert sorted(s["status"] for s in submissions) == ["graded", "submitted"]
    (mine,) = results(sam.get(f"/api/v1/assignments/{assignment.pk}/submissions/"))
    assert mine["status"] == "graded"
    assert float(mine["score"]) == 88
    assert fetch(sam, mine["file_url"]).startswith(b"%PDF")
    assert results(lee.get(f"/api/v1/assignments/{assignment.pk}/submissions/"))

    # a wallet with money available and pending, a withdrawal in every status
    wallet = grace.get("/api/v1/wallet/").json()
    assert float(wallet["available"]) > 0
    assert float(wallet["pending"]) > 0
    statuses = {w["status"] for w in results(grace.get("/api/v1/withdrawals/"))}
    assert statuses == set(Withdrawal.Status.values)

    # notifications for a student and an instructor; a certificate
    for client in (sam, grace):
        assert results(client.get("/api/v1/notifications/"))
    assert results(sam.get("/api/v1/certificates/"))

    # one of each status in the review queues, as staff see them
    for status in Withdrawal.Status.values:
        found = results(admin.get(f"/api/v1/withdrawals/?status={status}"))
        assert [w["status"] for w in found] == [status]
    for status in InstructorApplication.Status.values:
        found = results(admin.get(f"/api/v1/instructor-applications/?status={status}"))
        assert [a["status"] for a in found] == [status]
    omar = InstructorApplication.objects.get(status="approved").user
    assert omar.role == "instructor"
    assert InstructorApplication.objects.get(status="rejected").reason
    published = CourseStatus.PUBLISHED
    for status in CourseStatus.values:
        count = Course.objects.filter(status=status).count()
        assert count >= 1 if status == published else count == 1, (status, count)
    queue = results(clients["manager@demo.learnflow.local"].get("/api/v1/moderation/reports/"))
    assert [item["kind"] for item in queue] == ["review"]
    assert set(Report.objects.values_list("status", "decision")) == {
        (ReportStatus.OPEN, ""),
        (ReportStatus.RESOLVED, ReportDecision.HIDDEN),
        (ReportStatus.RESOLVED, ReportDecision.DISMISSED),
    }
    assert_payouts_consistent()

    # and seeding again changes nothing
    models = (
        Course,
        Lesson,
        MediaAsset,
        Attempt,
        Submission,
        Withdrawal,
        InstructorApplication,
        Report,
        DiscussionReply,
    )
    counts = [model.objects.count() for model in models]
    seed(django_capture_on_commit_callbacks)
    assert counts == [model.objects.count() for model in models]
    assert InstructorApplication.objects.count() == 3
    assert_payouts_consistent()


def test_seed_demo_no_accounts_leaves_the_accounts_to_rundemo(
    monkeypatch, django_capture_on_commit_callbacks
):
    from lms.demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "extra_seeders", [])  # the users alone
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--no-accounts", stdout=out)
    assert "Demo accounts" not in out.getvalue()
    assert out.getvalue().rstrip().splitlines()[-1].startswith("seed_demo: done")
