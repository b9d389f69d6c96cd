from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.models import MediaAsset
from lms.catalog.tests.conftest import (
    EXE_BYTES,
    MP4_BYTES,
    PDF_BYTES,
    png_bytes,
    pptx_bytes,
    upload,
    zip_bytes,
)
from lms.catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    MediaAssetFactory,
    SectionFactory,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

MEDIA = "/api/v1/media/"


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("talk.mp4", MP4_BYTES, "video", "video/mp4"),
        ("notes.pdf", PDF_BYTES, "pdf", "application/pdf"),
        (
            "deck.pptx",
            pptx_bytes(),
            "slides",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("diagram.png", png_bytes(), "image", "image/png"),
        ("code.zip", zip_bytes(), "archive", "application/zip"),
    ],
)
def test_upload_each_media_kind(instructor_client, instructor, name, data, kind, content_type):
    response = instructor_client.post(MEDIA, {"file": upload(name, data)}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["content_type"], body["size"]) == (kind, content_type, len(data))
    assert body["title"] == name
    assert len(body["checksum"]) == 64
    assert body["usage"] == []
    asset = MediaAsset.objects.get(pk=body["id"])
    assert asset.owner == instructor
    assert asset.file.name.startswith("catalog/media/")
    assert "/api/v1/media/stream/" in body["url"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("movie.mp4", EXE_BYTES),  # a program disguised as a video
        ("notes.pdf", b"just some text, not a PDF"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_disguised_or_unknown_files_are_415_and_never_stored(instructor_client, name, data):
    response = instructor_client.post(MEDIA, {"file": upload(name, data)}, format="multipart")
    assert response.status_code == 415
    assert not MediaAsset.objects.exists()


def test_too_large_is_413(instructor_client):
    big = png_bytes() + b"\x00" * (10 * 1024 * 1024)
    response = instructor_client.post(MEDIA, {"file": upload("huge.png", big)}, format="multipart")
    assert response.status_code == 413
    assert not MediaAsset.objects.exists()


def test_path_traversal_in_the_name_never_reaches_storage(instructor_client):
    response = instructor_client.post(
        MEDIA, {"file": upload("../../../../etc/cron.d/evil.pdf", PDF_BYTES)}, format="multipart"
    )
    assert response.status_code == 201
    asset = MediaAsset.objects.get()
    assert asset.file.name.startswith("catalog/media/")
    assert ".." not in asset.file.name
    assert "evil" not in asset.file.name
    assert asset.title == "evil.pdf"


def test_media_library_is_for_instructors(anon_client, student_client):
    assert anon_client.get(MEDIA).status_code == 401
    assert student_client.get(MEDIA).status_code == 403
    response = student_client.post(MEDIA, {"file": upload("a.pdf", PDF_BYTES)}, format="multipart")
    assert response.status_code == 403


def test_list_shows_own_assets_with_their_usage(instructor_client, instructor):
    mine = MediaAssetFactory(owner=instructor)
    MediaAssetFactory()  # someone else's
    course = CourseFactory(instructor=instructor)
    LessonFactory(section=SectionFactory(course=course), media=mine, type="video")
    response = instructor_client.get(MEDIA)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["id"] for item in results] == [str(mine.pk)]
    assert results[0]["usage"][0]["course_id"] == str(course.pk)
    assert instructor_client.get(MEDIA, {"kind": "pdf"}).json()["count"] == 0
    assert instructor_client.get(MEDIA, {"kind": "nonsense"}).status_code == 400


def test_detail_and_delete(instructor_client, instructor, client_for):
    asset = MediaAssetFactory(owner=instructor)
    path = f"{MEDIA}{asset.pk}/"
    assert instructor_client.get(path).status_code == 200
    stranger = client_for(InstructorFactory())
    assert stranger.get(path).status_code == 404
    assert stranger.delete(path).status_code == 404
    assert instructor_client.delete(path).status_code == 204
    assert not MediaAsset.objects.filter(pk=asset.pk).exists()


def test_media_in_use_cannot_be_deleted(instructor_client, instructor):
    asset = MediaAssetFactory(owner=instructor)
    LessonFactory(
        section=SectionFactory(course=CourseFactory(instructor=instructor)),
        media=asset,
        type="video",
    )
    response = instructor_client.delete(f"{MEDIA}{asset.pk}/")
    assert response.status_code == 409
    assert error_codes(response) == ["media_in_use"]


def test_media_list_query_count(instructor_client, instructor, django_assert_max_num_queries):
    for _ in range(15):
        asset = MediaAssetFactory(owner=instructor)
        LessonFactory(
            section=SectionFactory(course=CourseFactory(instructor=instructor)), media=asset
        )
    # auth, count, page, usage
    with django_assert_max_num_queries(4):
        response = instructor_client.get(MEDIA)
    assert len(response.json()["results"]) == 15
