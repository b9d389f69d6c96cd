"""Support tickets tried from outside, as a newcomer and as an attacker, through HTTP only:
other people's tickets, owners reaching for staff changes, every move outside the status
table, mass assignment and hostile input."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory, ManagerFactory, UserFactory
from lms.audit.models import AuditLog
from lms.conftest import error_codes
from lms.support.models import Ticket, TicketMessage
from lms.support.states import TICKET_STATES
from lms.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/support/tickets/"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
STATUSES = ["open", "in_progress", "resolved", "closed"]


def assert_error_shape(response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    body = response.json()
    assert "type" in body, body
    assert "errors" in body, body


def ticket_in(status: str, **fields) -> Ticket:
    from django.utils import timezone

    extra = {}
    if status == "resolved":
        extra["resolved_at"] = timezone.now()
    if status == "closed":
        extra["closed_at"] = timezone.now()
    return TicketFactory(status=status, **extra, **fields)


# --- other people's tickets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "{}/", None),
        ("patch", "{}/", {"status": "closed"}),
        ("get", "{}/messages/", None),
        ("post", "{}/messages/", {"body": "hi"}),
    ],
)
@pytest.mark.parametrize("who", [UserFactory, InstructorFactory])
def test_another_users_ticket_is_404(client_for, method, path, body, who):
    ticket = TicketFactory()

    response = getattr(client_for(who()), method)(URL + path.format(ticket.pk), body, format="json")

    assert_error_shape(response, 404)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert not TicketMessage.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", ""), ("get", "{}/"), ("patch", "{}/"), ("get", "{}/messages/"),
     ("post", "{}/messages/")],
)  # fmt: skip
def test_anonymous_is_401(anon_client, method, path):
    ticket = TicketFactory()

    response = getattr(anon_client, method)(URL + path.format(ticket.pk), {}, format="json")

    assert_error_shape(response, 401)


def test_the_list_filters_cannot_reach_other_owners(client_for):
    mine = TicketFactory()
    theirs = TicketFactory()
    client = client_for(mine.owner)

    for query in (f"?owner={theirs.owner.pk}", f"?search={theirs.owner.email}", "?unassigned=true"):
        ids = [row["id"] for row in client.get(URL + query).json()["results"]]
        assert str(theirs.pk) not in ids, query


# --- owners and staff --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"status": "in_progress"},
        {"status": "resolved"},
        {"priority": "urgent"},
        {"category": "billing"},
        {"assignee": None},
        {"assignee": UNKNOWN},
    ],
)
def test_the_owner_reaching_for_staff_changes_is_403(client_for, body):
    ticket = TicketFactory()

    response = client_for(ticket.owner).patch(f"{URL}{ticket.pk}/", body, format="json")

    assert_error_shape(response, 403)
    assert error_codes(response) == ["staff_only"]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_the_owner_cannot_assign_themself_even_when_staff_elsewhere(client_for):
    owner = UserFactory()
    ticket = TicketFactory(owner=owner)

    response = client_for(owner).patch(
        f"{URL}{ticket.pk}/", {"assignee": str(owner.pk)}, format="json"
    )

    assert_error_shape(response, 403)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_move_outside_the_table_is_409_for_staff(manager_client, source, target):
    ticket = ticket_in(source)
    allowed = target in TICKET_STATES.moves.get(source, ())

    response = manager_client.patch(f"{URL}{ticket.pk}/", {"status": target}, format="json")

    if allowed:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == target
    else:
        assert_error_shape(response, 409)
        assert error_codes(response) == ["invalid_ticket_state"]
        assert Ticket.objects.get(pk=ticket.pk).status == source


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", ["open", "closed"])
def test_owner_moves_outside_the_table_are_409(client_for, source, target):
    ticket = ticket_in(source)
    allowed = target in TICKET_STATES.moves.get(source, ())

    response = client_for(ticket.owner).patch(
        f"{URL}{ticket.pk}/", {"status": target}, format="json"
    )

    if allowed:
        assert response.status_code == 200, response.json()
    else:
        assert_error_shape(response, 409)
        assert Ticket.objects.get(pk=ticket.pk).status == source


def test_a_closed_ticket_takes_no_change_or_message(client_for, manager_client):
    ticket = ticket_in("closed")

    for body in ({"priority": "urgent"}, {"assignee": None}, {"category": "billing"}):
        assert_error_shape(manager_client.patch(f"{URL}{ticket.pk}/", body, format="json"), 409)
    for client in (manager_client, client_for(ticket.owner)):
        response = client.post(f"{URL}{ticket.pk}/messages/", {"body": "x"}, format="json")
        assert_error_shape(response, 409)
        assert error_codes(response) == ["ticket_closed"]


@pytest.mark.parametrize("assignee", ["student", "instructor", "inactive_manager", "unknown"])
def test_an_assignee_who_is_not_active_staff_is_400(manager_client, assignee):
    ticket = TicketFactory()
    person = {
        "student": UserFactory,
        "instructor": InstructorFactory,
        "inactive_manager": lambda: ManagerFactory(is_active=False),
        "unknown": lambda: type("Nobody", (), {"pk": UNKNOWN})(),
    }[assignee]()

    response = manager_client.patch(
        f"{URL}{ticket.pk}/", {"assignee": str(person.pk)}, format="json"
    )

    assert_error_shape(response, 400)
    assert error_codes(response) == ["assignee_not_staff"]


def test_staff_reply_is_from_staff_and_an_owners_is_not(client_for, manager_client):
    ticket = TicketFactory()

    staff = manager_client.post(f"{URL}{ticket.pk}/messages/", {"body": "on it"}, format="json")
    owner = client_for(ticket.owner).post(
        f"{URL}{ticket.pk}/messages/", {"body": "thanks", "from_staff": True}, format="json"
    )

    assert staff.json()["from_staff"] is True
    assert owner.status_code == 201
    assert owner.json()["from_staff"] is False


# --- mass assignment ---------------------------------------------------------------------------


def test_a_new_ticket_cannot_choose_its_status_owner_or_assignee(student_client, student):
    victim = UserFactory()
    staff = ManagerFactory()

    response = student_client.post(
        URL,
        {
            "subject": "Help",
            "body": "Please",
            "status": "closed",
            "owner": str(victim.pk),
            "owner_id": str(victim.pk),
            "assignee": str(staff.pk),
            "assignee_id": str(staff.pk),
            "resolved_at": "2000-01-01T00:00:00Z",
            "closed_at": "2000-01-01T00:00:00Z",
            "last_activity_at": "2000-01-01T00:00:00Z",
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    row = Ticket.objects.get()
    assert (row.status, row.owner_id, row.assignee_id) == ("open", student.pk, None)
    assert (row.resolved_at, row.closed_at) == (None, None)
    assert row.created_at.year > 2000


def test_a_patch_cannot_change_subject_body_owner_or_timestamps(manager_client):
    ticket = TicketFactory()
    victim = UserFactory()

    response = manager_client.patch(
        f"{URL}{ticket.pk}/",
        {
            "subject": "rewritten",
            "body": "rewritten",
            "owner": str(victim.pk),
            "closed_at": "2000-01-01T00:00:00Z",
            "message_count": 99,
        },
        format="json",
    )

    assert response.status_code == 200
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.subject, row.body, row.owner_id) == (ticket.subject, ticket.body, ticket.owner_id)
    assert row.closed_at is None


def test_a_message_cannot_choose_its_author_or_ticket(client_for):
    ticket = TicketFactory()
    other = TicketFactory()
    staff = ManagerFactory()

    response = client_for(ticket.owner).post(
        f"{URL}{ticket.pk}/messages/",
        {"body": "mine", "author": str(staff.pk), "ticket": str(other.pk), "from_staff": True},
        format="json",
    )

    assert response.status_code == 201
    message = TicketMessage.objects.get()
    assert (message.author_id, message.ticket_id, message.from_staff) == (
        ticket.owner_id,
        ticket.pk,
        False,
    )


# --- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"subject": ""},
        {"subject": "   "},
        {"subject": None},
        {"subject": ["a"]},
        {"subject": "a\x00b"},
        {"body": "a\x00b"},
        {"body": None},
        {"body": {"x": 1}},
        {"body": "b" * 10_001},
        {"priority": 3},
        {"priority": None},
        {"category": ["technical"]},
    ],
)
def test_hostile_ticket_bodies_are_400(student_client, change):
    body = {"subject": "Help", "body": "Please", **change}

    response = student_client.post(URL, body, format="json")

    assert_error_shape(response, 400)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "reopened"},
        {"status": None},
        {"status": ["closed"]},
        {"assignee": "not-a-uuid"},
        {"assignee": ["x"]},
        {"priority": "P0"},
        {"category": ""},
    ],
)
def test_hostile_updates_are_400(manager_client, body):
    ticket = TicketFactory()

    response = manager_client.patch(f"{URL}{ticket.pk}/", body, format="json")

    assert_error_shape(response, 400)


@pytest.mark.parametrize("bad", ["abc", "1", "x" * 5000, "%00", "%E2%98%83"])
@pytest.mark.parametrize(
    ("method", "template"),
    [("get", "{}/"), ("patch", "{}/"), ("get", "{}/messages/"), ("post", "{}/messages/")],
)
def test_hostile_path_parameters_are_404(manager_client, bad, method, template):
    response = getattr(manager_client, method)(
        URL + template.format(bad), {"body": "x"}, format="json"
    )

    assert response.status_code == 404, response.content[:300]


def test_an_unknown_ticket_is_404(manager_client):
    assert_error_shape(manager_client.get(f"{URL}{UNKNOWN}/"), 404)


@pytest.mark.parametrize(
    "query",
    [
        "?status=nope",
        "?priority=P0",
        "?category=x",
        "?assignee=not-a-uuid",
        "?owner=%00",
        "?unassigned=maybe",
        "?ordering=-id",
        "?search=%00",
        "?search=" + "s" * 10_001,
        "?page=%00",
        "?page=abc",
        "?page=-1",
    ],
)
def test_hostile_list_queries_are_4xx_not_500(manager_client, query):
    TicketFactory()

    response = manager_client.get(URL + query)

    assert response.status_code in (200, 400, 404), response.content[:300]
    if response.status_code != 200:
        assert_error_shape(response, (400, 404))


def test_html_and_unicode_bodies_come_back_as_sent(student_client):
    text = "<script>alert(1)</script> Ünïcødé ☃ 日本語 ‮right-to-left"

    response = student_client.post(URL, {"subject": text[:200], "body": text}, format="json")

    assert response.status_code == 201
    assert response.json()["body"] == text
    assert response["Content-Type"].startswith("application/json")


# --- races beyond test_postgres.py -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_owner_reopening_while_staff_close_ends_in_one_audited_state():
    from django.utils import timezone

    from lms.payouts.tests.test_postgres import run_at_once
    from lms.support import services

    ticket = TicketFactory(status="resolved", resolved_at=timezone.now())
    manager = ManagerFactory()
    work = [
        lambda: services.update_ticket(
            ticket=ticket, by=ticket.owner, by_staff=False, status="open"
        ),
        lambda: services.update_ticket(ticket=ticket, by=manager, by_staff=True, status="closed"),
    ]

    outcomes = run_at_once(2, lambda index: work[index]())

    row = Ticket.objects.get(pk=ticket.pk)
    oks = [kind for kind, _ in outcomes].count("ok")
    moves = AuditLog.objects.filter(
        action__in=["support.ticket_reopened", "support.ticket_closed"]
    ).count()
    assert moves == oks
    # reopen then close both apply (open -> closed is allowed); close then reopen: 409
    assert row.status == "closed" if oks == 2 else row.status in ("open", "closed")
    assert (row.closed_at is not None) == (row.status == "closed")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_staff_assigning_at_once_leave_one_assignee_and_two_audit_lines_at_most():
    from lms.payouts.tests.test_postgres import run_at_once
    from lms.support import services

    ticket = TicketFactory()
    staff = [ManagerFactory(), ManagerFactory()]

    outcomes = run_at_once(
        2,
        lambda index: services.update_ticket(
            ticket=ticket, by=staff[index], by_staff=True, assignee_id=staff[index].pk
        ),
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    row = Ticket.objects.get(pk=ticket.pk)
    assert row.assignee_id in {person.pk for person in staff}
    assert AuditLog.objects.filter(action="support.ticket_assigned").count() == 2
