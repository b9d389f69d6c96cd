"""The course list renders its read models through `lms.core.rendering`: the answer is the
one `CourseListItemSerializer` (the documented shape) gives, byte for byte."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory

from lms.catalog import selectors
from lms.catalog.api import serializers as s
from lms.catalog.tests.factories import CategoryFactory, PublishedCourseFactory, TagFactory
from lms.core.renderers import dumps
from lms.core.rendering import compiled_plan, render

pytestmark = pytest.mark.django_db


def test_the_list_item_shape_compiles():
    assert compiled_plan(s.CourseListItemSerializer) is not None


def test_a_page_of_courses_renders_as_its_serializer_does(instructor):
    # given: courses with and without category, tags, thumbnail; three currencies
    tags = [TagFactory(name="python"), TagFactory(name="django")]
    PublishedCourseFactory(instructor=instructor, tags=tags, thumbnail="courses/t/a.png")
    PublishedCourseFactory(category=None, price=Decimal("1500"), currency="JPY")
    PublishedCourseFactory(category=CategoryFactory(), price=Decimal("12.345"), currency="KWD")
    PublishedCourseFactory(price=Decimal("0"), currency="USD")
    items = selectors.course_items(
        selectors.course_list(user=None, params={}).rows  # type: ignore[arg-type]
    )
    context = {"request": APIRequestFactory().get("/api/v1/courses/", HTTP_HOST="localhost:8123")}

    # when: the compiled plan and DRF render the same page
    fast = dumps(render(s.CourseListItemSerializer, items, context=context, many=True))
    slow = dumps(s.CourseListItemSerializer(items, many=True, context=context).data)

    # then: the same bytes
    assert len(items) == 4
    assert fast == slow
    assert b'"1500"' in fast
    assert b'"12.345"' in fast
