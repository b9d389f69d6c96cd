"""`/auth/me/` read and update, and the avatar upload."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.accounts.models import InstructorProfile, Role, StudentProfile
from lms.accounts.tests.factories import UserFactory
from lms.accounts.tests.helpers import (
    MB,
    image_bytes,
    jpeg_upload,
    oversized_upload,
    png_upload,
    text_disguised_as,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
AVATAR = "/api/v1/auth/me/avatar/"

STUDENT_FIELDS = {"bio", "language", "country", "timezone", "currency", "education"}
INSTRUCTOR_FIELDS = {
    "headline",
    "bio",
    "skills",
    "languages",
    "hourly_rate",
    "currency",
    "timezone",
    "payout_details",
}


# --- GET -------------------------------------------------------------------------------------


def test_me_student(student_client, student, django_assert_max_num_queries):
    # when
    with django_assert_max_num_queries(3):
        response = student_client.get(ME)

    # then
    assert response.status_code == 200
    body = response.json()
    assert {
        "id",
        "email",
        "first_name",
        "last_name",
        "role",
        "email_verified",
        "avatar",
        "profile",
    } <= set(body)
    assert body["id"] == str(student.pk)
    assert body["role"] == "student"
    assert body["email_verified"] is True
    assert body["avatar"] is None
    assert set(body["profile"]) == STUDENT_FIELDS
    assert body["profile"]["timezone"] == "UTC"


def test_me_instructor(instructor_client, instructor):
    # when
    response = instructor_client.get(ME)

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "instructor"
    assert set(body["profile"]) == INSTRUCTOR_FIELDS
    assert body["profile"]["headline"] == instructor.instructor_profile.headline
    assert body["profile"]["hourly_rate"] == "0.00"


def test_me_anonymous_401(anon_client):
    # when
    response = anon_client.get(ME)

    # then
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert error_codes(response) == ["not_authenticated"]


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_student_profile(student_client, student):
    # when
    response = student_client.patch(
        ME,
        {
            "first_name": "Grace",
            "profile": {
                "bio": "Learning compilers",
                "timezone": "Europe/Paris",
                "currency": "EUR",
                "country": "FR",
                "education": "BSc",
            },
        },
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["first_name"] == "Grace"
    assert body["profile"]["timezone"] == "Europe/Paris"
    assert body["profile"]["currency"] == "EUR"
    profile = StudentProfile.objects.get(user=student)
    assert (profile.bio, profile.country, profile.education) == ("Learning compilers", "FR", "BSc")
    student.refresh_from_db()
    assert student.first_name == "Grace"


def test_patch_keeps_unsent_fields(student_client, student):
    # given
    student_client.patch(ME, {"last_name": "Hopper", "profile": {"bio": "one"}})

    # when
    response = student_client.patch(ME, {"profile": {"education": "PhD"}})

    # then
    assert response.status_code == 200
    assert response.json()["last_name"] == "Hopper"
    assert response.json()["profile"]["bio"] == "one"
    assert response.json()["profile"]["education"] == "PhD"


def test_patch_instructor_profile(instructor_client, instructor):
    # when
    response = instructor_client.patch(
        ME,
        {
            "profile": {
                "headline": "Rust and systems",
                "skills": ["rust", "linux"],
                "languages": ["en", "de"],
                "hourly_rate": "45.50",
                "currency": "EUR",
                "timezone": "America/New_York",
                "payout_details": {"iban": "DE00 1234"},
            }
        },
    )

    # then
    assert response.status_code == 200
    profile = response.json()["profile"]
    assert profile["headline"] == "Rust and systems"
    assert profile["skills"] == ["rust", "linux"]
    assert profile["hourly_rate"] == "45.50"
    stored = InstructorProfile.objects.get(user=instructor)
    assert stored.hourly_rate == Decimal("45.50")
    assert stored.payout_details == {"iban": "DE00 1234"}


def test_instructor_fields_are_not_accepted_for_a_student(student_client, student):
    # when
    response = student_client.patch(ME, {"profile": {"headline": "Now I teach", "bio": "x"}})

    # then: the unknown field is dropped, the known one applied, no instructor profile appears
    assert response.status_code == 200
    assert "headline" not in response.json()["profile"]
    assert not InstructorProfile.objects.filter(user=student).exists()


def test_user_cannot_change_own_role_or_verification(anon_client, student_client, student):
    # given
    unverified = UserFactory(email_verified_at=None)

    # when
    response = student_client.patch(
        ME,
        {
            "role": "admin",
            "email_verified": False,
            "email": "new@example.com",
            "is_active": False,
            "is_staff": True,
            "id": "00000000-0000-0000-0000-000000000000",
        },
    )

    # then
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.role == Role.STUDENT
    assert not student.is_staff
    assert not student.is_superuser
    assert student.email_verified
    assert student.is_active
    assert student.email != "new@example.com"
    assert response.json()["role"] == "student"
    # and an unverified user cannot verify themselves
    from lms.accounts.tokens import issue_token_pair

    client = type(student_client)()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(unverified)['access']}")
    client.patch(ME, {"email_verified": True, "email_verified_at": "2024-01-01T00:00:00Z"})
    unverified.refresh_from_db()
    assert not unverified.email_verified


@pytest.mark.parametrize(
    ("payload", "code", "attr"),
    [
        ({"profile": {"timezone": "Mars/Olympus"}}, "invalid_choice", "profile.timezone"),
        ({"profile": {"currency": "XYZ"}}, "unsupported_currency", "profile.currency"),
        ({"profile": {"country": "France"}}, "invalid", "profile.country"),
        ({"profile": {"education": "x" * 301}}, "max_length", "profile.education"),
        ({"profile": "not an object"}, "not_a_dict", "profile"),
        ({"first_name": "x" * 151}, "max_length", "first_name"),
        ({"first_name": ["a"]}, "invalid", "first_name"),
    ],
)
def test_patch_student_bad_input(student_client, student, payload, code, attr):
    # when
    response = student_client.patch(ME, payload)

    # then
    assert response.status_code == 400
    assert {"code": code, "attr": attr} in [
        {"code": e["code"], "attr": e["attr"]} for e in response.json()["errors"]
    ]
    profile = StudentProfile.objects.get(user=student)
    assert profile.timezone == "UTC"
    assert profile.currency == "USD"


@pytest.mark.parametrize(
    ("profile", "code"),
    [
        ({"hourly_rate": "-1"}, "invalid_amount"),
        ({"hourly_rate": "abc"}, "invalid_amount"),
        ({"hourly_rate": "1000000000"}, "invalid_amount"),
        ({"hourly_rate": "50.5", "currency": "JPY"}, "invalid_amount"),
        ({"currency": "CLF"}, "unsupported_currency"),
        ({"skills": "python"}, "not_a_list"),
        ({"skills": ["x" * 51]}, "max_length"),
        ({"headline": "x" * 201}, "max_length"),
        ({"payout_details": ["iban"]}, "not_a_dict"),
        ({"timezone": "Nowhere"}, "invalid_choice"),
    ],
)
def test_patch_instructor_bad_input(instructor_client, instructor, profile, code):
    # when
    response = instructor_client.patch(ME, {"profile": profile})

    # then
    assert response.status_code == 400
    assert code in error_codes(response)


def test_patch_anonymous_401(anon_client):
    # when
    response = anon_client.patch(ME, {"first_name": "X"})

    # then
    assert response.status_code == 401


def test_me_put_not_allowed_and_delete_needs_the_password(student_client):
    # when
    put = student_client.put(ME, {"first_name": "X"})
    delete = student_client.delete(ME)

    # then: DELETE is the account's deletion (test_api_personal_data)
    assert put.status_code == 405
    assert delete.status_code == 400


# --- avatar ----------------------------------------------------------------------------------


def _stored_avatar(user):
    user.refresh_from_db()
    with user.avatar.open("rb") as stored:
        return Image.open(io.BytesIO(stored.read()))


@pytest.mark.parametrize("upload", [png_upload, jpeg_upload])
def test_avatar_accepted_resized_and_renamed(student_client, student, upload):
    # given
    file = upload(name="My Holiday Photo.png", width=1200, height=900)

    # when
    response = student_client.post(AVATAR, {"avatar": file}, format="multipart")

    # then
    assert response.status_code == 200
    assert response.json()["avatar"].startswith("http://testserver/media/avatars/")
    student.refresh_from_db()
    assert student.avatar.name.startswith("avatars/")
    assert "Holiday" not in student.avatar.name
    assert "photo" not in student.avatar.name.lower()
    image = _stored_avatar(student)
    assert max(image.size) <= 512
    assert image.size == (512, 384)


def test_small_avatar_is_not_enlarged(student_client, student):
    # when
    response = student_client.post(
        AVATAR, {"avatar": png_upload(width=100, height=80)}, format="multipart"
    )

    # then
    assert response.status_code == 200
    assert _stored_avatar(student).size == (100, 80)


def test_new_avatar_replaces_old_file(student_client, student, django_capture_on_commit_callbacks):
    # given
    student_client.post(AVATAR, {"avatar": png_upload()}, format="multipart")
    student.refresh_from_db()
    old_name = student.avatar.name
    storage = student.avatar.storage

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(AVATAR, {"avatar": jpeg_upload()}, format="multipart")

    # then
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.avatar.name != old_name
    assert not storage.exists(old_name)


def test_avatar_text_renamed_png_415(student_client, student):
    # when
    response = student_client.post(
        AVATAR, {"avatar": text_disguised_as("avatar.png", "image/png")}, format="multipart"
    )

    # then
    assert response.status_code == 415
    assert error_codes(response) == ["unsupported_file_type"]
    student.refresh_from_db()
    assert not student.avatar


def test_avatar_pdf_415(student_client):
    # given
    from lms.accounts.tests.helpers import pdf_upload

    # when
    response = student_client.post(AVATAR, {"avatar": pdf_upload("avatar.png")}, format="multipart")

    # then
    assert response.status_code == 415


def test_avatar_too_large_413(student_client, student):
    # given
    file = oversized_upload("big.png", 5 * MB + 1, "image/png")

    # when
    response = student_client.post(AVATAR, {"avatar": file}, format="multipart")

    # then
    assert response.status_code == 413
    assert error_codes(response) == ["file_too_large"]
    student.refresh_from_db()
    assert not student.avatar


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_avatar_truncated_image_415(student_client, student, fmt):
    # given
    data = image_bytes(256, 256, fmt=fmt, noisy=True)
    file = SimpleUploadedFile("avatar.img", data[: len(data) // 2], content_type="image/png")

    # when
    response = student_client.post(AVATAR, {"avatar": file}, format="multipart")

    # then
    assert response.status_code == 415
    assert error_codes(response) == ["invalid_image"]
    student.refresh_from_db()
    assert not student.avatar


@pytest.mark.parametrize(
    ("data", "code"),
    [({}, "required"), ({"avatar": "not a file"}, "invalid")],
)
def test_avatar_missing_or_not_a_file_400(student_client, data, code):
    # when
    response = student_client.post(AVATAR, data, format="multipart")

    # then
    assert response.status_code == 400
    assert error_codes(response) == [code]


def test_avatar_empty_file_415(student_client):
    # when
    response = student_client.post(
        AVATAR,
        {"avatar": SimpleUploadedFile("a.png", b"", content_type="image/png")},
        format="multipart",
    )

    # then
    assert response.status_code in (400, 415)


def test_avatar_json_body_415(student_client):
    # when
    response = student_client.post(AVATAR, {"avatar": "x"}, format="json")

    # then
    assert response.status_code == 415


def test_avatar_anonymous_401(anon_client):
    # when
    response = anon_client.post(AVATAR, {"avatar": png_upload()}, format="multipart")

    # then
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("rate", "currency", "status"),
    [("40.50", "JPY", 400), ("40.00", "JPY", 200), ("40.50", "KWD", 200)],
)
def test_a_new_currency_checks_the_stored_rate(
    instructor_client, instructor, rate, currency, status
):
    # The rate is not sent again: the stored one must be exact in the new currency, as a
    # course's price must (issue 9: nothing rounded; 40.50 is no amount of yen).
    InstructorProfile.objects.filter(user=instructor).update(
        hourly_rate=Decimal(rate), currency="USD"
    )

    response = instructor_client.patch(ME, {"profile": {"currency": currency}}, format="json")

    assert response.status_code == status
    stored = InstructorProfile.objects.get(user=instructor)
    if status == 400:
        assert error_codes(response) == ["invalid_amount"]
        assert response.json()["errors"][0]["attr"] == "profile.hourly_rate"
        assert (stored.hourly_rate, stored.currency) == (Decimal(rate), "USD")
    else:
        assert (stored.hourly_rate, stored.currency) == (Decimal(rate), currency)
