"""Filters of the withdrawal list (admins use them across every instructor).

`?currency=` is not one of them: the view reads it as a body's currency
(`lms.core.serializers.currency_query_param`: `usd` is USD, anything else 400
`unsupported_currency`), one rule for every currency input."""

from __future__ import annotations

import django_filters

from lms.payouts.models import PayoutMethod, Withdrawal


class WithdrawalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Withdrawal.Status.choices)
    method = django_filters.ChoiceFilter(choices=PayoutMethod.choices)
    instructor = django_filters.UUIDFilter(field_name="instructor_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Withdrawal
        fields = ["status", "method", "instructor", "created_after", "created_before"]
