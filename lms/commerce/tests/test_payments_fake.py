from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from lms.audit.models import AuditLog
from lms.catalog.tests.factories import LessonFactory, SectionFactory
from lms.commerce.models import Coupon, CouponKind, CouponScope, Order, Payment, ProviderEvent
from lms.commerce.tests.conftest import add_to_cart, buy, checkout, place_order, simulate
from lms.conftest import error_codes
from lms.learning.models import Enrollment, EnrollmentStatus
from lms.learning.tests.factories import LessonProgressFactory
from lms.notifications.models import Notification
from lms.payouts.models import LedgerTransaction, TransactionKind, Wallet
from lms.payouts.testing import assert_payouts_consistent

pytestmark = pytest.mark.django_db


def wallet_of(user, currency="USD"):
    return Wallet.objects.get(instructor=user, currency=currency)


def test_simulated_success_fulfils_the_order(
    student, student_client, course, django_capture_on_commit_callbacks
):
    # given
    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = simulate(student_client, payment["payment_id"])
    # then: paid, enrolled, earnings credited (100 - 15%), receipt, notification, audit
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["order_status"]) == ("succeeded", "paid")
    assert Order.objects.get(pk=order["id"]).paid_at is not None
    enrollment = Enrollment.objects.get(student=student, course=course)
    assert (enrollment.status, enrollment.source) == (EnrollmentStatus.ACTIVE, "purchase")
    wallet = wallet_of(course.instructor)
    assert (wallet.pending, wallet.total_earned) == (Decimal("85.000"), Decimal("85.000"))
    [receipt] = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert receipt.to == [student.email]
    assert receipt.attachments[0][0] == f"receipt-{order['number']}.pdf"
    assert receipt.attachments[0][1].startswith(b"%PDF")
    assert Notification.objects.filter(user=student, category="commerce").count() == 1
    assert AuditLog.objects.filter(action="order.paid", target_id=order["id"]).count() == 1
    assert_payouts_consistent()


def test_repeated_simulation_fulfils_once(student, student_client, course):
    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    for _ in range(3):
        assert simulate(student_client, payment["payment_id"]).status_code == 200
    assert ProviderEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 1
    assert Enrollment.objects.filter(student=student).count() == 1
    assert wallet_of(course.instructor).pending == Decimal("85.000")


def test_failure_then_late_success_is_honoured(student, student_client, course):
    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    failed = simulate(student_client, payment["payment_id"], "failed")
    assert failed.json()["order_status"] == "failed"
    assert not Enrollment.objects.exists()
    paid = simulate(student_client, payment["payment_id"], "succeeded")
    assert paid.json()["order_status"] == "paid"
    assert Enrollment.objects.filter(student=student, course=course).exists()


def test_a_paid_order_never_goes_back(student_client, course):
    order = buy(student_client, course)
    response = simulate(student_client, order["payment"]["id"], "failed")
    assert response.status_code == 200
    assert response.json()["order_status"] == "paid"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    again = checkout(student_client, order["id"])
    assert again["payment_id"] == order["payment"]["id"]


def test_simulate_access_and_input(
    student_client, client_for, other_student, anon_client, course, settings
):
    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    url = f"/api/v1/payments/{payment['payment_id']}/simulate/"
    assert anon_client.post(url, {"outcome": "succeeded"}).status_code == 401
    assert client_for(other_student).post(url, {"outcome": "succeeded"}).status_code == 404
    bad = student_client.post(url, {"outcome": "maybe"})
    assert (bad.status_code, error_codes(bad)) == (400, ["invalid_choice"])
    settings.PAYMENT_PROVIDER = "stripe"
    refused = student_client.post(url, {"outcome": "succeeded"})
    assert (refused.status_code, error_codes(refused)) == (409, ["simulation_unavailable"])
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_payment_detail(student_client, client_for, other_student, course):
    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    mine = student_client.get(f"/api/v1/payments/{payment['payment_id']}/")
    assert (mine.status_code, mine.json()["amount"], mine.json()["status"]) == (
        200,
        "100.00",
        "pending",
    )
    assert (
        client_for(other_student).get(f"/api/v1/payments/{payment['payment_id']}/").status_code
        == 404
    )


