"""The chain head's seal (lms.audit.chain `head_seal`): `legacy_until`, `key_id`, `mac`.

`legacy_until` is the last position sealed with seal version 1 (before migration 0005),
counted only up to the first version-2 line (a version-1 line after one is a break anyway);
0 when no line was sealed so, as on a new database. The head row is created if absent
(position 0), and sealed with the configured key (`AUDIT_DIGEST_KEY`, or `SECRET_KEY`), so
no head is left without a MAC: `verify` reports a head without one as a break. Run it with
the settings the application runs with, or the head's key will not be configured.

What this cannot undo: a downgrade done before it runs (lines re-sealed as version 1
between migration 0005 and this one) is taken as the legacy prefix.
"""

from django.db import migrations, models
from django.db.models import Max


def seal_the_head(apps, schema_editor):
    from lms.audit import chain

    head_model = apps.get_model("audit", "AuditChainHead")
    line_model = apps.get_model("audit", "AuditLog")
    legacy = line_model.objects.filter(seal_version=chain.LEGACY_SEAL, position__isnull=False)
    first_v2 = line_model.objects.filter(
        seal_version=chain.SEAL_VERSION, position__isnull=False
    ).aggregate(first=models.Min("position"))["first"]
    if first_v2 is not None:
        legacy = legacy.filter(position__lt=first_v2)
    legacy_until = legacy.aggregate(last=Max("position"))["last"] or 0
    head, _ = head_model.objects.get_or_create(id=1)
    seal = chain.head_seal(
        position=head.position,
        hash=head.hash or chain.GENESIS,
        legacy_until=legacy_until,
        key=chain.sealing_key(),
    )
    head_model.objects.filter(id=1).update(legacy_until=legacy_until, **seal)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_field_digests")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="legacy_until",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(seal_the_head, migrations.RunPython.noop),
    ]
