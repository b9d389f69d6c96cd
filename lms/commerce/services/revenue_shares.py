"""How a course's instructor earnings are split between its owner and co-instructors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.catalog.models import Course
from lms.core.errors import Invalid, PermissionDenied
from lms.core.permissions import ADMIN, has_role
from lms.core.requests import AnyRequest

from ..errors import CommerceError
from ..models import (
    RevenueShare,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def set_revenue_shares(
    *, course: Course, by: User, shares: Sequence[tuple[Any, Decimal]], request: AnyRequest = None
) -> list[RevenueShare]:
    """The owner splits the instructors' part of each sale; an empty list means all to them."""
    if course.instructor_id != by.pk and not has_role(by, ADMIN):
        raise PermissionDenied("Only the course's owner sets the revenue shares.")
    teachers = {course.instructor_id, *course.co_instructors.values_list("id", flat=True)}
    seen: set[Any] = set()
    for instructor_id, percent in shares:
        if instructor_id not in teachers:
            raise Invalid(
                "Only the course's instructors can have a share.", code=CommerceError.INVALID_SHARES
            )
        if instructor_id in seen:
            raise Invalid("An instructor appears twice.", code=CommerceError.INVALID_SHARES)
        seen.add(instructor_id)
        if percent <= 0 or percent > 100:
            raise Invalid(
                "Every share is above 0 and at most 100.", code=CommerceError.INVALID_SHARES
            )
    if shares and sum((p for _, p in shares), Decimal(0)) != 100:
        raise Invalid("The shares must add up to 100.", code=CommerceError.INVALID_SHARES)
    RevenueShare.objects.filter(course=course).delete()
    rows = RevenueShare.objects.bulk_create(
        RevenueShare(course=course, instructor_id=i, percent=p) for i, p in shares
    )
    record(
        action=AuditAction.COURSE_REVENUE_SHARES_SET,
        actor=by,
        target=course,
        request=request,
        data={"shares": {str(i): str(p) for i, p in shares}},
    )
    return rows
