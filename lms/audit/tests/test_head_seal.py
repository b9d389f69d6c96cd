"""The chain head's seal (lms.audit.chain `head_seal`, migrations 0006 and 0007): a chain
re-sealed as version 1 (a downgrade) and a tail cut with the head moved back are breaks;
a new database, a chain with version-1 lines and a rotated key still verify; an old head
put back with its MAC is caught only by a head kept elsewhere (`--expect-at-least`)."""

from __future__ import annotations

import importlib
import io
import logging

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from lms.audit import chain
from lms.audit.models import AuditChainHead, AuditLog
from lms.audit.tests.test_field_digests import (
    NEW_KEY,
    OLD_KEY,
    head_trigger_off,
    lines,
    raw,
    seal_the_old_way,
    tamper_head,
)

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
migration_0006 = importlib.import_module("lms.audit.migrations.0006_sealed_chain_head")


def seal_the_head(apps, schema_editor):
    """Migration 0006's data step, run again with the head's trigger (0007) off."""
    with head_trigger_off():
        migration_0006.seal_the_head(apps, schema_editor)


def output(*args):
    out = io.StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def pk(line):
    return line.pk.hex if connection.vendor == "sqlite" else str(line.pk)


def resealed_as_version_1():
    """Re-seal every sealed line with version 1 (unkeyed sha256), as the table's writer can
    without the key; the last hash."""
    prev = chain.GENESIS
    for line in AuditLog.objects.filter(position__isnull=False).order_by("position"):
        personal = chain.personal_digest(line)
        sealed = chain.line_hash(line, position=line.position, prev_hash=prev, personal=personal)
        raw(
            "UPDATE audit_auditlog SET seal_version = 1, personal_digest = %s, hash = %s, "
            "prev_hash = %s, key_id = '', field_digests = '{}' WHERE id = %s",
            [personal, sealed, prev, pk(line)],
        )
        prev = sealed
    return prev


def the_head():
    return AuditChainHead.objects.values("position", "hash", "legacy_until", "key_id", "mac").get()


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize("boundary_moved", [False, True], ids=["head-hash", "head-boundary"])
def test_a_chain_rewritten_as_version_1_is_a_break(student, boundary_moved):
    # given: four lines sealed with version 2
    lines(student, 4)
    chain.seal_all()

    # when: line 2's IP and action are forged, every line re-sealed as version 1 and the
    # head's hash set (and, the second time, its legacy boundary moved up to cover them)
    raw("UPDATE audit_auditlog SET ip = '10.6.6.6', action = 'user.login' WHERE position = 2")
    last = resealed_as_version_1()
    tamper_head(hash=last, **({"legacy_until": 4} if boundary_moved else {}))

    # then: the first line above the boundary, or the head, is the break
    report = chain.verify()
    assert not report.ok
    if boundary_moved:
        assert (report.broken_at, report.line_id) == (5, None)
        assert "chain head" in report.reason
        expected = "Broken at position 5 \\(the chain head\\)"
    else:
        assert (report.broken_at, report.checked) == (1, 0)
        assert "version 1 above the last version-1 position the chain head vouches for (0)" in (
            report.reason
        )
        expected = "Broken at position 1 \\(line "
    with pytest.raises(CommandError, match=expected) as raised:
        output()
    assert "10.6.6.6" not in str(raised.value)


@pytest.mark.tampers_audit_chain
def test_a_cut_tail_with_the_head_moved_back_is_a_break_and_stops_sealing(student, caplog):
    # given: four sealed lines
    lines(student, 4)
    chain.seal_all()
    third = AuditLog.objects.get(position=3)

    # when: the last line is deleted and the head set to the third line's position and hash
    raw("DELETE FROM audit_auditlog WHERE position = 4")
    tamper_head(position=3, hash=third.hash)

    # then: the head's MAC fails
    report = chain.verify()
    assert (report.broken_at, report.checked, report.line_id) == (4, 3, None)
    assert "the chain head's position, hash or legacy boundary changed" in report.reason
    with pytest.raises(CommandError, match="Broken at position 4 \\(the chain head\\)"):
        output()

    # and: no sealer vouches for that head: sealing refuses, eager sealing only logs
    lines(student, 1)
    with pytest.raises(chain.HeadDoesNotVerify):
        chain.seal_pending()
    caplog.set_level(logging.ERROR)
    chain.seal_after_commit()
    assert "audit_chain_head_does_not_verify" in caplog.text
    assert chain.verify().unsealed == 1


@pytest.mark.tampers_audit_chain
@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"mac": ""}, "carries no MAC"),
        ({"key_id": "0000000000000000"}, "key 0000000000000000, which is not configured"),
        ({"legacy_until": 2}, "legacy boundary changed"),
    ],
    ids=["no-mac", "unknown-key", "boundary"],
)
def test_a_head_that_does_not_verify_is_a_break(student, columns, reason):
    lines(student, 2)
    chain.seal_all()

    tamper_head(**columns)

    report = chain.verify()
    assert report.broken_at == 3
    assert reason in report.reason


def test_a_new_database_gets_a_sealed_empty_head_and_verifies(student):
    # given: no head and no line (a new database), then migration 0006
    delete_the_head()
    seal_the_head(django_apps, None)

    # then: an empty head, sealed; the chain verifies, and seals on top of it
    head = the_head()
    assert (head["position"], head["legacy_until"], head["key_id"]) == (
        0,
        0,
        chain.sealing_key().id,
    )
    assert head["mac"]
    assert chain.verify().ok
    lines(student, 2)
    chain.seal_pending()
    report = chain.verify()
    assert (report.ok, report.checked, report.legacy) == (True, 2, 0)
    assert the_head()["legacy_until"] == 0


