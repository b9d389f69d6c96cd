from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "lms.notifications"
    label = "notifications"
