from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class CoreConfig(AppConfig):
    name = "lms.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lms.core.serializers import install_strict_json_types

        checks.register(check_supported_currencies, "money")
        install_strict_json_types()  # a JSON body's types are the document's (issue 11 §1)


def check_supported_currencies(**kwargs: Any) -> list[checks.CheckMessage]:
    """SUPPORTED_CURRENCIES holds ISO 4217 codes whose minor unit fits the money columns."""
    from lms.core.money import DEFAULT_CURRENCY, MONEY_DECIMAL_PLACES, unfit_supported_currencies

    codes = list(getattr(settings, "SUPPORTED_CURRENCIES", []))
    errors: list[checks.CheckMessage] = []
    if not codes:
        errors.append(checks.Error("SUPPORTED_CURRENCIES is empty.", id="money.E001"))
    unfit = unfit_supported_currencies(codes)
    if unfit:
        errors.append(
            checks.Error(
                f"SUPPORTED_CURRENCIES has codes that are not ISO 4217 currencies with at most "
                f"{MONEY_DECIMAL_PLACES} decimals: {', '.join(unfit)}.",
                id="money.E002",
            )
        )
    if codes and DEFAULT_CURRENCY not in codes:
        errors.append(
            checks.Error(
                f"SUPPORTED_CURRENCIES must include the default currency {DEFAULT_CURRENCY}.",
                id="money.E003",
            )
        )
    return errors
