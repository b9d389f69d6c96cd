"""The rollups' triggers on PostgreSQL, and the rollups filled from the existing rows
(lms/analytics/rollups.py). Nothing on SQLite: the selectors read the sources there."""

from typing import Any

from django.db import migrations

from lms.analytics import rollups


def install_and_backfill(apps: Any, schema_editor: Any) -> None:
    rollups.install(schema_editor.connection)
    rollups.rebuild(schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(rollups.DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_rollups"),
        ("catalog", "0004_money_columns_for_every_supported_currency"),
        ("commerce", "0006_manager_group"),
        ("learning", "0001_initial"),
        ("payouts", "0005_money_columns_for_every_supported_currency"),
    ]

    operations = [migrations.RunPython(install_and_backfill, uninstall)]
