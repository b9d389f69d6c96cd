"""Factories and money set-ups for payouts tests. Money only ever moves through the services,
so every set-up leaves a balanced ledger behind."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from lms.core.money import Money
from lms.payouts import services
from lms.payouts.models import LedgerTransaction, Withdrawal
from lms.payouts.services import LedgerReference


class SaleReferenceFactory(factory.Factory[LedgerReference]):
    """The order item a sale comes from (commerce's model, named by label and id)."""

    class Meta:
        model = LedgerReference

    type = "commerce.orderitem"
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))


class RefundReferenceFactory(SaleReferenceFactory):
    type = "commerce.refund"


def earn(
    instructor: Any,
    amount_paid: str | Decimal = "100.00",
    *,
    currency: str = "USD",
    matured: bool = True,
    reference: LedgerReference | None = None,
) -> LedgerTransaction:
    """Credit one sale to `instructor` alone; with `matured`, release it to available now."""
    sale = services.credit_sale_earnings(
        reference=reference or SaleReferenceFactory(),
        amount_paid=Money(Decimal(amount_paid), currency),
        splits=[(instructor, 100)],
        hold_until=timezone.now() - timedelta(seconds=1) if matured else None,
    )
    assert sale is not None
    if matured:
        services.release_matured_earnings()
    return sale


VALID_DETAILS: dict[str, dict[str, str]] = {
    "paypal": {"email": "payee@example.com"},
    "wise": {"account_id": "12345678"},
    "bank": {
        "account_holder": "Ada Lovelace",
        "country": "GB",
        "iban": "GB82 WEST 1234 5698 7654 32",
    },
    "stripe": {"account_id": "acct_1Nv0FGQ9RKHgCVdK"},
}


def request_withdrawal(
    instructor: Any,
    amount: str | Decimal = "50.00",
    *,
    currency: str = "USD",
    method: str = "paypal",
) -> Withdrawal:
    return services.request_withdrawal(
        instructor=instructor,
        amount=Money(Decimal(amount), currency),
        method=method,
        details=VALID_DETAILS[method],
    )
