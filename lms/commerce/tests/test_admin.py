"""Orders, payments and refunds are read-only in the admin (their amounts above all);
coupons are made and switched off through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lms.audit.models import AuditLog
from lms.commerce.models import Coupon, Order, Payment
from lms.commerce.tests.conftest import buy
from lms.core.tests.admin_forms import posted_back

pytestmark = pytest.mark.django_db

MONEY_FIELDS = ("total", "subtotal", "discount", "amount", "amount_refunded", "price", "currency")


@pytest.fixture
def admin_site(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def paid_order(student_client: Any, course: Any) -> Order:
    return Order.objects.get(pk=buy(student_client, course)["id"])


@pytest.mark.parametrize("model", ["order", "payment"])
def test_orders_and_payments_show_their_amounts_read_only(admin_site, paid_order, model):
    # given
    obj = paid_order if model == "order" else Payment.objects.get(order=paid_order)
    before = Order.objects.values().get(pk=paid_order.pk)
    url = f"/admin/commerce/{model}/{obj.pk}/change/"
    # when
    page = admin_site.get(url)
    posted = admin_site.post(url, {"total": "0.01", "amount": "0.01", "status": "refunded"})
    # then: shown, no input for any amount, and a post changes nothing
    assert page.status_code == 200
    for name in MONEY_FIELDS:
        assert f'name="{name}"'.encode() not in page.content, name
    assert posted.status_code == 403
    assert Order.objects.values().get(pk=paid_order.pk) == before
    assert Payment.objects.get(order=paid_order).amount == paid_order.total


@pytest.mark.parametrize("model", ["order", "payment", "refund", "providerevent"])
def test_money_rows_are_neither_added_nor_deleted(admin_site, paid_order, model):
    assert admin_site.get(f"/admin/commerce/{model}/").status_code == 200
    assert admin_site.get(f"/admin/commerce/{model}/add/").status_code == 403
    if model == "order":
        response = admin_site.post(
            f"/admin/commerce/order/{paid_order.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 403
        assert Order.objects.filter(pk=paid_order.pk).exists()


def test_order_items_show_their_prices_read_only(admin_site, paid_order):
    page = admin_site.get(f"/admin/commerce/order/{paid_order.pk}/change/")
    assert b'name="items-0-price"' not in page.content
    assert b'name="items-0-amount_paid"' not in page.content


def test_a_coupon_added_in_the_admin_goes_through_create_coupon(admin_site, admin_user, course):
    # given
    page = admin_site.get("/admin/commerce/coupon/add/")
    data = posted_back(
        page, code=" spring ", kind="percent", value="20", scope="courses", courses=[str(course.pk)]
    )
    # when
    response = admin_site.post("/admin/commerce/coupon/add/", data)
    # then
    assert response.status_code == 302
    coupon = Coupon.objects.get(code="SPRING")
    assert list(coupon.courses.all()) == [course]
    assert coupon.created_by == admin_user
    assert AuditLog.objects.filter(action="coupon.created", actor=admin_user).exists()


def test_a_coupon_the_service_refuses_is_not_saved(admin_site, course):
    page = admin_site.get("/admin/commerce/coupon/add/")
    # a rule of the service, not of the model: a "courses" coupon names its courses
    data = posted_back(page, code="NOCOURSES", kind="percent", value="5", scope="courses")
    response = admin_site.post("/admin/commerce/coupon/add/", data)
    assert response.status_code == 302
    assert not Coupon.objects.filter(code="NOCOURSES").exists()
    messages = [str(m) for m in admin_site.get(response["Location"]).context["messages"]]
    assert messages == ["Not saved: Choose the courses this coupon is for."]


def test_a_saved_coupon_is_read_only_and_deactivated_by_the_action(admin_site, admin_user, course):
    # given
    page = admin_site.get("/admin/commerce/coupon/add/")
    admin_site.post(
        "/admin/commerce/coupon/add/",
        posted_back(page, code="ONCE", kind="percent", value="10", scope="platform"),
    )
    coupon = Coupon.objects.get(code="ONCE")
    # then: nothing to edit, nothing to delete
    change = admin_site.get(f"/admin/commerce/coupon/{coupon.pk}/change/")
    assert b'name="value"' not in change.content
    assert admin_site.get(f"/admin/commerce/coupon/{coupon.pk}/delete/").status_code == 403
    # when
    admin_site.post(
        "/admin/commerce/coupon/", {"action": "deactivate", "_selected_action": [str(coupon.pk)]}
    )
    # then
    coupon.refresh_from_db()
    assert not coupon.is_active
    assert AuditLog.objects.filter(action="coupon.deactivated", actor=admin_user).exists()
