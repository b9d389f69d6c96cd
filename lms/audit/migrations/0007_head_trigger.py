"""PostgreSQL: the chain head (one row) is not deleted, never moves back, and keeps the
`legacy_until` migration 0006 gave it, as the lines' trigger (0002, 0004, 0005) guards
them; sealing only moves it forward. Whoever can disable triggers is not stopped: the
head's MAC (lms.audit.chain `head_seal`) is what `verify` checks then. TRUNCATE (a test
database's flush) is not a row operation and stays possible for the owner.
"""

from django.db import migrations

HEAD_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_chainhead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head is not deleted';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
        OR NEW.position < OLD.position
        OR NEW.legacy_until IS DISTINCT FROM OLD.legacy_until THEN
        RAISE EXCEPTION 'the audit chain head only moves forward (legacy_until fixed)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_chainhead_forward_only ON audit_auditchainhead;
CREATE TRIGGER audit_chainhead_forward_only
    BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_chainhead_forward_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS audit_chainhead_forward_only ON audit_auditchainhead;
DROP FUNCTION IF EXISTS audit_chainhead_forward_only();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_sealed_chain_head")]

    operations = [migrations.RunPython(add_trigger, drop_trigger)]
