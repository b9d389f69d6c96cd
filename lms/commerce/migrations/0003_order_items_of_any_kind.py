"""Order items carry a sellable kind and a reference (schema, step 1 of 3)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_money_columns_for_every_supported_currency"),
        ("commerce", "0002_money_columns_for_every_supported_currency"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderitem",
            name="kind",
            field=models.CharField(default="course", max_length=30),
        ),
        migrations.AddField(
            model_name="orderitem",
            name="reference_id",
            field=models.UUIDField(null=True),
        ),
        migrations.AlterField(
            model_name="orderitem",
            name="course",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.course",
            ),
        ),
    ]
