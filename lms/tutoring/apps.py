from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "lms.tutoring"
    label = "tutoring"

    def ready(self) -> None:
        from lms.commerce.sellables import sellable_kinds

        from .sellable import BookingKind

        sellable_kinds.register("booking", BookingKind())
