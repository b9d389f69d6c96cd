"""`CompiledQuery`: compiled once per process, the same answers as the ORM every call."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from lms.accounts.models import User
from lms.accounts.tests.factories import UserFactory
from lms.core import compiled
from lms.core.compiled import CompiledQuery, Sentinel

pytestmark = pytest.mark.django_db


def _named(first_name: str):
    # arguments are compared as they are (equality): a lookup that rewrites its value
    # (`endswith` adds a %) cannot carry a sentinel, and compiling says so
    return User.objects.filter(first_name=first_name).order_by("email")


def test_rows_match_the_orm_for_each_argument():
    # given
    UserFactory(first_name="Ada", email="a@one.example")
    UserFactory(first_name="Ada", email="b@one.example")
    UserFactory(first_name="Grace", email="c@two.example")
    query = CompiledQuery(User, lambda name: _named(name).values("email", "role"), [Sentinel.text])

    # then: the same rows as the ORM, for one argument and then another
    for name in ("Ada", "Grace", "Nobody"):
        expected = list(_named(name).values("email", "role"))
        assert query.dicts(name) == expected
        assert query.tuples(name) == [(row["email"], row["role"]) for row in expected]


def test_limit_and_offset():
    for letter in "abcd":
        UserFactory(first_name="Paged", email=f"{letter}@page.example")
    query = CompiledQuery(User, lambda name: _named(name).values_list("email"), [Sentinel.text])

    assert query.tuples("Paged", limit=2, offset=1) == [
        ("b@page.example",),
        ("c@page.example",),
    ]


def test_instances_are_model_instances_as_the_orm_makes_them():
    # given
    user = UserFactory()
    query = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk), [Sentinel.uuid])

    # when
    (found,) = query.instances(user.pk)

    # then: every field converted as the ORM does, and the instance is a saved row
    expected = User.objects.get(pk=user.pk)
    assert isinstance(found, User)
    assert not found._state.adding
    assert found._state.db == "default"
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert query.instances(UserFactory.build().pk) == []


def test_instances_refuse_a_values_queryset():
    query = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk).values("id"), [Sentinel.uuid])

    with pytest.raises(TypeError):
        query.instances(UserFactory().pk)


def test_every_call_runs_its_query_and_compiles_once(django_assert_num_queries):
    user = UserFactory()
    built = []

    def build(pk):
        built.append(pk)
        return User.objects.filter(pk=pk).values("email")

    query = CompiledQuery(User, build, [Sentinel.uuid])

    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert query.dicts(user.pk) == [{"email": user.email}]

    assert len(captured.captured_queries) == 3  # nothing about the data is cached
    assert len(built) == 1  # built and compiled once (per database)


@pytest.mark.parametrize(
    "build",
    [
        lambda name: User.objects.values("id"),  # the argument is not used
        lambda name: User.objects.filter(email__endswith=name).values("id"),  # rewritten
    ],
)
def test_an_argument_that_does_not_reach_the_sql_as_it_is_is_refused(build):
    query = CompiledQuery(User, build, [Sentinel.text])

    with pytest.raises(RuntimeError):
        query.dicts("x")


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_needs_a_transaction_and_runs_in_one():
    user = UserFactory()
    query = CompiledQuery(
        User, lambda pk: User.objects.select_for_update().filter(pk=pk), [Sentinel.uuid]
    )

    with transaction.atomic():
        (locked,) = query.instances(user.pk)
    assert locked.pk == user.pk
    with pytest.raises(TransactionManagementError):  # refused as Django refuses it
        query.instances(user.pk)


def test_reads_go_where_the_router_sends_them(monkeypatch):
    # replicas serve reads unless the caller asks for the primary (a read of its own write);
    # row locks always go to the primary
    calls = []

    class Router:
        def db_for_read(self, model, **hints):
            calls.append("read")
            return "default"

        def db_for_write(self, model, **hints):
            calls.append("write")
            return "default"

    monkeypatch.setattr(compiled, "router", Router())
    user = UserFactory()
    query = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk).values("id"), [Sentinel.uuid])

    query.dicts(user.pk)
    query.dicts(user.pk, primary=True)

    assert calls == ["read", "write"]


def test_columns_keep_the_order_given_to_values_with_annotations_between_fields():
    # an annotation listed before a field: the SQL (and Django) keep the order of values()
    from django.db.models import Value
    from django.db.models.functions import Concat

    user = UserFactory(first_name="Ada", last_name="Lovelace")

    def build(pk):
        return (
            User.objects.filter(pk=pk)
            .annotate(full=Concat("first_name", Value(" "), "last_name"))
            .values("id", "full", "email", "role")
        )

    query = CompiledQuery(User, build, [Sentinel.uuid])

    assert query.dicts(user.pk) == list(build(user.pk))
    assert query.dicts(user.pk)[0]["full"] == "Ada Lovelace"


def test_an_argument_that_is_not_a_uuid_names_no_row_and_asks_nothing(
    django_assert_num_queries,
):
    user = UserFactory()
    query = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk), [Sentinel.uuid])
    query.instances(user.pk)  # compiled

    with django_assert_num_queries(0):
        assert query.instances("not-a-uuid") == []
        assert query.instances(None) == []
    with django_assert_num_queries(1):  # a UUID as text is taken as the ORM takes it
        assert [found.pk for found in query.instances(str(user.pk))] == [user.pk]
