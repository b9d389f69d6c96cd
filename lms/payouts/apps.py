from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "lms.payouts"
    label = "payouts"
