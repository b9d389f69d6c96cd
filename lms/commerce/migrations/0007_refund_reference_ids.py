# Refund.course_ids -> Refund.reference_ids: a refund covers order items of any kind (course
# or booking ids). The column keeps its name (`db_column`): no SQL runs.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0006_manager_group"),
    ]

    operations = [
        migrations.AlterField(
            model_name="refund",
            name="course_ids",
            field=models.JSONField(db_column="course_ids", default=list),
        ),
        migrations.RenameField(
            model_name="refund",
            old_name="course_ids",
            new_name="reference_ids",
        ),
    ]
