"""Seal version 2 (lms.audit.chain): a personal field rewritten under cover of an erasure
breaks the chain; a real erasure, lines sealed with version 1, and rotated keys verify."""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.audit import chain, locks
from lms.audit.models import AuditLog
from lms.audit.personal_data import erase
from lms.audit.services import record

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

IP, AGENT = "203.0.113.9", "agent/1 (private build)"
ERASED = "UPDATE audit_auditlog SET erased_at = CURRENT_TIMESTAMP,"
OLD_KEY, NEW_KEY = "old-audit-key-7f3a9c", "new-audit-key-2b8e41"


def lines(person, count=3):
    """`count` lines by `person` from IP with AGENT, about them, naming their email."""
    request = RequestFactory().get("/", REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    return [
        record(
            action="user.login_failed",
            actor=person,
            target=person,
            request=request,
            data={"email": person.email, "reason": "bad_password", "n": n, "tries": [n, "x"]},
        )
        for n in range(count)
    ]


def raw(sql, params=()):
    """Change the table behind the ORM's back with every trigger off, as someone who can
    disable them could (PostgreSQL); SQLite has none."""
    on_pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if on_pg:
            cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER ALL")
        try:
            cursor.execute(sql, params)
        finally:
            if on_pg:
                cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER ALL")


@contextmanager
def head_trigger_off():
    """The chain head's trigger (migration 0007, PostgreSQL) off while the block runs."""
    on_pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if on_pg:
            cursor.execute("ALTER TABLE audit_auditchainhead DISABLE TRIGGER ALL")
        try:
            yield
        finally:
            if on_pg:
                cursor.execute("ALTER TABLE audit_auditchainhead ENABLE TRIGGER ALL")


def tamper_head(**columns):
    """Rewrite the head's row behind the sealer's back with its trigger off (PostgreSQL),
    as someone who can write the table and disable triggers could."""
    sets = ", ".join(f"{name} = %s" for name in columns)
    with head_trigger_off(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditchainhead SET {sets} WHERE id = 1", [*columns.values()])


def forge_ip_behind_an_erasure(position):
    raw(f"{ERASED} ip = '10.9.9.9' WHERE position = {position}")


def command_output():
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def seal_the_old_way():
    """Seal the unsealed lines as before seal version 2 (sha256, `personal_digest`), with the
    `seal_version` 1 that migration 0005 gives the lines sealed so, and the head's
    `legacy_until` and MAC that migration 0006 gives such a chain (its trigger off: only
    that migration sets `legacy_until`)."""
    with transaction.atomic():
        head = locks.lock_chain_head()
        position, prev_hash = head.position, head.hash or chain.GENESIS
        for line in AuditLog.objects.filter(position__isnull=True).order_by("created_at", "id"):
            position += 1
            personal = chain.personal_digest(line)
            sealed = chain.line_hash(
                line, position=position, prev_hash=prev_hash, personal=personal
            )
            AuditLog.objects.filter(pk=line.pk)._write(
                position=position,
                prev_hash=prev_hash,
                personal_digest=personal,
                hash=sealed,
                seal_version=chain.LEGACY_SEAL,
            )
            prev_hash = sealed
        seal = chain.head_seal(
            position=position, hash=prev_hash, legacy_until=position, key=chain.sealing_key()
        )
        tamper_head(position=position, hash=prev_hash, legacy_until=position, **seal)


def test_a_sealed_line_carries_keyed_digests_and_no_personal_value(student):
    lines(student, 1)

    chain.seal_pending()

    line = AuditLog.objects.get()
    assert (line.seal_version, line.key_id) == (chain.SEAL_VERSION, chain.sealing_key().id)
    assert set(line.field_digests) == {"ip", "user_agent", "target_repr", "data"}
    assert len(line.field_digests["data"]) == 1 + 3  # the skeleton; email, reason, "x"
    stored = str(line.field_digests) + line.hash + line.key_id
    for value in (IP, AGENT, student.email, "bad_password"):
        assert value not in stored
    assert chain.verify().ok


ERASURE_COVERS = [
    ("ip = '10.9.9.9'", "ip"),
    ("user_agent = 'forged/2'", "user_agent"),
    ("target_repr = 'someone@example.org'", "target_repr"),
    (
        'data = \'{"email": "", "reason": "good_password", "n": 1, "tries": [1, ""]}\'',
        "text value 1",
    ),
    ('data = \'{"email": "", "reason": "", "n": 7, "tries": [1, ""]}\'', "keys, shape"),
    ('data = \'{"forged": ""}\'', "keys, shape"),
    ("data = '{}'", "keys, shape"),
]


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize(
    ("change", "named"),
    ERASURE_COVERS,
    ids=["ip", "user_agent", "target_repr", "data-text", "data-number", "data-keys", "data-gone"],
)
def test_a_rewrite_behind_an_erasure_names_the_field(student, change, named):
    # given: three sealed lines
    lines(student)
    chain.seal_pending()

    # when: the second one is marked erased while a personal field is rewritten, not blanked
    raw(f"{ERASED} {change} WHERE position = 2")

    # then: verification and the command stop at position 2 and name the field
    report = chain.verify()
    assert (report.broken_at, report.checked) == (2, 1)
    assert named in report.reason
    with pytest.raises(CommandError, match=f"Broken at position 2.*{named}") as raised:
        command_output()
    for value in ("10.9.9.9", "forged/2", "someone@example.org", "good_password", "forged"):
        assert value not in str(raised.value)


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("ip = NULL", "ip"),
        ("user_agent = ''", "user_agent"),
        (
            'data = \'{"email": "", "reason": "bad_password", "n": 1, "tries": [1, "x"]}\'',
            "text value 0",
        ),
    ],
    ids=["ip", "user_agent", "data"],
)
def test_a_blank_without_an_erasure_is_a_change(student, change, named):
    lines(student)
    chain.seal_pending()

    raw(f"UPDATE audit_auditlog SET {change} WHERE position = 2")

    report = chain.verify()
    assert report.broken_at == 2
    assert named in report.reason


