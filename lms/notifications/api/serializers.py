from rest_framework import serializers

from lms.notifications.models import Category, Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "category", "title", "body", "data", "read_at", "created_at"]


class UnreadCountSerializer(serializers.Serializer[dict[str, int]]):
    count = serializers.IntegerField()


class EmailPreferencesSerializer(serializers.Serializer[dict[str, object]]):
    """`{"email": {"<category>": true|false, ...}}`; PATCH may name only some categories."""

    email = serializers.DictField(child=serializers.BooleanField())

    def validate_email(self, value: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(value) - set(Category.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown categories: {', '.join(unknown)}.", code="invalid_choice"
            )
        return value
