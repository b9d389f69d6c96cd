from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "lms.assessments"
    label = "assessments"
