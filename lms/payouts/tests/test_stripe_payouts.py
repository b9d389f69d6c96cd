"""Withdrawals paid by Stripe Connect transfers: the real SDK, Stripe's HTTP stubbed."""

from decimal import Decimal

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured

from lms.accounts.tests.factories import InstructorFactory
from lms.audit.models import AuditLog
from lms.conftest import error_codes
from lms.notifications.models import Notification
from lms.payouts import services, tasks
from lms.payouts.models import LedgerTransaction, TransactionKind, Wallet, Withdrawal
from lms.payouts.providers import TransferUnavailable, get_payout_provider
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.conftest import (
    TRANSFERS_URL,
    form,
    stripe_error,
    stub_idempotent_transfers,
    stub_transfer,
    transfer_body,
    transfer_calls,
)
from lms.payouts.tests.factories import earn, request_withdrawal

pytestmark = pytest.mark.django_db

LIST = "/api/v1/withdrawals/"


def url(withdrawal, action=""):
    return f"{LIST}{withdrawal.pk}/{action + '/' if action else ''}"


def payouts_of(withdrawal):
    return LedgerTransaction.objects.filter(
        kind=TransactionKind.PAYOUT, reference_id=str(withdrawal.pk)
    )


@pytest.fixture
def stripe_withdrawal():
    """An instructor with 85.00 USD available and a pending 40.50 `stripe` withdrawal."""
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    return request_withdrawal(instructor, "40.50", method="stripe")


def approve(client, withdrawal, capture):
    """Approve through the API and run what was scheduled on commit (the task, eagerly)."""
    with capture(execute=True):
        response = client.post(url(withdrawal, "approve"))
    assert response.status_code == 200, response.json()
    return response


# --- the happy path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "earned", "minor_units"),
    [("40.50", "USD", "100.00", "4050"), ("5000", "JPY", "10000", "5000")],
)
def test_approving_a_stripe_withdrawal_pays_it_by_a_connect_transfer(
    admin_user,
    admin_client_api,
    stripe_http,
    django_capture_on_commit_callbacks,
    amount,
    currency,
    earned,
    minor_units,
):
    # given
    instructor = InstructorFactory()
    earn(instructor, earned, currency=currency)
    withdrawal = request_withdrawal(instructor, amount, currency=currency, method="stripe")
    stub_transfer(stripe_http, transfer_id="tr_1Abc")

    # when
    response = approve(admin_client_api, withdrawal, django_capture_on_commit_callbacks)

    # then: one transfer of the amount in minor units, keyed by our withdrawal
    assert response.json()["status"] == "approved"  # answered before the transfer ran
    [call] = transfer_calls(stripe_http)
    assert call.request.headers["Idempotency-Key"] == f"withdrawal-{withdrawal.pk}"
    assert call.request.headers["Authorization"] == "Bearer sk_test_payouts"
    assert form(call) == {
        "amount": minor_units,
        "currency": currency.lower(),
        "destination": "acct_1Nv0FGQ9RKHgCVdK",
        "transfer_group": f"withdrawal-{withdrawal.pk}",
        "metadata[withdrawal_id]": str(withdrawal.pk),
    }
    # and the withdrawal is paid through the same code as by hand, once
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_1Abc")
    assert (withdrawal.transfer_status, withdrawal.attempts, withdrawal.last_error) == (
        "sent",
        1,
        "",
    )
    assert withdrawal.reviewed_by == admin_user  # the approver stays on record
    [payout] = payouts_of(withdrawal)
    assert (payout.amount, payout.memo) == (Decimal(amount), "tr_1Abc")
    wallet = Wallet.objects.get(instructor=instructor)
    assert wallet.held == 0
    paid = AuditLog.objects.get(action="withdrawal.paid", target_id=str(withdrawal.pk))
    assert paid.actor is None  # the system paid it
    assert paid.data["payout_reference"] == "tr_1Abc"
    assert paid.data["provider"] == "stripe"
    assert Notification.objects.filter(
        user=instructor, title="Your withdrawal was paid", data__status="paid"
    ).exists()
    assert_payouts_consistent()


