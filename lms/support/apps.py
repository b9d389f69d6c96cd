from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lms.support"
    label = "support"
