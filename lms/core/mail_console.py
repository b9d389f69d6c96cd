"""A development e-mail backend: each message as a few readable lines on stdout.

Django's console backend prints the whole MIME message: quoted-printable subjects, the HTML
alternative and base64 attachments, so a verification code is hard to find among hundreds
of lines. This one prints the recipients, the subject (decoded), the plain-text body and
one line per attachment (name, type and size; never its content):

    ----- e-mail to student@demo.learnflow.local -------------------------------
    Subject: Verify your e-mail address
    Your code is 123456.
    [attachment: receipt-LF-1.pdf, application/pdf, 1.6 kB]
    ---------------------------------------------------------------------------

Development only (`make run` and `DEBUG=true` use it by default, config/settings.py):
bodies hold codes and reset links. Set `EMAIL_BACKEND` to Django's SMTP backend elsewhere.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from email.mime.base import MIMEBase
from typing import Any, TextIO

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

WIDTH = 78


def _size(length: int) -> str:
    return f"{length} B" if length < 1000 else f"{length / 1000:.1f} kB"


def _attachment_line(attachment: Any) -> str:
    """`[attachment: name, type, size]` of a (name, content, type) tuple or a MIME part."""
    if isinstance(attachment, MIMEBase):
        name = attachment.get_filename() or "unnamed"
        content_type = attachment.get_content_type()
        payload = attachment.get_payload(decode=True)
        length = len(payload) if isinstance(payload, bytes) else 0
    else:
        name, content, content_type = attachment
        length = len(content.encode() if isinstance(content, str) else content or b"")
    return f"[attachment: {name}, {content_type or 'application/octet-stream'}, {_size(length)}]"


def format_message(message: EmailMessage) -> str:
    """The compact text of one message (see the module docstring), ending with a newline."""
    recipients = ", ".join([*message.to, *message.cc, *message.bcc]) or "(no recipient)"
    header = f"----- e-mail to {recipients} "
    lines = [header.ljust(WIDTH, "-"), f"Subject: {message.subject}"]
    body = (message.body or "").strip("\n")
    if not body and isinstance(message, EmailMultiAlternatives) and message.alternatives:
        body = f"(HTML only, {_size(len(str(message.alternatives[0][0])))})"
    lines.extend(line.rstrip() for line in body.splitlines())
    lines.extend(_attachment_line(attachment) for attachment in message.attachments)
    lines.append("-" * WIDTH)
    return "\n".join(lines) + "\n"


class EmailBackend(BaseEmailBackend):
    """Writes `format_message` of every message to `stream` (stdout), flushed at once."""

    def __init__(self, *args: Any, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        sent = 0
        with self._lock:
            for message in email_messages:
                self.stream.write(format_message(message))
                sent += 1
            self.stream.flush()
        return sent
