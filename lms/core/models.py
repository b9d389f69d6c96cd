import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
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


class UnsentTask(BaseModel):
    """A Celery task that could not be published after its write committed (the outbox).

    `config/celery.py` writes one row (one INSERT) when the broker refuses a task scheduled
    with `delay_on_commit`, or while the process waits out its broker cool-down; beat's
    `lms.core.tasks.resend_unsent_tasks` publishes the rows again, oldest first, and deletes
    each one sent. `created_at` is when the task was queued.

    Only what Celery needs to send it again: the registered task's name and its arguments,
    which are ids (JSON: strings and numbers, never bodies, addresses or secrets;
    lms/core/tasks.py). `attempts` counts resends that failed for the row's own reason (its
    arguments no longer fit the task, a value the serializer refuses, a task no longer
    registered), not broker outages; at CELERY_OUTBOX_MAX_ATTEMPTS (20) the row is given up:
    left for an operator, never tried again. `last_error` is the class name of the last
    failure, a broker's included (never its message, which may quote a broker URL). The
    table holds at most about CELERY_OUTBOX_MAX_ROWS rows (config/celery.py `OutboxCap`).
    """

    task = models.CharField(max_length=200)
    # UUIDs (the usual id) are stored as their text; a task looks its row up by either.
    args = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.task} queued {self.created_at:%Y-%m-%d %H:%M:%S}"
