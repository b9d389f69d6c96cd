from typing import Any

from django.db import migrations, models

from lms.analytics import rollups


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(rollups.DROP)


def install_and_backfill(apps: Any, schema_editor: Any) -> None:
    """The triggers (on PostgreSQL) and every rollup filled from the rows. `rollups.install`
    and `rebuild` are the current code: only the latest rollup migration may call them (a
    later table would not exist yet when an earlier migration ran them)."""
    rollups.install(schema_editor.connection)
    rollups.rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_enrollment_days"),
    ]

    operations = [
        migrations.CreateModel(
            name="EnrollmentBuckets",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("course_id", models.UUIDField()),
                ("bucket", models.DateTimeField()),
                ("enrollments", models.IntegerField(default=0)),
            ],
            options={
                "abstract": False,
                "required_db_features": ["supports_covering_indexes"],
                "indexes": [
                    models.Index(
                        fields=["bucket"],
                        include=("enrollments",),
                        name="analytics_enrollment_time_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("course_id", "bucket"),
                        include=("enrollments",),
                        name="analytics_enrollment_bucket_key",
                    )
                ],
            },
        ),
        migrations.RunPython(install_and_backfill, uninstall),
    ]
