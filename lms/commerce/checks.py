"""Deploy checks of the payment configuration (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_payment_provider_for_deploy(**kwargs: Any) -> list[checks.CheckMessage]:
    """A deployment takes real payments: the fake provider lets buyers mark orders paid."""
    if settings.PAYMENT_PROVIDER == "fake":
        return [
            checks.Error(
                "PAYMENT_PROVIDER is 'fake': any buyer can mark their own payment paid and "
                "get the course, and the instructor is credited money that never arrived.",
                hint="Set PAYMENT_PROVIDER=stripe with the STRIPE_* keys (docs/commerce.md).",
                id="commerce.E001",
            )
        ]
    if settings.PAYMENT_PROVIDER == "stripe":
        missing = [
            name
            for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
            if not getattr(settings, name)
        ]
        if missing:
            return [
                checks.Error(
                    f"PAYMENT_PROVIDER is 'stripe' but {', '.join(missing)} is empty.",
                    id="commerce.E002",
                )
            ]
    return []
