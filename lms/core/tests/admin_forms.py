"""Tests of the Django admin: the data a change page would post back unchanged."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.widgets import ManyToManyRawIdWidget
from django.forms import BaseForm


def _add_value(data: dict[str, Any], name: str, widget: Any, value: Any) -> None:
    if isinstance(widget, ManyToManyRawIdWidget):
        data[name] = ",".join(str(v) for v in value or [])
    elif isinstance(value, bool):
        if value:
            data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [str(v) for v in value]
    elif value is not None:
        data[name] = str(value)


def _add_form(data: dict[str, Any], form: BaseForm) -> None:
    for field in form:
        value = field.value()  # already through the field's prepare_value
        widget = getattr(field.field.widget, "widget", field.field.widget)
        _add_value(data, field.html_name, widget, value)
        if field.field.show_hidden_initial:  # fields with a callable default: initial-<name>
            _add_value(data, field.html_initial_name, widget, value)


def posted_back(page: Any, **changes: Any) -> dict[str, Any]:
    """The fields of an admin add/change page (`page`: the test client's response, its inline
    formsets included) as the browser would post them, with `changes` applied."""
    data: dict[str, Any] = {}
    _add_form(data, page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        _add_form(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _add_form(data, form)
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}
