"""The shipped deployment templates agree with each other and with production rules."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

DEPLOY = Path(settings.BASE_DIR, "deploy")


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    assignments = [line for line in lines if re.match(r"^[A-Z_]+=", line)]
    return dict(line.split("=", 1) for line in assignments)


def test_trusted_proxy_count_matches_the_proxies_of_the_compose_file():
    # given: the services of docker-compose.yml that proxy HTTP to the app
    compose = (DEPLOY / "docker-compose.yml").read_text()
    proxies = re.findall(r"^\s+image:\s*nginx\b", compose, flags=re.MULTILINE)
    nginx = (DEPLOY / "nginx.conf").read_text()

    # then: each appends to X-Forwarded-For, and the template trusts exactly that many
    assert "$proxy_add_x_forwarded_for" in nginx
    assert len(proxies) == 1
    assert _env_example()["TRUSTED_PROXY_COUNT"] == str(len(proxies))


def test_deploy_template_names_stripe_and_never_allows_fake_payments():
    # when
    variables = _env_example()

    # then
    assert variables["PAYMENT_PROVIDER"] == "stripe"
    assert "ALLOW_FAKE_PAYMENTS" not in variables
    assert variables["DEBUG"] == "false"
