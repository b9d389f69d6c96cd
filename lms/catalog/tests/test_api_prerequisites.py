"""A course's prerequisites: published courses or the owner's own (issue 10, item 7).

Another instructor's draft (or pending, rejected, unpublished course) is refused, so its
title never shows on this course's page.
"""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, PublishedCourseFactory
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def detail(course) -> str:
    return f"/api/v1/courses/{course.pk}/"


@pytest.mark.parametrize(
    "status",
    [CourseStatus.DRAFT, CourseStatus.PENDING, CourseStatus.REJECTED, CourseStatus.UNPUBLISHED],
)
def test_another_instructors_unpublished_course_is_refused(instructor_client, instructor, status):
    # given
    theirs = CourseFactory(instructor=InstructorFactory(), status=status, title="Secret plans")
    mine = CourseFactory(instructor=instructor)
    # when: on edit and on creation
    edited = instructor_client.patch(detail(mine), {"prerequisites": [str(theirs.pk)]})
    created = instructor_client.post(
        "/api/v1/courses/", {"title": "Another", "prerequisites": [str(theirs.pk)]}
    )
    # then
    for response in (edited, created):
        assert response.status_code == 400
        assert error_codes(response) == ["invalid_prerequisite"]
        assert "Secret plans" not in response.content.decode()
    assert not mine.prerequisites.exists()
    assert instructor_client.get(detail(mine)).json()["prerequisites"] == []


def test_published_courses_and_your_own_are_accepted(instructor_client, instructor):
    mine = CourseFactory(instructor=instructor)
    published = PublishedCourseFactory(instructor=InstructorFactory())
    own_draft = CourseFactory(instructor=instructor)
    response = instructor_client.patch(
        detail(mine), {"prerequisites": [str(published.pk), str(own_draft.pk)]}
    )
    assert response.status_code == 200, response.json()
    shown = {item["id"] for item in instructor_client.get(detail(mine)).json()["prerequisites"]}
    assert shown == {str(published.pk), str(own_draft.pk)}