def delete_the_head():
    with head_trigger_off(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead")


def test_a_chain_with_version_1_lines_gets_its_boundary_and_verifies(student):
    # given: two lines sealed before seal version 2, the head as it was before 0006
    lines(student, 2)
    seal_the_old_way()
    tamper_head(legacy_until=0, key_id="", mac="")

    # when: migration 0006 runs, then lines are sealed with version 2
    seal_the_head(django_apps, None)
    lines(student, 2)
    chain.seal_pending()

    # then: the boundary is the last version-1 line, and the chain verifies
    assert the_head()["legacy_until"] == 2
    report = chain.verify()
    assert (report.ok, report.checked, report.legacy) == (True, 4, 2)


@pytest.mark.tampers_audit_chain
def test_the_boundary_stops_at_the_first_version_2_line(student):
    # given: a version-1 line, a version-2 line, a version-1 line after it (a downgrade
    # done before 0006 ran); 0006 runs
    lines(student, 1)
    seal_the_old_way()
    lines(student, 1)
    chain.seal_pending()
    lines(student, 1)
    seal_the_old_way()
    tamper_head(legacy_until=0, key_id="", mac="")
    seal_the_head(django_apps, None)

    # then: the boundary is 1 and the third line a break
    assert the_head()["legacy_until"] == 1
    report = chain.verify()
    assert report.broken_at == 3


@pytest.mark.tampers_audit_chain  # sealed with keys the suite's check after the test lacks
def test_a_rotated_key_verifies_the_head(student):
    # given: lines and the head sealed with the old key
    with override_settings(AUDIT_DIGEST_KEY=OLD_KEY):
        lines(student, 2)
        chain.seal_pending()
        assert the_head()["key_id"] == chain.derive_key(OLD_KEY).id

    # then: after rotation the head (still under the old key) verifies, and the next seal
    # moves it to the new key
    with override_settings(AUDIT_DIGEST_KEY=NEW_KEY, AUDIT_DIGEST_OLD_KEYS=[OLD_KEY]):
        assert chain.verify().ok
        lines(student, 1)
        chain.seal_pending()
        assert the_head()["key_id"] == chain.derive_key(NEW_KEY).id
        assert chain.verify().ok
        said = output()

    # and: without the old key, nothing sealed with it verifies; no key is ever printed
    with override_settings(AUDIT_DIGEST_KEY=NEW_KEY), pytest.raises(CommandError) as raised:
        output()
    for text in (said, str(raised.value)):
        assert OLD_KEY not in text
        assert NEW_KEY not in text
        assert chain.derive_key(NEW_KEY).secret.hex() not in text


@pytest.mark.tampers_audit_chain
def test_an_old_head_put_back_is_caught_only_by_a_head_kept_elsewhere(student):
    # given: three sealed lines; the head's row copied (its MAC included); a fourth line,
    # and the command's head printed, kept by an operator
    lines(student, 3)
    chain.seal_all()
    snapshot = the_head()
    lines(student, 1)
    chain.seal_all()
    kept = output().splitlines()[-1].removeprefix("head ")
    assert kept == f"4:{AuditLog.objects.get(position=4).hash}"
    assert "--expect-at-least" not in kept
    output("--expect-at-least", kept)  # holds

    # when: the fourth line is deleted and the old head put back whole
    raw("DELETE FROM audit_auditlog WHERE position = 4")
    tamper_head(**snapshot)

    # then: the chain itself cannot tell (the stated limit), the kept head can
    assert chain.verify().ok
    with pytest.raises(CommandError, match="no longer holds line 4"):
        output("--expect-at-least", kept)
    output("--expect-at-least", f"3:{snapshot['hash']}")


@pytest.mark.parametrize("value", ["4", "0:" + "a" * 64, "4:xyz", "4:" + "A" * 64])
def test_expect_at_least_takes_a_position_and_a_hash(value):
    with pytest.raises(CommandError):
        output("--expect-at-least", value)


def test_sealing_keeps_the_head_sealed_in_the_same_update(student):
    lines(student, 2)

    chain.seal_pending()

    head = AuditChainHead.objects.get()
    key = chain.sealing_key()
    assert head.mac == chain.head_mac(key, position=2, hash=head.hash, legacy_until=0)


@on_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_auditchainhead",
        "UPDATE audit_auditchainhead SET position = position - 1",
        "UPDATE audit_auditchainhead SET legacy_until = 5",
    ],
    ids=["delete", "back", "boundary"],
)
def test_postgresql_keeps_the_head_moving_forward(student, sql):
    lines(student, 2)
    chain.seal_pending()

    with (
        pytest.raises(DatabaseError, match="audit chain head"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_the_head_is_copied_to_the_log_every_hour(student, caplog, settings):
    # given: a sealed chain
    from lms.audit.tasks import log_audit_chain_head

    lines(student, count=2)
    chain.seal_all()
    head = chain.current_head()

    # when
    with caplog.at_level("INFO", logger="lms.audit.tasks"):
        logged = log_audit_chain_head()

    # then: the position and hash, as `--expect-at-least` takes them; no key in the line
    assert logged == {"position": head.position, "hash": head.hash}
    [line] = [r for r in caplog.records if r.getMessage() == "audit_chain_head"]
    assert (line.position, line.hash) == (2, head.hash)  # type: ignore[attr-defined]
    assert settings.SECRET_KEY not in str(line.__dict__)
    assert "audit-log-chain-head" in settings.CELERY_BEAT_SCHEDULE
