"""Lesson hooks for the apps above catalog that keep a companion object per lesson.

Catalog sits below assessments, so it cannot create a quiz for a quiz lesson itself.
Assessments fills the registry (lms.core.registry) in its `AppConfig.ready`:

    hooks.lesson_saved_handlers.register("assessments", ensure_lesson_assessment)

Catalog's lesson services call `lesson_saved(lesson)` inside their transaction after a
lesson is created or its type changes. With nothing registered nothing happens.

The companion takes the lesson's id (a quiz lesson's quiz, an assignment lesson's
assignment), so catalog's lesson output names it without asking: `quiz_id` and
`assignment_id` are the lesson's own id for its type (lms/catalog/api/serializers.py).
"""

from __future__ import annotations

from collections.abc import Callable

from lms.core.registry import Registry

from .models import Lesson

LessonSavedHandler = Callable[[Lesson], None]


# Called with the lesson after it is created or changes type, in the same transaction.
lesson_saved_handlers: Registry[LessonSavedHandler] = Registry("catalog.lesson_saved_handlers")


def lesson_saved(lesson: Lesson) -> None:
    """Tell the registered apps that `lesson` was created or changed type (same transaction)."""
    for handler in lesson_saved_handlers:
        handler(lesson)
