from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.notifications.models import Category, Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "category", "title", "body", "data", "read_at", "created_at"]


class UnreadCountSerializer(serializers.Serializer[dict[str, int]]):
    count = serializers.IntegerField()


@extend_schema_field(
    {
        "type": "object",
        "properties": {category: {"type": "boolean"} for category in Category.values},
        "additionalProperties": False,
    }
)
class CategoryFlagsField(serializers.DictField):
    """`{"<category>": true|false}`: only notification categories as keys (documented so)."""


class EmailPreferencesSerializer(serializers.Serializer[dict[str, object]]):
    """`{"email": {"<category>": true|false, ...}}`; PATCH may name only some categories."""

    email = CategoryFlagsField(child=serializers.BooleanField())

    def validate_email(self, value: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(value) - set(Category.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown categories: {', '.join(unknown)}.", code="invalid_choice"
            )
        return value
