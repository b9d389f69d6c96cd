from decimal import Decimal

import pytest

from lms.catalog.models import CourseStatus
from lms.commerce.models import CartItem
from lms.commerce.tests.conftest import add_to_cart, buy
from lms.conftest import error_codes
from lms.learning.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db
CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"


def test_cart_starts_empty(student_client):
    # when
    response = student_client.get(CART)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "items": [],
        "coupon": None,
        "coupon_error": "",
        "subtotal": "0.00",
        "discount": "0.00",
        "total": "0.00",
        "currency": None,
        "currency_mismatch": False,
    }


def test_add_courses_and_read_totals(student_client, course_factory):
    # given
    first = course_factory(price=Decimal("49.99"))
    second = course_factory(price=Decimal("20.00"))
    # when
    response = student_client.post(ITEMS, {"course_id": str(first.pk)})
    add_to_cart(student_client, second)
    cart = student_client.get(CART).json()
    # then
    assert response.status_code == 201
    assert response.json()["course"]["id"] == str(first.pk)
    assert response.json()["price"] == "49.99"
    assert [item["course"]["slug"] for item in cart["items"]] == [first.slug, second.slug]
    assert (cart["subtotal"], cart["discount"], cart["total"], cart["currency"]) == (
        "69.99",
        "0.00",
        "69.99",
        "USD",
    )


def test_add_by_slug(student_client, course):
    response = student_client.post(ITEMS, {"course_id": course.slug})
    assert response.status_code == 201


def test_cart_needs_authentication(anon_client, course):
    assert anon_client.get(CART).status_code == 401
    assert anon_client.post(ITEMS, {"course_id": str(course.pk)}).status_code == 401
    assert anon_client.delete(CART).status_code == 401


def test_unknown_course_is_404(student_client):
    response = student_client.post(ITEMS, {"course_id": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 404


def test_missing_course_id_is_400(student_client):
    response = student_client.post(ITEMS, {})
    assert response.status_code == 400
    assert error_codes(response) == ["required"]


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        (
            lambda c, u: c.__class__.objects.filter(pk=c.pk).update(
                status=CourseStatus.UNPUBLISHED
            ),
            400,
            "course_not_available",
        ),
        (
            lambda c, u: c.__class__.objects.filter(pk=c.pk).update(is_free=True, price=0),
            400,
            "course_is_free",
        ),
        (lambda c, u: c.__class__.objects.filter(pk=c.pk).update(instructor=u), 400, "own_course"),
        (lambda c, u: c.co_instructors.add(u), 400, "own_course"),
        (lambda c, u: EnrollmentFactory(student=u, course=c), 409, "already_enrolled"),
    ],
    ids=["unpublished", "free", "own", "co-taught", "enrolled"],
)
def test_add_refusals(student, student_client, course, setup, status, code):
    # given
    setup(course, student)
    # when
    response = student_client.post(ITEMS, {"course_id": str(course.pk)})
    # then
    assert response.status_code == status
    assert error_codes(response) == [code]
    assert not CartItem.objects.exists()


def test_add_twice_is_409(student_client, course):
    add_to_cart(student_client, course)
    response = student_client.post(ITEMS, {"course_id": str(course.pk)})
    assert response.status_code == 409
    assert error_codes(response) == ["already_in_cart"]


def test_one_currency_per_cart(student_client, course_factory):
    add_to_cart(student_client, course_factory(currency="USD"))
    response = student_client.post(ITEMS, {"course_id": str(course_factory(currency="EUR").pk)})
    assert response.status_code == 409
    assert error_codes(response) == ["currency_mismatch"]


def test_bought_course_cannot_go_back_in_the_cart(student_client, course):
    buy(student_client, course)
    response = student_client.post(ITEMS, {"course_id": str(course.pk)})
    assert response.status_code == 409
    assert error_codes(response) == ["already_enrolled"]


def test_remove_item_and_empty_cart(student_client, course_factory):
    # given
    first = add_to_cart(student_client, course_factory()).json()
    add_to_cart(student_client, course_factory())
    # when
    removed = student_client.delete(f"{ITEMS}{first['id']}/")
    left = student_client.get(CART).json()["items"]
    emptied = student_client.delete(CART)
    # then
    assert removed.status_code == 204
    assert len(left) == 1
    assert emptied.status_code == 204
    assert student_client.get(CART).json()["items"] == []


def test_another_users_cart_item_is_404(student_client, client_for, other_student, course):
    item = add_to_cart(client_for(other_student), course).json()
    response = student_client.delete(f"{ITEMS}{item['id']}/")
    assert response.status_code == 404
    assert CartItem.objects.count() == 1


def test_cart_is_a_constant_number_of_queries(
    student_client, course_factory, django_assert_max_num_queries
):
    for _ in range(10):
        add_to_cart(student_client, course_factory())
    # auth user + cart + items (+ a savepoint-free read path)
    with django_assert_max_num_queries(3):
        response = student_client.get(CART)
    assert len(response.json()["items"]) == 10


def test_jpy_prices_have_no_decimals(student_client, course_factory):
    add_to_cart(student_client, course_factory(price=Decimal("5000"), currency="JPY"))
    cart = student_client.get(CART).json()
    assert (cart["items"][0]["price"], cart["total"], cart["currency"]) == ("5000", "5000", "JPY")


# --- wishlist ---------------------------------------------------------------------------------


def test_wishlist_flow(student_client, course):
    # when
    created = student_client.post("/api/v1/wishlist/", {"course_id": str(course.pk)})
    again = student_client.post("/api/v1/wishlist/", {"course_id": str(course.pk)})
    listed = student_client.get("/api/v1/wishlist/")
    one = student_client.get(f"/api/v1/wishlist/{course.pk}/")
    deleted = student_client.delete(f"/api/v1/wishlist/{course.slug}/")
    gone = student_client.get(f"/api/v1/wishlist/{course.pk}/")
    # then
    assert created.status_code == 201
    assert created.json()["course"]["price"] == "100.00"
    assert again.status_code == 409
    assert error_codes(again) == ["already_in_wishlist"]
    assert listed.json()["count"] == 1
    assert one.status_code == 200
    assert deleted.status_code == 204
    assert gone.status_code == 404


def test_wishlist_needs_auth_and_a_published_course(anon_client, student_client, course_factory):
    draft = course_factory(status=CourseStatus.DRAFT)
    assert anon_client.get("/api/v1/wishlist/").status_code == 401
    assert student_client.post(f"/api/v1/wishlist/{draft.pk}/").status_code == 404
    assert student_client.delete(f"/api/v1/wishlist/{draft.pk}/").status_code == 404


def test_wishlist_is_private(student_client, client_for, other_student, course):
    client_for(other_student).post(f"/api/v1/wishlist/{course.pk}/")
    assert student_client.get("/api/v1/wishlist/").json()["count"] == 0
    assert student_client.get(f"/api/v1/wishlist/{course.pk}/").status_code == 404
