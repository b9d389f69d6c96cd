"""Failed logins are limited per account and IP, and per account with a higher ceiling, so a
stranger cannot keep the owner out; the Django admin login has the same limits."""

from __future__ import annotations

import pytest
from django.test import Client

from lms.accounts.tests.factories import PASSWORD
from lms.accounts.throttles import (
    AccountAndIPLoginFailures,
    AccountLoginFailures,
    AuthIPThrottle,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ADMIN_LOGIN = "/admin/login/"
STRANGER = "198.51.100.66"
OWNER = "203.0.113.10"


@pytest.fixture
def rates(monkeypatch):
    """Per IP (every attempt), per account and IP (failures), per account (failures)."""

    def set_rates(*, ip: str = "1000/minute", pair: str = "3/minute", account: str = "6/minute"):
        monkeypatch.setattr(AuthIPThrottle, "rate", ip, raising=False)
        monkeypatch.setattr(AccountAndIPLoginFailures, "rate", pair, raising=False)
        monkeypatch.setattr(AccountLoginFailures, "rate", account, raising=False)

    set_rates()
    return set_rates


def _login(client, email, password="wrong-password-0", ip=STRANGER):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def _admin_login(email, password="wrong-password-0", ip=STRANGER):
    return Client().post(
        ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def test_a_stranger_failing_cannot_keep_the_owner_out(anon_client, rates, student):
    # when: a stranger tries ten wrong passwords on the owner's account
    stranger = [_login(anon_client, student.email) for _ in range(10)]
    owner = _login(anon_client, student.email, PASSWORD, ip=OWNER)

    # then: the stranger is stopped after three, the owner logs in from their own address
    assert [r.status_code for r in stranger] == [401] * 3 + [429] * 7
    assert error_codes(stranger[3]) == ["throttled"]
    assert int(stranger[3]["Retry-After"]) > 0
    assert owner.status_code == 200


def test_the_stranger_is_refused_even_with_the_right_password(anon_client, rates, student):
    # given
    for _ in range(3):
        _login(anon_client, student.email)

    # when
    response = _login(anon_client, student.email, PASSWORD)

    # then: no password is checked while refused, so none can be confirmed
    assert response.status_code == 429


def test_failures_from_many_addresses_reach_the_account_ceiling(anon_client, rates, student):
    # when: six addresses fail twice each (under their own limit of three)
    spread = [_login(anon_client, student.email.upper(), ip=f"192.0.2.{i // 2}") for i in range(6)]
    after = _login(anon_client, student.email, ip="192.0.2.200")
    owner = _login(anon_client, student.email, PASSWORD, ip=OWNER)
    other_account = _login(anon_client, "other@example.com", ip="192.0.2.201")

    # then: the account's own ceiling (six) holds, for this account only
    assert [r.status_code for r in spread] == [401] * 6
    assert after.status_code == 429
    assert owner.status_code == 429
    assert other_account.status_code == 401


def test_right_passwords_count_nothing_and_forgive_the_clients_failures(
    anon_client, rates, student
):
    # when: two failures, a success, then more logins
    first = [_login(anon_client, student.email) for _ in range(2)]
    success = _login(anon_client, student.email, PASSWORD)
    more_successes = [_login(anon_client, student.email, PASSWORD) for _ in range(5)]
    failures_after = [_login(anon_client, student.email) for _ in range(4)]

    # then
    assert [r.status_code for r in first] == [401, 401]
    assert success.status_code == 200
    assert [r.status_code for r in more_successes] == [200] * 5
    assert [r.status_code for r in failures_after] == [401, 401, 401, 429]


def test_admin_login_failures_are_limited_per_account(rates, admin_user, settings):
    settings.REQUIRE_STAFF_MFA = False  # the admin login asks for no code (test_api_two_factor)
    # when: thirty wrong admin passwords
    answers = [_admin_login(admin_user.email) for _ in range(30)]
    owner = _admin_login(admin_user.email, PASSWORD, ip=OWNER)

    # then: three are answered, the rest refused before any password check
    assert [r.status_code for r in answers[:3]] == [200] * 3  # the form with its error
    assert {r.status_code for r in answers[3:]} == {429}
    assert int(answers[3]["Retry-After"]) > 0
    assert owner.status_code == 302
    assert owner["Location"] == "/admin/"


def test_admin_login_is_limited_per_ip(rates, admin_user, settings):
    # given
    settings.REQUIRE_STAFF_MFA = False  # the admin login asks for no code (test_api_two_factor)
    rates(ip="3/minute", pair="1000/minute", account="1000/minute")

    # when: one address tries many accounts
    answers = [_admin_login(f"user{i}@example.com") for i in range(5)]
    elsewhere = _admin_login(admin_user.email, PASSWORD, ip=OWNER)

    # then
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert elsewhere.status_code == 302


def test_admin_and_api_logins_share_the_counters(anon_client, rates, admin_user):
    # given: three failures through the API
    for _ in range(3):
        _login(anon_client, admin_user.email)

    # when
    response = _admin_login(admin_user.email, PASSWORD)

    # then
    assert response.status_code == 429
