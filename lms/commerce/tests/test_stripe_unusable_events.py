"""Signed webhook bodies we cannot use: recorded and answered 200, never a 500 or a 503.

Stripe stops retrying only on a 2xx; a body that can never be handled must not be retried for
three days. A body that is not signed stays a 400 and is not recorded.
"""

from __future__ import annotations

import json

import pytest

from lms.commerce.models import ProviderEvent
from lms.commerce.tests.conftest import WEBHOOK_URL, post_webhook, sign, stripe_event

pytestmark = pytest.mark.django_db

UNUSABLE_BODIES = {
    "array": b'[{"id": "evt_1", "type": "payment_intent.succeeded"}]',
    "string": b'"payment_intent.succeeded"',
    "number": b"42",
    "null": b"null",
    "not-json": b"{not json",
    "no-id": b'{"type": "payment_intent.succeeded", "data": {"object": {}}}',
    "id-not-a-string": b'{"id": ["evt"], "type": "payment_intent.succeeded"}',
    "nested-too-deep": b"[" * 100_000 + b"]" * 100_000,
    "nul-character": b'{"id": "evt_nul", "type": "payment_intent.succeeded", "x": "a\\u0000b"}',
}


@pytest.mark.parametrize("name", UNUSABLE_BODIES)
def test_a_signed_body_that_is_no_event_is_recorded_and_answered_200(
    anon_client, stripe_settings, name
):
    # when
    response = post_webhook(anon_client, UNUSABLE_BODIES[name])

    # then
    assert response.status_code == 200, response.content[:300]
    assert response.json()["outcome"] == "ignored"
    event = ProviderEvent.objects.get()
    assert event.type == "unusable"
    assert event.status == ProviderEvent.Status.IGNORED
    # and a second delivery is the same event, handled once
    assert post_webhook(anon_client, UNUSABLE_BODIES[name]).json()["outcome"] == "duplicate"
    assert ProviderEvent.objects.count() == 1


# Events with an id and a type whose fields have shapes no real event has.
MISSHAPEN_OBJECTS = {
    "data-is-a-list": {"data": [1, 2]},
    "object-is-a-string": {"data": {"object": "pi_1"}},
    "metadata-is-a-list": {"data": {"object": {"id": "pi_1", "metadata": ["payment_id"]}}},
    "error-is-a-string": {
        "data": {"object": {"id": "pi_1", "metadata": {}, "last_payment_error": "no"}}
    },
    "id-is-an-object": {"data": {"object": {"id": {"x": 1}, "metadata": {}}}},
}


@pytest.mark.parametrize("name", MISSHAPEN_OBJECTS)
@pytest.mark.parametrize(
    "event_type", ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"]
)
def test_a_signed_event_of_unusable_shape_is_ignored(
    anon_client, stripe_settings, name, event_type
):
    payload = json.dumps(
        {"id": f"evt_{name}", "type": event_type, **MISSHAPEN_OBJECTS[name]}
    ).encode()

    response = post_webhook(anon_client, payload)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["outcome"] == "ignored"
    assert ProviderEvent.objects.get().status == ProviderEvent.Status.IGNORED


@pytest.mark.parametrize(
    "payment_id",
    ["00000000-0000-4000-8000-0000000000aa", "abc", "a\u0000b", ""],
    ids=["unknown-uuid", "malformed", "nul", "empty"],
)
def test_a_signed_event_naming_a_payment_that_is_not_ours_is_ignored(
    anon_client, stripe_settings, payment_id
):
    payload = stripe_event(
        "evt_elsewhere",
        "payment_intent.succeeded",
        {"id": "pi_x", "amount": 100, "currency": "usd", "metadata": {"payment_id": payment_id}},
    )

    response = post_webhook(anon_client, payload)

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_an_unsigned_body_is_still_400_and_not_recorded(anon_client, stripe_settings):
    body = UNUSABLE_BODIES["array"]

    response = anon_client.post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(b"something else"),
    )

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
