"""Read replicas: which database each read of a request goes to (config/db_router.py).

A second alias, `replica_0`, is a second connection to the same test database (its rows
are committed: `transactional_db`), so a query shows up on exactly the connection the
router chose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from config.db_router import PrimaryReplicaRouter, ReplicaRoutingMiddleware
from lms.accounts.models import User
from lms.accounts.tests.factories import UserFactory
from lms.core.db_routing import primary, reads_primary
from lms.notifications.models import Notification

REPLICA = "replica_0"


@pytest.fixture
def replica(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`replica_0` as DATABASE_REPLICA_URLS would make it, pointing at the test database."""
    monkeypatch.setitem(settings.DATABASES, REPLICA, dict(connections["default"].settings_dict))
    # Connected here: Django's test case refuses to open a connection of an alias that its
    # `databases` (fixed before this fixture could add the alias) does not name.
    connections[REPLICA].connect()
    yield REPLICA
    connections[REPLICA].close()
    del connections[REPLICA]


class Queries:
    """The SQL each connection ran inside the block."""

    def __enter__(self) -> Queries:
        self._primary = CaptureQueriesContext(connections["default"])
        self._replica = CaptureQueriesContext(connections[REPLICA])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    def on_primary(self, table: str) -> int:
        return sum(table in query["sql"] for query in self._primary.captured_queries)

    def on_replica(self, table: str) -> int:
        return sum(table in query["sql"] for query in self._replica.captured_queries)


def serve(method: str, view: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """`view` behind the routing middleware, as Django's handler calls it."""

    def handler(request: HttpRequest) -> HttpResponse:
        middleware.process_view(request, view, (), {})
        return view(request)

    middleware = ReplicaRoutingMiddleware(handler)
    return middleware(RequestFactory().generic(method, "/"))


USERS = User._meta.db_table


def test_a_read_only_request_reads_the_replica(replica):
    UserFactory()

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(User.objects.count()))

    with Queries() as queries:
        assert serve("GET", view).content == b"1"

    assert queries.on_replica(USERS) == 1
    assert queries.on_primary(USERS) == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_request_that_may_write_reads_the_primary(replica, method):
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(User.objects.count()))

    with Queries() as queries:
        serve(method, view)

    assert queries.on_primary(USERS) == 1
    assert queries.on_replica(USERS) == 0


def test_reads_after_a_write_in_the_same_request_go_to_the_primary(replica):
    def view(request: HttpRequest) -> HttpResponse:
        before = User.objects.count()  # replica
        UserFactory()  # a write: the rest of the request reads its own writes
        after = User.objects.count()
        return HttpResponse(f"{before} {after}")

    with Queries() as queries:
        assert serve("GET", view).content == b"0 1"

    assert queries.on_replica(USERS) == 1
    assert queries.on_primary(f'SELECT COUNT(*) AS "__count" FROM "{USERS}"') == 1


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            return HttpResponse(str(User.objects.count()))

    with Queries() as queries:
        serve("GET", view)

    assert queries.on_primary(USERS) == 1
    assert queries.on_replica(USERS) == 0


def test_primary_block_and_marked_views_read_the_primary(replica):
    def pinned(request: HttpRequest) -> HttpResponse:
        with primary():
            User.objects.count()
        return HttpResponse(str(User.objects.count()))

    @reads_primary
    def marked(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(User.objects.count()))

    with Queries() as queries:
        serve("GET", pinned)
    assert (queries.on_primary(USERS), queries.on_replica(USERS)) == (1, 1)

    with Queries() as queries:
        serve("GET", marked)
    assert (queries.on_primary(USERS), queries.on_replica(USERS)) == (1, 0)


def test_reads_outside_a_request_go_to_the_primary(replica):
    # tasks, management commands and the shell: no request state
    assert PrimaryReplicaRouter().db_for_read(User) == "default"
    with Queries() as queries:
        User.objects.count()
    assert (queries.on_primary(USERS), queries.on_replica(USERS)) == (1, 0)


def test_without_replicas_every_read_goes_to_the_primary(transactional_db):
    def view(request: HttpRequest) -> HttpResponse:
        router = PrimaryReplicaRouter()
        return HttpResponse(router.db_for_read(User))

    assert serve("GET", view).content == b"default"


def test_an_api_list_reads_the_replica_and_the_signed_in_user_the_primary(replica, client_for):
    # given: a user with a notification, committed
    user = UserFactory()
    Notification.objects.create(user=user, category="account", title="Hello")
    client = client_for(user)

    # when
    with Queries() as queries:
        response = client.get("/api/v1/notifications/")

    # then: the list came from the replica; the user (a fill of the user cache) from the
    # primary, so a lagging replica can never put an old row under the current generation
    assert response.status_code == 200, response.content
    assert [row["title"] for row in response.json()["results"]] == ["Hello"]
    notifications = Notification._meta.db_table
    assert queries.on_replica(notifications) >= 1
    assert queries.on_primary(notifications) == 0
    assert queries.on_primary(f'FROM "{USERS}"') == 1
    assert queries.on_replica(f'FROM "{USERS}"') == 0


def test_an_api_write_reads_and_writes_the_primary(replica, client_for):
    user = UserFactory()
    notification = Notification.objects.create(user=user, category="account", title="Hello")
    client = client_for(user)

    with Queries() as queries:
        response = client.post(f"/api/v1/notifications/{notification.pk}/read/")

    assert response.status_code in (200, 204), response.content
    assert queries.on_replica(Notification._meta.db_table) == 0
    assert queries.on_primary(Notification._meta.db_table) >= 1
