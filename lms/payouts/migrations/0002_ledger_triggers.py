"""PostgreSQL guards of the ledger (SQLite relies on the services' own checks).

- A DEFERRABLE INITIALLY DEFERRED constraint trigger refuses, at commit, any ledger
  transaction whose legs do not sum to zero per currency.
- Row triggers refuse UPDATE and DELETE of ledger rows: the ledger is append-only.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payouts_assert_transaction_balanced() RETURNS trigger AS $$
DECLARE
    checked uuid;
    offending record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        checked := OLD.transaction_id;
    ELSE
        checked := NEW.transaction_id;
    END IF;
    SELECT currency, SUM(amount) AS total INTO offending
      FROM payouts_ledgerentry
     WHERE transaction_id = checked
     GROUP BY currency
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: its % legs sum to %',
            checked, offending.currency, offending.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payouts_ledgerentry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON payouts_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payouts_assert_transaction_balanced();

CREATE OR REPLACE FUNCTION payouts_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON payouts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_ledger_change();

CREATE TRIGGER payouts_ledgertransaction_append_only
    BEFORE UPDATE OR DELETE ON payouts_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_ledger_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payouts_ledgertransaction_append_only ON payouts_ledgertransaction;
DROP TRIGGER IF EXISTS payouts_ledgerentry_append_only ON payouts_ledgerentry;
DROP FUNCTION IF EXISTS payouts_refuse_ledger_change();
DROP TRIGGER IF EXISTS payouts_ledgerentry_balanced ON payouts_ledgerentry;
DROP FUNCTION IF EXISTS payouts_assert_transaction_balanced();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False),
    ]
