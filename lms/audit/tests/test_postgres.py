"""Audit chain races on PostgreSQL: writers and sealers at once leave one gapless chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from lms.accounts.tests.factories import UserFactory
from lms.audit import chain, tasks
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


@pytest.mark.django_db(transaction=True)
def test_writers_committing_while_tasks_seal_leave_one_intact_chain():
    # given: six writers committing two lines per transaction (each commit seals, eager
    # mode), and two sealing tasks running in a loop beside them (a worker and beat)
    user = UserFactory()
    barrier = threading.Barrier(8)
    writing = threading.Event()
    writing.set()
    errors = []
    sealed_by_tasks = []

    def writer(index):
        try:
            barrier.wait(timeout=10)
            for n in range(10):
                with transaction.atomic():
                    record(action="user.login", actor=user, data={"w": index, "n": n})
                    record(action="user.logout", actor=user, data={"w": index, "n": n})
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def sealer():
        try:
            barrier.wait(timeout=10)
            while writing.is_set():
                sealed_by_tasks.append(tasks.seal_audit_chain())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(index,)) for index in range(6)]
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in writers + sealers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    writing.clear()
    for thread in sealers:
        thread.join(timeout=60)

    # then: nothing left to seal, 120 lines at positions 1..120, and the chain verifies
    assert errors == []
    assert tasks.seal_audit_chain() == 0
    positions = sorted(AuditLog.objects.values_list("position", flat=True))
    assert positions == list(range(1, 121))
    report = chain.verify()
    assert (report.ok, report.checked, report.unsealed) == (True, 120, 0)
