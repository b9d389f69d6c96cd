"""A JSON body's values have the types the OpenAPI document gives them (issue 11 §1).

DRF coerces leniently (a string field takes `0`, a boolean `1` or `"yes"`, an integer
`"12"`); `lms.core.serializers.install_strict_json_types` refuses those in a JSON body with
400 `validation_error` on the field, and leaves form and query input (strings by nature) as
DRF reads it. Through the HTTP layer for each kind an endpoint takes, then field by field for
every class the rule covers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers

from lms.accounts.models import University, User
from lms.assessments.tests.factories import quiz_in
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.core.serializers import STRICT_JSON_TYPES, install_strict_json_types
from lms.notifications.models import Category
from lms.support.models import Ticket

pytestmark = pytest.mark.django_db


def field_errors(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert body["type"] == "validation_error", body
    return [(error["attr"], error["code"]) for error in body["errors"]]


# --- through the HTTP layer ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 12.5, True, ["Lovelace"], {"x": 1}])
def test_a_string_field_refuses_a_json_number_boolean_list_or_object(
    student: User, client_for: Any, value: Any
) -> None:
    response = client_for(student).patch("/api/v1/auth/me/", {"last_name": value}, format="json")

    assert response.status_code == 400
    assert field_errors(response) == [("last_name", "invalid")]
    student.refresh_from_db()
    assert student.last_name != str(value)


def test_a_string_field_takes_digits_as_a_string(student: User, client_for: Any) -> None:
    response = client_for(student).patch("/api/v1/auth/me/", {"last_name": "0"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == "0"


@pytest.mark.parametrize("value", [1, 0, "yes", "true", "on", None])
def test_a_boolean_field_refuses_anything_but_true_and_false(
    student: User, client_for: Any, value: Any
) -> None:
    response = client_for(student).patch(
        "/api/v1/notifications/preferences/",
        {"email": {Category.COMMERCE: value}},
        format="json",
    )

    assert response.status_code == 400
    assert field_errors(response)[0][0] == f"email.{Category.COMMERCE}"


def test_a_boolean_field_takes_false(student: User, client_for: Any) -> None:
    response = client_for(student).patch(
        "/api/v1/notifications/preferences/", {"email": {Category.COMMERCE: False}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"][Category.COMMERCE] is False


@pytest.mark.parametrize("value", ["80", "80.0", True, 79.5])
def test_an_integer_field_refuses_strings_booleans_and_fractions(
    instructor: User, client_for: Any, value: Any
) -> None:
    quiz = quiz_in(PublishedCourseFactory(instructor=instructor))

    response = client_for(instructor).patch(
        f"/api/v1/quizzes/{quiz.pk}/", {"pass_percent": value}, format="json"
    )

    assert response.status_code == 400
    assert field_errors(response) == [("pass_percent", "invalid")]


def test_an_integer_field_takes_an_integer_written_with_a_zero_fraction(
    instructor: User, client_for: Any
) -> None:
    # JSON Schema's `integer` is any number with no fraction: 80.0 is one.
    quiz = quiz_in(PublishedCourseFactory(instructor=instructor))

    response = client_for(instructor).patch(
        f"/api/v1/quizzes/{quiz.pk}/", {"pass_percent": 80.0, "shuffle": True}, format="json"
    )

    assert response.status_code == 200, response.content
    quiz.refresh_from_db()
    assert (quiz.pass_percent, quiz.shuffle) == (80, True)


def test_a_choice_field_refuses_a_value_of_another_type(student: User, client_for: Any) -> None:
    response = client_for(student).post(
        "/api/v1/support/tickets/",
        {"subject": "Refund", "body": "Please.", "category": 1},
        format="json",
    )

    assert response.status_code == 400
    assert field_errors(response) == [("category", "invalid_choice")]
    assert not Ticket.objects.exists()


def test_a_uuid_field_refuses_an_integer(student: User, client_for: Any) -> None:
    university = University.objects.create(name="MIT", country="US", domains=["mit.edu"])

    response = client_for(student).put(
        "/api/v1/auth/me/university/", {"university_id": university.pk.int}, format="json"
    )

    assert response.status_code == 400
    assert field_errors(response) == [("university_id", "invalid")]


def test_a_related_id_sent_empty_in_json_is_refused_not_read_as_null(
    admin_client_api: Any,
) -> None:
    from lms.catalog.models import Category as CourseCategory

    body = {"name": "Data", "slug": "data", "parent": ""}

    refused = admin_client_api.post("/api/v1/categories/", body, format="json")
    created = admin_client_api.post("/api/v1/categories/", {**body, "parent": None}, format="json")

    assert refused.status_code == 400
    assert field_errors(refused) == [("parent", "invalid")]
    assert created.status_code == 201, created.content
    assert CourseCategory.objects.get(slug="data").parent is None


def test_form_input_keeps_drf_reading(student: User, client_for: Any) -> None:
    # a multipart body is strings by nature: a string field takes them as they are
    response = client_for(student).patch("/api/v1/auth/me/", {"last_name": "0"}, format="multipart")

    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == "0"


# --- every class the rule covers -----------------------------------------------------------------


class Probe(serializers.Serializer[Any]):
    text = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    flag = serializers.BooleanField(required=False)
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    amount = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    number = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, required=False
    )
    ref = serializers.UUIDField(required=False)
    wait = serializers.DurationField(required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    by_email = serializers.SlugRelatedField(
        slug_field="email", queryset=User.objects.all(), required=False
    )
    texts = serializers.ListField(child=serializers.CharField(), required=False)
    maybe_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False
    )


REFUSED_IN_JSON = [
    ("text", 0),
    ("email", 1),
    ("flag", 1),
    ("flag", "true"),
    ("count", "12"),
    ("count", 1.5),
    ("count", False),
    ("ratio", "1.5"),
    ("ratio", True),
    ("amount", 1.5),
    ("number", "1.50"),
    ("ref", 1),
    ("wait", 30),
    ("kind", 1),
    ("user", 1),
    ("by_email", 1),
    ("texts", [0]),
    ("maybe_user", ""),
]

ACCEPTED_IN_JSON = [
    ("text", "0", "0"),
    ("flag", False, False),
    ("count", 12, 12),
    ("count", 12.0, 12),
    ("ratio", 2, 2.0),
    ("amount", "1.50", "1.50"),
    ("number", 1.5, "1.50"),
    ("wait", "30", timedelta(seconds=30)),
    ("kind", "a", "a"),
    ("texts", ["0"], ["0"]),
    ("maybe_user", None, None),
]

# the same values as a query string or a form sends them: DRF's reading
ACCEPTED_AS_FORM = [
    ("text", "0", "0"),
    ("flag", "true", True),
    ("flag", "False", False),
    ("count", "12", 12),
    ("ratio", "1.5", 1.5),
    ("amount", "1.5", "1.50"),
    ("wait", "30", timedelta(seconds=30)),
]


@pytest.mark.parametrize(("name", "value"), REFUSED_IN_JSON)
def test_json_values_of_another_type_are_refused(name: str, value: Any) -> None:
    probe = Probe(data={name: value})

    assert not probe.is_valid()
    assert list(probe.errors) == [name]


@pytest.mark.parametrize(("name", "value", "expected"), ACCEPTED_IN_JSON)
def test_json_values_of_the_documented_type_are_read(name: str, value: Any, expected: Any) -> None:
    probe = Probe(data={name: value})

    assert probe.is_valid(), probe.errors
    read = probe.validated_data[name]
    assert (str(read) if name in ("amount", "number") else read) == expected


def test_a_related_field_takes_the_type_of_its_primary_key(student: User) -> None:
    probe = Probe(data={"user": str(student.pk), "by_email": student.email})

    assert probe.is_valid(), probe.errors
    assert probe.validated_data["user"] == student
    assert probe.validated_data["by_email"] == student


@pytest.mark.parametrize(("name", "value", "expected"), ACCEPTED_AS_FORM)
def test_form_and_query_input_is_read_as_drf_reads_it(name: str, value: Any, expected: Any) -> None:
    data = QueryDict(mutable=True)
    data[name] = value
    probe = Probe(data=data)

    assert probe.is_valid(), probe.errors
    read = probe.validated_data[name]
    assert (str(read) if name == "amount" else read) == expected


@pytest.mark.parametrize("value", ["1", "0", "yes", "on", "-5"])
def test_a_boolean_in_a_query_or_form_is_true_or_false(value: str) -> None:
    # OpenAPI serialises a boolean parameter as `true`/`false`; DRF's other spellings are not it
    probe = Probe(data=QueryDict(f"flag={value}"))

    assert not probe.is_valid()
    assert list(probe.errors) == ["flag"]


def test_a_boolean_filter_is_true_false_or_empty(student: User, client_for: Any) -> None:
    # given one read and one unread notification (django-filter: lms.core.filters)
    from django.utils import timezone

    from lms.notifications.models import Notification

    for read_at in (None, timezone.now()):
        Notification.objects.create(
            user=student, category=Category.ACCOUNT, title="t", body="b", read_at=read_at
        )
    client = client_for(student)

    # when
    unread = client.get("/api/v1/notifications/", {"unread": "true"})
    every = client.get("/api/v1/notifications/", {"unread": ""})
    hostile = client.get("/api/v1/notifications/", {"unread": "-58800"})

    # then
    assert [item["read_at"] for item in unread.json()["results"]] == [None]
    assert every.json()["count"] == 2
    assert hostile.status_code == 400
    assert field_errors(hostile) == [("unread", "invalid")]


def test_the_rule_is_installed_once_on_every_class() -> None:
    before = {cls: cls.__dict__["to_internal_value"] for cls in STRICT_JSON_TYPES}

    install_strict_json_types()  # CoreConfig.ready did already: nothing changes

    for cls, method in before.items():
        assert cls.__dict__["to_internal_value"] is method
        assert getattr(method, "strict_json_types", False)
