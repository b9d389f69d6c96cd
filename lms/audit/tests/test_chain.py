"""The audit log is append-only and hash-chained (lms.audit.chain, docs/audit.md)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from kombu.exceptions import OperationalError as BrokerUnavailable

from lms.audit import chain, tasks
from lms.audit.models import AppendOnly, AuditChainHead, AuditLog
from lms.audit.personal_data import erase
from lms.audit.services import record
from lms.audit.tests.test_field_digests import tamper_head

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def lines(student, count=3):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="agent/1")
    return [
        record(action="user.login", actor=student, target=student, request=request, data={"n": n})
        for n in range(count)
    ]


def raw(sql, params=()):
    """Change the table behind the ORM's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only")


def test_sealed_lines_form_a_chain_that_verifies(student):
    # given: three lines, sealed
    written = lines(student)
    assert chain.seal_pending() == 3

    # then: positions 1..3, each linked to the one before, the head on the last
    sealed = list(AuditLog.objects.order_by("position"))
    assert [line.position for line in sealed] == [1, 2, 3]
    assert sealed[0].prev_hash == chain.GENESIS
    assert [line.prev_hash for line in sealed[1:]] == [line.hash for line in sealed[:2]]
    assert {line.pk for line in sealed} == {line.pk for line in written}
    head = AuditChainHead.objects.get()
    assert (head.position, head.hash) == (3, sealed[-1].hash)
    assert chain.verify().ok
    assert chain.verify().checked == 3
    assert chain.seal_pending() == 0  # nothing left


def test_later_lines_continue_the_chain(student):
    lines(student, 2)
    chain.seal_pending()
    lines(student, 2)

    chain.seal_pending()

    assert list(AuditLog.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
    assert chain.verify().ok


def test_the_orm_refuses_to_change_or_delete_a_line(student):
    [line] = lines(student, 1)
    line.action = "user.logout"

    with pytest.raises(AppendOnly):
        line.save()
    with pytest.raises(AppendOnly):
        line.delete()
    with pytest.raises(AppendOnly):
        AuditLog.objects.filter(pk=line.pk).update(action="x")
    with pytest.raises(AppendOnly):
        AuditLog.objects.all().delete()


@pytest.mark.parametrize(
    "change",
    [
        lambda line: AuditLog._base_manager.filter(pk=line.pk).update(action="user.logout"),
        lambda line: AuditLog._base_manager.filter(pk=line.pk).delete(),
        lambda line: AuditLog._default_manager.filter(pk=line.pk).update(action="x"),
        lambda line: AuditLog._base_manager.filter(pk=line.pk)._update([]),
        lambda line: AuditLog._base_manager.filter(pk=line.pk)._raw_delete("default"),
        lambda line: AuditLog._base_manager.filter(pk=line.pk).bulk_update([line], ["action"]),
        lambda line: line.save_base(force_update=True),
    ],
    ids=["base-update", "base-delete", "default-update", "_update", "_raw_delete", "bulk", "base"],
)
def test_every_orm_path_refuses_to_change_or_delete_a_line(student, change):
    [line] = lines(student, 1)
    chain.seal_pending()
    line.refresh_from_db()  # through the base manager: reading is fine
    line.action = "user.logout"

    with pytest.raises(AppendOnly), transaction.atomic():
        change(line)

    assert AuditLog._base_manager.name == "objects"
    assert AuditLog.objects.get(pk=line.pk).action == "user.login"
    assert chain.verify().ok


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE audit_auditlog SET action = 'user.logout' WHERE position = 2", "action"),
        ("UPDATE audit_auditlog SET ip = '198.51.100.7' WHERE position = 2", "ip"),
        ("UPDATE audit_auditlog SET data = '{\"n\": 9}' WHERE position = 2", "data"),
        ("DELETE FROM audit_auditlog WHERE position = 2", "missing"),
    ],
    ids=["fact", "ip", "data", "deleted"],
)
def test_tampering_with_raw_sql_names_the_first_broken_link(student, sql, reason):
    # given: a sealed chain of three lines
    lines(student)
    chain.seal_pending()

    # when: the second line is changed or removed in the database
    raw(sql)

    # then: verification stops at position 2 and says what changed
    report = chain.verify()
    assert report.broken_at == 2
    assert report.checked == 1
    assert reason in report.reason
    with pytest.raises(CommandError, match="Broken at position 2"):
        call_command("verify_audit_chain")


