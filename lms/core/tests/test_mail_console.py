"""The development e-mail backend: short, readable messages on stdout."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from lms.core.mail_console import EmailBackend, format_message

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"


def test_a_message_is_recipient_subject_text_body_and_one_line_per_attachment():
    # given: HTML alternative, a non-ASCII subject and a PDF attachment
    message = EmailMultiAlternatives(
        "“Python” was approved — your code 123456",
        "Hello Ada,\n\nYour code is 123456.\n",
        "LearnFlow <no-reply@learnflow.local>",
        ["ada@example.com"],
        cc=["grace@example.com"],
    )
    message.attach_alternative("<p>Your code is <b>123456</b></p>", "text/html")
    message.attach("receipt-LF-1.pdf", b"%PDF-1.4 " + b"x" * 2000, "application/pdf")
    out = StringIO()
    # when
    sent = EmailBackend(stream=out).send_messages([message])
    # then
    text = out.getvalue()
    assert sent == 1
    assert text.splitlines()[0].startswith("----- e-mail to ada@example.com, grace@example.com ")
    assert "Subject: “Python” was approved — your code 123456" in text
    assert "Your code is 123456." in text
    assert "[attachment: receipt-LF-1.pdf, application/pdf, 2.0 kB]" in text
    assert "<p>" not in text  # no HTML part
    assert "Content-Transfer-Encoding" not in text  # no MIME
    assert "=?utf-8?" not in text
    assert "JVBERi" not in text  # no base64 of the PDF
    assert len(text.splitlines()) == 7


def test_an_html_only_message_says_so_and_an_empty_list_sends_nothing():
    message = EmailMultiAlternatives("Hi", "", "a@example.com", ["b@example.com"])
    message.attach_alternative("<p>hi</p>", "text/html")
    assert "(HTML only, 9 B)" in format_message(message)
    out = StringIO()
    assert EmailBackend(stream=out).send_messages([]) == 0
    assert out.getvalue() == ""


@pytest.mark.django_db
def test_a_newcomer_reads_the_verification_code_and_verifies_through_the_api(
    anon_client, settings, capsys, django_capture_on_commit_callbacks
):
    # given: the backend `make run` uses (DEBUG's default)
    settings.EMAIL_BACKEND = "lms.core.mail_console.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            REGISTER,
            {
                "email": "newcomer@example.com",
                "password": "a-long-passphrase-2026",
                "first_name": "New",
                "last_name": "Comer",
            },
        )
    assert response.status_code == 201
    # when: the code is read off the terminal
    printed = capsys.readouterr().out
    block = printed[printed.index("----- e-mail to newcomer@example.com") :]
    assert len(block.splitlines()) < 25
    code = re.search(r"\b(\d{6})\b", block)
    assert code is not None
    # then: it verifies the address
    verified = anon_client.post(VERIFY, {"email": "newcomer@example.com", "code": code.group(1)})
    assert verified.status_code == 200, verified.content
    assert not getattr(mail, "outbox", [])  # nothing went through another backend