def test_admins_see_the_transfer_state_and_instructors_do_not(
    admin_client_api, client_for, stripe_withdrawal, stripe_http, django_capture_on_commit_callbacks
):
    stub_transfer(stripe_http, status=400)
    approve(admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks)

    as_admin = admin_client_api.get(url(stripe_withdrawal)).json()
    as_owner = client_for(stripe_withdrawal.instructor).get(url(stripe_withdrawal)).json()

    assert (as_admin["transfer_status"], as_admin["attempts"]) == ("failed", 1)
    assert as_admin["last_error"]
    assert as_admin["status"] == as_owner["status"] == "approved"
    assert not {"transfer_status", "attempts", "last_error"} & set(as_owner)
    listed = admin_client_api.get(LIST).json()["results"][0]
    assert listed["transfer_status"] == "failed"
    assert_payouts_consistent()


# --- Stripe unavailable: retried with the same key ---------------------------------------------


@pytest.mark.parametrize("failure", ["server_error", "timeout", "conflict", "rate_limited"])
def test_a_failed_call_is_retried_with_the_same_idempotency_key_and_paid_once(
    admin_client_api,
    stripe_withdrawal,
    stripe_http,
    django_capture_on_commit_callbacks,
    eager_retries,
    failure,
):
    # given: Stripe fails once, then answers
    if failure == "timeout":
        stripe_http.add(
            responses.POST, TRANSFERS_URL, body=requests.exceptions.ConnectTimeout("timed out")
        )
    else:
        status = {"server_error": 500, "conflict": 409, "rate_limited": 429}[failure]
        stripe_http.add(responses.POST, TRANSFERS_URL, json=stripe_error(status), status=status)
    stub_transfer(stripe_http, transfer_id="tr_after_retry")

    # when: the task retries (eagerly here; with backoff on a worker)
    approve(admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks)

    # then
    calls = transfer_calls(stripe_http)
    assert len(calls) == 2
    assert {call.request.headers["Idempotency-Key"] for call in calls} == {
        f"withdrawal-{stripe_withdrawal.pk}"
    }
    assert form(calls[0]) == form(calls[1])
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_after_retry")
    assert (withdrawal.attempts, withdrawal.last_error) == (2, "")
    assert payouts_of(withdrawal).count() == 1
    assert AuditLog.objects.filter(action="withdrawal.paid").count() == 1
    assert_payouts_consistent()


def test_while_stripe_is_unreachable_only_the_error_is_recorded(
    admin_user, admin_client_api, stripe_withdrawal, stripe_http
):
    # given: approved, and Stripe answers 500
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    stub_transfer(stripe_http, status=500)
    wallet_before = Wallet.objects.get()

    # when
    with pytest.raises(TransferUnavailable):
        services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)

    # then: nothing moved but the attempt and its error
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.status == "approved"
    assert (withdrawal.transfer_status, withdrawal.attempts) == ("sending", 1)
    assert "Stripe is down" in withdrawal.last_error
    assert not payouts_of(withdrawal).exists()
    wallet = Wallet.objects.get()
    assert (wallet.available, wallet.held) == (wallet_before.available, wallet_before.held)
    # and while the money may be on its way, nobody else moves the withdrawal
    for action, body in (("reject", {"reason": "No."}), ("mark-paid", {"payout_reference": "x"})):
        response = admin_client_api.post(url(withdrawal, action), body)
        assert response.status_code == 409
        assert error_codes(response) == ["payout_in_progress"]
    assert_payouts_consistent()


def test_after_the_last_retry_an_admin_sends_it_again(
    admin_user, stripe_withdrawal, stripe_http, django_capture_on_commit_callbacks, eager_retries
):
    # given: Stripe failed on the first try and on every retry
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    stub_transfer(stripe_http, status=503)
    result = tasks.send_stripe_payout.delay(str(stripe_withdrawal.pk))
    assert result.failed()
    assert isinstance(result.result, TransferUnavailable)
    assert len(transfer_calls(stripe_http)) == 8  # the first try and seven retries
    assert Withdrawal.objects.get().transfer_status == "sending"

    # when: Stripe is back and an admin retries
    stripe_http.replace(responses.POST, TRANSFERS_URL, json=transfer_body("tr_late"))
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_stripe_payout(withdrawal=stripe_withdrawal, by=admin_user)

    # then: one key throughout, paid once
    calls = transfer_calls(stripe_http)
    assert {call.request.headers["Idempotency-Key"] for call in calls} == {
        f"withdrawal-{stripe_withdrawal.pk}"
    }
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.payout_reference, withdrawal.attempts) == (
        "paid",
        "tr_late",
        9,
    )
    assert AuditLog.objects.filter(action="withdrawal.transfer_retried", actor=admin_user).exists()
    assert payouts_of(withdrawal).count() == 1
    assert_payouts_consistent()


