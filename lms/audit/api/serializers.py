from rest_framework import serializers

from lms.audit.models import AuditLog


class AuditLogSerializer(serializers.ModelSerializer[AuditLog]):
    actor = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "actor",
            "impersonator",
            "action",
            "target",
            "ip",
            "user_agent",
            "data",
            "created_at",
            "position",
            "hash",
        ]

    impersonator = serializers.SerializerMethodField()
    position = serializers.IntegerField(
        allow_null=True, help_text="Its place in the hash chain; null until sealed."
    )
    hash = serializers.CharField(
        help_text=(
            "The hash sealing it to the line before (SHA-256 for seal version 1, keyed "
            "BLAKE2b-256 from version 2); 64 hex digits, empty until sealed."
        )
    )

    def get_actor(self, obj: AuditLog) -> dict[str, str] | None:
        if obj.actor is None:
            return None
        return {"id": str(obj.actor.pk), "email": obj.actor.email}

    def get_impersonator(self, obj: AuditLog) -> dict[str, str] | None:
        if obj.impersonator is None:
            return None
        return {"id": str(obj.impersonator.pk), "email": obj.impersonator.email}

    def get_target(self, obj: AuditLog) -> dict[str, str]:
        return {"type": obj.target_type, "id": obj.target_id, "repr": obj.target_repr}
