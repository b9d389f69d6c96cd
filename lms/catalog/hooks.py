"""Lesson hooks for the apps above catalog that keep a companion object per lesson.

Catalog sits below assessments, so it cannot create a quiz for a quiz lesson itself, nor
know the quiz's id. Assessments fills two registries (lms.core.registry) in its
`AppConfig.ready`:

    hooks.lesson_saved_handlers.register("assessments", ensure_lesson_assessment)
    hooks.lesson_link_lookups.register(
        "assessments", LessonLinks(fields=("quiz_id", "assignment_id"), lookup=...)
    )

Catalog's lesson services call `lesson_saved(lesson)` inside their transaction after a
lesson is created or its type changes; catalog's lesson output calls `lesson_links(...)`
to add the registered fields (`quiz_id`, `assignment_id`) to every lesson it shows.
With nothing registered nothing happens and no field is added.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lms.core.registry import Registry

from .models import Lesson

LessonSavedHandler = Callable[[Lesson], None]
# (lesson id, lesson type) pairs → {lesson id: {field: value}}; must not query per lesson.
LessonLinksLookup = Callable[[list[tuple[uuid.UUID, str]]], Mapping[uuid.UUID, Mapping[str, Any]]]


@dataclass(frozen=True)
class LessonLinks:
    """Fields added to catalog's lesson output, and the bulk lookup that fills them."""

    fields: tuple[str, ...]
    lookup: LessonLinksLookup


# Called with the lesson after it is created or changes type, in the same transaction.
lesson_saved_handlers: Registry[LessonSavedHandler] = Registry("catalog.lesson_saved_handlers")
lesson_link_lookups: Registry[LessonLinks] = Registry("catalog.lesson_link_lookups")


def lesson_saved(lesson: Lesson) -> None:
    """Tell the registered apps that `lesson` was created or changed type (same transaction)."""
    for handler in lesson_saved_handlers:
        handler(lesson)


def link_fields() -> tuple[str, ...]:
    """The extra fields every lesson carries in catalog's output."""
    return tuple(field for links in lesson_link_lookups for field in links.fields)


def lesson_links(lessons: Iterable[tuple[Any, str]]) -> dict[uuid.UUID, dict[str, Any]]:
    """`{lesson id: {field: value}}` for (lesson id, type) pairs; every registered field present."""
    pairs = [
        (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)), kind)
        for value, kind in lessons
    ]
    result: dict[uuid.UUID, dict[str, Any]] = {
        lesson_id: dict.fromkeys(link_fields()) for lesson_id, _ in pairs
    }
    if not pairs:
        return result
    for links in lesson_link_lookups:
        for lesson_id, values in links.lookup(pairs).items():
            if lesson_id in result:
                result[lesson_id].update(
                    {key: value for key, value in values.items() if key in links.fields}
                )
    return result
