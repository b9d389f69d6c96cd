"""Demo review queue for `manage.py seed_demo`: an instructor application waiting for staff.

`APPLICANT` (a demo student) applies to teach with a CV and a certificate, both PDFs, through
the accounts service, so staff have one pending application to open, download and approve
or reject. Idempotent: skipped once the applicant has applied.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lms.accounts import services
from lms.accounts.models import InstructorApplication, Role, User
from lms.catalog.demo import demo_pdf

APPLICANT = "nina@demo.learnflow.local"


def seed(stdout: Any) -> None:
    user = User.objects.filter(email=APPLICANT, role=Role.STUDENT).first()
    if user is None or InstructorApplication.objects.filter(user=user).exists():
        return
    cv = demo_pdf(
        "Nina Newcomer: CV",
        ["Data analyst, 6 years.", "Taught evening classes in SQL and spreadsheets."],
    )
    certificate = demo_pdf("Certificate of teaching", ["Awarded to Nina Newcomer, 2024."])
    services.submit_instructor_application(
        user=user,
        headline="SQL for analysts",
        bio="I help analysts write the queries they need.",
        expertise="SQL, data analysis, spreadsheets",
        cv=SimpleUploadedFile("cv.pdf", cv, "application/pdf"),
        certificate=SimpleUploadedFile("certificate.pdf", certificate, "application/pdf"),
    )
    stdout.write(f"accounts demo: {APPLICANT} applied to teach (pending review)")
