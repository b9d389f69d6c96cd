"""Demo instructor applications for `manage.py seed_demo`: one in each status.

Each applicant (a demo student) applies to teach with a CV and a certificate, both PDFs,
through the accounts service; the demo manager then approves or rejects it through the
same services staff use. Nina's stays pending, so staff have one to open, download and
decide; Omar's was approved (he is an instructor now, without courses yet) and Pia's was
rejected with a reason. Idempotent: an applicant who has applied is skipped.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lms.accounts import services
from lms.accounts.models import InstructorApplication, Role, User
from lms.catalog.demo import demo_pdf

Status = InstructorApplication.Status
APPLICANT = "nina@demo.learnflow.local"  # the pending one


# (applicant, headline, expertise, CV lines, status it is left in, rejection reason)
APPLICATIONS: list[tuple[str, str, str, list[str], str, str]] = [
    (
        APPLICANT, "SQL for analysts", "SQL, data analysis, spreadsheets",
        ["Data analyst, 6 years.", "Taught evening classes in SQL and spreadsheets."],
        Status.PENDING, "",
    ),
    (
        "omar@demo.learnflow.local", "Mobile photography", "Photography, photo editing",
        ["Photographer, 10 years.", "Runs weekend workshops on phone photography."],
        Status.APPROVED, "",
    ),
    (
        "pia@demo.learnflow.local", "Crypto trading secrets", "Trading",
        ["Day trader, 1 year."],
        Status.REJECTED,
        "We need evidence of teaching experience and a syllabus; you are welcome to apply again.",
    ),
]  # fmt: skip


def seed(stdout: Any) -> None:
    reviewer = User.objects.filter(role=Role.MANAGER).order_by("created_at").first()
    for email, headline, expertise, lines, status, reason in APPLICATIONS:
        user = User.objects.filter(email=email).first()
        if user is None or InstructorApplication.objects.filter(user=user).exists():
            continue
        if user.role != Role.STUDENT or (status != Status.PENDING and reviewer is None):
            continue
        name = user.full_name
        application = services.submit_instructor_application(
            user=user,
            headline=headline,
            bio=f"{name} applies to teach {headline.lower()}.",
            expertise=expertise,
            cv=SimpleUploadedFile("cv.pdf", demo_pdf(f"{name}: CV", lines), "application/pdf"),
            certificate=SimpleUploadedFile(
                "certificate.pdf",
                demo_pdf("Certificate of teaching", [f"Awarded to {name}, 2024."]),
                "application/pdf",
            ),
        )
        if reviewer is not None and status == Status.APPROVED:
            services.approve_instructor_application(application=application, by=reviewer)
        elif reviewer is not None and status == Status.REJECTED:
            services.reject_instructor_application(
                application=application, by=reviewer, reason=reason
            )
        stdout.write(f"accounts demo: {email} applied to teach ({status})")
