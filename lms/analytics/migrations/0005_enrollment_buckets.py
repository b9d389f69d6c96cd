"""The enrollment-bucket rollup. Its triggers and backfill are installed by the latest rollup
migration (0006): `rollups.install` and `rebuild` are the current code and need every rollup
table and column to exist."""

from django.db import migrations, models


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
    ]
