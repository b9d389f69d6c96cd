"""Filters of the withdrawal list (admins use them across every instructor)."""

from __future__ import annotations

import django_filters

from lms.core.money import currency_choices
from lms.payouts.models import PayoutMethod, Withdrawal


class WithdrawalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Withdrawal.Status.choices)
    method = django_filters.ChoiceFilter(choices=PayoutMethod.choices)
    currency = django_filters.ChoiceFilter(choices=currency_choices)
    instructor = django_filters.UUIDFilter(field_name="instructor_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Withdrawal
        fields = ["status", "method", "currency", "instructor", "created_after", "created_before"]
