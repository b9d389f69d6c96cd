"""`lms.core.rendering`: a serializer's compiled plan renders what DRF renders, byte for byte."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from lms.core.renderers import dumps
from lms.core.rendering import compiled_plan, render
from lms.core.serializers import AmountField, FileUrlField


@dataclass(frozen=True)
class Ref:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class Row:
    id: uuid.UUID
    title: str
    price: Decimal
    currency: str
    is_free: bool
    rating: float
    count: int
    level: str
    picture: str | None
    owner: Ref | None
    refs: tuple[Ref, ...]
    at: dt.datetime | None
    label: int  # a CharField over a non-string value


class RefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()


class RowSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    price = AmountField()
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    rating = serializers.FloatField()
    count = serializers.IntegerField()
    level = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    picture = FileUrlField()
    owner = RefSerializer(allow_null=True)
    owner_name = serializers.CharField(source="owner.name", allow_null=True)
    refs = RefSerializer(many=True)
    at = serializers.DateTimeField(allow_null=True)
    label = serializers.CharField()


class WithMethod(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    shout = serializers.SerializerMethodField()

    def get_shout(self, row: Row) -> str:
        return row.title.upper()


def rows() -> list[Row]:
    owner = Ref(id=uuid.uuid4(), name="Ada <b>Lovelace</b>")
    return [
        Row(
            id=uuid.uuid4(),
            title="Watercolour 101",
            price=Decimal("1500.000"),
            currency="JPY",
            is_free=False,
            rating=4.25,
            count=3,
            level="a",
            picture="courses/thumbnails/x.png",
            owner=owner,
            refs=(owner, Ref(id=uuid.uuid4(), name="Grace")),
            at=dt.datetime(2026, 12, 1, 2, 3, 4, 567, tzinfo=dt.UTC),
            label=7,
        ),
        Row(
            id=uuid.uuid4(),
            title="",
            price=Decimal("12.345"),
            currency="KWD",
            is_free=True,
            rating=0,
            count=0,
            level="b",
            picture=None,
            owner=None,
            refs=(),
            at=dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))),
            label=0,
        ),
        Row(
            id=uuid.uuid4(),
            title="Free",
            price=Decimal("0"),
            currency="USD",
            is_free=True,
            rating=5.0,
            count=10,
            level="a",
            picture="",
            owner=None,
            refs=(),
            at=None,
            label=-1,
        ),
    ]


@pytest.fixture
def context() -> dict[str, Any]:
    return {"request": APIRequestFactory().get("/", HTTP_HOST="localhost:8123")}


def test_a_list_renders_as_drf_renders_it(context):
    items = rows()

    fast = dumps(render(RowSerializer, items, context=context, many=True))
    slow = dumps(RowSerializer(items, many=True, context=context).data)

    assert fast == slow
    assert compiled_plan(RowSerializer) is not None


def test_one_object_renders_as_drf_renders_it(context):
    item = rows()[0]

    assert dumps(render(RowSerializer, item, context=context)) == dumps(
        RowSerializer(item, context=context).data
    )


def test_a_serializer_the_plan_cannot_follow_is_rendered_by_drf(context):
    items = rows()

    assert compiled_plan(WithMethod) is None
    assert render(WithMethod, items, context=context, many=True)[0]["shout"] == "WATERCOLOUR 101"


class MappingSerializer(serializers.Serializer[Any]):
    items = serializers.IntegerField()  # a dict has an `items` method: the key must win
    values = serializers.CharField()
    owner = RefSerializer(allow_null=True)
    owner_name = serializers.CharField(source="owner.name", allow_null=True)


def test_mappings_and_objects_are_read_as_drf_reads_them(context):
    # given: dicts (keys named like dict methods, a nested dict, a None on a dotted source)
    # and an object, in one list
    owner = {"id": uuid.uuid4(), "name": "Ada"}
    items: list[Any] = [
        {"items": 3, "values": "v", "owner": owner},
        {"items": 0, "values": "", "owner": None},
        Ref(id=uuid.uuid4(), name="not a mapping"),
    ]
    mapped = items[:2]

    # when / then: the same bytes as DRF's
    assert dumps(render(MappingSerializer, mapped, context=context, many=True)) == dumps(
        MappingSerializer(mapped, many=True, context=context).data
    )
    assert dumps(render(RefSerializer, items[2], context=context)) == dumps(
        RefSerializer(items[2], context=context).data
    )
