"""Payouts' read model (`selectors.WalletOverview`) renders through its one serializer with
every field accounted for: `primary` as the top-level figures, `wallets` as the list."""

import dataclasses

import pytest

from lms.payouts import selectors
from lms.payouts.api import serializers as s
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import earn

pytestmark = pytest.mark.django_db

# Where WalletOverviewSerializer puts each field of the read model.
RENDERED_AS = {"primary": "the top-level figures", "wallets": "wallets"}


def test_every_field_of_the_wallet_overview_is_rendered():
    fields = {field.name for field in dataclasses.fields(selectors.WalletOverview)}
    assert fields == set(RENDERED_AS)
    assert set(s.WalletOverviewSerializer().fields) == {
        *s.WalletSerializer().fields,
        "wallets",
    }


def test_the_wallet_answers_its_overview_as_the_serializer_renders_it(
    instructor, instructor_client
):
    # given: wallets in two currencies
    earn(instructor, "100.00")
    earn(instructor, "1000", currency="JPY", matured=False)

    # when
    answered = instructor_client.get("/api/v1/wallet/").json()

    # then: the primary wallet's every figure at the top, each wallet's in the list
    overview = selectors.wallet_overview(user=instructor)
    figures = set(s.WalletSerializer().fields)
    assert set(answered) == figures | {"wallets"}
    assert {key: answered[key] for key in figures} == s.WalletSerializer(overview.primary).data
    assert answered["wallets"] == s.WalletSerializer(overview.wallets, many=True).data
    assert [wallet["currency"] for wallet in answered["wallets"]] == ["JPY", "USD"]
    assert answered["wallets"][0]["next_release_amount"] == "850"
    assert_payouts_consistent()
