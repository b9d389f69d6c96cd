from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lms.learning"
    label = "learning"

    def ready(self) -> None:
        # Catalog sits below learning: it asks these two questions through its registry.
        from lms.catalog import access

        from . import selectors

        access.enrollment_checkers.register("learning", selectors.enrolled_course_ids_for)
        access.completion_checkers.register("learning", selectors.completed_lesson_ids_for)

        from lms.accounts import personal_data as accounts_personal_data

        from . import personal_data

        accounts_personal_data.exporters.register("learning", personal_data.export)
        accounts_personal_data.erasers.register("learning", personal_data.erase)
