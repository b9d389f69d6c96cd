import pytest
from django.test import RequestFactory

from lms.audit.models import AuditLog
from lms.audit.services import record

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-logs/"


def test_record_keeps_actor_target_ip_and_user_agent(student):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="pytest-agent")

    entry = record(
        action="user.updated", actor=student, target=student, request=request, data={"field": "bio"}
    )

    entry.refresh_from_db()
    assert entry.actor == student
    assert entry.target_type == "accounts.user"
    assert entry.target_id == str(student.pk)
    assert entry.ip == "203.0.113.9"
    assert entry.user_agent == "pytest-agent"
    assert entry.data == {"field": "bio"}


def test_record_ignores_a_forged_forwarded_for_without_trusted_proxies(student):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )

    entry = record(action="auth.login", actor=student, request=request)

    assert entry.ip == "203.0.113.9"


def test_admin_lists_and_filters(admin_user, student, admin_client_api):
    record(action="auth.login", actor=student, target=student)
    record(action="course.published", actor=admin_user)

    everything = admin_client_api.get(URL).json()
    logins = admin_client_api.get(URL, {"action": "auth.login"}).json()
    by_actor = admin_client_api.get(URL, {"actor": str(admin_user.pk)}).json()

    assert everything["count"] == 2
    assert [row["action"] for row in logins["results"]] == ["auth.login"]
    assert logins["results"][0]["actor"] == {"id": str(student.pk), "email": student.email}
    assert set(logins["results"][0]) >= {
        "actor",
        "action",
        "target",
        "ip",
        "user_agent",
        "created_at",
    }
    assert [row["action"] for row in by_actor["results"]] == ["course.published"]


def test_manager_and_student_are_403(manager_client, student_client):
    assert manager_client.get(URL).status_code == 403
    assert student_client.get(URL).status_code == 403


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_bad_filter_is_400(admin_client_api):
    assert admin_client_api.get(URL, {"actor": "not-a-uuid"}).status_code == 400


def test_query_count_is_constant(admin_user, admin_client_api, django_assert_max_num_queries):
    AuditLog.objects.bulk_create(AuditLog(action="auth.login", actor=admin_user) for _ in range(30))

    with django_assert_max_num_queries(4):
        response = admin_client_api.get(URL)

    assert len(response.json()["results"]) == 20
