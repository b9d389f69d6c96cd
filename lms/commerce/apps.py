from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "lms.commerce"
    label = "commerce"
