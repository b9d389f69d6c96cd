from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "lms.payouts"
    label = "payouts"

    def ready(self) -> None:
        from lms.accounts import personal_data as accounts_personal_data
        from lms.payouts import personal_data

        accounts_personal_data.exporters.register("payouts", personal_data.export)
        accounts_personal_data.erasers.register("payouts", personal_data.erase)
        accounts_personal_data.deletion_blockers.register("payouts", personal_data.refuse_deletion)
