from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lms.analytics"
    label = "analytics"
    verbose_name = "Analytics"
