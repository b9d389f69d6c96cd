from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lms.support"
    label = "support"

    def ready(self) -> None:
        from lms.accounts import personal_data
        from lms.support import personal_data as mine

        personal_data.exporters.register("support", mine.export)
        personal_data.erasers.register("support", mine.erase)
