import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core import mail

from lms.accounts.tokens import issue_token_pair
from lms.conftest import error_codes
from lms.notifications import services
from lms.notifications.models import Category, EmailPreference, Notification

pytestmark = pytest.mark.django_db


def _notify(user, **kwargs):
    defaults = {"category": Category.COURSES, "title": "Course approved", "body": "Well done."}
    return services.notify(user=user, **{**defaults, **kwargs})


class TestNotifyService:
    def test_creates_the_row_and_emails_after_commit(
        self, student, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            notification = _notify(student)

        # then
        notification.refresh_from_db()
        assert notification.emailed_at is not None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [student.email]
        assert message.subject == "Course approved"
        assert "Well done." in message.body
        assert message.alternatives[0][1] == "text/html"

    def test_nothing_is_sent_before_the_transaction_commits(
        self, student, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _notify(student)

        # the delivery task, and the unread count's cache generation retired at commit
        assert len(callbacks) == 2
        assert mail.outbox == []

    def test_respects_the_email_preference(self, student, django_capture_on_commit_callbacks):
        EmailPreference.objects.create(user=student, category=Category.COURSES, enabled=False)

        with django_capture_on_commit_callbacks(execute=True):
            notification = _notify(student)

        assert Notification.objects.filter(pk=notification.pk).exists()
        assert mail.outbox == []

    def test_a_redelivered_task_does_not_mail_twice(
        self, student, django_capture_on_commit_callbacks
    ):
        from lms.notifications.tasks import deliver_notification

        with django_capture_on_commit_callbacks(execute=True):
            notification = _notify(student)
        with django_capture_on_commit_callbacks(execute=True):
            deliver_notification(str(notification.pk))

        assert len(mail.outbox) == 1


class TestNotificationList:
    url = "/api/v1/notifications/"

    def test_lists_only_my_notifications_newest_first(self, student, other_student, student_client):
        older = _notify(student, title="first")
        newer = _notify(student, title="second")
        _notify(other_student, title="not mine")

        response = student_client.get(self.url)

        assert response.status_code == 200
        ids = [item["id"] for item in response.json()["results"]]
        assert ids == [str(newer.pk), str(older.pk)]
        assert set(response.json()["results"][0]) == {
            "id",
            "category",
            "title",
            "body",
            "data",
            "read_at",
            "created_at",
        }

    def test_filters_unread_and_category(self, student, student_client):
        read = _notify(student, category=Category.ACCOUNT)
        services.mark_read(notification=read)
        unread = _notify(student, category=Category.COMMERCE)

        unread_only = student_client.get(self.url, {"unread": "true"}).json()["results"]
        commerce = student_client.get(self.url, {"category": "commerce"}).json()["results"]

        assert [item["id"] for item in unread_only] == [str(unread.pk)]
        assert [item["id"] for item in commerce] == [str(unread.pk)]

    def test_unknown_category_is_400(self, student_client):
        response = student_client.get(self.url, {"category": "nope"})

        assert response.status_code == 400

    def test_anonymous_is_401(self, anon_client):
        assert anon_client.get(self.url).status_code == 401

    def test_query_count_is_constant(self, student, student_client, django_assert_max_num_queries):
        Notification.objects.bulk_create(
            Notification(user=student, category="account", title=f"n{i}") for i in range(30)
        )

        with django_assert_max_num_queries(4):
            response = student_client.get(self.url)

        assert len(response.json()["results"]) == 20


class TestReadAndCount:
    def test_unread_count_read_and_read_all(self, student, student_client):
        first = _notify(student)
        _notify(student)
        _notify(student)

        assert student_client.get("/api/v1/notifications/unread-count/").json() == {"count": 3}

        response = student_client.post(f"/api/v1/notifications/{first.pk}/read/")
        assert response.status_code == 200
        assert response.json()["read_at"] is not None
        assert student_client.get("/api/v1/notifications/unread-count/").json() == {"count": 2}

        response = student_client.post("/api/v1/notifications/read-all/")
        assert response.json() == {"count": 2}
        assert student_client.get("/api/v1/notifications/unread-count/").json() == {"count": 0}

    def test_reading_twice_keeps_the_first_time(self, student, student_client):
        notification = _notify(student)

        first = student_client.post(f"/api/v1/notifications/{notification.pk}/read/").json()
        second = student_client.post(f"/api/v1/notifications/{notification.pk}/read/").json()

        assert first["read_at"] == second["read_at"]

    def test_another_users_notification_is_404(self, other_student, student_client):
        theirs = _notify(other_student)

        response = student_client.post(f"/api/v1/notifications/{theirs.pk}/read/")

        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_anonymous_is_401(self, anon_client):
        assert anon_client.get("/api/v1/notifications/unread-count/").status_code == 401
        assert anon_client.post("/api/v1/notifications/read-all/").status_code == 401


class TestPreferences:
    url = "/api/v1/notifications/preferences/"

    def test_defaults_are_all_on(self, student_client):
        response = student_client.get(self.url)

        assert response.status_code == 200
        assert response.json()["email"] == dict.fromkeys(Category.values, True)

    def test_patch_turns_a_category_off(self, student, student_client):
        response = student_client.patch(self.url, {"email": {"commerce": False}}, format="json")

        assert response.status_code == 200
        assert response.json()["email"]["commerce"] is False
        assert response.json()["email"]["account"] is True
        assert not services.email_enabled(user=student, category="commerce")

    def test_unknown_category_is_400(self, student_client):
        response = student_client.patch(self.url, {"email": {"spam": False}}, format="json")

        assert response.status_code == 400
        assert error_codes(response) == ["invalid_choice"]

    def test_wrong_type_is_400(self, student_client):
        response = student_client.patch(self.url, {"email": {"commerce": "maybe"}}, format="json")

        assert response.status_code == 400

    def test_anonymous_is_401(self, anon_client):
        assert anon_client.get(self.url).status_code == 401


@pytest.mark.django_db(transaction=True)
class TestWebSocket:
    def _connect(self, token):
        from config.asgi import application

        path = f"/ws/notifications/?token={token}" if token else "/ws/notifications/"
        return WebsocketCommunicator(
            application, path, headers=[(b"host", b"testserver"), (b"origin", b"http://testserver")]
        )

    def test_pushes_new_notifications_to_the_user(self, student):
        communicator = self._connect(issue_token_pair(student)["access"])

        async def scenario():
            connected, _ = await communicator.connect()
            assert connected
            await get_channel_layer().group_send(
                services.group_name(student.pk),
                {"type": "notification.created", "notification": {"title": "hello"}},
            )
            message = await communicator.receive_json_from(timeout=2)
            await communicator.disconnect()
            return message

        assert async_to_sync(scenario)() == {"title": "hello"}

    def test_refuses_a_socket_without_a_valid_token(self):
        communicator = self._connect("not-a-token")

        async def scenario():
            connected, _ = await communicator.connect()
            closed = await communicator.receive_output(timeout=2)
            await communicator.disconnect()
            return connected, closed

        # accepted, then closed with the code (a refusal before the handshake would be an
        # HTTP 403 without one): lms.notifications.sockets
        connected, closed = async_to_sync(scenario)()
        assert connected
        assert closed == {"type": "websocket.close", "code": 4401}
