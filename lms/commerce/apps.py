from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "lms.commerce"
    label = "commerce"

    def ready(self) -> None:
        from lms.commerce import checks  # noqa: F401  (registers the deploy checks)
        from lms.commerce.course_kind import COURSE, CourseKind
        from lms.commerce.sellables import sellable_kinds

        sellable_kinds.register(COURSE, CourseKind())
