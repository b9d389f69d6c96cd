"""The rollups' triggers on PostgreSQL and their backfill: moved to the latest rollup
migration (0004), because `rollups.install` and `rollups.rebuild` are the current code and
need every rollup table to exist. Databases that ran this migration's earlier version get
the same triggers and figures from 0004."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_rollups"),
        ("catalog", "0004_money_columns_for_every_supported_currency"),
        ("commerce", "0006_manager_group"),
        ("learning", "0001_initial"),
        ("payouts", "0005_money_columns_for_every_supported_currency"),
    ]

    operations = []