# --- Stripe refuses: no retry, the admin settles it -------------------------------------------


@pytest.mark.parametrize(("action", "status"), [("reject", "rejected"), ("mark-paid", "paid")])
def test_a_refused_transfer_stays_approved_for_an_admin_to_settle(
    admin_user,
    admin_client_api,
    stripe_withdrawal,
    stripe_http,
    django_capture_on_commit_callbacks,
    action,
    status,
):
    # given: Stripe refuses the destination
    stripe_http.add(
        responses.POST,
        TRANSFERS_URL,
        json=stripe_error(
            400,
            "No such destination: 'acct_1Nv0FGQ9RKHgCVdK'",
            code="resource_missing",
            param="destination",
        ),
        status=400,
    )

    # when
    approve(admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks)

    # then: one call, no retry, nothing paid, the error kept and audited
    assert len(transfer_calls(stripe_http)) == 1
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.transfer_status, withdrawal.attempts) == (
        "approved",
        "failed",
        1,
    )
    assert "No such destination" in withdrawal.last_error
    assert not payouts_of(withdrawal).exists()
    assert Wallet.objects.get().held == Decimal("40.50")
    line = AuditLog.objects.get(action="withdrawal.transfer_failed")
    assert line.actor is None
    assert "No such destination" in line.data["error"]
    assert Notification.objects.filter(
        user=admin_user, title="A payout transfer was refused"
    ).exists()
    # and a rerun of the task does not send it again
    services.send_stripe_payout(withdrawal_id=withdrawal.pk)
    assert len(transfer_calls(stripe_http)) == 1

    # when: the admin settles it by hand
    response = admin_client_api.post(
        url(withdrawal, action), {"reason": "Wrong account.", "payout_reference": "wire-42"}
    )

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    assert_payouts_consistent()


def test_a_refused_transfer_sent_again_uses_a_new_key_and_a_retry_keeps_it(
    admin_user, stripe_withdrawal, stripe_http, django_capture_on_commit_callbacks
):
    # given: Stripe refused the transfer (Stripe stores that answer under its key)
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    stub_transfer(stripe_http, status=400)
    tasks.send_stripe_payout.delay(str(stripe_withdrawal.pk))
    assert Withdrawal.objects.get().transfer_status == "failed"

    # when: the cause is fixed and an admin sends it again
    stripe_http.replace(responses.POST, TRANSFERS_URL, json=transfer_body("tr_fixed"))
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_stripe_payout(withdrawal=stripe_withdrawal, by=admin_user)

    # then: the second request is a new one (not the refusal replayed), and it paid
    keys = [call.request.headers["Idempotency-Key"] for call in transfer_calls(stripe_http)]
    assert keys == [f"withdrawal-{stripe_withdrawal.pk}", f"withdrawal-{stripe_withdrawal.pk}-1"]
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.payout_reference, withdrawal.refusals) == (
        "paid",
        "tr_fixed",
        1,
    )
    assert payouts_of(withdrawal).count() == 1
    assert_payouts_consistent()


def test_details_without_a_connected_account_are_refused_without_calling_stripe(
    admin_user, stripe_withdrawal, stripe_http
):
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    Withdrawal.objects.filter(pk=stripe_withdrawal.pk).update(details={})

    withdrawal = services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)

    assert (withdrawal.status, withdrawal.transfer_status) == ("approved", "failed")
    assert not transfer_calls(stripe_http)
    assert_payouts_consistent()


# --- once only --------------------------------------------------------------------------------


def test_a_duplicate_run_transfers_and_pays_once(admin_user, stripe_withdrawal, stripe_http):
    # given: approved (the scheduled task is not run here)
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    stub_idempotent_transfers(stripe_http)

    # when: the task runs twice
    first = services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)
    second = services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)

    # then
    assert first.status == second.status == "paid"
    assert len(transfer_calls(stripe_http)) == 1
    assert payouts_of(stripe_withdrawal).count() == 1
    assert AuditLog.objects.filter(action="withdrawal.paid").count() == 1
    assert_payouts_consistent()


