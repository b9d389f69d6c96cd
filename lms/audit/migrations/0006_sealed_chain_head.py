"""The chain head's seal (lms.audit.chain `head_seal`): `legacy_until`, `key_id`, `mac`.

`legacy_until` is the last position sealed with seal version 1 (before migration 0005),
counted only up to the first version-2 line (a version-1 line after one is a break anyway);
0 when no line was sealed so, as on a new database. The head row is created if absent
(position 0), and sealed with the configured key (`AUDIT_DIGEST_KEY`, or `SECRET_KEY`), so
no head is left without a MAC: `verify` reports a head without one as a break. Run it with
the settings the application runs with, or the head's key will not be configured.

What this cannot undo: a downgrade done before it runs (lines re-sealed as version 1
between migration 0005 and this one) is taken as the legacy prefix.

The seal is computed by this file's own copy of what lms.audit.chain did when it was written
(`derive_key`, `sealing_key`, `head_mac`, trimmed), not by importing it: a later change to
chain.py must not change what this migration writes.
"""

import hashlib
import hmac

import orjson
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max

GENESIS = "0" * 64
LEGACY_SEAL = 1
SEAL_VERSION = 2
_KEY_LABEL = b"lms.audit.chain field digests"
_KEY_ID_LABEL = b"lms.audit.chain key id"


def _sealing_key():
    """(key id, key) derived from `AUDIT_DIGEST_KEY`, or `SECRET_KEY` when empty."""
    secret = getattr(settings, "AUDIT_DIGEST_KEY", "") or settings.SECRET_KEY
    key = hmac.digest(secret.encode(), _KEY_LABEL, "sha256")
    return hmac.digest(key, _KEY_ID_LABEL, "sha256")[:8].hex(), key


def _head_seal(*, position, hash, legacy_until):
    """The head's `key_id` and `mac`: keyed BLAKE2b-256 of its canonical JSON."""
    key_id, key = _sealing_key()
    payload = {
        "kind": "audit chain head",
        "position": position,
        "hash": hash or GENESIS,
        "legacy_until": legacy_until,
        "key_id": key_id,
    }
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return {"key_id": key_id, "mac": hashlib.blake2b(body, key=key, digest_size=32).hexdigest()}


def seal_the_head(apps, schema_editor):
    head_model = apps.get_model("audit", "AuditChainHead")
    line_model = apps.get_model("audit", "AuditLog")
    legacy = line_model.objects.filter(seal_version=LEGACY_SEAL, position__isnull=False)
    first_v2 = line_model.objects.filter(
        seal_version=SEAL_VERSION, position__isnull=False
    ).aggregate(first=models.Min("position"))["first"]
    if first_v2 is not None:
        legacy = legacy.filter(position__lt=first_v2)
    legacy_until = legacy.aggregate(last=Max("position"))["last"] or 0
    head, _ = head_model.objects.get_or_create(id=1)
    seal = _head_seal(position=head.position, hash=head.hash, legacy_until=legacy_until)
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
