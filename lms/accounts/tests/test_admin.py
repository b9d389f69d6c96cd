"""The Django admin changes users only through the accounts services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from lms.accounts import services, tokens
from lms.accounts.models import Role, User
from lms.accounts.tests.factories import InstructorApplicationFactory
from lms.audit.models import AuditLog

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


@pytest.fixture
def admin_site(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def change_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def form_of(user: User, **changes: Any) -> dict[str, Any]:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def signed_in(user: User) -> tuple[APIClient, str]:
    pair = tokens.issue_token_pair(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert client.get(ME).status_code == 200
    return client, pair["refresh"]


def test_the_change_page_opens(admin_site, student):
    response = admin_site.get(change_url(student))
    assert response.status_code == 200
    assert b'name="role"' in response.content
    assert b'name="email"' not in response.content  # read-only
    assert b'name="is_staff"' not in response.content  # follows the role


def test_a_role_changed_in_the_admin_goes_through_the_service(admin_site, admin_user, student):
    # given a signed-in student
    api, refresh = signed_in(student)
    calls: list[dict[str, Any]] = []
    real = services.update_user_by_admin

    def spy(**kwargs: Any) -> User:
        calls.append(kwargs)
        return real(**kwargs)

    # when
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "update_user_by_admin", spy)
        response = admin_site.post(change_url(student), form_of(student, role=Role.MANAGER))

    # then
    assert response.status_code == 302
    assert calls
    assert calls[0]["by"] == admin_user
    assert calls[0]["request"] is not None
    student.refresh_from_db()
    assert (student.role, student.is_staff, student.is_superuser) == (Role.MANAGER, True, False)
    line = AuditLog.objects.get(action="user.role_changed", target_id=str(student.pk))
    assert line.actor == admin_user
    assert line.data == {"from": Role.STUDENT, "to": Role.MANAGER}
    # and the sessions of the old role are over
    assert BlacklistedToken.objects.filter(token__user=student).exists()
    assert api.get(ME).status_code == 401
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}).status_code == 401


def test_a_user_deactivated_in_the_admin_loses_every_token(admin_site, admin_user, student):
    # given a signed-in student
    api, refresh = signed_in(student)

    # when
    response = admin_site.post(change_url(student), form_of(student, is_active=""))

    # then: the audit line, and neither token works any more
    assert response.status_code == 302
    student.refresh_from_db()
    assert not student.is_active
    assert AuditLog.objects.filter(
        action="user.deactivated", actor=admin_user, target_id=str(student.pk)
    ).exists()
    assert BlacklistedToken.objects.filter(token__user=student).exists()
    assert api.get(ME).status_code == 401
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}).status_code == 401


def test_a_name_changed_in_the_admin_runs_the_name_change_handlers(admin_site, instructor):
    # given
    renamed: list[Any] = []
    handlers = {
        "test": renamed.append,
        **dict(
            zip(services.name_change_handlers.keys(), services.name_change_handlers, strict=True)
        ),
    }
    # when
    with services.name_change_handlers.swapped(handlers):
        response = admin_site.post(change_url(instructor), form_of(instructor, last_name="Hopper"))

    # then
    assert response.status_code == 302
    assert [user.pk for user in renamed] == [instructor.pk]
    instructor.refresh_from_db()
    assert instructor.last_name == "Hopper"


def test_a_name_changed_in_the_admin_is_audited_with_who_renamed_whom(
    admin_site, admin_user, admin_client_api, instructor
):
    # given: F7 of issue 9, a staff rename in the admin wrote no audit line
    # when
    response = admin_site.post(
        change_url(instructor),
        form_of(instructor, first_name="Grace", last_name="Hopper"),
        REMOTE_ADDR="203.0.113.7",
    )

    # then: one line, the staff member on the renamed user, the fields named (never the names)
    assert response.status_code == 302
    instructor.refresh_from_db()
    assert (instructor.first_name, instructor.last_name) == ("Grace", "Hopper")
    line = AuditLog.objects.get(action="user.renamed")
    assert (line.actor, line.target_type, line.target_id) == (
        admin_user,
        "accounts.user",
        str(instructor.pk),
    )
    assert line.data == {"fields": ["first_name", "last_name"]}
    assert line.ip == "203.0.113.7"
    # and the audit API serves it by its action
    listed = admin_client_api.get("/api/v1/audit-logs/", {"action": "user.renamed"})
    assert listed.status_code == 200
    assert [entry["action"] for entry in listed.json()["results"]] == ["user.renamed"]


def test_a_manager_renaming_in_the_admin_is_the_audit_lines_actor(manager, student):
    # given a manager with the model permission (names are theirs to fix; roles are not)
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client = Client()
    client.force_login(manager)
    form = form_of(student, last_name="Lovelace")
    del form["role"], form["is_active"]  # read-only for a manager

    # when
    response = client.post(change_url(student), form)

    # then
    assert response.status_code == 302
    line = AuditLog.objects.get(action="user.renamed", target_id=str(student.pk))
    assert line.actor == manager
    assert line.data == {"fields": ["last_name"]}


def test_a_save_in_the_admin_without_a_new_name_writes_no_rename_line(
    admin_site, admin_user, student
):
    response = admin_site.post(change_url(student), form_of(student, role=Role.INSTRUCTOR))

    assert response.status_code == 302
    assert not AuditLog.objects.filter(action="user.renamed").exists()
    assert AuditLog.objects.filter(action="user.role_changed", actor=admin_user).exists()


def test_an_admin_cannot_change_their_own_role(admin_site, admin_user):
    response = admin_site.get(change_url(admin_user))
    assert b'name="role"' not in response.content


def test_a_manager_cannot_change_roles_in_the_admin(manager, student):
    # given a manager with the model permission (roles stay the platform admin's, as in the API)
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client = Client()
    client.force_login(manager)
    # when
    page = client.get(change_url(student))
    client.post(change_url(student), form_of(student, role=Role.ADMIN))
    # then
    assert page.status_code == 200
    assert b'name="role"' not in page.content
    student.refresh_from_db()
    assert student.role == Role.STUDENT


def test_users_are_not_added_deleted_or_given_passwords_in_the_admin(admin_site, student):
    assert admin_site.get("/admin/accounts/user/add/").status_code == 403
    assert admin_site.get(f"/admin/accounts/user/{student.pk}/delete/").status_code == 403
    password_page = f"/admin/accounts/user/{student.pk}/password/"
    new = {"password1": "An0ther-long-pass!", "password2": "An0ther-long-pass!"}
    admin_site.post(password_page, new, follow=True)
    student.refresh_from_db()
    assert not student.check_password(new["password1"])


def test_instructor_applications_are_reviewed_by_the_actions_only(admin_site, admin_user):
    # given
    application = InstructorApplicationFactory()
    page = admin_site.get(f"/admin/accounts/instructorapplication/{application.pk}/change/")
    assert page.status_code == 200
    assert b'name="headline"' not in page.content
    # when
    admin_site.post(
        "/admin/accounts/instructorapplication/",
        {"action": "approve", "_selected_action": [str(application.pk)]},
    )
    # then
    application.user.refresh_from_db()
    assert application.user.role == Role.INSTRUCTOR
    assert AuditLog.objects.filter(
        action="instructor_application.approved", actor=admin_user
    ).exists()


def test_profiles_are_read_only_in_the_admin(admin_site, instructor):
    from lms.accounts.services import ensure_profile

    profile = ensure_profile(instructor)
    url = f"/admin/accounts/instructorprofile/{profile.pk}/change/"
    assert admin_site.get(url).status_code == 200
    admin_site.post(url, {"headline": "changed"})
    profile.refresh_from_db()
    assert profile.headline != "changed"
