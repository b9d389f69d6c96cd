"""Lesson hooks for the apps above catalog that keep a companion object per lesson.

Catalog sits below assessments, so it cannot create a quiz for a quiz lesson itself, nor
know the quiz's id. Assessments registers two callables in its `AppConfig.ready`:

    hooks.register_lesson_saved_handler("assessments", ensure_lesson_assessment)
    hooks.register_lesson_links("assessments", fields=("quiz_id", "assignment_id"),
                                lookup=lesson_assessment_links)

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

from .models import Lesson

LessonSavedHandler = Callable[[Lesson], None]
# (lesson id, lesson type) pairs → {lesson id: {field: value}}; must not query per lesson.
LessonLinksLookup = Callable[[list[tuple[uuid.UUID, str]]], Mapping[uuid.UUID, Mapping[str, Any]]]


@dataclass(frozen=True)
class _Links:
    fields: tuple[str, ...]
    lookup: LessonLinksLookup


_saved_handlers: dict[str, LessonSavedHandler] = {}
_links: dict[str, _Links] = {}


def register_lesson_saved_handler(name: str, handler: LessonSavedHandler) -> None:
    """Call `handler(lesson)` after a lesson is created or its type changes (one per name)."""
    _saved_handlers[name] = handler


def register_lesson_links(name: str, *, fields: Iterable[str], lookup: LessonLinksLookup) -> None:
    """Add `fields` to catalog's lesson output, filled by `lookup` (one per name)."""
    _links[name] = _Links(fields=tuple(fields), lookup=lookup)


def unregister(name: str) -> None:
    """Forget everything registered under `name` (tests)."""
    _saved_handlers.pop(name, None)
    _links.pop(name, None)


def lesson_saved(lesson: Lesson) -> None:
    """Tell the registered apps that `lesson` was created or changed type (same transaction)."""
    for handler in list(_saved_handlers.values()):
        handler(lesson)


def link_fields() -> tuple[str, ...]:
    """The extra fields every lesson carries in catalog's output."""
    return tuple(field for links in _links.values() for field in links.fields)


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
    for links in list(_links.values()):
        for lesson_id, values in links.lookup(pairs).items():
            if lesson_id in result:
                result[lesson_id].update(
                    {key: value for key, value in values.items() if key in links.fields}
                )
    return result
