from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "lms.messaging"
    label = "messaging"

    def ready(self) -> None:
        from lms.accounts import personal_data
        from lms.messaging import personal_data as mine

        personal_data.exporters.register("messaging", mine.export)
        personal_data.erasers.register("messaging", mine.erase)
