from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import Course, CourseStatus
from lms.commerce.models import CartItem, Order, OrderStatus
from lms.commerce.tests.conftest import add_to_cart, buy, checkout, place_order
from lms.conftest import error_codes
from lms.learning.models import Enrollment
from lms.learning.tests.factories import EnrollmentFactory
from lms.payouts.testing import assert_payouts_consistent

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders/"
ADDRESS = {
    "name": "Sam Student",
    "line1": "1 Main St",
    "line2": "",
    "city": "Lisbon",
    "postal_code": "1000-001",
    "country": "pt",
}


def test_place_order_snapshots_prices_and_empties_the_cart(student_client, course_factory):
    # given
    first = course_factory(price=Decimal("49.99"))
    second = course_factory(price=Decimal("10.01"))
    add_to_cart(student_client, first)
    add_to_cart(student_client, second)
    # when: the body tries to set a price, a total and a status
    response = student_client.post(
        ORDERS,
        {
            "billing_address": ADDRESS,
            "total": "0.01",
            "status": "paid",
            "subtotal": "0",
            "items": [{"course": str(first.pk), "price": "0.01"}],
        },
        format="json",
    )
    Course.objects.filter(pk=first.pk).update(price=Decimal("99.00"))
    # then
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["number"].startswith("LF-")
    assert (
        order["status"],
        order["subtotal"],
        order["discount"],
        order["total"],
        order["currency"],
    ) == ("pending", "60.00", "0.00", "60.00", "USD")
    assert [
        (item["course"]["id"], item["price"], item["amount_paid"]) for item in order["items"]
    ] == [(str(first.pk), "49.99", "49.99"), (str(second.pk), "10.01", "10.01")]
    assert order["billing_address"]["country"] == "PT"
    assert not CartItem.objects.exists()
    assert student_client.get(f"{ORDERS}{order['id']}/").json()["items"][0]["price"] == "49.99"


