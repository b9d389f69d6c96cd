"""Audit chain races on PostgreSQL: writers and sealers at once leave one gapless chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lms.accounts.tests.factories import UserFactory
from lms.audit import chain
from lms.audit.models import AuditLog
from lms.audit.services import record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sealers_build_one_gapless_chain():
    # given: eight threads, each writing lines (sealed after each commit) and sealing too
    user = UserFactory()
    barrier = threading.Barrier(8)
    errors = []

    def work(index):
        try:
            barrier.wait(timeout=10)
            for n in range(10):
                record(action="user.login", actor=user, data={"thread": index, "n": n})
                chain.seal_pending()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then: 80 lines at positions 1..80, and the chain verifies
    chain.seal_pending()
    assert errors == []
    positions = sorted(AuditLog.objects.values_list("position", flat=True))
    assert positions == list(range(1, 81))
    report = chain.verify()
    assert report.ok
    assert report.checked == 80
