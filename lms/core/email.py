"""Templated email: plain text + HTML rendered now, sent by a Celery task after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string


def schedule_templated_email(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render `emails/<template>.{subject.txt,txt,html}`; send it once the transaction commits."""
    from lms.core.tasks import send_email

    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    transaction.on_commit(lambda: send_email.delay(to=to, subject=subject, text=text, html=html))
