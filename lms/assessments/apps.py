from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "lms.assessments"
    label = "assessments"

    def ready(self) -> None:
        # Catalog sits below assessments: it learns about quizzes and assignments through
        # its lesson hooks, never by importing this app.
        from lms.catalog import hooks

        from . import services

        hooks.lesson_saved_handlers.register("assessments", services.ensure_lesson_assessment)

        from lms.accounts import personal_data as accounts_personal_data

        from . import personal_data

        accounts_personal_data.exporters.register("assessments", personal_data.export)
        accounts_personal_data.erasers.register("assessments", personal_data.erase)
