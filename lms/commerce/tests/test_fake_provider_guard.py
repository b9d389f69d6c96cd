"""The fake payment provider never runs in production by accident."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from lms.commerce.checks import check_payment_provider_for_deploy

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#kP2!vQ9@mL4$wR8^tY1&uI6*oE3(aS5)dF0_gH-jK+zX=cV/bN<mM>",
    "SECURE_SSL_REDIRECT": "true",
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "sqlite:////tmp/lms-check-deploy.sqlite3",
}


def _run(args: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **PRODUCTION, **variables}
    for name in ("DJANGO_SETTINGS_MODULE", "ALLOW_FAKE_PAYMENTS", "PAYMENT_PROVIDER"):
        if name not in variables:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fake_provider_refuses_to_start_without_debug():
    # when: production settings that name no provider (the default is `fake`)
    result = _run(["manage.py", "check"])

    # then
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ALLOW_FAKE_PAYMENTS" in result.stderr


def test_fake_provider_starts_when_allowed():
    # when
    allowed = _run(["manage.py", "check"], PAYMENT_PROVIDER="fake", ALLOW_FAKE_PAYMENTS="true")

    # then
    assert allowed.returncode == 0, allowed.stderr


def test_check_deploy_fails_on_the_fake_provider_even_when_allowed():
    # when
    result = _run(
        ["manage.py", "check", "--deploy"], PAYMENT_PROVIDER="fake", ALLOW_FAKE_PAYMENTS="true"
    )

    # then
    assert result.returncode != 0
    assert "commerce.E001" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "codes"),
    [
        ({"PAYMENT_PROVIDER": "fake"}, ["commerce.E001"]),
        ({"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": ""}, ["commerce.E002"]),
        (
            {
                "PAYMENT_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": "sk_test_1",
                "STRIPE_WEBHOOK_SECRET": "whsec_1",
            },
            [],
        ),
    ],
)
def test_deploy_check_of_the_payment_provider(overrides, codes):
    # when
    with override_settings(**overrides):
        messages = check_payment_provider_for_deploy()

    # then
    assert [message.id for message in messages] == codes
