"""PostgreSQL: an erasure may only blank personal fields, never rewrite them.

Migration 0002's trigger let an UPDATE that sets `erased_at` change `ip`, `user_agent`,
`target_repr` and `data` to anything (the chain does not verify an erased line's personal
fields), so a forged IP or payload could hide behind an erasure. Now such an UPDATE must
look like `lms.audit.personal_data.erase`: `ip` unchanged or NULL, `user_agent` and
`target_repr` unchanged or empty, `data` the same JSON with some strings emptied
(`audit_json_scrubbed`), and `erased_at`, once set, never cleared. Everything else is
0002's rule, unchanged.
"""

import importlib

from django.db import migrations

TIGHTENED_SQL = """
CREATE OR REPLACE FUNCTION audit_json_scrubbed(old jsonb, new jsonb) RETURNS boolean AS $$
DECLARE
    k text;
    i integer;
BEGIN
    IF old IS NOT DISTINCT FROM new THEN
        RETURN true;
    END IF;
    IF old IS NULL OR new IS NULL THEN
        RETURN false;
    END IF;
    IF jsonb_typeof(old) = 'string' THEN
        RETURN new = '""'::jsonb;
    END IF;
    IF jsonb_typeof(old) <> jsonb_typeof(new) THEN
        RETURN false;
    END IF;
    IF jsonb_typeof(old) = 'object' THEN
        IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(old) AS x)
            IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(new) AS x) THEN
            RETURN false;
        END IF;
        FOR k IN SELECT jsonb_object_keys(old) LOOP
            IF NOT audit_json_scrubbed(old -> k, new -> k) THEN
                RETURN false;
            END IF;
        END LOOP;
        RETURN true;
    END IF;
    IF jsonb_typeof(old) = 'array' THEN
        IF jsonb_array_length(old) <> jsonb_array_length(new) THEN
            RETURN false;
        END IF;
        FOR i IN 0 .. jsonb_array_length(old) - 1 LOOP
            IF NOT audit_json_scrubbed(old -> i, new -> i) THEN
                RETURN false;
            END IF;
        END LOOP;
        RETURN true;
    END IF;
    RETURN false;
END;
$$ LANGUAGE plpgsql IMMUTABLE;

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
        OR NEW.personal_digest IS DISTINCT FROM OLD.personal_digest) THEN
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

DROP_HELPER_SQL = "DROP FUNCTION IF EXISTS audit_json_scrubbed(jsonb, jsonb);"


def tighten(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TIGHTENED_SQL)


def loosen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("lms.audit.migrations.0002_append_only_hash_chain")
        schema_editor.execute(previous.APPEND_ONLY_SQL)
        schema_editor.execute(DROP_HELPER_SQL)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_base_manager_refuses")]

    operations = [migrations.RunPython(tighten, loosen)]
