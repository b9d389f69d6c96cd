from __future__ import annotations

import pytest
import responses
import time_machine
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.models import Course, Lesson, Section
from lms.catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    MediaAssetFactory,
    PublishedCourseFactory,
    SectionFactory,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def sections_url(course) -> str:
    return f"/api/v1/courses/{course.pk}/sections/"


def lessons_url(section) -> str:
    return f"/api/v1/sections/{section.pk}/lessons/"


# --- sections -------------------------------------------------------------------------------------


def test_owner_creates_lists_edits_and_deletes_sections(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    first = instructor_client.post(sections_url(course), {"title": "Basics"})
    second = instructor_client.post(sections_url(course), {"title": "Advanced"})
    assert first.status_code == 201
    assert (first.json()["order"], second.json()["order"]) == (0, 1)
    listed = instructor_client.get(sections_url(course)).json()
    assert [section["title"] for section in listed] == ["Basics", "Advanced"]
    section_url = f"/api/v1/sections/{first.json()['id']}/"
    assert instructor_client.patch(section_url, {"title": "Intro"}).json()["title"] == "Intro"
    assert instructor_client.delete(section_url).status_code == 204
    assert Section.objects.filter(course=course).count() == 1


def test_sections_of_anothers_course_are_404(client_for, instructor, student_client, anon_client):
    course = CourseFactory(instructor=instructor)
    section = SectionFactory(course=course)
    stranger = client_for(InstructorFactory())
    assert stranger.get(sections_url(course)).status_code == 404
    assert stranger.post(sections_url(course), {"title": "x"}).status_code == 404
    assert stranger.patch(f"/api/v1/sections/{section.pk}/", {"title": "x"}).status_code == 404
    assert stranger.delete(f"/api/v1/sections/{section.pk}/").status_code == 404
    assert student_client.post(sections_url(course), {"title": "x"}).status_code == 403
    assert anon_client.post(sections_url(course), {"title": "x"}).status_code == 401


def test_section_input_is_validated(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.post(sections_url(course), {"title": "", "order": -1})
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"title", "order"}


def test_reorder_sections(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    a, b, c = (SectionFactory(course=course) for _ in range(3))
    response = instructor_client.post(
        f"{sections_url(course)}reorder/", {"ids": [str(c.pk), str(a.pk), str(b.pk)]}
    )
    assert response.status_code == 200
    assert [section["id"] for section in response.json()] == [str(c.pk), str(a.pk), str(b.pk)]


@pytest.mark.parametrize("shape", ["missing", "extra", "duplicate", "foreign"])
def test_reorder_sections_with_a_wrong_list_is_400(instructor_client, instructor, shape):
    course = CourseFactory(instructor=instructor)
    a, b = SectionFactory(course=course), SectionFactory(course=course)
    other = SectionFactory()
    ids = {
        "missing": [a.pk],
        "extra": [a.pk, b.pk, other.pk],
        "duplicate": [a.pk, a.pk, b.pk],
        "foreign": [a.pk, other.pk],
    }[shape]
    response = instructor_client.post(
        f"{sections_url(course)}reorder/", {"ids": [str(pk) for pk in ids]}
    )
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_reorder"]
    assert response.json()["errors"][0]["attr"] == "ids"
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.order < b.order


# --- lessons --------------------------------------------------------------------------------------


def test_owner_creates_lessons_and_the_course_totals_follow(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    section = SectionFactory(course=course)
    video = MediaAssetFactory(owner=instructor)
    response = instructor_client.post(
        lessons_url(section),
        {
            "title": "Welcome",
            "type": "video",
            "media": str(video.pk),
            "duration_seconds": 120,
            "is_preview": True,
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["media"]["kind"] == "video"
    instructor_client.post(
        lessons_url(section), {"title": "Notes", "type": "text", "content": "Read me"}
    )
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (2, 120)
    lesson_url = f"/api/v1/lessons/{response.json()['id']}/"
    assert instructor_client.patch(lesson_url, {"duration_seconds": 600}).status_code == 200
    course.refresh_from_db()
    assert course.duration_seconds == 600
    assert instructor_client.delete(lesson_url).status_code == 204
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (1, 0)
    assert [lesson["title"] for lesson in instructor_client.get(lessons_url(section)).json()] == [
        "Notes"
    ]


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"type": "podcast"}, "type"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"media": "00000000-0000-0000-0000-000000000000"}, "media"),
        ({"video_id": "../etc"}, "video_id"),
    ],
)
def test_lesson_input_is_validated(instructor_client, instructor, payload, attr):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    response = instructor_client.post(
        lessons_url(section), {"title": "L", "type": "text", **payload}
    )
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == [attr]
    assert not Lesson.objects.exists()