def test_a_lost_answer_is_recovered_by_the_retry_without_a_second_transfer(
    admin_user, stripe_withdrawal, stripe_http
):
    # given: Stripe makes the transfer, but its answer is lost (a read timeout)
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    made: dict[str, str] = {}

    def stripe(request):
        first = not made
        transfer_id = made.setdefault(request.headers["Idempotency-Key"], f"tr_{len(made) + 1}")
        if first:
            raise requests.exceptions.ReadTimeout("read timed out")
        return 200, {}, f'{{"id": "{transfer_id}", "object": "transfer"}}'

    stripe_http.add_callback(responses.POST, TRANSFERS_URL, callback=stripe)
    with pytest.raises(TransferUnavailable):
        services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)
    assert Withdrawal.objects.get().status == "approved"

    # when: the retry sends the same key
    withdrawal = services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)

    # then: Stripe answered with the transfer it had made; one transfer, paid once
    assert made == {f"withdrawal-{stripe_withdrawal.pk}": "tr_1"}
    assert (withdrawal.status, withdrawal.payout_reference, withdrawal.attempts) == (
        "paid",
        "tr_1",
        2,
    )
    assert payouts_of(stripe_withdrawal).count() == 1
    assert_payouts_consistent()


def test_a_stripe_paid_withdrawal_cannot_be_marked_paid_again(
    admin_client_api, stripe_withdrawal, stripe_http, django_capture_on_commit_callbacks
):
    stub_transfer(stripe_http)
    approve(admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks)

    response = admin_client_api.post(url(stripe_withdrawal, "mark-paid"), {"payout_reference": "x"})

    assert response.status_code == 409
    assert error_codes(response) == ["invalid_withdrawal_state"]
    assert Withdrawal.objects.get().payout_reference == "tr_test_1"
    assert payouts_of(stripe_withdrawal).count() == 1
    assert_payouts_consistent()


# --- nothing sent ---------------------------------------------------------------------------


def test_with_the_manual_provider_approving_sends_nothing(
    admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks
):
    # given: PAYOUT_PROVIDER is manual (the default); any HTTP call would fail the test
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # when
        approve(admin_client_api, stripe_withdrawal, django_capture_on_commit_callbacks)
        # then
        assert not mock.calls
    assert Withdrawal.objects.get().status == "approved"
    # and an admin marks it paid by hand as before
    response = admin_client_api.post(
        url(stripe_withdrawal, "mark-paid"), {"payout_reference": "tr_by_hand"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["transfer_status"]) == ("paid", "")
    assert payouts_of(stripe_withdrawal).count() == 1
    assert_payouts_consistent()


@pytest.mark.parametrize("method", ["paypal", "wise", "bank"])
def test_other_methods_are_not_sent_with_the_stripe_provider(
    admin_client_api, stripe_http, django_capture_on_commit_callbacks, method
):
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00", method=method)

    approve(admin_client_api, withdrawal, django_capture_on_commit_callbacks)
    services.send_stripe_payout(withdrawal_id=withdrawal.pk)  # a stray task changes nothing

    assert not stripe_http.calls
    assert Withdrawal.objects.get().status == "approved"
    response = admin_client_api.post(url(withdrawal, "mark-paid"), {"payout_reference": "ref-1"})
    assert response.json()["status"] == "paid"
    assert_payouts_consistent()


def test_a_task_for_a_withdrawal_that_is_no_longer_approved_sends_nothing(
    admin_user, stripe_withdrawal, stripe_http
):
    services.approve_withdrawal(withdrawal=stripe_withdrawal, by=admin_user)
    services.reject_withdrawal(withdrawal=stripe_withdrawal, by=admin_user, reason="No.")

    withdrawal = services.send_stripe_payout(withdrawal_id=stripe_withdrawal.pk)

    assert withdrawal.status == "rejected"
    assert not stripe_http.calls
    assert_payouts_consistent()


def test_an_unknown_payout_provider_is_a_configuration_error(settings):
    settings.PAYOUT_PROVIDER = "paypal"
    with pytest.raises(ImproperlyConfigured):
        get_payout_provider()
