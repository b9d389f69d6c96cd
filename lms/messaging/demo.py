"""Demo conversation for `manage.py seed_demo`: the demo student and the instructor of the
course they completed, with a short exchange, part of it read. Idempotent."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import User
from lms.core.errors import DomainError
from lms.messaging import services
from lms.messaging.models import Message

EXCHANGE = [
    ("student", "Hi Grace! I finished the course. Which one should I take next?"),
    ("instructor", "Well done, Sam! Try the compilers course next; start with its first section."),
    ("student", "Thanks, I will."),
]


def seed(stdout: Any) -> None:
    student = User.objects.filter(email="student@demo.learnflow.local").first()
    instructor = User.objects.filter(email="grace@demo.learnflow.local").first()
    if student is None or instructor is None:
        stdout.write("messaging: no demo student or instructor; skipped")
        return
    try:
        conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    except DomainError:
        stdout.write("messaging: the demo student shares no course with Grace; skipped")
        return
    if Message.objects.filter(conversation=conversation).exists():
        return
    people = {"student": student, "instructor": instructor}
    for index, (who, body) in enumerate(EXCHANGE):
        services.send_message(conversation=conversation, sender=people[who], body=body)
        if index == 1:  # Sam read Grace's answer; Grace has not read the thanks yet
            services.mark_read(conversation=conversation, reader=student)
    stdout.write(f"messaging: {student.email} and {instructor.email} exchanged messages")