def test_alias_create_from_cart(student_client, course):
    add_to_cart(student_client, course)
    response = student_client.post(f"{ORDERS}create-from-cart/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["total"] == "100.00"


def test_empty_cart_is_400(student_client):
    response = student_client.post(ORDERS, {}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == ["cart_empty"]


def test_bad_billing_address_is_400(student_client, course):
    add_to_cart(student_client, course)
    response = student_client.post(
        ORDERS, {"billing_address": {"name": "x", "country": "Portugal"}}, format="json"
    )
    assert response.status_code == 400
    assert not Order.objects.exists()
    assert CartItem.objects.count() == 1


def test_course_unpublished_since_it_went_in_the_cart(student_client, course):
    add_to_cart(student_client, course)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.UNPUBLISHED)
    response = student_client.post(ORDERS, {}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == ["course_not_available"]
    assert CartItem.objects.count() == 1
    assert not Order.objects.exists()


def test_course_owned_since_it_went_in_the_cart(student, student_client, course):
    add_to_cart(student_client, course)
    EnrollmentFactory(student=student, course=course)
    response = student_client.post(ORDERS, {}, format="json")
    assert response.status_code == 409
    assert error_codes(response) == ["already_enrolled"]
    assert not Order.objects.exists()


def test_orders_need_authentication(anon_client):
    assert anon_client.get(ORDERS).status_code == 401
    assert anon_client.post(ORDERS, {}).status_code == 401


def test_orders_list_is_own_and_admin_sees_all(
    student_client, client_for, other_student, admin_client_api, course_factory
):
    place_order(student_client, course_factory())
    place_order(client_for(other_student), course_factory())
    assert student_client.get(ORDERS).json()["count"] == 1
    assert admin_client_api.get(ORDERS).json()["count"] == 2


def test_another_users_order_is_404(
    student_client, client_for, other_student, manager_client, course
):
    order = place_order(client_for(other_student), course)
    assert student_client.get(f"{ORDERS}{order['id']}/").status_code == 404
    assert manager_client.get(f"{ORDERS}{order['id']}/").status_code == 404
    assert student_client.get(f"{ORDERS}not-a-uuid/").status_code == 404


def test_orders_list_and_detail_are_constant_queries(
    student_client, course_factory, django_assert_max_num_queries
):
    # given: 12 paid orders of two courses each
    for _ in range(12):
        buy(student_client, course_factory(), course_factory())
    # then: user, count, page (+ payment join), items prefetch
    with django_assert_max_num_queries(4):
        listed = student_client.get(f"{ORDERS}?page_size=20")
    assert listed.json()["count"] == 12
    assert all(len(order["items"]) == 2 for order in listed.json()["results"])
    order_id = listed.json()["results"][0]["id"]
    with django_assert_max_num_queries(3):
        detail = student_client.get(f"{ORDERS}{order_id}/")
    assert detail.json()["status"] == OrderStatus.PAID


def test_receipt_pdf(student_client, client_for, other_student, anon_client, course):
    # given
    order = buy(student_client, course)
    pending = place_order(client_for(other_student), course)
    # when
    response = student_client.get(f"{ORDERS}{order['id']}/receipt/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert order["number"] in text
    assert "100.00 USD" in text
    assert anon_client.get(f"{ORDERS}{order['id']}/receipt/").status_code == 401
    assert student_client.get(f"{ORDERS}{pending['id']}/receipt/").status_code == 404
    unpaid = client_for(other_student).get(f"{ORDERS}{pending['id']}/receipt/")
    assert unpaid.status_code == 409
    assert error_codes(unpaid) == ["receipt_unavailable"]


def test_checkout_of_another_users_order_is_404(student_client, client_for, other_student, course):
    order = place_order(client_for(other_student), course)
    response = student_client.post("/api/v1/payments/checkout/", {"order_id": order["id"]})
    assert response.status_code == 404


def test_checkout_is_idempotent(student_client, course):
    order = place_order(student_client, course)
    first = checkout(student_client, order["id"])
    second = checkout(student_client, order["id"])
    assert first["payment_id"] == second["payment_id"]
    assert first["provider"] == "fake"
    assert first["client_secret"].startswith("fake_pi_")
    assert first["checkout_url"] is None


def test_checkout_input(student_client, anon_client):
    assert anon_client.post("/api/v1/payments/checkout/", {}).status_code == 401
    missing = student_client.post("/api/v1/payments/checkout/", {})
    booking = student_client.post(
        "/api/v1/payments/checkout/", {"booking_id": "00000000-0000-0000-0000-000000000001"}
    )
    garbage = student_client.post("/api/v1/payments/checkout/", {"order_id": "1; drop table"})
    assert (missing.status_code, error_codes(missing)) == (400, ["required"])
    # tutoring sells bookings (its "booking" kind): a booking that does not exist is 404
    assert (booking.status_code, error_codes(booking)) == (404, ["not_found"])
    assert garbage.status_code == 400


def test_checkout_of_an_order_and_a_booking_at_once_is_refused(student_client, course):
    # given
    order = place_order(student_client, course)

    # when: which one to pay is not said
    response = student_client.post(
        "/api/v1/payments/checkout/",
        {"order_id": order["id"], "booking_id": "00000000-0000-0000-0000-000000000001"},
    )

    # then: nothing is paid, the order stays payable alone
    assert (response.status_code, error_codes(response)) == (400, ["ambiguous_checkout"])
    assert student_client.get(f"{ORDERS}{order['id']}/").json()["payment"] is None
    assert checkout(student_client, order["id"])["provider"] == "fake"


def test_purchase_steps_run_a_constant_number_of_queries(
    client_for, course_factory, django_capture_on_commit_callbacks
):
    """Cart add, order, checkout and the simulated payment (the whole fulfilment: enrollments,
    coupon, ledger, wallets) run as many queries for three courses of three instructors as
    for one course."""

    def counts(courses):
        client = client_for(UserFactory())
        added = []
        for course in courses:
            with CaptureQueriesContext(connection) as queries:
                add_to_cart(client, course)
            added.append(len(queries))
        # the first add also creates the cart; every later one runs the same queries
        assert len(set(added[1:])) <= 1, added
        steps = {"first cart add": added[0]}
        with CaptureQueriesContext(connection) as queries:
            order = client.post(ORDERS, {}, format="json").json()
        steps["order"] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            payment = checkout(client, order["id"])
        steps["checkout"] = len(queries)
        simulate = f"/api/v1/payments/{payment['payment_id']}/simulate/"
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as queries,
        ):
            paid = client.post(simulate, {"outcome": "succeeded"})
        assert paid.json()["order_status"] == "paid"
        steps["simulate"] = len(queries)
        return steps

    one = counts([course_factory()])
    three = counts([course_factory(), course_factory(), course_factory()])
    assert three == one, (one, three)
    assert Enrollment.objects.filter(source="purchase").count() == 4
    assert_payouts_consistent()


def _refund_query_count(client_for, admin_client_api, courses, on_commit):
    """The queries of refunding a paid order of `courses`, from the request to its answer."""
    client = client_for(UserFactory())
    order = buy(client, *courses)
    admin_client_api.get(f"{ORDERS}{order['id']}/")  # the admin's user row is cached by now
    with on_commit(execute=False), CaptureQueriesContext(connection) as queries:
        refunded = admin_client_api.post(f"{ORDERS}{order['id']}/refund/", {}, format="json")
    assert refunded.status_code == 200, refunded.json()
    assert refunded.json()["order"]["status"] == "refunded"
    return len(queries)


def _one_and_five(course_factory):
    shared = course_factory()
    five = [
        course_factory(),
        shared,
        course_factory(instructor=shared.instructor),  # one wallet credited twice
        course_factory(),
        course_factory(),
    ]
    return [course_factory()], five


def test_a_refund_runs_a_constant_number_of_queries(
    client_for, admin_client_api, course_factory, django_capture_on_commit_callbacks
):
    """Refunding a paid order (the refund claimed, the provider's answer, every item's
    earnings reversed in the ledger, the enrollments revoked with their counters and audit
    lines, the items, payment and order marked) runs as many queries for five courses, two
    by one instructor, as for one."""
    one, five = _one_and_five(course_factory)
    counts = [
        _refund_query_count(
            client_for, admin_client_api, courses, django_capture_on_commit_callbacks
        )
        for courses in (one, five)
    ]
    assert counts[0] == counts[1], counts
    assert not Enrollment.objects.filter(source="purchase", status="active").exists()
    assert_payouts_consistent()
