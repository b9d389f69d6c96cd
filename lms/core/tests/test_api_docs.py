"""Swagger UI and ReDoc load their scripts from this server (drf-spectacular-sidecar)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))["']""")


def _assets_in(page: str) -> list[str]:
    return ASSET.findall(page)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_the_docs_load_pinned_assets_from_the_package(anon_client, url, expected):
    # when
    response = anon_client.get(url)

    # then no script, style or icon comes from another host, and none at @latest
    page = response.content.decode()
    assert response.status_code == 200
    assets = _assets_in(page)
    assert any(asset.endswith(expected) for asset in assets), assets
    assert "@latest" not in page
    assert "cdn.jsdelivr.net" not in page
    for asset in assets:
        assert asset.startswith("/static/"), asset
        # and each is a file the static files finders serve (whitenoise after collectstatic)
        assert finders.find(asset.removeprefix("/static/")), asset
