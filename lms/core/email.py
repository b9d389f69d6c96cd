"""Templated email: plain text + HTML, rendered and sent inside the Celery task that owns it.

A task's arguments are logged by Celery (on receipt, success and failure, and by the eager
runner) and sit in the broker, so tasks that mail take ids only and build the message here,
in the worker: no address, body, code or token ever travels as a task argument.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_email(*, to: str, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """`emails/<template>.{subject.txt,txt,html}` rendered into one message to `to`."""
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"emails/{template}.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


def send_templated_email(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render and send now; call it from a task (its retries cover a failed send)."""
    templated_email(to=to, template=template, context=context).send()
