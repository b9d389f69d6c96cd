from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "lms.messaging"
    label = "messaging"
