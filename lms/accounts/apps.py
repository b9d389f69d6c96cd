from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"

    def ready(self) -> None:
        from lms.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
