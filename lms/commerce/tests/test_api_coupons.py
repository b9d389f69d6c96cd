from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.commerce.models import Coupon, CouponKind, CouponRedemption, CouponScope
from lms.commerce.tests.conftest import add_to_cart, checkout, simulate
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db
COUPONS = "/api/v1/coupons/"
CART_COUPON = "/api/v1/cart/coupon/"


def make_coupon(**kwargs):
    defaults = {
        "code": "SAVE10",
        "kind": CouponKind.PERCENT,
        "value": Decimal("10"),
        "scope": CouponScope.PLATFORM,
    }
    defaults.update(kwargs)
    if "created_by" not in defaults:
        from lms.accounts.tests.factories import AdminFactory

        defaults["created_by"] = AdminFactory()
    courses = defaults.pop("courses", [])
    coupon = Coupon.objects.create(**defaults)
    coupon.courses.set(courses)
    return coupon


# --- creating coupons -------------------------------------------------------------------------


def test_instructor_creates_a_coupon_for_own_course(instructor, instructor_client, course_factory):
    # given
    course = course_factory(instructor=instructor)
    # when
    response = instructor_client.post(
        COUPONS,
        {
            "code": "spring25",
            "kind": "percent",
            "value": "25",
            "courses": [str(course.pk)],
            "max_redemptions": 10,
            "per_user_limit": 1,
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["kind"], body["value"], body["scope"]) == (
        "SPRING25",
        "percent",
        "25.00",
        "courses",
    )
    assert body["courses"] == [str(course.pk)]
    assert instructor_client.get(COUPONS).json()["count"] == 1


def test_fixed_coupon_needs_a_currency_and_respects_its_minor_unit(admin_client_api):
    missing = admin_client_api.post(
        COUPONS, {"code": "FIX5", "kind": "fixed", "value": "5", "scope": "platform"}, format="json"
    )
    jpy_decimals = admin_client_api.post(
        COUPONS,
        {"code": "YEN", "kind": "fixed", "value": "5.50", "currency": "JPY", "scope": "platform"},
        format="json",
    )
    ok = admin_client_api.post(
        COUPONS,
        {"code": "YEN2", "kind": "fixed", "value": "500", "currency": "jpy", "scope": "platform"},
        format="json",
    )
    assert missing.status_code == 400
    assert error_codes(missing) == ["required"]
    assert jpy_decimals.status_code == 400
    assert error_codes(jpy_decimals) == ["invalid_amount"]
    assert ok.status_code == 201
    assert (ok.json()["value"], ok.json()["currency"]) == ("500", "JPY")


def test_coupon_of_another_instructors_course_is_refused(instructor_client, course_factory):
    someone_elses = course_factory()
    response = instructor_client.post(
        COUPONS,
        {"code": "STEAL", "kind": "percent", "value": "50", "courses": [str(someone_elses.pk)]},
        format="json",
    )
    assert response.status_code == 400
    assert error_codes(response) == ["not_your_course"]
    assert not Coupon.objects.exists()


def test_platform_coupons_are_for_admins(instructor_client, admin_client_api):
    body = {"code": "ALL20", "kind": "percent", "value": "20", "scope": "platform"}
    assert instructor_client.post(COUPONS, body, format="json").status_code == 403
    assert admin_client_api.post(COUPONS, body, format="json").status_code == 201


@pytest.mark.parametrize(
    "value",
    ["-5", "0", "abc", "1e30", "NaN", "100000000000", "", None, "101"],
)
def test_bad_coupon_values_are_400(admin_client_api, value):
    response = admin_client_api.post(
        COUPONS,
        {"code": "BAD", "kind": "percent", "value": value, "scope": "platform"},
        format="json",
    )
    assert response.status_code == 400
    assert not Coupon.objects.exists()


def test_coupon_window_must_be_ordered(admin_client_api):
    now = timezone.now()
    response = admin_client_api.post(
        COUPONS,
        {
            "code": "BACKWARDS",
            "kind": "percent",
            "value": "5",
            "scope": "platform",
            "starts_at": now.isoformat(),
            "ends_at": (now - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_coupon"]


def test_duplicate_code_is_409(admin_client_api):
    body = {"code": "ONCE", "kind": "percent", "value": "5", "scope": "platform"}
    admin_client_api.post(COUPONS, body, format="json")
    response = admin_client_api.post(COUPONS, {**body, "code": "once"}, format="json")
    assert response.status_code == 409
    assert error_codes(response) == ["coupon_code_taken"]


def test_coupons_need_instructor_role(anon_client, student_client):
    assert anon_client.get(COUPONS).status_code == 401
    assert student_client.get(COUPONS).status_code == 403
    assert student_client.post(COUPONS, {}).status_code == 403


def test_another_instructors_coupon_is_404(instructor_client):
    coupon = make_coupon()
    assert instructor_client.get(f"{COUPONS}{coupon.pk}/").status_code == 404
    assert instructor_client.delete(f"{COUPONS}{coupon.pk}/").status_code == 404


def test_deactivate_coupon(admin_client_api):
    coupon = make_coupon()
    response = admin_client_api.delete(f"{COUPONS}{coupon.pk}/")
    assert response.status_code == 204
    assert response.content == b""
    # deactivated, not deleted: orders that used it keep it
    assert admin_client_api.get(f"{COUPONS}{coupon.pk}/").json()["is_active"] is False


# --- applying coupons -------------------------------------------------------------------------


def test_percent_coupon_on_the_cart(student_client, course_factory):
    # given
    add_to_cart(student_client, course_factory(price=Decimal("49.99")))
    add_to_cart(student_client, course_factory(price=Decimal("20.00")))
    make_coupon(code="SAVE10", value=Decimal("10"))
    # when
    response = student_client.post(CART_COUPON, {"code": " save10 "})
    # then
    assert response.status_code == 200
    cart = response.json()
    assert (cart["coupon"], cart["subtotal"], cart["discount"], cart["total"]) == (
        "SAVE10",
        "69.99",
        "7.00",
        "62.99",
    )
    removed = student_client.delete(CART_COUPON)
    assert removed.status_code == 204
    assert removed.content == b""
    assert student_client.get("/api/v1/cart/").json()["total"] == "69.99"


def test_fixed_coupon_never_makes_the_total_negative(student_client, course_factory):
    add_to_cart(student_client, course_factory(price=Decimal("15.00")))
    make_coupon(code="BIG", kind=CouponKind.FIXED, value=Decimal("50"), currency="USD")
    cart = student_client.post(CART_COUPON, {"code": "BIG"}).json()
    assert (cart["discount"], cart["total"]) == ("15.00", "0.00")


def test_instructor_scope_covers_only_that_instructors_courses(
    student_client, course_factory, instructor
):
    add_to_cart(student_client, course_factory(instructor=instructor, price=Decimal("40")))
    add_to_cart(student_client, course_factory(price=Decimal("60")))
    make_coupon(
        code="MINE",
        scope=CouponScope.INSTRUCTOR,
        instructor=instructor,
        value=Decimal("50"),
        created_by=instructor,
    )
    cart = student_client.post(CART_COUPON, {"code": "MINE"}).json()
    assert (cart["discount"], cart["total"]) == ("20.00", "80.00")


@pytest.mark.parametrize(
    ("coupon_kwargs", "code"),
    [
        ({"code": "OFF", "is_active": False}, "coupon_invalid"),
        ({"code": "LATER", "starts_at": timezone.now() + timedelta(days=1)}, "coupon_not_started"),
        ({"code": "OLD", "ends_at": timezone.now() - timedelta(days=1)}, "coupon_expired"),
        ({"code": "GONE", "max_redemptions": 1, "redemption_count": 1}, "coupon_exhausted"),
        (
            {"code": "EUR5", "kind": CouponKind.FIXED, "value": Decimal("5"), "currency": "EUR"},
            "coupon_currency_mismatch",
        ),
        ({"code": "ELSEWHERE", "scope": CouponScope.COURSES}, "coupon_not_applicable"),
    ],
)
def test_coupon_refusals(student_client, course, coupon_kwargs, code):
    add_to_cart(student_client, course)
    make_coupon(**coupon_kwargs)
    response = student_client.post(CART_COUPON, {"code": coupon_kwargs["code"]})
    assert response.status_code == 400
    assert error_codes(response) == [code]
    assert student_client.get("/api/v1/cart/").json()["coupon"] is None


def test_unknown_code_is_400(student_client, course):
    add_to_cart(student_client, course)
    response = student_client.post(CART_COUPON, {"code": "NOPE"})
    assert response.status_code == 400
    assert error_codes(response) == ["coupon_invalid"]


def test_redemptions_are_counted_at_payment_not_at_apply(student_client, course):
    # given
    coupon = make_coupon(code="ONCEEACH", per_user_limit=1, max_redemptions=5)
    add_to_cart(student_client, course)
    student_client.post(CART_COUPON, {"code": "ONCEEACH"})
    coupon.refresh_from_db()
    assert coupon.redemption_count == 0
    # when
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    payment = checkout(student_client, order["id"])
    coupon.refresh_from_db()
    assert coupon.redemption_count == 0
    simulate(student_client, payment["payment_id"])
    # then
    coupon.refresh_from_db()
    assert coupon.redemption_count == 1
    assert str(CouponRedemption.objects.get().order_id) == order["id"]


def test_per_user_limit_after_a_paid_use(student_client, course_factory):
    make_coupon(code="ONEPERUSER", per_user_limit=1)
    first = course_factory()
    add_to_cart(student_client, first)
    student_client.post(CART_COUPON, {"code": "ONEPERUSER"})
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    simulate(student_client, checkout(student_client, order["id"])["payment_id"])
    add_to_cart(student_client, course_factory())
    response = student_client.post(CART_COUPON, {"code": "ONEPERUSER"})
    assert response.status_code == 400
    assert error_codes(response) == ["coupon_exhausted"]


def test_coupon_used_up_between_order_and_payment_refunds_and_grants_nothing(
    student_client, client_for, other_student, course_factory, django_capture_on_commit_callbacks
):
    # given: a coupon with one use left, in two buyers' orders
    coupon = make_coupon(code="LAST", max_redemptions=1)
    course = course_factory(price=Decimal("80"))
    other = client_for(other_student)
    orders = []
    for client in (student_client, other):
        add_to_cart(client, course)
        client.post(CART_COUPON, {"code": "LAST"})
        order = client.post("/api/v1/orders/", {}, format="json").json()
        orders.append((client, order, checkout(client, order["id"])))
    # when: both pay
    for client, _order, payment in orders:
        with django_capture_on_commit_callbacks(execute=True):
            assert simulate(client, payment["payment_id"]).status_code == 200
    # then: only the first is paid; the second is failed and refunded in full
    first = orders[0][0].get(f"/api/v1/orders/{orders[0][1]['id']}/").json()
    second = orders[1][0].get(f"/api/v1/orders/{orders[1][1]['id']}/").json()
    assert first["status"] == "paid"
    assert (second["status"], second["failure_code"]) == ("failed", "coupon_exhausted")
    coupon.refresh_from_db()
    assert coupon.redemption_count == 1
    from lms.commerce.models import Refund

    refund = Refund.objects.get(order_id=second["id"])
    assert (refund.status, refund.amount) == ("succeeded", Decimal("72.00"))
    assert not other_student.enrollments.exists()
