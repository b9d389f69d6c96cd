import uuid
from typing import Any

from django.db import models

from lms.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class BaseModel(models.Model):
    """UUID primary key and creation/update timestamps, shared by every domain model."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MoneyAmountField(models.DecimalField):
    """Every stored amount: 15 digits with 3 decimals, wide enough for every supported currency
    (the `money` system check keeps SUPPORTED_CURRENCIES inside it). The amount's currency is a
    `CurrencyField` beside it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    """An ISO 4217 code. Which codes are sold in is a setting (SUPPORTED_CURRENCIES), checked
    at the edge of every input, so the column itself takes any three letters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)
