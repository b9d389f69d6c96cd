"""Community items made through the services, so counters and ratings stay right."""

from __future__ import annotations

from typing import Any

from lms.catalog.models import Course
from lms.community import selectors, services
from lms.community.models import DiscussionKind


def review(course: Course, student: Any, rating: int = 5, comment: str = "Great") -> Any:
    access = selectors.course_access(user=student, ref=course.pk)
    return services.write_review(access=access, student=student, rating=rating, comment=comment)


def discussion(
    course: Course, author: Any, *, kind: str = DiscussionKind.QUESTION, title: str = "Help"
) -> Any:
    access = selectors.course_access(user=author, ref=course.pk)
    return services.start_discussion(
        access=access, author=author, title=title, body="How do I start?", kind=kind
    )


def reply(discussion_obj: Any, author: Any, body: str = "Like this.", parent: Any = None) -> Any:
    access = selectors.course_access(user=author, ref=discussion_obj.course_id)
    return services.reply_to_discussion(
        discussion_id=discussion_obj.pk,
        access=access,
        author=author,
        body=body,
        parent_id=parent.pk if parent is not None else None,
    )
