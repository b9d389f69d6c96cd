"""`apply_to_each`: the admin actions' loop over the selected objects."""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from lms.core.admin import apply_to_each
from lms.core.errors import Conflict


class _Admin:
    def __init__(self) -> None:
        self.said: list[tuple[str, int]] = []

    def message_user(self, request, message, level=messages.INFO) -> None:
        self.said.append((message, level))


def _refuse_b(name: str) -> None:
    if name == "b":
        raise Conflict("b cannot move.", code="invalid_status_transition")


def test_a_refused_object_is_reported_and_the_others_go_on():
    admin = _Admin()

    apply_to_each(
        admin, RequestFactory().post("/"), ["a", "b", "c"], _refuse_b, done="{count} moved."
    )

    assert admin.said == [("b: b cannot move.", messages.WARNING), ("2 moved.", messages.SUCCESS)]


def test_nothing_done_says_only_why():
    admin = _Admin()

    apply_to_each(admin, RequestFactory().post("/"), ["b"], _refuse_b, done="{count} moved.")

    assert admin.said == [("b: b cannot move.", messages.WARNING)]


def test_every_admin_action_asks_for_a_permission():
    """An action that changes state is offered only to staff who may change the model.

    Django offers an action without `permissions` to anyone who can open the list, view
    permission included; every action here moves a state through a service, so each must
    name the permission it needs (delete_selected asks for "delete" itself).
    """
    unguarded = [
        f"{model._meta.label}.{name}"
        for model, model_admin in django_admin.site._registry.items()
        for func, name, _description in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", ())
    ]

    assert unguarded == []


@pytest.mark.django_db
def test_staff_who_may_only_view_courses_are_offered_no_course_action(rf):
    from lms.accounts.tests.factories import UserFactory
    from lms.catalog.models import Course

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_course"))
    request = rf.get("/admin/catalog/course/")
    request.user = type(viewer).objects.get(pk=viewer.pk)  # fresh permission cache

    actions = django_admin.site._registry[Course].get_actions(request)

    assert actions == {}
