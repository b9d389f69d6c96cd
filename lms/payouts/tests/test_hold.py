"""`hold_sale_earnings`: a sale's pending money can be held longer (a tutoring lesson is held
from its completion); released money is never touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.payouts import services
from lms.payouts.models import PendingEarning
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import SaleReferenceFactory, earn

pytestmark = pytest.mark.django_db


def test_a_sales_pending_lot_is_held_until_the_new_time(instructor):
    # given: a sale held for the default period
    reference = SaleReferenceFactory()
    sale = earn(instructor, "100.00", matured=False, reference=reference)
    later = timezone.now() + timedelta(days=30)

    # when
    moved = services.hold_sale_earnings(references=[reference], release_at=later)

    # then: the lot waits longer; releasing now leaves it pending
    assert moved == 1
    assert PendingEarning.objects.get(sale=sale).release_at == later
    assert services.release_matured_earnings(now=later - timedelta(seconds=1)) == 0
    assert_payouts_consistent()


def test_released_money_and_unknown_sales_are_left_alone(instructor):
    reference = SaleReferenceFactory()
    sale = earn(instructor, "100.00", matured=True, reference=reference)
    released_at = PendingEarning.objects.get(sale=sale).release_at

    assert (
        services.hold_sale_earnings(
            references=[reference, SaleReferenceFactory()],
            release_at=timezone.now() + timedelta(days=30),
        )
        == 0
    )
    assert PendingEarning.objects.get(sale=sale).release_at == released_at
    assert services.hold_sale_earnings(references=[], release_at=timezone.now()) == 0
    assert_payouts_consistent()
