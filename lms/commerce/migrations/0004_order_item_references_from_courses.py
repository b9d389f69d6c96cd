"""Every existing order item is a course: its reference is its course (data, step 2 of 3)."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    OrderItem = apps.get_model("commerce", "OrderItem")
    OrderItem.objects.filter(reference_id__isnull=True).update(
        kind="course", reference_id=F("course_id")
    )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0003_order_items_of_any_kind")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
