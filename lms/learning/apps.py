from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lms.learning"
    label = "learning"
