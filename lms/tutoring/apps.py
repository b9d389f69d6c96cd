from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "lms.tutoring"
    label = "tutoring"

    def ready(self) -> None:
        from lms.accounts import personal_data as accounts_personal_data
        from lms.commerce.sellables import sellable_kinds

        from . import personal_data
        from .sellable import BookingKind

        sellable_kinds.register("booking", BookingKind())
        accounts_personal_data.exporters.register("tutoring", personal_data.export)
        accounts_personal_data.erasers.register("tutoring", personal_data.erase)
        accounts_personal_data.deletion_blockers.register("tutoring", personal_data.refuse_deletion)