def test_lesson_media_must_be_yours_and_fit_the_type(instructor_client, instructor):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    someone_elses = MediaAssetFactory()
    mine_video = MediaAssetFactory(owner=instructor)
    for payload in (
        {"type": "video", "media": str(someone_elses.pk)},
        {"type": "pdf", "media": str(mine_video.pk)},
    ):
        response = instructor_client.post(lessons_url(section), {"title": "L", **payload})
        assert response.status_code == 400
        assert error_codes(response) == ["invalid_media"]


def test_lessons_of_anothers_course_are_404(client_for, instructor):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    lesson = LessonFactory(section=section)
    stranger = client_for(InstructorFactory())
    assert stranger.post(lessons_url(section), {"title": "x", "type": "text"}).status_code == 404
    assert stranger.patch(f"/api/v1/lessons/{lesson.pk}/", {"title": "x"}).status_code == 404
    assert stranger.delete(f"/api/v1/lessons/{lesson.pk}/").status_code == 404
    assert stranger.post(f"{lessons_url(section)}reorder/", {"ids": []}).status_code == 404


def test_reorder_lessons(instructor_client, instructor):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    a, b = LessonFactory(section=section), LessonFactory(section=section)
    response = instructor_client.post(
        f"{lessons_url(section)}reorder/", {"ids": [str(b.pk), str(a.pk)]}
    )
    assert response.status_code == 200
    assert [lesson["id"] for lesson in response.json()] == [str(b.pk), str(a.pk)]
    response = instructor_client.post(f"{lessons_url(section)}reorder/", {"ids": [str(a.pk)]})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_reorder"]


# --- curriculum and content -----------------------------------------------------------------------


def published_with_lessons() -> tuple[Course, Lesson, Lesson]:
    course = PublishedCourseFactory()
    section = SectionFactory(course=course)
    preview = LessonFactory(section=section, is_preview=True, content="Free part")
    locked = LessonFactory(section=section, content="Paid part")
    return course, preview, locked


def test_curriculum_marks_locked_lessons(anon_client, client_for, student, enroll):
    course, preview, locked = published_with_lessons()
    response = anon_client.get(f"/api/v1/courses/{course.slug}/curriculum/")
    assert response.status_code == 200
    lessons = response.json()[0]["lessons"]
    assert [(lesson["id"], lesson["locked"]) for lesson in lessons] == [
        (str(preview.pk), False),
        (str(locked.pk), True),
    ]
    assert set(lessons[0]) == {
        "id", "title", "type", "duration_seconds", "is_preview", "order", "locked",
        "is_completed",
    }  # fmt: skip
    enroll(student, course)
    lessons = (
        client_for(student).get(f"/api/v1/courses/{course.pk}/curriculum/").json()[0]["lessons"]
    )
    assert not any(lesson["locked"] for lesson in lessons)


def test_curriculum_query_count(anon_client, django_assert_max_num_queries):
    course = PublishedCourseFactory()
    for _ in range(5):
        section = SectionFactory(course=course)
        for _ in range(10):
            LessonFactory(section=section)
    with django_assert_max_num_queries(3):
        response = anon_client.get(f"/api/v1/courses/{course.pk}/curriculum/")
    assert len(response.json()) == 5


def test_lesson_content_only_for_those_with_access(
    anon_client, student_client, student, client_for, manager_client, enroll
):
    course, preview, locked = published_with_lessons()
    path = f"/api/v1/lessons/{locked.pk}/"
    # the preview is open to everyone
    assert anon_client.get(f"/api/v1/lessons/{preview.pk}/").json()["content"] == "Free part"
    # the rest: 401 anonymous, 403 signed in without enrollment
    assert anon_client.get(path).status_code == 401
    response = student_client.get(path)
    assert response.status_code == 403
    assert error_codes(response) == ["enrollment_required"]
    assert "Paid part" not in response.content.decode()
    # enrolled students, the course's instructors and staff read it
    enroll(student, course)
    assert student_client.get(path).json()["content"] == "Paid part"
    assert client_for(course.instructor).get(path).json()["content"] == "Paid part"
    assert manager_client.get(path).json()["content"] == "Paid part"


def test_lesson_of_an_unpublished_course_is_404(student_client):
    lesson = LessonFactory(section=SectionFactory(course=CourseFactory()), is_preview=True)
    assert student_client.get(f"/api/v1/lessons/{lesson.pk}/").status_code == 404


