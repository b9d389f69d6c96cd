"""Instructor applications: submit, list, detail, private files, approve and reject."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from lms.accounts.models import InstructorApplication, InstructorProfile, Role
from lms.accounts.tests.factories import InstructorApplicationFactory, UserFactory
from lms.accounts.tests.helpers import (
    MB,
    PDF_BYTES,
    oversized_upload,
    pdf_upload,
    png_upload,
    text_disguised_as,
)
from lms.audit.models import AuditLog
from lms.conftest import error_codes
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db

LIST = "/api/v1/instructor-applications/"


def detail(application) -> str:
    return f"{LIST}{application.pk}/"


def _form(**overrides):
    data = {
        "headline": "Data engineer, 10 years",
        "bio": "I build pipelines and teach SQL.",
        "expertise": "sql, python, airflow",
        "cv": pdf_upload("My CV (final).pdf"),
        "certificate": png_upload("certificate scan.png"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- submit ----------------------------------------------------------------------------------


def test_student_applies(student_client, student):
    # when
    response = student_client.post(LIST, _form(), format="multipart")

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["user"]["id"] == str(student.pk)
    assert body["cv_url"].endswith(f"/instructor-applications/{body['id']}/files/cv/")
    application = InstructorApplication.objects.get(pk=body["id"])
    assert application.cv.name.startswith("applications/cv/")
    assert application.cv.name.endswith(".pdf")
    assert application.certificate.name.endswith(".png")
    for field in (application.cv, application.certificate):
        assert "CV" not in field.name
        assert "scan" not in field.name
        path = Path(field.path).resolve()
        assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
        assert not path.is_relative_to(Path(settings.PUBLIC_MEDIA_ROOT).resolve())
    with application.cv.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    assert AuditLog.objects.filter(
        action="instructor_application.submitted", target_id=str(application.pk)
    ).exists()


def test_both_files_may_be_pdf_or_image(student_client):
    # when
    response = student_client.post(
        LIST, _form(cv=png_upload("cv.png"), certificate=pdf_upload("c.pdf")), format="multipart"
    )

    # then
    assert response.status_code == 201


def test_one_open_application_per_user(student_client, student):
    # given
    assert student_client.post(LIST, _form(), format="multipart").status_code == 201

    # when
    response = student_client.post(LIST, _form(), format="multipart")

    # then
    assert response.status_code == 409
    assert error_codes(response) == ["application_pending"]
    assert InstructorApplication.objects.filter(user=student).count() == 1


def test_may_apply_again_after_rejection(student_client, student):
    # given
    InstructorApplicationFactory(user=student, status=InstructorApplication.Status.REJECTED)

    # when
    response = student_client.post(LIST, _form(), format="multipart")

    # then
    assert response.status_code == 201


@pytest.mark.parametrize("who", ["instructor", "manager", "admin_user"])
def test_instructors_and_staff_cannot_apply(client_for, request, who):
    # given
    user = request.getfixturevalue(who)

    # when
    response = client_for(user).post(LIST, _form(), format="multipart")

    # then
    assert response.status_code == 409
    assert error_codes(response) == ["already_instructor"]
    assert not InstructorApplication.objects.exists()


def test_apply_anonymous_401(anon_client):
    # when
    response = anon_client.post(LIST, _form(), format="multipart")

    # then
    assert response.status_code == 401


@pytest.mark.parametrize("field", ["cv", "certificate"])
def test_upload_over_10_mb_413(student_client, field):
    # given
    big = oversized_upload("big.png", 10 * MB + 1, "image/png")

    # when
    response = student_client.post(LIST, _form(**{field: big}), format="multipart")

    # then
    assert response.status_code == 413
    assert error_codes(response) == ["file_too_large"]
    assert not InstructorApplication.objects.exists()


@pytest.mark.parametrize(
    ("field", "upload"),
    [
        ("cv", lambda: text_disguised_as("cv.pdf", "application/pdf")),
        ("certificate", lambda: text_disguised_as("cert.png", "image/png")),
        ("cv", lambda: text_disguised_as("cv.docx", "application/msword")),
        (
            "cv",
            lambda: __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile(
                "cv.pdf", b"PK\x03\x04" + b"\0" * 200, content_type="application/pdf"
            ),
        ),
    ],
)
def test_disguised_upload_415(student_client, field, upload):
    # when
    response = student_client.post(LIST, _form(**{field: upload()}), format="multipart")

    # then
    assert response.status_code == 415
    assert error_codes(response) == ["unsupported_file_type"]
    assert not InstructorApplication.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "attr", "code"),
    [
        ({"cv": None}, "cv", "required"),
        ({"certificate": None}, "certificate", "required"),
        ({"headline": None}, "headline", "required"),
        ({"headline": "x" * 201}, "headline", "max_length"),
        ({"expertise": "x" * 501}, "expertise", "max_length"),
        ({"bio": ""}, "bio", "blank"),
        ({"cv": "not-a-file"}, "cv", "invalid"),
    ],
)
def test_apply_bad_input(student_client, overrides, attr, code):
    # when
    response = student_client.post(LIST, _form(**overrides), format="multipart")

    # then
    assert response.status_code == 400
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in response.json()["errors"]
    ]
    assert not InstructorApplication.objects.exists()


# --- list and detail -------------------------------------------------------------------------


def test_staff_list_all_with_status_filter(
    client_for, manager, admin_user, django_assert_max_num_queries
):
    # given
    InstructorApplicationFactory.create_batch(22)
    InstructorApplicationFactory.create_batch(3, status=InstructorApplication.Status.APPROVED)

    for staff in (manager, admin_user):
        client = client_for(staff)
        # when
        with django_assert_max_num_queries(4):
            everything = client.get(LIST, {"page_size": 100})
        with django_assert_max_num_queries(4):
            pending = client.get(LIST, {"status": "pending"})

        # then
        assert everything.status_code == 200
        assert everything.json()["count"] == 25
        assert pending.json()["count"] == 22
        assert len(pending.json()["results"]) == 20
        assert pending.json()["next"] is not None
        assert {r["status"] for r in pending.json()["results"]} == {"pending"}
        assert client.get(LIST, {"status": "approved"}).json()["count"] == 3


def test_student_sees_only_own(student_client, student):
    # given
    mine = InstructorApplicationFactory(user=student)
    InstructorApplicationFactory.create_batch(3)

    # when
    response = student_client.get(LIST)

    # then
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(mine.pk)]


def test_list_unknown_status_400(manager_client):
    # when
    response = manager_client.get(LIST, {"status": "maybe"})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_choice"]


def test_list_anonymous_401(anon_client):
    assert anon_client.get(LIST).status_code == 401


def test_detail_own_and_staff(student_client, manager_client, student):
    # given
    application = InstructorApplicationFactory(user=student)

    # when
    own = student_client.get(detail(application))
    staff = manager_client.get(detail(application))

    # then
    assert own.status_code == staff.status_code == 200
    assert own.json()["id"] == str(application.pk)


def test_detail_of_another_students_application_404(student_client, other_student):
    # given
    theirs = InstructorApplicationFactory(user=other_student)

    # when
    response = student_client.get(detail(theirs))

    # then
    assert response.status_code == 404


def test_detail_query_count(manager_client, django_assert_max_num_queries):
    # given
    application = InstructorApplicationFactory()

    # when
    with django_assert_max_num_queries(2):
        response = manager_client.get(detail(application))

    # then
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["not-a-uuid/", "12345/", "6f1c2b8e-0000-4000-8000-000000000001/"])
def test_detail_bad_or_unknown_id_404(manager_client, path):
    # when
    response = manager_client.get(f"{LIST}{path}")

    # then
    assert response.status_code == 404


# --- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cv", "certificate"])
def test_files_served_to_applicant_and_staff_as_attachment(
    student_client, manager_client, admin_client_api, student, kind
):
    # given
    application = InstructorApplicationFactory(user=student)
    url = f"{detail(application)}files/{kind}/"

    for client in (student_client, manager_client, admin_client_api):
        # when
        response = client.get(url)

        # then
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"{kind}-{application.pk}.pdf" in disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_files_hidden_from_others(student_client, instructor_client, anon_client, other_student):
    # given
    application = InstructorApplicationFactory(user=other_student)
    url = f"{detail(application)}files/cv/"

    # when / then
    assert student_client.get(url).status_code == 404
    assert instructor_client.get(url).status_code == 404
    assert anon_client.get(url).status_code == 401


def test_unknown_file_kind_404(student_client, student):
    # given
    application = InstructorApplicationFactory(user=student)

    # when
    response = student_client.get(f"{detail(application)}files/password/")

    # then
    assert response.status_code == 404


def test_files_not_reachable_under_media(anon_client, student):
    # given
    application = InstructorApplicationFactory(user=student)

    # when
    response = anon_client.get(f"{settings.MEDIA_URL}{application.cv.name}")

    # then
    assert response.status_code == 404


# --- approve and reject ----------------------------------------------------------------------


def _approve(client, application):
    return client.post(f"{detail(application)}approve/")


def _reject(client, application, reason="Not enough teaching experience yet."):
    return client.post(f"{detail(application)}reject/", {"reason": reason})


@pytest.mark.parametrize("staff", ["manager", "admin_user"])
def test_approve_makes_instructor(client_for, request, staff, django_capture_on_commit_callbacks):
    # given
    reviewer = request.getfixturevalue(staff)
    application = InstructorApplicationFactory(headline="Teaching Go", bio="Gopher for years")
    applicant = application.user

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _approve(client_for(reviewer), application)

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    applicant.refresh_from_db()
    application.refresh_from_db()
    assert applicant.role == Role.INSTRUCTOR
    assert application.reviewed_by == reviewer
    assert application.reviewed_at is not None
    profile = InstructorProfile.objects.get(user=applicant)
    assert (profile.headline, profile.bio) == ("Teaching Go", "Gopher for years")
    notification = Notification.objects.get(user=applicant)
    assert notification.data == {"application_id": str(application.pk)}
    assert AuditLog.objects.filter(
        action="instructor_application.approved", actor=reviewer, target_id=str(application.pk)
    ).exists()
    role_line = AuditLog.objects.get(action="user.role_changed", target_id=str(applicant.pk))
    assert role_line.data == {"from": "student", "to": "instructor"}
    assert [m.to for m in mail.outbox] == [[applicant.email]]


def test_approved_applicant_sees_instructor_profile(client_for, manager_client):
    # given
    application = InstructorApplicationFactory()
    _approve(manager_client, application)

    # when
    response = client_for(application.user).get("/api/v1/auth/me/")

    # then
    assert response.json()["role"] == "instructor"
    assert response.json()["profile"]["headline"] == application.headline


def test_reject_with_reason(manager_client, manager, django_capture_on_commit_callbacks):
    # given
    application = InstructorApplicationFactory()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _reject(manager_client, application, reason="Please add a certificate.")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"] == "Please add a certificate."
    application.user.refresh_from_db()
    assert application.user.role == Role.STUDENT
    notification = Notification.objects.get(user=application.user)
    assert notification.body == "Please add a certificate."
    line = AuditLog.objects.get(action="instructor_application.rejected")
    assert line.actor == manager
    assert line.data == {"from": "pending", "to": "rejected", "reason": "Please add a certificate."}


def test_approve_twice_409(manager_client):
    # given
    application = InstructorApplicationFactory()
    assert _approve(manager_client, application).status_code == 200

    # when
    again = _approve(manager_client, application)
    reject = _reject(manager_client, application)

    # then
    assert again.status_code == reject.status_code == 409
    assert error_codes(again) == ["application_not_pending"]
    assert Notification.objects.filter(user=application.user).count() == 1


def test_reject_then_approve_409(manager_client):
    # given
    application = InstructorApplicationFactory()
    _reject(manager_client, application)

    # when
    response = _approve(manager_client, application)

    # then
    assert response.status_code == 409
    application.user.refresh_from_db()
    assert application.user.role == Role.STUDENT


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_non_staff_cannot_review_403(client_for, request, who):
    # given
    user = request.getfixturevalue(who)
    application = InstructorApplicationFactory(user=user if who == "student" else UserFactory())

    # when
    approve = _approve(client_for(user), application)
    reject = _reject(client_for(user), application)

    # then
    assert approve.status_code == reject.status_code == 403
    application.refresh_from_db()
    assert application.status == InstructorApplication.Status.PENDING


def test_review_anonymous_401(anon_client):
    # given
    application = InstructorApplicationFactory()

    # when / then
    assert _approve(anon_client, application).status_code == 401
    assert _reject(anon_client, application).status_code == 401


def test_review_unknown_application_404(manager_client):
    # when
    response = manager_client.post(f"{LIST}{uuid.uuid4()}/approve/")

    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "code"),
    [({}, "required"), ({"reason": ""}, "blank"), ({"reason": "x" * 2001}, "max_length")],
)
def test_reject_bad_input(manager_client, payload, code):
    # given
    application = InstructorApplicationFactory()

    # when
    response = manager_client.post(f"{detail(application)}reject/", payload)

    # then
    assert response.status_code == 400
    assert error_codes(response) == [code]
    application.refresh_from_db()
    assert application.status == InstructorApplication.Status.PENDING
