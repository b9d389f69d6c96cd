from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`. It sits above every domain and may use all of them."""

    name = "lms.demo"
    label = "demo"