# --- playback and signed media --------------------------------------------------------------------


def video_lesson(*, preview: bool) -> Lesson:
    course = PublishedCourseFactory()
    media = MediaAssetFactory(owner=course.instructor)
    return LessonFactory(
        section=SectionFactory(course=course),
        type="video",
        media=media,
        video_id="abc123",
        is_preview=preview,
    )


def test_local_playback_gives_a_signed_expiring_url(anon_client, settings):
    settings.VIDEO_PROVIDER = "local"
    lesson = video_lesson(preview=True)
    response = anon_client.get(f"/api/v1/lessons/{lesson.pk}/playback/")
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "local"
    assert body["otp"] is None
    # absolute for the host that asked (not BACKEND_URL)
    assert body["url"].startswith("http://testserver/api/v1/media/stream/")
    assert lesson.media.file.name not in body["url"]
    # the URL serves the file ...
    path = body["url"].removeprefix("http://testserver")
    streamed = anon_client.get(path)
    assert streamed.status_code == 200
    assert streamed["Content-Type"] == "video/mp4"
    assert b"".join(streamed.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
    # ... until it expires
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=11)):
        expired = anon_client.get(path)
    assert expired.status_code == 403
    assert error_codes(expired) == ["invalid_signature"]


def test_tampered_or_made_up_media_tokens_are_refused(anon_client, settings):
    lesson = video_lesson(preview=True)
    url = anon_client.get(f"/api/v1/lessons/{lesson.pk}/playback/").json()["url"]
    token = url.rstrip("/").rsplit("/", 1)[-1]
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert anon_client.get(f"/api/v1/media/stream/{forged}/").status_code == 403
    assert anon_client.get(f"/api/v1/media/stream/{lesson.media.pk}/").status_code == 403
    assert anon_client.get("/media/" + lesson.media.file.name).status_code == 404


def test_playback_needs_access(anon_client, student_client):
    lesson = video_lesson(preview=False)
    assert anon_client.get(f"/api/v1/lessons/{lesson.pk}/playback/").status_code == 401
    assert student_client.get(f"/api/v1/lessons/{lesson.pk}/playback/").status_code == 403


def test_playback_of_a_lesson_without_video_is_400(anon_client):
    lesson = LessonFactory(section=SectionFactory(course=PublishedCourseFactory()), is_preview=True)
    response = anon_client.get(f"/api/v1/lessons/{lesson.pk}/playback/")
    assert response.status_code == 400
    assert error_codes(response) == ["lesson_has_no_video"]


@responses.activate(assert_all_requests_are_fired=True)
def test_vdocipher_playback_asks_for_an_otp(student_client, student, enroll, settings):
    settings.VIDEO_PROVIDER = "vdocipher"
    settings.VDOCIPHER_API_SECRET = "secret-123"
    lesson = video_lesson(preview=False)
    enroll(student, lesson.course)
    responses.post(
        "https://dev.vdocipher.com/api/videos/abc123/otp",
        json={"otp": "otp-xyz", "playbackInfo": "info-456"},
        match=[responses.matchers.header_matcher({"Authorization": "Apisecret secret-123"})],
    )
    response = student_client.get(f"/api/v1/lessons/{lesson.pk}/playback/")
    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["otp"], body["token"]) == ("vdocipher", "otp-xyz", "info-456")
    assert "otp=otp-xyz" in body["url"]
    sent = responses.calls[0].request
    assert b'"ttl": 300' in sent.body
    assert student.email.encode() in sent.body


@responses.activate
def test_vdocipher_failure_is_502_not_500(anon_client, settings):
    settings.VIDEO_PROVIDER = "vdocipher"
    lesson = video_lesson(preview=True)
    responses.post("https://dev.vdocipher.com/api/videos/abc123/otp", status=500)
    anon_client.raise_request_exception = False  # a 5xx answer is reported, not raised
    response = anon_client.get(f"/api/v1/lessons/{lesson.pk}/playback/")
    assert response.status_code == 502
    assert error_codes(response) == ["video_provider_unavailable"]


def test_lesson_detail_gives_signed_media_urls_to_those_with_access(client_for, enroll, student):
    lesson = video_lesson(preview=False)
    enroll(student, lesson.course)
    media = client_for(student).get(f"/api/v1/lessons/{lesson.pk}/").json()["media"]
    assert "/api/v1/media/stream/" in media["url"]
    assert media["content_type"] == "video/mp4"
