import pytest
import responses
from django.test import Client

from lms.accounts.tests.factories import InstructorFactory
from lms.payouts.models import Withdrawal
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.conftest import (
    TRANSFERS_URL,
    stub_transfer,
    transfer_body,
    transfer_calls,
)
from lms.payouts.tests.factories import earn, request_withdrawal

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_ledger_and_wallets_are_read_only(admin_site):
    earn(InstructorFactory(), "100.00")
    for model in ("ledgertransaction", "ledgerentry", "wallet", "pendingearning"):
        assert admin_site.get(f"/admin/payouts/{model}/").status_code == 200
        assert admin_site.get(f"/admin/payouts/{model}/add/").status_code == 403
    assert_payouts_consistent()


@pytest.mark.parametrize(
    ("actions", "status"),
    [(["approve"], "approved"), (["approve", "mark_paid"], "paid"), (["reject"], "rejected")],
)
def test_withdrawal_actions_call_the_services(admin_site, actions, status):
    # given
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00")
    assert admin_site.get("/admin/payouts/withdrawal/").status_code == 200
    # when
    for action in actions:
        response = admin_site.post(
            "/admin/payouts/withdrawal/",
            {"action": action, "_selected_action": [str(withdrawal.pk)]},
        )
        assert response.status_code == 302
    # then
    assert Withdrawal.objects.get().status == status
    assert_payouts_consistent()


def test_a_wrong_admin_action_changes_nothing(admin_site):
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00")
    admin_site.post(
        "/admin/payouts/withdrawal/",
        {"action": "mark_paid", "_selected_action": [str(withdrawal.pk)]},
    )
    assert Withdrawal.objects.get().status == "pending"
    assert_payouts_consistent()


def test_approving_a_stripe_withdrawal_in_the_admin_sends_its_transfer(
    admin_site, stripe_http, django_capture_on_commit_callbacks
):
    # given: PAYOUT_PROVIDER=stripe
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00", method="stripe")
    stub_transfer(stripe_http, transfer_id="tr_from_admin")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(
            "/admin/payouts/withdrawal/",
            {"action": "approve", "_selected_action": [str(withdrawal.pk)]},
        )
    # then: the same service scheduled the same task
    [call] = transfer_calls(stripe_http)
    assert call.request.headers["Idempotency-Key"] == f"withdrawal-{withdrawal.pk}"
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "tr_from_admin")
    assert admin_site.get(f"/admin/payouts/withdrawal/{withdrawal.pk}/change/").status_code == 200
    assert_payouts_consistent()


def test_the_admin_sends_a_refused_transfer_again(
    admin_site, stripe_http, django_capture_on_commit_callbacks
):
    # given: Stripe refused the transfer (the platform balance was short, say)
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00", method="stripe")
    stub_transfer(stripe_http, status=400)
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(
            "/admin/payouts/withdrawal/",
            {"action": "approve", "_selected_action": [str(withdrawal.pk)]},
        )
    assert Withdrawal.objects.get().transfer_status == "failed"
    # when: the cause is fixed and the admin retries
    stripe_http.replace(responses.POST, TRANSFERS_URL, json=transfer_body("tr_second_try"))
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(
            "/admin/payouts/withdrawal/",
            {"action": "retry_transfer", "_selected_action": [str(withdrawal.pk)]},
        )
    # then
    assert len(transfer_calls(stripe_http)) == 2
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference, withdrawal.attempts) == (
        "paid",
        "tr_second_try",
        2,
    )
    assert_payouts_consistent()


def test_retrying_a_transfer_that_is_not_due_changes_nothing(admin_site, stripe_payouts):
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00", method="paypal")
    admin_site.post(
        "/admin/payouts/withdrawal/",
        {"action": "retry_transfer", "_selected_action": [str(withdrawal.pk)]},
    )
    assert Withdrawal.objects.get().status == "pending"
    assert_payouts_consistent()


def test_money_rows_are_never_changed_or_deleted_in_the_admin(admin_site):
    # given
    instructor = InstructorFactory()
    earn(instructor, "100.00")
    withdrawal = request_withdrawal(instructor, "10.00")
    from lms.payouts.models import LedgerEntry, Wallet

    wallet = Wallet.objects.get(instructor=instructor)
    entry = LedgerEntry.objects.filter(wallet=wallet).first()
    assert entry is not None
    # then: shown without inputs, refused on post
    for model, obj in [("wallet", wallet), ("ledgerentry", entry)]:
        url = f"/admin/payouts/{model}/{obj.pk}/"
        page = admin_site.get(f"{url}change/")
        assert page.status_code == 200
        assert b'name="amount"' not in page.content
        assert b'name="available"' not in page.content
        assert admin_site.post(f"{url}change/", {"available": "1000000"}).status_code == 403
        assert admin_site.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    page = admin_site.get(f"/admin/payouts/withdrawal/{withdrawal.pk}/change/")
    assert b'name="amount"' not in page.content
    assert admin_site.get(f"/admin/payouts/withdrawal/{withdrawal.pk}/delete/").status_code == 403
    assert_payouts_consistent()
