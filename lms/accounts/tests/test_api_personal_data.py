"""A person's own data: the export (a ZIP opened and read file by file, one at a time, the
signed link that expires) and the deletion (nothing personal left in any table, the ledger
still balanced, certificates still verifiable, sessions revoked, money pending refused)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pyotp
import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection, models
from django.db.models.functions import Cast
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts.models import PersonalDataExport, User
from lms.accounts.tests.factories import PASSWORD, InstructorFactory, UserFactory
from lms.accounts.tests.helpers import PDF_BYTES, png_upload
from lms.assessments.models import Submission
from lms.assessments.tests.factories import assignment_in, free_course
from lms.audit.models import AuditLog
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.commerce.models import Order, ProviderEvent
from lms.commerce.tests.conftest import checkout, place_order, simulate
from lms.conftest import error_codes
from lms.learning import services as learning_services
from lms.learning.models import Certificate
from lms.learning.tests.factories import EnrollmentFactory
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import earn, request_withdrawal

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
EXPORT = "/api/v1/auth/me/export/"
LOGIN = "/api/v1/auth/login/"
EMAIL = "zebulon.quixote@example.com"
FIRST, LAST = "Zebulon", "Quixotestone"
BILLING = {
    "name": f"{FIRST} {LAST}",
    "line1": "12 Lantern Row",
    "city": "Bristol",
    "postal_code": "BS1 4DJ",
    "country": "GB",
}


def _client(user: Any) -> APIClient:
    from lms.accounts.tokens import issue_token_pair

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


@pytest.fixture
def person(db: None) -> User:
    return UserFactory(email=EMAIL, first_name=FIRST, last_name=LAST)


@pytest.fixture
def world(person: User) -> dict[str, Any]:
    """Everything a student leaves behind: an avatar, a paid order with a billing address,
    a certificate, a submission with a file, a notification, a failed login's audit line."""
    client = _client(person)
    assert (
        client.post(
            "/api/v1/auth/me/avatar/", {"avatar": png_upload()}, format="multipart"
        ).status_code
        == 200
    )
    paid_course = PublishedCourseFactory(price=Decimal("40.00"))
    order = place_order(client, paid_course, billing_address=BILLING)
    payment = checkout(client, order["id"])
    assert simulate(client, payment["payment_id"]).status_code == 200
    course = free_course()
    enrollment = EnrollmentFactory(student=person, course=course, completed_at=timezone.now())
    certificate = learning_services.issue_certificate(enrollment_id=enrollment.pk)
    assignment = assignment_in(course)
    submission = Submission.objects.create(
        assignment=assignment,
        student=person,
        text=f"My essay, by {FIRST} {LAST}",
        submitted_at=timezone.now(),
    )
    submission.file.save("essay.pdf", ContentFile(PDF_BYTES))
    notify(user=person, category=Category.ACCOUNT, title=f"Welcome {FIRST}", body="Hello")
    ProviderEvent.objects.create(  # as Stripe sends them: the payer's receipt address
        provider="stripe",
        event_id="evt_personal_1",
        type="charge.succeeded",
        payload={"data": {"object": {"receipt_email": EMAIL, "amount": 4000}}},
    )
    APIClient().post(LOGIN, {"email": EMAIL, "password": "wrong-password-1"})
    return {
        "client": client,
        "order_id": order["id"],
        "certificate": certificate,
        "submission": submission,
        "course": course,
    }


# --- export --------------------------------------------------------------------------------------


def _download_link() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"(https?://\S+/api/v1/auth/me/export/download/\?token=\S+)", body)
    assert match, body
    return match.group(1)


def _download(link: str) -> Any:
    return APIClient().get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))


