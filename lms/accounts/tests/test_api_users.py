"""Admin user list and update: roles, activity, self-protection and revocation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lms.accounts.models import InstructorProfile, Role
from lms.accounts.tests.factories import InstructorFactory, ManagerFactory, UserFactory
from lms.accounts.tests.helpers import bearer
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ME = "/api/v1/auth/me/"
REFRESH = "/api/v1/auth/refresh/"


def user_url(user) -> str:
    return f"{USERS}{user.pk}/"


# --- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_user", "manager"])
def test_staff_list_users(client_for, request, who, django_assert_max_num_queries):
    # given
    client = client_for(request.getfixturevalue(who))
    UserFactory.create_batch(20)
    InstructorFactory.create_batch(5)

    # when
    with django_assert_max_num_queries(3):
        response = client.get(USERS)

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["next"] is not None
    assert body["previous"] is None
    first = body["results"][0]
    assert set(first) == {
        "id",
        "email",
        "first_name",
        "last_name",
        "role",
        "email_verified",
        "is_active",
        "last_login",
        "created_at",
    }


def test_list_page_size_capped_at_100(admin_client_api):
    # given
    UserFactory.create_batch(105)

    # when
    response = admin_client_api.get(USERS, {"page_size": 500})

    # then
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


def test_filters_role_search_is_active(admin_client_api):
    # given
    InstructorFactory(first_name="Linus", email="linus@kernel.example")
    InstructorFactory(first_name="Ken", is_active=False)
    UserFactory(last_name="Torvaldsen")
    UserFactory.create_batch(3)

    # when
    instructors = admin_client_api.get(USERS, {"role": "instructor"}).json()
    active_instructors = admin_client_api.get(
        USERS, {"role": "instructor", "is_active": "true"}
    ).json()
    inactive = admin_client_api.get(USERS, {"is_active": "false"}).json()
    search_name = admin_client_api.get(USERS, {"search": "torvald"}).json()
    search_email = admin_client_api.get(USERS, {"search": "KERNEL.example"}).json()

    # then
    assert instructors["count"] == 2
    assert [u["first_name"] for u in active_instructors["results"]] == ["Linus"]
    assert [u["first_name"] for u in inactive["results"]] == ["Ken"]
    assert [u["last_name"] for u in search_name["results"]] == ["Torvaldsen"]
    assert [u["email"] for u in search_email["results"]] == ["linus@kernel.example"]


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"role": "wizard"}, "role", "invalid_choice"),
        ({"is_active": "perhaps"}, "is_active", "invalid"),
        ({"search": "x" * 101}, "search", "max_length"),
    ],
)
def test_list_bad_filters_400(admin_client_api, params, attr, code):
    # when
    response = admin_client_api.get(USERS, params)

    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert error_codes(response) == [code]


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_list_forbidden_to_non_staff(client_for, request, who):
    # when
    response = client_for(request.getfixturevalue(who)).get(USERS)

    # then
    assert response.status_code == 403
    assert error_codes(response) == ["permission_denied"]


def test_list_anonymous_401(anon_client):
    assert anon_client.get(USERS).status_code == 401


# --- update ----------------------------------------------------------------------------------


def test_admin_changes_role_and_it_is_audited(admin_client_api, admin_user, student):
    # when
    response = admin_client_api.patch(user_url(student), {"role": "instructor"})

    # then
    assert response.status_code == 200
    assert response.json()["role"] == "instructor"
    student.refresh_from_db()
    assert student.role == Role.INSTRUCTOR
    assert InstructorProfile.objects.filter(user=student).exists()
    line = AuditLog.objects.get(action="user.role_changed", target_id=str(student.pk))
    assert line.actor == admin_user
    assert line.data == {"from": "student", "to": "instructor"}


def test_admin_promotes_to_manager_sets_staff_flags(admin_client_api, student):
    # when
    response = admin_client_api.patch(user_url(student), {"role": "manager"})

    # then
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.is_staff
    assert not student.is_superuser
    # and demotion takes the flags away again
    admin_client_api.patch(user_url(student), {"role": "student"})
    student.refresh_from_db()
    assert not student.is_staff


def test_same_role_writes_no_audit(admin_client_api, student):
    # when
    response = admin_client_api.patch(user_url(student), {"role": "student"})

    # then
    assert response.status_code == 200
    assert not AuditLog.objects.filter(action="user.role_changed").exists()


def test_manager_cannot_patch_403(manager_client, student):
    # when
    response = manager_client.patch(user_url(student), {"role": "admin"})

    # then
    assert response.status_code == 403
    student.refresh_from_db()
    assert student.role == Role.STUDENT


def test_student_cannot_patch_403(student_client, other_student, student):
    # when
    other = student_client.patch(user_url(other_student), {"role": "admin"})
    own = student_client.patch(user_url(student), {"role": "admin"})

    # then
    assert other.status_code == own.status_code == 403
    student.refresh_from_db()
    assert student.role == Role.STUDENT


def test_patch_anonymous_401(anon_client, student):
    assert anon_client.patch(user_url(student), {"is_active": False}).status_code == 401


@pytest.mark.parametrize("payload", [{"role": "student"}, {"is_active": False}])
def test_admin_cannot_modify_self(admin_client_api, admin_user, payload):
    # when
    response = admin_client_api.patch(user_url(admin_user), payload)

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["cannot_modify_self"]
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN
    assert admin_user.is_active


def test_deactivation_revokes_tokens_at_once(admin_client_api, log_in, student):
    # given
    session = log_in(student)
    assert APIClient().get(ME, **bearer(session["access"])).status_code == 200

    # when
    response = admin_client_api.patch(user_url(student), {"is_active": False})

    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert APIClient().get(ME, **bearer(session["access"])).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    assert AuditLog.objects.filter(action="user.deactivated", target_id=str(student.pk)).exists()


def test_reactivated_user_still_has_no_old_tokens(admin_client_api, log_in, student):
    # given
    session = log_in(student)
    admin_client_api.patch(user_url(student), {"is_active": False})

    # when
    admin_client_api.patch(user_url(student), {"is_active": True})

    # then
    assert APIClient().get(ME, **bearer(session["access"])).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    assert log_in(student)["access"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"role": "superhero"}, "invalid_choice"),
        ({"role": ["admin"]}, "invalid_choice"),
        ({"is_active": "sometimes"}, "invalid"),
    ],
)
def test_patch_bad_input(admin_client_api, student, payload, code):
    # when
    response = admin_client_api.patch(user_url(student), payload)

    # then
    assert response.status_code == 400
    assert error_codes(response) == [code]


@pytest.mark.parametrize("suffix", ["not-a-uuid/", "1/", "6f1c2b8e-0000-4000-8000-000000000001/"])
def test_patch_unknown_or_invalid_id_404(admin_client_api, suffix):
    # when
    response = admin_client_api.patch(f"{USERS}{suffix}", {"role": "student"})

    # then
    assert response.status_code == 404


def test_admin_reads_one_user(admin_client_api, student, django_assert_max_num_queries):
    # when
    with django_assert_max_num_queries(2):
        response = admin_client_api.get(user_url(student))

    # then
    assert response.status_code == 200
    assert response.json()["email"] == student.email


def test_manager_can_demote_nobody(manager_client):
    # given
    other_manager = ManagerFactory()

    # when
    response = manager_client.patch(user_url(other_manager), {"role": "student"})

    # then
    assert response.status_code == 403
