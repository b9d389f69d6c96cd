"""Coupons: created by instructors (their courses) and admins (wider); counted at payment."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.selectors import courses_editable_by
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.money import MAX_AMOUNT, parse_amount
from lms.core.permissions import ADMIN, has_role
from lms.core.requests import AnyRequest

from ..errors import CommerceError
from ..models import (
    Coupon,
    CouponKind,
    CouponScope,
)
from ..pricing import coupon_value_string

logger = logging.getLogger(__name__)


def _coupon_error(message: str) -> Invalid:
    return Invalid(message, code=CommerceError.INVALID_COUPON)


@transaction.atomic
def create_coupon(*, by: User, data: dict[str, Any], request: AnyRequest = None) -> Coupon:
    """An instructor's coupon for their own courses (or all of them); admins may go wider."""
    is_admin = has_role(by, ADMIN)
    code = str(data["code"]).strip().upper()
    kind = data["kind"]
    value = Decimal(data["value"])
    currency = str(data.get("currency") or "").upper()
    scope = data.get("scope") or CouponScope.COURSES
    if not value.is_finite() or value <= 0 or value >= MAX_AMOUNT:
        raise _coupon_error("The value must be positive.")
    if kind == CouponKind.PERCENT:
        if value > 100:
            raise _coupon_error("A percent coupon takes at most 100 percent.")
        currency = ""
    else:
        if not currency:
            raise Invalid("A fixed coupon needs its currency.", code=CommerceError.INVALID_COUPON)
        value = parse_amount(value, currency, allow_zero=False).amount
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise _coupon_error("The coupon must end after it starts.")
    if scope == CouponScope.PLATFORM and not is_admin:
        raise PermissionDenied("Only administrators create platform-wide coupons.")
    courses: list[Course] = []
    instructor: User | None = by
    if scope == CouponScope.COURSES:
        wanted = list(dict.fromkeys(data.get("courses") or []))
        if not wanted:
            raise _coupon_error("Choose the courses this coupon is for.")
        courses = list(courses_editable_by(by).filter(pk__in=wanted))
        if len(courses) != len(wanted):
            raise Invalid(
                "A coupon can only cover your own courses.", code=CommerceError.NOT_YOUR_COURSE
            )
    elif scope == CouponScope.INSTRUCTOR and is_admin and data.get("instructor_id"):
        instructor = User.objects.filter(pk=data["instructor_id"]).first()
        if instructor is None:
            raise _coupon_error("No such instructor.")
    elif scope == CouponScope.PLATFORM:
        instructor = None
    if Coupon.objects.filter(code=code).exists():
        raise Conflict("This code is taken.", code=CommerceError.COUPON_CODE_TAKEN)
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(
                code=code,
                kind=kind,
                value=value,
                currency=currency,
                scope=scope,
                instructor=instructor,
                created_by=by,
                starts_at=starts_at,
                ends_at=ends_at,
                max_redemptions=data.get("max_redemptions"),
                per_user_limit=data.get("per_user_limit"),
            )
    except IntegrityError:
        raise Conflict("This code is taken.", code=CommerceError.COUPON_CODE_TAKEN) from None
    coupon.courses.set(courses)
    record(
        action=AuditAction.COUPON_CREATED,
        actor=by,
        target=coupon,
        request=request,
        data={
            "code": code,
            "kind": kind,
            "value": coupon_value_string(value, currency),
            "currency": currency,
            "scope": scope,
        },
    )
    return coupon


@transaction.atomic
def deactivate_coupon(*, coupon: Coupon, by: User, request: AnyRequest = None) -> Coupon:
    coupon.is_active = False
    coupon.save(update_fields=["is_active", "updated_at"])
    record(action=AuditAction.COUPON_DEACTIVATED, actor=by, target=coupon, request=request)
    return coupon
