"""One item per kind and reference in an order; a course item names its course (step 3 of 3)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("commerce", "0004_order_item_references_from_courses")]

    operations = [
        migrations.AlterField(
            model_name="orderitem",
            name="reference_id",
            field=models.UUIDField(),
        ),
        migrations.RemoveConstraint(
            model_name="orderitem",
            name="commerce_one_item_per_course",
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.UniqueConstraint(
                fields=("order", "kind", "reference_id"), name="commerce_one_item_per_reference"
            ),
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "course"), _negated=True)
                | models.Q(("course_id", models.F("reference_id"))),
                name="commerce_course_item_names_its_course",
            ),
        ),
    ]