def test_free_order_after_a_full_coupon_is_paid_at_checkout(
    student, student_client, course, admin_user
):
    coupon = Coupon.objects.create(
        code="FREE100",
        kind=CouponKind.PERCENT,
        value=Decimal("100"),
        scope=CouponScope.PLATFORM,
        created_by=admin_user,
    )
    add_to_cart(student_client, course)
    student_client.post("/api/v1/cart/coupon/", {"code": "FREE100"})
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    assert order["total"] == "0.00"
    payment = checkout(student_client, order["id"])
    assert (payment["provider"], payment["status"]) == ("free", "succeeded")
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.filter(student=student, course=course).exists()
    coupon.refresh_from_db()
    assert coupon.redemption_count == 1
    assert not LedgerTransaction.objects.exists()


def test_coupon_discount_reduces_instructor_earnings(student_client, course_factory, admin_user):
    first = course_factory(price=Decimal("60"))
    second = course_factory(price=Decimal("40"))
    Coupon.objects.create(
        code="TEN",
        kind=CouponKind.FIXED,
        value=Decimal("10"),
        currency="USD",
        scope=CouponScope.PLATFORM,
        created_by=admin_user,
    )
    add_to_cart(student_client, first)
    add_to_cart(student_client, second)
    student_client.post("/api/v1/cart/coupon/", {"code": "TEN"})
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    assert [item["amount_paid"] for item in order["items"]] == ["54.00", "36.00"]
    simulate(student_client, checkout(student_client, order["id"])["payment_id"])
    assert wallet_of(first.instructor).pending == Decimal("45.900")  # 54 - 15%
    assert wallet_of(second.instructor).pending == Decimal("30.600")


def test_co_instructor_shares(
    instructor, instructor_client, client_for, student_client, course_factory
):
    # given: the owner gives a co-instructor 30 percent
    from lms.accounts.tests.factories import InstructorFactory

    helper = InstructorFactory()
    course = course_factory(instructor=instructor, price=Decimal("100"))
    course.co_instructors.add(helper)
    url = f"/api/v1/courses/{course.pk}/revenue-shares/"
    body = {
        "shares": [
            {"instructor_id": str(instructor.pk), "percent": "70"},
            {"instructor_id": str(helper.pk), "percent": "30"},
        ]
    }
    assert client_for(helper).put(url, body, format="json").status_code == 403
    response = instructor_client.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    # when
    buy(student_client, course)
    # then: 85 split 59.50 / 25.50
    assert wallet_of(instructor).pending == Decimal("59.500")
    assert wallet_of(helper).pending == Decimal("25.500")
    assert instructor_client.get(url).json()[0]["percent"] == "70.00"


def test_revenue_share_validation(instructor, instructor_client, student_client, course_factory):
    course = course_factory(instructor=instructor)
    url = f"/api/v1/courses/{course.pk}/revenue-shares/"
    stranger = course_factory().instructor
    not_100 = instructor_client.put(
        url, {"shares": [{"instructor_id": str(instructor.pk), "percent": "90"}]}, format="json"
    )
    outsider = instructor_client.put(
        url, {"shares": [{"instructor_id": str(stranger.pk), "percent": "100"}]}, format="json"
    )
    negative = instructor_client.put(
        url, {"shares": [{"instructor_id": str(instructor.pk), "percent": "-100"}]}, format="json"
    )
    assert (not_100.status_code, error_codes(not_100)) == (400, ["invalid_shares"])
    assert (outsider.status_code, error_codes(outsider)) == (400, ["invalid_shares"])
    assert negative.status_code == 400
    assert student_client.get(url).status_code == 403
    other_course = course_factory()
    assert (
        instructor_client.get(f"/api/v1/courses/{other_course.pk}/revenue-shares/").status_code
        == 404
    )
    reset = instructor_client.put(url, {"shares": []}, format="json")
    assert (reset.status_code, reset.json()) == (200, [])


