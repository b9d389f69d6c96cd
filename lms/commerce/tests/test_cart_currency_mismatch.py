"""A cart whose courses ended up in two currencies (an instructor changed a carted course's
currency): the cart is still shown, with its rows and `currency_mismatch`, and no total;
applying a coupon and ordering answer 409 `currency_mismatch`; removing the odd course
makes it a normal cart again. Never a 500 (auditor9 F1)."""

from decimal import Decimal

import pytest

from lms.commerce.models import CartItem, Order
from lms.commerce.tests.conftest import add_to_cart
from lms.commerce.tests.test_api_coupons import make_coupon
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db
CART = "/api/v1/cart/"
CART_COUPON = "/api/v1/cart/coupon/"


@pytest.fixture
def mixed_cart(student_client, client_for, course_factory):
    """Two USD courses in the cart; the second one's instructor then prices it in JPY."""
    kept = course_factory(price=Decimal("49.90"))
    changed = course_factory(price=Decimal("20.00"))
    add_to_cart(student_client, kept)
    add_to_cart(student_client, changed)
    response = client_for(changed.instructor).patch(
        f"/api/v1/courses/{changed.pk}/", {"currency": "JPY", "price": "3000"}, format="json"
    )
    assert response.status_code == 200, response.json()
    return kept, changed


def test_the_cart_is_shown_with_its_rows_and_no_total(student_client, mixed_cart):
    kept, changed = mixed_cart

    # when
    response = student_client.get(CART)

    # then: every row with its own price and currency, and the conflict said plainly
    assert response.status_code == 200
    cart = response.json()
    assert [(i["course"]["id"], i["price"], i["currency"]) for i in cart["items"]] == [
        (str(kept.pk), "49.90", "USD"),
        (str(changed.pk), "3000", "JPY"),
    ]
    assert cart["currency_mismatch"] is True
    assert (cart["subtotal"], cart["discount"], cart["total"], cart["currency"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_coupon_on_a_mixed_cart_is_409(student_client, mixed_cart):
    # given
    make_coupon(code="SAVE10", value=Decimal("10"))

    # when
    response = student_client.post(CART_COUPON, {"code": "SAVE10"}, format="json")

    # then
    assert response.status_code == 409
    assert error_codes(response) == ["currency_mismatch"]
    assert student_client.get(CART).json()["coupon"] is None


def test_a_mixed_cart_with_a_coupon_applied_before_is_shown(
    student_client, client_for, course_factory
):
    # given: a percent coupon on two USD courses, then one of them priced in JPY
    first = course_factory(price=Decimal("10.00"))
    second = course_factory(price=Decimal("10.00"))
    add_to_cart(student_client, first)
    add_to_cart(student_client, second)
    make_coupon(code="SAVE10", value=Decimal("10"))
    assert student_client.post(CART_COUPON, {"code": "SAVE10"}, format="json").status_code == 200
    client_for(second.instructor).patch(
        f"/api/v1/courses/{second.pk}/", {"currency": "JPY", "price": "1500"}, format="json"
    )

    # when
    cart = student_client.get(CART)
    again = student_client.post(CART_COUPON, {"code": "SAVE10"}, format="json")

    # then
    assert cart.status_code == 200
    assert (cart.json()["coupon"], cart.json()["currency_mismatch"], cart.json()["total"]) == (
        "SAVE10",
        True,
        None,
    )
    assert again.status_code == 409
    assert error_codes(again) == ["currency_mismatch"]


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/orders/create-from-cart/"])
def test_ordering_a_mixed_cart_is_409_and_the_cart_stays(student_client, mixed_cart, path):
    # when
    response = student_client.post(path, {}, format="json")

    # then
    assert response.status_code == 409
    assert error_codes(response) == ["currency_mismatch"]
    assert not Order.objects.exists()
    assert CartItem.objects.count() == 2


def test_removing_the_other_currency_makes_the_cart_whole_again(student_client, mixed_cart):
    # given
    _, changed = mixed_cart
    item = CartItem.objects.get(course=changed)

    # when
    removed = student_client.delete(f"{CART}items/{item.pk}/")
    cart = student_client.get(CART).json()
    order = student_client.post("/api/v1/orders/", {}, format="json")

    # then
    assert removed.status_code == 204
    assert (cart["currency_mismatch"], cart["total"], cart["currency"]) == (False, "49.90", "USD")
    assert order.status_code == 201
    assert (order.json()["total"], order.json()["currency"]) == ("49.90", "USD")


def test_a_single_currency_cart_says_no_mismatch(student_client, course_factory):
    add_to_cart(student_client, course_factory(price=Decimal("5.00")))
    assert student_client.get(CART).json()["currency_mismatch"] is False
