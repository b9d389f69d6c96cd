"""Tutoring invariants for tests: call after every test that touched bookings.

`assert_tutoring_consistent()` checks what the database constraints cannot on SQLite (no
exclusion constraints there) and the denormalised figures: no overlapping slots or active
bookings of one tutor, each tutor's rating sum and count equal to their testimonials, a
paid-or-later booking has its payment time, and the payouts ledger stays balanced.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Sum

from lms.payouts.testing import assert_payouts_consistent

from .models import ACTIVE_STATUSES, AvailabilitySlot, Booking, Testimonial, TutorSettings


def _overlaps(ranges: Sequence[tuple[Any, Any, Any]]) -> list[tuple[Any, Any]]:
    by_tutor: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for tutor, start, end in ranges:
        by_tutor[tutor].append((start, end))
    found = []
    for rows in by_tutor.values():
        rows.sort()
        for (_, end), (start, _) in itertools.pairwise(rows):
            if start < end:
                found.append((start, end))
    return found


def assert_tutoring_consistent() -> None:
    slots = list(AvailabilitySlot.objects.values_list("tutor_id", "start", "end"))
    assert not _overlaps(slots), f"Overlapping slots: {_overlaps(slots)}"
    active = list(
        Booking.objects.filter(status__in=ACTIVE_STATUSES).values_list(
            "tutor_id", "start", "blocked_end"
        )
    )
    assert not _overlaps(active), f"Overlapping active bookings: {_overlaps(active)}"
    ratings = {
        row["tutor_id"]: (row["total"], row["count"])
        for row in Testimonial.objects.values("tutor_id").annotate(
            total=Sum("rating"), count=Count("id")
        )
    }
    for row in TutorSettings.objects.values("tutor_id", "rating_sum", "rating_count"):
        expected = ratings.get(row["tutor_id"], (0, 0))
        assert (row["rating_sum"], row["rating_count"]) == expected, (
            f"Tutor {row['tutor_id']} rating {row} differs from its testimonials {expected}"
        )
    unpaid = Booking.objects.filter(
        status__in=("paid", "confirmed", "completed", "refunded"), paid_at__isnull=True
    ).count()
    assert unpaid == 0, f"{unpaid} bookings past pending have no payment time"
    assert_payouts_consistent()
