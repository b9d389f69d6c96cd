from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "lms.tutoring"
    label = "tutoring"
