"""`apply_to_each`: the admin actions' loop over the selected objects."""

from __future__ import annotations

from django.contrib import messages
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
