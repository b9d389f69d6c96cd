"""A manager opens the Django admin and sees the queues the role works (the "Managers"
group, made by commerce's migration 0006 and given by accounts' role-change service), and
nothing of the money that stays with admins."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from lms.accounts.models import User
from lms.accounts.tests.factories import InstructorApplicationFactory, UserFactory
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory
from lms.core.permissions import MANAGER_GROUP

pytestmark = pytest.mark.django_db

QUEUES = [
    "/admin/catalog/course/?status__exact=pending",
    "/admin/accounts/instructorapplication/?status__exact=pending",
    "/admin/community/report/",
    "/admin/support/ticket/",
]
ADMIN_ONLY = [
    "/admin/payouts/withdrawal/",
    "/admin/payouts/wallet/",
    "/admin/commerce/refund/",
    "/admin/commerce/coupon/",
    "/admin/audit/auditlog/",
]


def _promote(admin_client_api, user, role: str) -> User:
    response = admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": role}, format="json")
    assert response.status_code == 200, response.json()
    return User.objects.get(pk=user.pk)


def test_the_migration_made_the_group_with_the_queues_permissions():
    group = Group.objects.get(name=MANAGER_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert {
        ("catalog", "change_course"),
        ("accounts", "change_instructorapplication"),
        ("community", "change_report"),
        ("support", "change_ticket"),
    } <= codenames
    assert not {label for label, _ in codenames} & {"payouts", "audit"}
    assert ("commerce", "change_order") not in codenames


def test_a_manager_opens_the_admin_and_sees_the_queues(admin_client_api):
    manager = _promote(admin_client_api, UserFactory(), "manager")
    assert manager.is_staff
    assert not manager.is_superuser
    assert manager.groups.filter(name=MANAGER_GROUP).exists()
    pending = CourseFactory(status=CourseStatus.PENDING, title="Waiting for review")
    InstructorApplicationFactory(headline="Applies to teach chess")
    browser = Client()
    browser.force_login(manager)
    index = browser.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    for link in ("/admin/catalog/course/", "/admin/accounts/instructorapplication/"):
        assert link in page
    for url in QUEUES:
        assert browser.get(url).status_code == 200, url
    assert pending.title in browser.get(QUEUES[0]).content.decode()
    assert "Applies to teach chess" in browser.get(QUEUES[1]).content.decode()
    for url in ADMIN_ONLY:
        assert browser.get(url).status_code == 403, url


def test_the_manager_logs_in_through_the_admin_login_form(admin_client_api, settings):
    settings.REQUIRE_STAFF_MFA = False
    user = UserFactory(email="queue.manager@example.com")
    user.set_password("a long and unusual passphrase")
    user.save()
    _promote(admin_client_api, user, "manager")
    browser = Client()
    response = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "queue.manager@example.com", "password": "a long and unusual passphrase"},
    )
    assert response.status_code == 302, response.content[:500]
    assert browser.get("/admin/catalog/course/").status_code == 200


def test_leaving_the_role_leaves_the_group_and_the_admin(admin_client_api):
    manager = _promote(admin_client_api, UserFactory(), "manager")
    student = _promote(admin_client_api, manager, "student")
    assert not student.is_staff
    assert not student.groups.exists()
    browser = Client()
    browser.force_login(student)
    assert browser.get("/admin/").status_code == 302  # to the login page


def test_students_and_instructors_stay_out(client_for, instructor):
    for user in (UserFactory(), instructor):
        browser = Client()
        browser.force_login(user)
        assert browser.get("/admin/catalog/course/").status_code == 302
