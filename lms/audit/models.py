from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from lms.core.models import BaseModel


class AppendOnly(Exception):
    """An audit line was about to be changed or deleted through the ORM."""


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    """Lines are only added. `update` and `delete` refuse; the two sanctioned writes to an
    existing line (sealing it into the chain, erasing a person's data from it) go through
    `lms.audit.chain`, which uses `_write`."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit lines are append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnly("Audit lines are append-only.")

    # What Model.save_base and the delete collector's fast path call, below `update` and
    # `delete`: refused too, so no ORM path changes a line (the base manager included).
    def _update(self, values: Any) -> NoReturn:
        raise AppendOnly("Audit lines are append-only.")

    def _raw_delete(self, using: Any) -> NoReturn:
        raise AppendOnly("Audit lines are append-only.")

    def _write(self, **kwargs: Any) -> int:
        return super().update(**kwargs)


class AuditLog(BaseModel):
    """One security- or money-relevant action: who did what to which object, from where.

    Append-only and hash-chained (`lms.audit.chain`): a line is inserted unsealed, then
    sealed after its transaction commits with its `position` in the chain, the previous
    line's `hash` and its own. On PostgreSQL a trigger refuses any DELETE and any UPDATE
    that touches what the hash covers (migration 0002); the ORM refuses both
    (`AuditLogQuerySet`, `save`, `delete`).

    What identifies a person (`ip`, `user_agent`, `target_repr`, `data`) is sealed through
    keyed digests per field (`field_digests`, seal version 2; `personal_digest` for lines
    sealed with version 1), so a person's deletion (`erased_at`) can blank those fields while
    the chain still verifies, and a field rewritten instead of blanked does not.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A line records a fact: its actor's id stays, whatever happens to the account.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Staff acting as someone else (`record(impersonator=...)`); no endpoint impersonates today.
    impersonator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    # The chain (lms.audit.chain): null/empty until the line is sealed.
    position = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    personal_digest = models.CharField(max_length=64, blank=True)  # seal version 1 only
    # 1: sha256 and `personal_digest`; 2: HMAC with `key_id`'s key and `field_digests`.
    seal_version = models.PositiveSmallIntegerField(null=True, blank=True)
    key_id = models.CharField(max_length=16, blank=True)
    field_digests = models.JSONField(default=dict, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        # Django's own paths (related lookups, save_base, refresh_from_db) use the base
        # manager: the refusing one, not a plain Manager that would update and delete.
        base_manager_name = "objects"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"]),
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(position__isnull=True),
                name="audit_unsealed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__isnull=True, hash="")
                | (models.Q(position__isnull=False) & ~models.Q(hash="")),
                name="audit_sealed_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit lines are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit lines are append-only.")


class AuditChainHead(models.Model):
    """The chain's last sealed line (one row, id 1): its position and hash. Sealing locks
    this row, so lines are chained one sealer at a time, in commit order.

    `legacy_until` is the last position sealed with seal version 1 (0: none; fixed by
    migration 0006, never changed after). `mac` is a keyed BLAKE2b-256 (key `key_id`) over
    position, hash and `legacy_until` (`lms.audit.chain.head_seal`), rewritten with them
    by every seal: who can write the table but has not the key cannot move the head back
    (cut the tail) nor the legacy boundary up (re-seal lines as version 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    legacy_until = models.PositiveBigIntegerField(default=0)
    key_id = models.CharField(max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_one_head")]

    def __str__(self) -> str:
        return f"audit chain head at {self.position}"
