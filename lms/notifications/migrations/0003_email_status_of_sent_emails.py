"""Notifications emailed before the digest existed count as sent on their own."""

from django.db import migrations


def mark_sent(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(emailed_at__isnull=False, email_status="").update(
        email_status="sent"
    )


def unmark(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(email_status__in=["pending", "skipped"]).update(email_status="")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_email_status")]

    operations = [migrations.RunPython(mark_sent, unmark)]
