"""Support tickets over HTTP (API.md, Community; issue 12 item 6)."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import ManagerFactory, UserFactory
from lms.audit.models import AuditLog
from lms.conftest import error_codes
from lms.notifications.models import Category, Notification
from lms.support.models import Ticket, TicketMessage
from lms.support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/support/tickets/"


def detail(ticket):
    return f"{URL}{ticket.pk}/"


def messages(ticket):
    return f"{URL}{ticket.pk}/messages/"


NEW = {"subject": "Cannot play the video", "body": "It stops at 2:10.", "priority": "high"}


class TestOpen:
    def test_any_user_opens_one(self, student_client, student):
        response = student_client.post(URL, {**NEW, "category": "technical"})

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "open"
        assert body["priority"] == "high"
        assert body["category"] == "technical"
        assert body["owner"]["id"] == str(student.pk)
        assert body["assignee"] is None
        assert body["message_count"] == 0
        ticket = Ticket.objects.get()
        assert AuditLog.objects.filter(action="support.ticket_opened", target_id=str(ticket.pk))

    def test_defaults(self, student_client):
        body = student_client.post(URL, {"subject": "Hi", "body": "Help"}).json()

        assert (body["priority"], body["category"]) == ("medium", "other")

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"subject": "x"},
            {**NEW, "priority": "critical"},
            {**NEW, "category": "nope"},
            {**NEW, "subject": "s" * 201},
            {**NEW, "body": "b" * 10_001},
            {**NEW, "body": "   "},
        ],
    )
    def test_bad_input_is_400(self, student_client, payload):
        response = student_client.post(URL, payload, format="json")

        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"

    def test_html_is_stored_as_text(self, student_client):
        html = "<img src=x onerror=alert(1)>"

        response = student_client.post(URL, {**NEW, "body": html})

        assert response.json()["body"] == html
        assert response["Content-Type"].startswith("application/json")

    def test_anonymous_is_401(self, anon_client):
        assert anon_client.post(URL, NEW).status_code == 401
        assert anon_client.get(URL).status_code == 401


class TestVisibility:
    def test_owners_see_only_theirs(self, student_client, student):
        mine = TicketFactory(owner=student)
        TicketFactory()

        results = student_client.get(URL).json()["results"]

        assert [row["id"] for row in results] == [str(mine.pk)]

    def test_someone_elses_ticket_is_404(self, student_client):
        other = TicketFactory()

        assert student_client.get(detail(other)).status_code == 404
        assert student_client.patch(detail(other), {"status": "closed"}).status_code == 404
        assert student_client.get(messages(other)).status_code == 404
        assert student_client.post(messages(other), {"body": "hi"}).status_code == 404

    def test_staff_see_all(self, manager_client):
        TicketFactory.create_batch(3)

        assert manager_client.get(URL).json()["count"] == 3

    def test_instructors_are_not_staff(self, instructor_client):
        TicketFactory()

        assert instructor_client.get(URL).json()["count"] == 0


class TestStaffFilters:
    def test_filters_and_ordering(self, manager_client, manager):
        low = TicketFactory(priority="low", category="billing")
        urgent = TicketFactory(priority="urgent", assignee=manager)
        done = TicketFactory(status="closed", closed_at="2026-01-01T00:00:00Z")

        def ids(query):
            response = manager_client.get(URL + query)
            assert response.status_code == 200, response.json()
            return [row["id"] for row in response.json()["results"]]

        assert ids("?status=open&ordering=priority") == [str(urgent.pk), str(low.pk)]
        assert ids("?status=closed") == [str(done.pk)]
        assert set(ids("?status=open&status=closed")) == {str(low.pk), str(urgent.pk), str(done.pk)}
        assert ids("?category=billing") == [str(low.pk)]
        assert ids(f"?assignee={manager.pk}") == [str(urgent.pk)]
        assert set(ids("?unassigned=true")) == {str(low.pk), str(done.pk)}
        assert ids(f"?owner={low.owner_id}") == [str(low.pk)]
        assert ids(f"?search={low.subject}") == [str(low.pk)]
        assert ids("?priority=urgent&priority=high") == [str(urgent.pk)]

    @pytest.mark.parametrize(
        "query", ["?status=lost", "?ordering=random", "?assignee=nope", "?priority=9"]
    )
    def test_bad_filters_are_400(self, manager_client, query):
        assert manager_client.get(URL + query).status_code == 400

    @pytest.mark.parametrize("count", [3, 15])
    def test_list_in_a_constant_number_of_queries(
        self, manager_client, django_assert_max_num_queries, count
    ):
        for ticket in TicketFactory.create_batch(count, assignee=ManagerFactory()):
            TicketMessageFactory(ticket=ticket)
        manager_client.get(URL)

        with django_assert_max_num_queries(3):  # the page, the count (+ the user when cold)
            response = manager_client.get(URL)

        assert response.json()["count"] == count
        assert response.json()["results"][0]["message_count"] == 1


class TestStaffChanges:
    def test_the_status_walks_the_table_and_the_owner_is_told(self, manager_client, manager):
        ticket = TicketFactory()

        for status in ("in_progress", "resolved", "closed"):
            response = manager_client.patch(detail(ticket), {"status": status})
            assert response.status_code == 200, response.json()
            assert response.json()["status"] == status

        body = response.json()
        assert body["resolved_at"] is not None
        assert body["closed_at"] is not None
        told = Notification.objects.filter(user=ticket.owner, category=Category.SUPPORT)
        assert told.count() == 3
        assert list(
            AuditLog.objects.filter(target_id=str(ticket.pk))
            .order_by("created_at")
            .values_list("action", flat=True)
        ) == ["support.ticket_in_progress", "support.ticket_resolved", "support.ticket_closed"]

    @pytest.mark.parametrize(
        ("start", "to"),
        [("closed", "open"), ("closed", "resolved"), ("in_progress", "open"), ("open", "open")],
    )
    def test_a_move_the_table_refuses_is_409(self, manager_client, start, to):
        ticket = TicketFactory(
            status=start, closed_at="2026-01-01T00:00:00Z" if start == "closed" else None
        )

        response = manager_client.patch(detail(ticket), {"status": to})

        assert response.status_code == 409
        assert error_codes(response) == ["invalid_ticket_state"]

    def test_assign_to_staff_only(self, manager_client, manager):
        ticket = TicketFactory()
        colleague = ManagerFactory()

        response = manager_client.patch(detail(ticket), {"assignee": str(colleague.pk)})

        assert response.status_code == 200
        assert response.json()["assignee"]["id"] == str(colleague.pk)
        assert Notification.objects.filter(user=colleague, category=Category.SUPPORT).exists()
        refused = manager_client.patch(detail(ticket), {"assignee": str(UserFactory().pk)})
        assert refused.status_code == 400
        assert error_codes(refused) == ["assignee_not_staff"]
        unassigned = manager_client.patch(detail(ticket), {"assignee": None}, format="json")
        assert unassigned.json()["assignee"] is None

    def test_priority_and_category(self, admin_client_api):
        ticket = TicketFactory()

        response = admin_client_api.patch(
            detail(ticket), {"priority": "urgent", "category": "billing"}
        )

        assert (response.json()["priority"], response.json()["category"]) == ("urgent", "billing")

    def test_a_closed_ticket_does_not_change(self, manager_client):
        ticket = TicketFactory(status="closed", closed_at="2026-01-01T00:00:00Z")

        response = manager_client.patch(detail(ticket), {"priority": "low"})

        assert response.status_code == 409
        assert error_codes(response) == ["ticket_closed"]

    @pytest.mark.parametrize("payload", [{"status": "lost"}, {"assignee": "x"}])
    def test_bad_input_is_400(self, manager_client, payload):
        assert manager_client.patch(detail(TicketFactory()), payload).status_code == 400


class TestOwnerChanges:
    def test_the_owner_reopens_a_resolved_ticket(self, student_client, student):
        ticket = TicketFactory(owner=student, status="resolved", resolved_at="2026-01-01T00:00Z")

        response = student_client.patch(detail(ticket), {"status": "open"})

        assert response.status_code == 200
        assert response.json()["status"] == "open"
        assert response.json()["resolved_at"] is None
        assert AuditLog.objects.filter(action="support.ticket_reopened").exists()
        # their own move: no notification to themselves
        assert not Notification.objects.filter(user=student).exists()

    def test_the_owner_cannot_reopen_an_open_or_closed_ticket(self, student_client, student):
        in_progress = TicketFactory(owner=student, status="in_progress")
        closed = TicketFactory(owner=student, status="closed", closed_at="2026-01-01T00:00Z")

        assert student_client.patch(detail(in_progress), {"status": "open"}).status_code == 409
        assert student_client.patch(detail(closed), {"status": "open"}).status_code == 409

    def test_the_owner_closes_theirs(self, student_client, student):
        ticket = TicketFactory(owner=student)

        assert student_client.patch(detail(ticket), {"status": "closed"}).json()["status"] == (
            "closed"
        )

    @pytest.mark.parametrize(
        "payload",
        [{"status": "resolved"}, {"status": "in_progress"}, {"priority": "urgent"}],
    )
    def test_the_rest_is_staff_only(self, student_client, student, payload):
        ticket = TicketFactory(owner=student)

        response = student_client.patch(detail(ticket), payload)

        assert response.status_code == 403
        assert error_codes(response) == ["staff_only"]

    def test_the_owner_cannot_assign(self, student_client, student):
        ticket = TicketFactory(owner=student)

        response = student_client.patch(detail(ticket), {"assignee": str(ManagerFactory().pk)})

        assert response.status_code == 403


class TestMessages:
    def test_a_staff_reply_notifies_the_owner(self, manager_client, manager):
        ticket = TicketFactory()

        response = manager_client.post(messages(ticket), {"body": "Try clearing the cache."})

        assert response.status_code == 201
        assert response.json()["from_staff"] is True
        assert response.json()["author"]["id"] == str(manager.pk)
        notification = Notification.objects.get(user=ticket.owner)
        assert notification.category == Category.SUPPORT
        assert notification.data["ticket_id"] == str(ticket.pk)

    def test_the_owners_reply_notifies_the_assignee(self, client_for):
        assignee = ManagerFactory()
        ticket = TicketFactory(assignee=assignee)

        response = client_for(ticket.owner).post(messages(ticket), {"body": "Still broken"})

        assert response.status_code == 201
        assert response.json()["from_staff"] is False
        assert Notification.objects.filter(user=assignee).count() == 1
        assert not Notification.objects.filter(user=ticket.owner).exists()

    def test_the_thread_oldest_first(self, client_for, manager):
        ticket = TicketFactory()
        client_for(ticket.owner).post(messages(ticket), {"body": "one"})
        client_for(manager).post(messages(ticket), {"body": "two"})

        results = client_for(ticket.owner).get(messages(ticket)).json()["results"]

        assert [row["body"] for row in results] == ["one", "two"]
        assert client_for(ticket.owner).get(detail(ticket)).json()["message_count"] == 2

    def test_a_closed_ticket_takes_no_message(self, client_for):
        ticket = TicketFactory(status="closed", closed_at="2026-01-01T00:00Z")

        response = client_for(ticket.owner).post(messages(ticket), {"body": "hello?"})

        assert response.status_code == 409
        assert error_codes(response) == ["ticket_closed"]

    @pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "x" * 10_001}])
    def test_bad_bodies_are_400(self, client_for, payload):
        ticket = TicketFactory()

        assert client_for(ticket.owner).post(messages(ticket), payload).status_code == 400

    @pytest.mark.parametrize("count", [2, 20])
    def test_thread_in_a_constant_number_of_queries(
        self, client_for, django_assert_max_num_queries, count
    ):
        ticket = TicketFactory()
        TicketMessageFactory.create_batch(count, ticket=ticket)
        client = client_for(ticket.owner)
        client.get(messages(ticket))

        with django_assert_max_num_queries(4):  # the ticket, the page, the count
            response = client.get(messages(ticket))

        assert response.json()["count"] == count
        assert TicketMessage.objects.count() == count
