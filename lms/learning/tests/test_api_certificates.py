from __future__ import annotations

import io

import pytest
import zxingcpp
from django.core import mail
from django.test import override_settings
from PIL import Image
from pypdf import PdfReader

from lms.accounts.tests.factories import InstructorFactory
from lms.learning import services
from lms.learning.models import Certificate
from lms.learning.tests.conftest import make_course
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(student, django_capture_on_commit_callbacks) -> Certificate:
    made = make_course(lessons=2, title="Compilers from scratch")
    made.course.instructor.first_name, made.course.instructor.last_name = "Grace", "Hopper"
    made.course.instructor.save()
    made.course.co_instructors.add(InstructorFactory(first_name="Alan", last_name="Turing"))
    enrollment = services.enroll(student=student, course=made.course, source="free")
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in made.lessons:
            services.complete_lesson(enrollment=enrollment, lesson=lesson)
    return Certificate.objects.get(enrollment=enrollment)


def test_certificate_is_issued_once_with_notification_and_email(student, certificate):
    assert Certificate.objects.filter(student=student).count() == 1
    assert certificate.student_name == student.full_name
    assert certificate.instructor_names == ["Grace Hopper", "Alan Turing"]
    notification = Notification.objects.get(user=student, category="learning")
    assert notification.data["code"] == certificate.code
    assert notification.data["verify_url"].endswith(f"/certificates/verify/{certificate.code}")
    (message,) = mail.outbox
    assert message.to == [student.email]
    assert notification.data["verify_url"] in message.body


def test_certificate_list_and_detail(student_client, certificate):
    listed = student_client.get("/api/v1/certificates/")
    assert listed.status_code == 200
    assert [item["code"] for item in listed.json()["results"]] == [certificate.code]

    response = student_client.get(f"/api/v1/certificates/{certificate.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["course"]["title"] == "Compilers from scratch"
    assert body["pdf_url"].endswith(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert body["issued_at"].startswith(str(certificate.issued_at.year))


def test_certificate_pdf_is_a_real_pdf_with_a_decodable_qr_code(
    student, student_client, certificate
):
    response = student_client.get(f"/api/v1/certificates/{certificate.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        student.full_name,
        "Compilers from scratch",
        "Grace Hopper, Alan Turing",
        certificate.code,
        certificate.issued_at.strftime("%d %B %Y"),
    ):
        assert expected in text
    (image,) = reader.pages[0].images
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)).convert("L"))
    assert [barcode.text for barcode in decoded] == [
        f"http://localhost:3000/certificates/verify/{certificate.code}"
    ]


def test_certificate_code_is_human_typable(certificate):
    prefix, first, second = certificate.code.split("-")
    assert prefix == "LF"
    assert len(first) == len(second) == 4
    assert not set(first + second) & set("01OILUV")


def test_another_students_certificate_is_not_found(certificate, other_student, client_for):
    intruder = client_for(other_student)
    assert intruder.get(f"/api/v1/certificates/{certificate.pk}/").status_code == 404
    assert intruder.get(f"/api/v1/certificates/{certificate.pk}/pdf/").status_code == 404
    assert intruder.get("/api/v1/certificates/").json()["count"] == 0


def test_certificates_need_a_login(anon_client, certificate):
    assert anon_client.get("/api/v1/certificates/").status_code == 401
    assert anon_client.get(f"/api/v1/certificates/{certificate.pk}/pdf/").status_code == 401


def test_verify_is_public_and_reveals_only_the_certificate(anon_client, certificate):
    typed = certificate.code.lower().replace("-", " ")
    response = anon_client.get(f"/api/v1/certificates/verify/{typed}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"valid", "student_name", "course_title", "issued_at"}
    assert body["valid"] is True
    assert body["student_name"] == certificate.student_name
    assert body["course_title"] == "Compilers from scratch"


def test_verify_unknown_or_revoked_code_is_not_valid(anon_client, certificate):
    unknown = anon_client.get("/api/v1/certificates/verify/LF-2222-2222/").json()
    assert unknown == {
        "valid": False,
        "student_name": None,
        "course_title": None,
        "issued_at": None,
    }
    garbage = anon_client.get("/api/v1/certificates/verify/<script>/")
    assert garbage.json()["valid"] is False

    services.revoke_enrollment(enrollment=certificate.enrollment, reason="refund")

    revoked = anon_client.get(f"/api/v1/certificates/verify/{certificate.code}/").json()
    assert revoked["valid"] is False
    assert revoked["student_name"] is None


@override_settings(CERTIFICATE_VERIFY_THROTTLE="3/minute")
def test_verify_is_rate_limited(anon_client, certificate):
    statuses = [
        anon_client.get(f"/api/v1/certificates/verify/LF-2222-22{n}{n}/").status_code
        for n in range(2, 6)
    ]
    assert statuses == [200, 200, 200, 429]