@pytest.mark.tampers_audit_chain
def test_a_rewritten_hash_breaks_the_next_link(student):
    lines(student)
    chain.seal_pending()

    raw("UPDATE audit_auditlog SET action = 'x', hash = %s WHERE position = 2", ["f" * 64])

    report = chain.verify()
    assert report.broken_at == 2


def test_erasing_a_person_keeps_the_chain_verifiable(student):
    # given: sealed lines carrying the student's address, agent and email
    lines(student)
    record(action="user.login_failed", data={"email": student.email})
    chain.seal_pending()

    # when: the person is erased
    erase(student, needles=(student.email.lower(),))

    # then: nothing identifies them, and the chain still verifies
    for line in AuditLog.objects.all():
        assert line.ip is None
        assert student.email not in str(line.data)
        assert line.erased_at is not None
    assert chain.verify().ok


def test_the_command_reports_an_intact_chain_and_seals_first(student):
    lines(student, 2)
    out = []

    call_command("verify_audit_chain", "--seal", stdout=type("W", (), {"write": out.append})())

    assert "2 sealed line(s) verify" in out[0]


@pytest.mark.django_db(transaction=True)
def test_a_line_is_sealed_when_its_transaction_commits(student):
    with transaction.atomic():
        line = record(action="user.login", actor=student)
        assert AuditLog.objects.get(pk=line.pk).position is None

    assert AuditLog.objects.get(pk=line.pk).position is not None
    assert chain.verify().ok