def test_export_zip_opened_and_checked_file_by_file(
    person, world, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = world["client"].post(EXPORT)

    # then: 202, a link by email, a ZIP behind it
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert mail.outbox[-1].to == [EMAIL]
    download = _download(_download_link())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = set(archive.namelist())

    def read(name: str) -> Any:
        return json.loads(archive.read(name))

    manifest = read("manifest.json")
    assert manifest["user_id"] == str(person.pk)
    assert {entry["path"] for entry in manifest["files"]} | {"manifest.json"} == names
    profile = read("accounts/profile.json")
    assert (profile["email"], profile["first_name"], profile["last_name"]) == (EMAIL, FIRST, LAST)
    assert any(name.startswith("accounts/files/avatar/") for name in names)
    assert read("accounts/university.json") is None
    assert read("accounts/onboarding.json") == []
    assert read("accounts/security.json") == {
        "two_factor_enabled_at": None,
        "recovery_codes_left": 0,
    }
    enrollments = read("learning/enrollments.json")
    assert {e["course"]["id"] for e in enrollments} >= {str(world["course"].pk)}
    certificates = read("learning/certificates.json")
    assert [c["code"] for c in certificates] == [world["certificate"].code]
    assert certificates[0]["student_name"] == f"{FIRST} {LAST}"
    pdfs = [n for n in names if n.startswith("learning/files/certificates/")]
    assert len(pdfs) == 1
    assert archive.read(pdfs[0]).startswith(b"%PDF")
    submissions = read("assessments/submissions.json")
    assert submissions[0]["text"] == f"My essay, by {FIRST} {LAST}"
    assert archive.read(submissions[0]["file"]) == PDF_BYTES
    assert read("assessments/quiz_attempts.json") == []
    orders = read("commerce/orders.json")
    assert [o["id"] for o in orders] == [world["order_id"]]
    assert orders[0]["status"] == "paid"
    assert orders[0]["total"] == "40.00"
    assert orders[0]["billing_address"]["name"] == f"{FIRST} {LAST}"
    receipt = [n for n in names if n.startswith("commerce/files/receipts/")]
    assert len(receipt) == 1
    assert archive.read(receipt[0]).startswith(b"%PDF")
    notifications = read("notifications/notifications.json")
    assert f"Welcome {FIRST}" in [n["title"] for n in notifications]
    audit = read("audit/audit_log.json")
    assert "user.data_export_requested" in {line["action"] for line in audit}
    assert read("payouts/wallets.json") == []
    assert read("catalog/courses.json") == []
    export = PersonalDataExport.objects.get(user=person)
    assert export.status == "ready"
    assert export.expires_at == export.finished_at + timedelta(hours=24)


def test_export_twice_at_once_409(student_client, django_capture_on_commit_callbacks):
    # when: the first is still pending (its task has not run)
    first = student_client.post(EXPORT)
    second = student_client.post(EXPORT)

    # then
    assert first.status_code == 202
    assert second.status_code == 409
    assert error_codes(second) == ["export_running"]


def test_a_new_export_once_the_last_one_is_ready(
    student_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert student_client.post(EXPORT).status_code == 202
    assert student_client.post(EXPORT).status_code == 202


def test_the_link_expires_after_24_hours(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _client(student).post(EXPORT)
    link = _download_link()
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert _download(link).status_code == 404
    assert _download(link).status_code == 200


def test_a_forged_link_404(anon_client):
    response = anon_client.get("/api/v1/auth/me/export/download/", {"token": "forged:token"})
    assert response.status_code == 404


def test_the_download_needs_a_token_400(anon_client):
    response = anon_client.get("/api/v1/auth/me/export/download/")
    assert response.status_code == 400


def test_export_anonymous_401(anon_client):
    assert anon_client.post(EXPORT).status_code == 401


# --- deletion ------------------------------------------------------------------------------------


def _text_fields(model: type[models.Model]) -> list[str]:
    kinds = (models.CharField, models.TextField, models.JSONField, models.FileField)
    return [f.name for f in model._meta.concrete_fields if isinstance(f, kinds)]


def _rows_mentioning(needle: str) -> list[str]:
    """`model.field` of every row, in every table, whose text holds `needle`."""
    tables = set(connection.introspection.table_names())
    found = []
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        for name in _text_fields(model):
            hits = model.objects.annotate(_text=Cast(name, models.TextField())).filter(
                _text__icontains=needle
            )
            if hits.exists():
                found.append(f"{model._meta.label}.{name}")
    return found


def test_deletion_leaves_no_personal_field_and_a_balanced_ledger(
    person, world, django_capture_on_commit_callbacks
):
    # given
    client = world["client"]
    avatar = User.objects.get(pk=person.pk).avatar
    submission_file = world["submission"].file
    assert _rows_mentioning(EMAIL)  # the walk finds them before

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(ME, {"password": PASSWORD}, format="json")

    # then
    assert response.status_code == 204
    assert _rows_mentioning(EMAIL) == []
    assert _rows_mentioning(f"{FIRST} {LAST}") == []
    assert _rows_mentioning(LAST) == []
    assert _rows_mentioning("Lantern Row") == []
    assert_payouts_consistent()
    # money records kept, tied to the placeholder
    placeholder = User.objects.get(pk=person.pk)
    assert placeholder.deleted_at is not None
    assert not placeholder.is_active
    assert placeholder.full_name == "Deleted user"
    order = Order.objects.get(pk=world["order_id"])
    assert order.user_id == person.pk
    assert order.status == "paid"
    assert order.billing_address == {"country": "GB"}
    event = ProviderEvent.objects.get(event_id="evt_personal_1")
    assert event.payload == {"data": {"object": {"receipt_email": "", "amount": 4000}}}
    # files gone
    assert not avatar.storage.exists(avatar.name)
    assert not submission_file.storage.exists(submission_file.name)
    # the certificate still verifies, without the name
    certificate = Certificate.objects.get(pk=world["certificate"].pk)
    verify = APIClient().get(f"/api/v1/certificates/verify/{certificate.code}/").json()
    assert verify["valid"] is True
    assert not verify["student_name"]
    # signed out everywhere; no login again
    assert client.get(ME).status_code == 401
    assert APIClient().post(LOGIN, {"email": EMAIL, "password": PASSWORD}).status_code == 401
    assert AuditLog.objects.filter(action="user.deleted", target_id=str(person.pk)).exists()


def test_deletion_with_a_wrong_password_400(person, student_client, student):
    response = student_client.delete(ME, {"password": "not-the-password"}, format="json")

    assert response.status_code == 400
    assert error_codes(response) == ["wrong_password"]
    student.refresh_from_db()
    assert student.is_active
    assert student.deleted_at is None


def test_deletion_needs_the_password_400(student_client):
    response = student_client.delete(ME, {}, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_deletion_anonymous_401(anon_client):
    assert anon_client.delete(ME, {"password": PASSWORD}, format="json").status_code == 401


def test_deletion_with_2fa_needs_a_code(student, student_client):
    setup = student_client.post("/api/v1/auth/2fa/setup/").json()
    totp = pyotp.TOTP(setup["secret"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        confirmed = student_client.post("/api/v1/auth/2fa/confirm/", {"code": totp.now()})
        assert confirmed.status_code == 200
        # turning 2FA on signs out every earlier session: carry on with the new pair
        student_client.credentials(HTTP_AUTHORIZATION=f"Bearer {confirmed.json()['access']}")
        clock.shift(timedelta(seconds=30))

        without = student_client.delete(ME, {"password": PASSWORD}, format="json")
        wrong = student_client.delete(ME, {"password": PASSWORD, "code": "000000"}, format="json")
        right = student_client.delete(ME, {"password": PASSWORD, "code": totp.now()}, format="json")

    assert error_codes(without) == ["code_required"]
    assert error_codes(wrong) == ["invalid_code"]
    assert right.status_code == 204


def test_an_instructor_with_a_balance_409(db):
    instructor = InstructorFactory()
    earn(instructor, "80.00")

    response = _client(instructor).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 409
    assert error_codes(response) == ["balance_outstanding"]
    instructor.refresh_from_db()
    assert instructor.is_active
    assert_payouts_consistent()


def test_an_instructor_with_money_pending_release_409(db):
    instructor = InstructorFactory()
    earn(instructor, "80.00", matured=False)
    response = _client(instructor).delete(ME, {"password": PASSWORD}, format="json")
    assert error_codes(response) == ["balance_outstanding"]


def test_an_instructor_with_a_pending_withdrawal_409(db):
    instructor = InstructorFactory()
    earn(instructor, "50.00")  # 42.50 after the platform's fee
    request_withdrawal(instructor, "42.50")  # available is now 0, the 42.50 are held

    response = _client(instructor).delete(ME, {"password": PASSWORD}, format="json")

    assert error_codes(response) == ["balance_outstanding"]


def test_an_instructor_paid_out_can_leave_and_the_ledger_still_balances(db, admin_user):
    from lms.payouts import services as payouts

    instructor = InstructorFactory(first_name="Ottoline", last_name="Brackenbury")
    earn(instructor, "50.00")
    withdrawal = request_withdrawal(instructor, "42.50", method="bank")
    payouts.approve_withdrawal(withdrawal=withdrawal, by=admin_user)
    payouts.mark_withdrawal_paid(withdrawal=withdrawal, by=admin_user, payout_reference="tr_1")

    response = _client(instructor).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204, response.json()
    assert_payouts_consistent()
    assert _rows_mentioning("Brackenbury") == []
    assert _rows_mentioning(instructor.email) == []


def test_expired_exports_lose_their_file(student, django_capture_on_commit_callbacks):
    from lms.accounts import tasks

    with django_capture_on_commit_callbacks(execute=True):
        _client(student).post(EXPORT)
    export = PersonalDataExport.objects.get(user=student)
    stored = export.file.name
    assert tasks.purge_expired_exports() == 0

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        purged = tasks.purge_expired_exports()

    assert purged == 1
    assert not export.file.storage.exists(stored)
    assert PersonalDataExport.objects.get(pk=export.pk).file.name == ""


def test_an_instructors_export_holds_their_money_as_decimal_strings(
    db, django_capture_on_commit_callbacks
):
    instructor = InstructorFactory()
    earn(instructor, "50.00")
    with django_capture_on_commit_callbacks(execute=True):
        _client(instructor).post(EXPORT)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(_download(_download_link()).streaming_content)))

    wallets = json.loads(archive.read("payouts/wallets.json"))
    ledger = json.loads(archive.read("payouts/ledger.json"))

    assert wallets == [
        {
            "currency": "USD",
            "pending": "0.00",
            "available": "42.50",
            "held": "0.00",
            "debt": "0.00",
            "total_earned": "42.50",
        }
    ]
    assert {line["amount"] for line in ledger} == {"42.50", "-42.50"}  # credited, released
    assert_payouts_consistent()


def test_a_deleted_instructors_courses_show_deleted_user(
    anon_client, django_capture_on_commit_callbacks
):
    instructor = InstructorFactory(first_name="Ottoline", last_name="Brackenbury")
    course = PublishedCourseFactory(instructor=instructor)
    before = anon_client.get(f"/api/v1/courses/{course.slug}/").json()  # now cached
    assert before["instructor"]["name"] == "Ottoline Brackenbury"

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(instructor).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    after = anon_client.get(f"/api/v1/courses/{course.slug}/").json()
    assert after["instructor"]["name"] == "Deleted user"
    assert after["instructor"]["avatar"] is None


def test_wrong_passwords_on_deletion_are_limited_like_logins(student, student_client):
    statuses = [
        student_client.delete(ME, {"password": "not-the-password"}, format="json").status_code
        for _ in range(11)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    student.refresh_from_db()
    assert student.is_active