def test_a_real_erasure_through_the_api_still_verifies(student, client_for):
    # given: sealed lines by and about the student, one about a stranger that names them too
    lines(student)
    stranger = UserFactory()
    record(action="user.login_failed", data={"email": student.email, "also": stranger.email})
    chain.seal_pending()

    # when: the student deletes their account (and the stranger later theirs)
    response = client_for(student).delete("/api/v1/auth/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    chain.seal_pending()
    erase(stranger, needles=(stranger.email.lower(),))

    # then: nothing identifies them, what is not theirs is kept, and the chain verifies
    for line in AuditLog.objects.filter(action="user.login_failed"):
        assert line.erased_at is not None
        assert student.email not in str(line.data)
        assert stranger.email not in str(line.data)
    assert AuditLog.objects.filter(data__reason="bad_password").count() == 3
    assert AuditLog.objects.exclude(ip=None).count() == 0
    report = chain.verify()
    assert (report.ok, report.legacy) == (True, 0)
    assert "verify" in command_output()


def test_version_1_lines_still_verify_before_version_2_lines(student):
    # given: two lines sealed the old way, one of them erased since, then two sealed now
    lines(student, 2)
    seal_the_old_way()
    erase(student, needles=(student.email.lower(),))
    lines(student, 2)
    chain.seal_pending()

    # then: the chain verifies, counting the two old lines
    assert list(AuditLog.objects.order_by("position").values_list("seal_version", flat=True)) == [
        1,
        1,
        2,
        2,
    ]
    report = chain.verify()
    assert (report.ok, report.checked, report.legacy) == (True, 4, 2)
    assert "4 sealed line(s) verify (2 sealed with version 1)" in command_output()


@pytest.mark.tampers_audit_chain
def test_what_version_1_cannot_catch_and_version_2_does(student):
    # given: one line sealed the old way, two sealed now
    lines(student, 1)
    seal_the_old_way()
    lines(student, 2)
    chain.seal_pending()

    # when: the old line is rewritten behind an erasure: the stated limit of version 1
    forge_ip_behind_an_erasure(1)
    assert chain.verify().ok

    # when: a new one is
    forge_ip_behind_an_erasure(3)
    assert chain.verify().broken_at == 3


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("seal_version = 1", "version 1 after a version 2"),  # a downgrade: unkeyed
        ("key_id = '0000000000000000'", "not configured"),
        ("field_digests = '{}'", "digests changed"),
        ("seal_version = 3", "unknown seal version"),
    ],
    ids=["downgrade", "key_id", "digests", "version"],
)
def test_the_seal_columns_are_covered(student, change, reason):
    lines(student)
    chain.seal_pending()

    raw(f"UPDATE audit_auditlog SET {change} WHERE position = 2")

    report = chain.verify()
    assert report.broken_at == 2
    assert reason in report.reason


