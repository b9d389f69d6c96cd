from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lms.learning"
    label = "learning"

    def ready(self) -> None:
        # Catalog sits below learning: it asks these two questions through its registry.
        from lms.catalog import access

        from . import selectors

        access.register_enrollment_checker(selectors.enrolled_course_ids_for)
        access.register_completion_checker(selectors.completed_lesson_ids_for)
