from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "lms.commerce"
    label = "commerce"

    def ready(self) -> None:
        from lms.commerce import checks  # noqa: F401  (registers the deploy checks)
        from lms.commerce.course_kind import COURSE, CourseKind
        from lms.commerce.sellables import sellable_kinds

        sellable_kinds.register(COURSE, CourseKind())

        from lms.accounts import personal_data as accounts_personal_data
        from lms.commerce import personal_data

        accounts_personal_data.exporters.register("commerce", personal_data.export)
        accounts_personal_data.erasers.register("commerce", personal_data.erase)
