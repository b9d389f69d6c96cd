"""Seal version 2 (lms.audit.chain): keyed digests per personal field, covered by the hash.

Adds `seal_version`, `key_id` and `field_digests`. Lines sealed before this migration are
version 1 (`seal_version` 1; the column's default for the rows already there, which adds
it without rewriting the table on PostgreSQL 11+); lines not sealed yet get NULL and are
sealed with version 2. Nothing is re-sealed.

PostgreSQL: the trigger (0004's rules otherwise unchanged) also refuses any change of a
sealed line's `seal_version`, `key_id` and `field_digests`, as of its other chain columns;
sealing (a line whose `position` was NULL) still sets them, once.
"""

import importlib

from django.db import migrations, models

UNSEALED_HAVE_NO_VERSION_SQL = (
    "UPDATE audit_auditlog SET seal_version = NULL WHERE position IS NULL"
)

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit lines are append-only (delete refused)';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
        OR NEW.impersonator_id IS DISTINCT FROM OLD.impersonator_id
        OR NEW.action IS DISTINCT FROM OLD.action
        OR NEW.target_type IS DISTINCT FROM OLD.target_type
        OR NEW.target_id IS DISTINCT FROM OLD.target_id THEN
        RAISE EXCEPTION 'audit lines are append-only (a recorded fact changed)';
    END IF;
    IF OLD.position IS NOT NULL AND (
        NEW.position IS DISTINCT FROM OLD.position
        OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash
        OR NEW.hash IS DISTINCT FROM OLD.hash
        OR NEW.personal_digest IS DISTINCT FROM OLD.personal_digest
        OR NEW.seal_version IS DISTINCT FROM OLD.seal_version
        OR NEW.key_id IS DISTINCT FROM OLD.key_id
        OR NEW.field_digests IS DISTINCT FROM OLD.field_digests) THEN
        RAISE EXCEPTION 'audit lines are append-only (a sealed link changed)';
    END IF;
    IF OLD.erased_at IS NOT NULL AND NEW.erased_at IS NULL THEN
        RAISE EXCEPTION 'audit lines are append-only (an erasure cannot be undone)';
    END IF;
    IF NEW.ip IS DISTINCT FROM OLD.ip
        OR NEW.user_agent IS DISTINCT FROM OLD.user_agent
        OR NEW.target_repr IS DISTINCT FROM OLD.target_repr
        OR NEW.data IS DISTINCT FROM OLD.data THEN
        IF NEW.erased_at IS NULL THEN
            RAISE EXCEPTION 'audit lines are append-only (personal fields change only by erasure)';
        END IF;
        IF (NEW.ip IS DISTINCT FROM OLD.ip AND NEW.ip IS NOT NULL)
            OR (NEW.user_agent IS DISTINCT FROM OLD.user_agent AND NEW.user_agent <> '')
            OR (NEW.target_repr IS DISTINCT FROM OLD.target_repr AND NEW.target_repr <> '')
            OR NOT audit_json_scrubbed(OLD.data, NEW.data) THEN
            RAISE EXCEPTION 'audit lines are append-only (an erasure only blanks personal fields)';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def seal_columns_in_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def previous_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("lms.audit.migrations.0004_erasure_only_blanks")
        schema_editor.execute(previous.TIGHTENED_SQL)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_erasure_only_blanks")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="field_digests",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="seal_version",
            field=models.PositiveSmallIntegerField(blank=True, null=True, default=1),
            preserve_default=False,
        ),
        migrations.RunSQL(UNSEALED_HAVE_NO_VERSION_SQL, migrations.RunSQL.noop),
        migrations.RunPython(seal_columns_in_trigger, previous_trigger),
    ]
