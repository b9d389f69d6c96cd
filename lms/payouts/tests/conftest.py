"""Payouts test helpers: Stripe's transfers API stubbed with `responses` under the real SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from celery import current_app

STRIPE_BASE = "https://stripe.payouts.test"
TRANSFERS_URL = f"{STRIPE_BASE}/v1/transfers"


@pytest.fixture
def stripe_payouts(settings: Any) -> Any:
    """PAYOUT_PROVIDER=stripe against the stubbed API."""
    settings.PAYOUT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_payouts"
    settings.STRIPE_API_BASE = STRIPE_BASE
    return settings


@pytest.fixture
def stripe_http(stripe_payouts: Any) -> Iterator[responses.RequestsMock]:
    """Stripe's API stubbed; a request to anything not stubbed fails the call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """A task's retries run at once and in-process, as a worker would after each backoff.

    (Tasks run eagerly in tests; with eager errors propagating, a retry would surface as
    `celery.exceptions.Retry` instead of running.)
    """
    previous = current_app.conf.task_eager_propagates
    current_app.conf.task_eager_propagates = False
    yield
    current_app.conf.task_eager_propagates = previous


def transfer_body(transfer_id: str = "tr_test_1") -> dict[str, Any]:
    return {"id": transfer_id, "object": "transfer"}


def stripe_error(status: int, message: str = "Stripe is down", **fields: Any) -> dict[str, Any]:
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return {"error": {"type": kind, "message": message, **fields}}


def stub_transfer(
    mock: responses.RequestsMock, *, transfer_id: str = "tr_test_1", status: int = 200
) -> None:
    """One answer of POST /v1/transfers; stubs added in turn answer successive calls."""
    mock.add(
        responses.POST,
        TRANSFERS_URL,
        json=transfer_body(transfer_id) if status == 200 else stripe_error(status),
        status=status,
    )


def stub_idempotent_transfers(mock: responses.RequestsMock, *, delay: float = 0.0) -> None:
    """Stripe's idempotency: every call with the same key is answered with the same transfer."""
    created: dict[str, str] = {}
    guard = threading.Lock()

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(delay)  # a slow answer, so that concurrent callers overlap
        key = request.headers["Idempotency-Key"]
        with guard:
            transfer_id = created.setdefault(key, f"tr_test_{len(created) + 1}")
        return 200, {}, f'{{"id": "{transfer_id}", "object": "transfer"}}'

    mock.add_callback(responses.POST, TRANSFERS_URL, callback=answer)


def form(call: Any) -> dict[str, str]:
    """The form-encoded parameters of a stubbed call."""
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def transfer_calls(mock: responses.RequestsMock) -> list[Any]:
    return [call for call in mock.calls if call.request.url == TRANSFERS_URL]
