"""Commerce's read models render through their one serializer, every field accounted for:
a field the read model carries is rendered (or named here as not rendered, with why), and
the serializer reads nothing the read model does not have (as catalog's parity test)."""

import dataclasses
from decimal import Decimal

import pytest

from lms.commerce import selectors
from lms.commerce.api import serializers as s
from lms.commerce.tests.conftest import add_to_cart
from lms.core.serializers import AmountField

pytestmark = pytest.mark.django_db


def source_roots(serializer):
    """The first attribute each field of `serializer` reads ("*": the whole instance)."""
    roots = set()
    for field in serializer.fields.values():
        roots.add(field.source.split(".")[0])
        if isinstance(field, AmountField):  # reads its currency too
            roots.add(field.currency_source)
    return roots


def names_of(model):
    """The read model's fields and its properties (what a serializer may read)."""
    properties = {n for n, v in vars(model).items() if isinstance(v, property)}
    return {field.name for field in dataclasses.fields(model)} | properties


def test_the_cart_view_has_exactly_what_its_serializer_reads():
    fields = {field.name for field in dataclasses.fields(selectors.CartView)}
    read = source_roots(s.CartSerializer())
    assert fields - read == set(), "a field of CartView is not rendered"
    assert read - names_of(selectors.CartView) == set(), "CartSerializer reads a missing field"


# The columns of a cart row that are read for pricing, not shown: the seller of the line
# (`pricing.Line.seller_id`; the cart's totals, not its rows, show what pricing made of it).
CART_ROW_NOT_RENDERED = {"course__instructor_id"}


def test_a_cart_row_has_exactly_what_its_serializer_reads():
    row_fields = set(selectors._CART_ITEM_FIELDS)
    item = s.CartItemSerializer()
    read = {root for root in source_roots(item) if root != "*"}
    read |= {
        field.currency_source for field in item.fields.values() if hasattr(field, "currency_source")
    }
    read |= source_roots(item.fields["course"])
    assert row_fields - read == CART_ROW_NOT_RENDERED
    assert read - row_fields == set()


def test_the_cart_answers_what_its_serializer_renders_of_the_cart_view(
    student, student_client, course_factory
):
    # given: two courses in the cart
    add_to_cart(student_client, course_factory(price=Decimal("12.50")))
    add_to_cart(student_client, course_factory(price=Decimal("7.25")))

    # when
    answered = student_client.get("/api/v1/cart/").json()

    # then: the one serializer's rendering of the read model, key for key
    rendered = s.CartSerializer(selectors.cart_view(user=student)).data
    assert list(answered) == list(rendered)
    assert [list(item) for item in answered["items"]] == [list(item) for item in rendered["items"]]
    assert (answered["total"], answered["currency"], len(answered["items"])) == (
        "19.75",
        "USD",
        2,
    )
