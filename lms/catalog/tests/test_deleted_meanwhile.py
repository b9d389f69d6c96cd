"""A course deleted by a concurrent request after the view found it is a 404, never a 500.

Found by schemathesis as an admin: `DELETE /courses/0/` and `PATCH /courses/0/` at the same
moment; the PATCH had loaded the course, the DELETE committed, and the PATCH's
`save(update_fields=...)` touched no row ("did not affect any rows", 500). The same window
is open to every write that starts from the view's lookup: here the lookup is made to return
the course and then the course is deleted, as the concurrent DELETE would, before the write.
"""

from __future__ import annotations

from typing import Any

import pytest

from lms.catalog import selectors
from lms.catalog.models import Course
from lms.catalog.tests.conftest import png_bytes, upload
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory


@pytest.fixture
def deleted_after_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """The view's lookup finds the course; a concurrent DELETE then commits."""
    found = selectors.course_for_editing

    def then_deleted(**kwargs: Any) -> Course:
        course = found(**kwargs)
        Course.objects.filter(pk=course.pk).delete()
        return course

    monkeypatch.setattr(selectors, "course_for_editing", then_deleted)


def _complete_draft(instructor: Any) -> Course:
    course = CourseFactory(instructor=instructor)
    LessonFactory(course=course, section=SectionFactory(course=course))
    return course


@pytest.mark.parametrize(
    ("method", "suffix", "payload", "fmt"),
    [
        ("patch", "", {"title": "A new title"}, "json"),
        ("delete", "", None, "json"),
        ("post", "thumbnail/", "thumbnail", "multipart"),
        ("post", "submit/", {}, "json"),
        ("post", "sections/", {"title": "Week 1"}, "json"),
    ],
)
def test_a_write_to_a_course_deleted_meanwhile_is_404(
    instructor_client: Any,
    instructor: Any,
    deleted_after_lookup: None,
    method: str,
    suffix: str,
    payload: Any,
    fmt: str,
) -> None:
    # given
    course = _complete_draft(instructor)
    if payload == "thumbnail":
        payload = {"thumbnail": upload("t.png", png_bytes(), "image/png")}

    # when
    response = getattr(instructor_client, method)(
        f"/api/v1/courses/{course.slug}/{suffix}", payload, format=fmt
    )

    # then: the answer a missing course gets, and nothing written for it
    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["code"] == "not_found"
    assert not Course.objects.filter(pk=course.pk).exists()
