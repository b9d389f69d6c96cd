from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "lms.community"
    label = "community"

    def ready(self) -> None:
        from lms.accounts import personal_data
        from lms.community import personal_data as mine

        personal_data.exporters.register("community", mine.export)
        personal_data.erasers.register("community", mine.erase)
