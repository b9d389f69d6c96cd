"""Catalog test helpers: files of real types, and a stand-in for the learning app's enrollments."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.accounts.models import InstructorProfile
from lms.catalog import access
from lms.catalog.tests.factories import (
    CategoryFactory,
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
    TagFactory,
)


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 256
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 256


def pptx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<presentation/>")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def course(instructor: Any) -> Any:
    """A published course of `instructor` (who has a headline) that a search for "watercolour"
    finds, with a category, a tag and one section ("Washes") of one lesson ("Wet on wet"): a
    page of each public read (list, search, detail, curriculum) has something in it."""
    InstructorProfile.objects.get_or_create(user=instructor, defaults={"headline": "Painter"})
    course = PublishedCourseFactory(
        instructor=instructor,
        title="Watercolour basics",
        category=CategoryFactory(),
        tags=[TagFactory()],
    )
    LessonFactory(section=SectionFactory(course=course, title="Washes"), title="Wet on wet")
    return course


@pytest.fixture(autouse=True)
def _no_enrollments() -> Iterator[None]:
    """Each test starts with nobody enrolled (the learning app may have registered a checker)."""
    with access.enrollment_checkers.swapped(), access.completion_checkers.swapped():
        yield


@pytest.fixture
def enroll() -> Callable[[Any, Any], None]:
    """`enroll(user, course)`: make the registry answer yes for that pair (one query per ask)."""
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()

    def checker(user: Any, course_ids: Any) -> set[uuid.UUID]:
        from lms.accounts.models import User

        User.objects.filter(pk=user.pk).exists()  # stands for the learning app's one query
        return {course_id for course_id in course_ids if (user.pk, course_id) in pairs}

    access.enrollment_checkers.register("test", checker)

    def add(user: Any, course: Any) -> None:
        pairs.add((user.pk, course.pk))

    return add