@on_postgres
def test_postgresql_refuses_changes_and_deletes_of_a_line(student):
    lines(student, 1)
    chain.seal_pending()

    for sql in (
        "UPDATE audit_auditlog SET action = 'x'",
        "UPDATE audit_auditlog SET ip = '198.51.100.7'",
        "UPDATE audit_auditlog SET hash = 'x'",
        "DELETE FROM audit_auditlog",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_unsealed_lines_are_counted_outside_the_chain_not_reported_broken(student):
    # given: two sealed lines, then two written and not sealed yet
    lines(student, 2)
    chain.seal_pending()
    waiting = lines(student, 2)

    # when
    report = chain.verify()

    # then: the chain of two verifies; the two others wait, the oldest one's time given
    assert report.ok
    assert (report.checked, report.unsealed) == (2, 2)
    assert report.oldest_unsealed_at == min(line.created_at for line in waiting)


@pytest.mark.tampers_audit_chain
def test_a_line_sealed_past_the_head_breaks_the_chain(student):
    # given: a chain of two whose head is moved back to its earlier state, MAC included
    # (a snapshot of the head replayed by someone with database access)
    lines(student, 2)
    chain.seal_pending()
    first = AuditLog.objects.get(position=1)
    seal = chain.head_seal(position=1, hash=first.hash, legacy_until=0, key=chain.sealing_key())
    tamper_head(position=1, hash=first.hash, **seal)

    # then: the second line is outside what the head vouches for
    report = chain.verify()
    assert report.broken_at == 2
    assert "head says 1" in report.reason


def test_a_transaction_schedules_its_sealing_once(student, django_capture_on_commit_callbacks):
    # given: three lines in one transaction, one of them in a savepoint
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        lines(student, 2)
        with transaction.atomic():
            record(action="user.logout", actor=student)

    # then: one sealing after the commit, which seals the three
    assert callbacks == [tasks.queue_sealing]
    assert chain.verify().unsealed == 0
    assert chain.verify().checked == 3


def test_with_a_broker_the_commit_queues_one_task_and_seals_nothing(student, monkeypatch):
    # given: a broker (not eager) and a queue that records what is sent to it
    monkeypatch.setitem(tasks.seal_audit_chain.app.conf, "task_always_eager", False)
    queued = []
    monkeypatch.setattr(tasks.seal_audit_chain, "delay", lambda: queued.append(1))
    cache.delete(tasks.SEAL_QUEUED_KEY)

    # when: two commits that wrote lines
    tasks.queue_sealing()
    tasks.queue_sealing()

    # then: one task queued (the second commit's lines are sealed by it); nothing sealed yet
    assert queued == [1]
    lines(student, 1)
    assert chain.verify().unsealed == 1

    # when: the worker runs it (twice: a redelivery)
    assert tasks.seal_audit_chain() == 1
    assert tasks.seal_audit_chain() == 0

    # then: sealed once, and the next commit queues a task again
    assert chain.verify().checked == 1
    tasks.queue_sealing()
    assert queued == [1, 1]


def test_a_broker_that_is_away_loses_no_line(student, monkeypatch):
    # given: a broker refusing the task
    monkeypatch.setitem(tasks.seal_audit_chain.app.conf, "task_always_eager", False)

    def refuse():
        raise BrokerUnavailable("down")

    monkeypatch.setattr(tasks.seal_audit_chain, "delay", refuse)
    cache.delete(tasks.SEAL_QUEUED_KEY)
    lines(student, 1)

    # when: the commit's sealing cannot be queued
    tasks.queue_sealing()

    # then: no error, the flag is not left set, and beat's run seals the line
    assert cache.get(tasks.SEAL_QUEUED_KEY) is None
    assert tasks.seal_audit_chain() == 1
    assert chain.verify().ok


def test_a_line_after_a_rolled_back_savepoint_is_still_sealed(
    student, django_capture_on_commit_callbacks
):
    # given: a line in a savepoint that rolls back, then one after it
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                record(action="user.login", actor=student)
                raise ValueError("refused")
        except ValueError:
            pass
        kept = record(action="user.logout", actor=student)

    # then: the rolled-back registration went with its line; the kept line is sealed
    assert callbacks == [tasks.queue_sealing]
    assert AuditLog.objects.get().pk == kept.pk
    assert chain.verify().checked == 1


@on_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditlog SET erased_at = now(), ip = '203.0.113.77' WHERE position = 2",
        "UPDATE audit_auditlog SET erased_at = now(), user_agent = 'forged' WHERE position = 2",
        "UPDATE audit_auditlog SET erased_at = now(), target_repr = 'x' WHERE position = 2",
        "UPDATE audit_auditlog SET erased_at = now(), data = '{\"n\": 9}' WHERE position = 2",
        'UPDATE audit_auditlog SET erased_at = now(), data = \'{"forged": ""}\' WHERE position = 2',
        "UPDATE audit_auditlog SET erased_at = now(), data = '{}' WHERE position = 2",
    ],
    ids=["ip", "user_agent", "target_repr", "data-value", "data-keys", "data-dropped"],
)
def test_postgresql_refuses_a_rewrite_under_cover_of_an_erasure(student, sql):
    # given: sealed lines with an IP, an agent, the student's email and data
    lines(student)
    chain.seal_pending()

    # then: an UPDATE that sets erased_at may blank those fields, never rewrite them
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@on_postgres
def test_postgresql_lets_an_erasure_blank_and_scrub_but_not_be_undone(student):
    record(action="user.login_failed", data={"email": student.email, "tries": [1, "x"]})
    lines(student)
    chain.seal_pending()

    erase(student, needles=(student.email.lower(),))  # passes the tightened trigger

    assert AuditLog.objects.filter(erased_at__isnull=False).count() == 4
    assert chain.verify().ok
    with (
        pytest.raises(DatabaseError, match="cannot be undone"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditlog SET erased_at = NULL WHERE position = 2")
