"""Throttle keys name an account by a digest, never by its address (no email in the cache,
and a key of fixed length whatever the request body holds)."""

from __future__ import annotations

from rest_framework.test import APIRequestFactory

from lms.accounts.throttles import AuthAccountThrottle


def _key(email: str) -> str | None:
    request = APIRequestFactory().post("/api/v1/auth/login/", {"email": email}, format="json")
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request

    return AuthAccountThrottle().get_cache_key(Request(request, parsers=[JSONParser()]), None)


def test_the_account_key_holds_no_address_and_has_a_fixed_length():
    short = _key("ada@example.com")
    long = _key(("a" * 300) + "@example.com")

    assert short is not None
    assert long is not None
    assert "ada" not in short
    assert "example.com" not in short
    assert len(short) == len(long) < 250


def test_the_same_account_has_one_key_whatever_the_domains_case():
    assert _key("ada@Example.COM") == _key("ada@example.com")