def test_jpy_order_end_to_end(student_client, course_factory):
    course = course_factory(price=Decimal("5000"), currency="JPY")
    order = buy(student_client, course)
    assert (order["total"], order["currency"], order["status"]) == ("5000", "JPY", "paid")
    assert wallet_of(course.instructor, "JPY").pending == Decimal("4250")


# --- refunds ----------------------------------------------------------------------------------


def refund(client, order_id, **body):
    return client.post(f"/api/v1/orders/{order_id}/refund/", body, format="json")


def test_student_refund_within_the_window(student, student_client, course):
    # given
    order = buy(student_client, course)
    # when
    response = refund(student_client, order["id"], reason="Not for me")
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["order"]["status"]) == (
        "succeeded",
        "100.00",
        "refunded",
    )
    assert Enrollment.objects.get(student=student, course=course).status == EnrollmentStatus.REVOKED
    wallet = wallet_of(course.instructor)
    assert (wallet.pending, wallet.total_earned) == (Decimal("0"), Decimal("0"))
    assert Payment.objects.get(pk=order["payment"]["id"]).amount_refunded == Decimal("100")
    assert AuditLog.objects.filter(action="refund.succeeded").count() == 1
    assert Notification.objects.filter(user=student, title="Refund issued").exists()
    assert_payouts_consistent()


def test_refund_twice_is_409(student_client, course):
    order = buy(student_client, course)
    assert refund(student_client, order["id"]).status_code == 200
    again = refund(student_client, order["id"])
    assert (again.status_code, error_codes(again)) == (409, ["already_refunded"])
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE_REVERSAL).count() == 1


def test_partial_then_full_refund(student, student_client, course_factory):
    first, second = course_factory(price=Decimal("30")), course_factory(price=Decimal("70"))
    order = buy(student_client, first, second)
    partial = refund(student_client, order["id"], course_ids=[str(first.pk)])
    assert partial.json()["order"]["status"] == "partially_refunded"
    assert partial.json()["order"]["refunded_amount"] == "30.00"
    same = refund(student_client, order["id"], course_ids=[str(first.pk)])
    assert (same.status_code, error_codes(same)) == (409, ["already_refunded"])
    assert Enrollment.objects.get(student=student, course=second).status == EnrollmentStatus.ACTIVE
    rest = refund(student_client, order["id"])
    assert rest.json()["order"]["status"] == "refunded"
    assert wallet_of(second.instructor).pending == Decimal("0")


def test_student_refund_after_the_window_is_403_but_admin_may(
    student_client, admin_client_api, course, settings
):
    order = buy(student_client, course)
    # the tokens would expire if the clock moved: the payment moves back instead
    Order.objects.filter(pk=order["id"]).update(
        paid_at=timezone.now() - timedelta(days=settings.REFUND_WINDOW_DAYS, hours=1)
    )
    late = refund(student_client, order["id"])
    by_admin = refund(admin_client_api, order["id"])
    assert (late.status_code, error_codes(late)) == (403, ["refund_window_closed"])
    assert by_admin.status_code == 200
    assert by_admin.json()["order"]["status"] == "refunded"


def test_student_refund_with_30_percent_done_is_403(student, student_client, course):
    lessons = [LessonFactory(section=SectionFactory(course=course)) for _ in range(3)]
    order = buy(student_client, course)
    enrollment = Enrollment.objects.get(student=student, course=course)
    LessonProgressFactory(enrollment=enrollment, lesson=lessons[0])
    response = refund(student_client, order["id"])
    assert (response.status_code, error_codes(response)) == (403, ["too_much_progress"])
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_refund_access_and_state(
    student_client, client_for, other_student, anon_client, manager_client, course
):
    order = buy(client_for(other_student), course)
    pending = place_order(student_client, course)
    assert anon_client.post(f"/api/v1/orders/{order['id']}/refund/").status_code == 401
    assert refund(student_client, order["id"]).status_code == 404
    assert refund(manager_client, order["id"]).status_code == 404
    not_paid = refund(student_client, pending["id"])
    assert (not_paid.status_code, error_codes(not_paid)) == (409, ["invalid_order_state"])
    bad = refund(client_for(other_student), order["id"], course_ids=["not-a-uuid"])
    assert bad.status_code == 400
