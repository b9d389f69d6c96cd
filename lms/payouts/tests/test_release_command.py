"""`manage.py release_earnings`: the beat task's service from the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lms.payouts.models import PendingEarning
from lms.payouts.testing import assert_payouts_consistent
from lms.payouts.tests.factories import earn

pytestmark = pytest.mark.django_db

WALLET = "/api/v1/wallet/"


def run(*args: str) -> str:
    out = StringIO()
    call_command("release_earnings", *args, stdout=out)
    return out.getvalue()


def test_releases_only_matured_earnings_like_the_beat_task(instructor, instructor_client):
    # given: one lot past its hold (made matured by hand, not yet released) and one in it
    earn(instructor, "100.00", matured=False)
    earn(instructor, "20.00", matured=False)
    first = PendingEarning.objects.order_by("amount").last()
    PendingEarning.objects.filter(pk=first.pk).update(release_at=first.created_at)
    # when
    output = run()
    # then
    assert "Released 1 pending earning(s)" in output
    assert "1 still in their hold" in output
    body = instructor_client.get(WALLET).json()
    assert (body["available"], body["pending"]) == ("85.00", "17.00")
    assert "Released 0 pending earning(s)" in run()  # idempotent
    assert_payouts_consistent()


def test_all_releases_every_pending_earning_in_development(instructor, instructor_client, settings):
    # given
    settings.DEBUG, settings.ALLOW_FAKE_PAYMENTS = False, True
    earn(instructor, "100.00", matured=False)
    earn(instructor, "20.00", matured=False)
    # when
    output = run("--all")
    # then
    assert "Released 2 pending earning(s)" in output
    body = instructor_client.get(WALLET).json()
    assert (body["available"], body["pending"]) == ("102.00", "0.00")
    assert_payouts_consistent()


def test_all_is_refused_outside_development(instructor, settings):
    # given
    settings.DEBUG, settings.ALLOW_FAKE_PAYMENTS = False, False
    earn(instructor, "100.00", matured=False)
    # when / then
    with pytest.raises(CommandError, match="refund hold"):
        run("--all")
    assert PendingEarning.objects.filter(released_at__isnull=True).count() == 1