@pytest.mark.tampers_audit_chain
def test_a_version_1_line_after_a_version_2_line_is_a_break(student):
    lines(student, 1)
    chain.seal_pending()
    lines(student, 1)

    seal_the_old_way()

    report = chain.verify()
    assert report.broken_at == 2
    assert "version 1 after a version 2" in report.reason


@pytest.mark.tampers_audit_chain  # sealed with keys the suite's check after the test lacks
def test_a_wrong_key_fails_and_a_rotated_key_verifies(student):
    # given: lines sealed with a key
    with override_settings(AUDIT_DIGEST_KEY=OLD_KEY):
        lines(student, 2)
        chain.seal_pending()
        assert chain.verify().ok

    # then: under another key, the first line fails, naming the key's id only
    with override_settings(AUDIT_DIGEST_KEY=NEW_KEY):
        report = chain.verify()
        assert report.broken_at == 1
        assert f"key {chain.derive_key(OLD_KEY).id}, which is not configured" in report.reason
        with pytest.raises(CommandError) as raised:
            command_output()
        assert OLD_KEY not in str(raised.value)
        assert NEW_KEY not in str(raised.value)

    # when: the key is rotated (the old one kept for verifying), and a line sealed after it
    with override_settings(AUDIT_DIGEST_KEY=NEW_KEY, AUDIT_DIGEST_OLD_KEYS=[OLD_KEY]):
        lines(student, 1)
        chain.seal_pending()

        # then: both keys' lines verify
        assert chain.verify().ok
        assert AuditLog.objects.order_by("position").last().key_id == chain.derive_key(NEW_KEY).id


@pytest.mark.tampers_audit_chain
def test_no_personal_value_and_no_key_in_logs_or_output(student, caplog):
    caplog.set_level(logging.DEBUG)
    with override_settings(AUDIT_DIGEST_KEY=NEW_KEY):
        lines(student)
        chain.seal_all()
        intact = command_output()
        forge_ip_behind_an_erasure(2)
        with pytest.raises(CommandError) as raised:
            command_output()

    said = caplog.text + intact + str(raised.value) + repr(chain.derive_key(NEW_KEY))
    for secret in (IP, "10.9.9.9", AGENT, student.email, "bad_password", NEW_KEY):
        assert secret not in said
    assert chain.derive_key(NEW_KEY).secret.hex() not in said


@on_postgres
@pytest.mark.parametrize(
    "change",
    ["seal_version = 1", "key_id = ''", "field_digests = '{}'"],
    ids=["seal_version", "key_id", "field_digests"],
)
def test_postgresql_refuses_a_change_of_the_seal_columns(student, change):
    lines(student, 1)
    chain.seal_pending()

    with (
        pytest.raises(DatabaseError, match="a sealed link changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE audit_auditlog SET {change}")


def test_sealing_takes_one_update_a_line(student):
    # given: the head exists (its first creation is a one-off)
    lines(student, 1)
    chain.seal_pending()
    lines(student, 3)

    # when
    with CaptureQueriesContext(connection) as captured:
        assert chain.seal_pending() == 3

    # then: the head locked, the lines read, one UPDATE a line, the head's UPDATE
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert [statement.split()[0] for statement in sql] == ["SELECT", "SELECT"] + ["UPDATE"] * 4
