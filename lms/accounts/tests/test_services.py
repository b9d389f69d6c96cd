"""The accounts services and token helpers, called without HTTP."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from lms.accounts import services, tokens
from lms.accounts.models import InstructorApplication, OneTimeCode, Role, User
from lms.accounts.tests.factories import InstructorApplicationFactory, UserFactory
from lms.core.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db


def test_create_superuser_is_a_verified_admin():
    # when
    user = get_user_model().objects.create_superuser("Root@Example.com", "a-strong-pass-99")

    # then
    assert user.role == Role.ADMIN
    assert user.is_staff
    assert user.is_superuser
    assert user.email_verified
    assert user.email == "root@example.com"


def test_email_unique_case_insensitively_in_the_database():
    # given
    UserFactory(email="dup@example.com")
    user = UserFactory(email="other@example.com")

    # when / then: bypass the model's normalisation
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="DUP@example.com")


def test_new_one_time_code_retires_earlier_ones(student):
    # given
    services.issue_one_time_code(user=student, purpose=OneTimeCode.Purpose.PASSWORD_RESET)
    services.issue_one_time_code(user=student, purpose=OneTimeCode.Purpose.VERIFY_EMAIL)

    # when
    services.issue_one_time_code(user=student, purpose=OneTimeCode.Purpose.PASSWORD_RESET)

    # then
    live = OneTimeCode.objects.filter(user=student, used_at=None)
    assert sorted(live.values_list("purpose", flat=True)) == ["password_reset", "verify_email"]


def test_code_is_stored_hashed(student):
    # when
    token, code = services.issue_one_time_code(
        user=student, purpose=OneTimeCode.Purpose.VERIFY_EMAIL
    )

    # then
    row = OneTimeCode.objects.get(user=student)
    assert len(row.token_hash) == len(row.code_hash) == 64
    assert token not in row.token_hash
    assert code not in row.code_hash


def test_rotate_refresh_token_spends_it_once(student):
    # given
    refresh = tokens.issue_token_pair(student)["refresh"]

    # when
    pair = tokens.rotate_refresh_token(raw=refresh)

    # then
    assert pair["refresh"] != refresh
    with pytest.raises(InvalidToken):
        tokens.rotate_refresh_token(raw=refresh)


def test_revoke_all_tokens_blacklists_every_live_refresh(student, other_student):
    # given
    mine = [tokens.issue_token_pair(student) for _ in range(3)]
    theirs = tokens.issue_token_pair(other_student)

    # when
    tokens.revoke_all_tokens(user=student)

    # then
    assert BlacklistedToken.objects.filter(token__user=student).count() == 3
    assert not BlacklistedToken.objects.filter(token__user=other_student).exists()
    for pair in mine:
        with pytest.raises(InvalidToken):
            tokens.rotate_refresh_token(raw=pair["refresh"])
    assert tokens.rotate_refresh_token(raw=theirs["refresh"])


def test_revoke_twice_is_harmless(student):
    # given
    tokens.issue_token_pair(student)
    tokens.revoke_all_tokens(user=student)

    # when
    tokens.revoke_all_tokens(user=student)

    # then
    assert OutstandingToken.objects.filter(user=student).count() == 1
    assert BlacklistedToken.objects.count() == 1


def test_update_user_by_admin_refuses_self(admin_user):
    with pytest.raises(Invalid) as caught:
        services.update_user_by_admin(user=admin_user, by=admin_user, role=Role.STUDENT)
    assert caught.value.code == "cannot_modify_self"


def test_submit_application_refuses_second_open_one(student, tmp_path):
    # given
    InstructorApplicationFactory(user=student)

    # when / then
    from lms.accounts.tests.helpers import pdf_upload

    with pytest.raises(Conflict) as caught:
        services.submit_instructor_application(
            user=student,
            headline="h",
            bio="b",
            expertise="e",
            cv=pdf_upload(),
            certificate=pdf_upload(),
        )
    assert caught.value.code == "application_pending"


def test_database_allows_one_pending_application_per_user(student):
    # given
    InstructorApplicationFactory(user=student)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        InstructorApplicationFactory(user=student)


def test_approve_keeps_staff_role(manager, admin_user):
    # given: an application left from before the user became staff
    application = InstructorApplicationFactory(user=UserFactory())
    User.objects.filter(pk=application.user_id).update(role=Role.MANAGER)

    # when
    services.approve_instructor_application(application=application, by=admin_user)

    # then
    application.user.refresh_from_db()
    assert application.user.role == Role.MANAGER
    application.refresh_from_db()
    assert application.status == InstructorApplication.Status.APPROVED


def test_update_me_never_touches_role(student):
    # when
    services.update_me(
        user=student, fields={"first_name": "New", "role": "admin"}, profile_fields={}
    )

    # then
    student.refresh_from_db()
    assert student.first_name == "New"
    assert student.role == Role.STUDENT
