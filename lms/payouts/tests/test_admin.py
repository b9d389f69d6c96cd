import pytest
from django.test import Client

from lms.accounts.tests.factories import InstructorFactory
from lms.payouts.models import Withdrawal
from lms.payouts.testing import assert_payouts_consistent
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
