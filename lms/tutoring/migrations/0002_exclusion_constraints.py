"""PostgreSQL only: no two slots of one tutor overlap, no two active bookings of one tutor
overlap (exclusion constraints over tstzrange with btree_gist). On SQLite the services check
the same rules under the tutor's lock (docs/tutoring.md)."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

SLOT = (
    "ALTER TABLE tutoring_availabilityslot ADD CONSTRAINT tutoring_slot_no_overlap "
    "EXCLUDE USING gist (tutor_id WITH =, tstzrange(start, \"end\", '[)') WITH &&)"
)
BOOKING = (
    "ALTER TABLE tutoring_booking ADD CONSTRAINT tutoring_booking_no_overlap "
    "EXCLUDE USING gist (tutor_id WITH =, tstzrange(start, blocked_end, '[)') WITH &&) "
    "WHERE (status IN ('pending', 'paid', 'confirmed', 'completed'))"
)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SLOT)
        schema_editor.execute(BOOKING)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE tutoring_availabilityslot DROP CONSTRAINT tutoring_slot_no_overlap"
        )
        schema_editor.execute("ALTER TABLE tutoring_booking DROP CONSTRAINT tutoring_booking_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("tutoring", "0001_initial")]

    operations = [BtreeGistExtension(), migrations.RunPython(add, remove)]
