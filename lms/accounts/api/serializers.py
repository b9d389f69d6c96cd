from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from lms.accounts import universities
from lms.accounts.models import (
    InstructorApplication,
    InstructorProfile,
    Role,
    StudentProfile,
    University,
    User,
)
from lms.core.absolute_urls import absolute_url, file_url
from lms.core.money import DEFAULT_CURRENCY
from lms.core.schema import ClientErrorSerializer
from lms.core.serializers import (
    AmountField,
    AmountInputField,
    CurrencyInputField,
    check_amount_decimals,
)
from lms.core.uploads import DOCUMENT_TYPES, IMAGE_TYPES, MB, ValidatedFileField

_TIMEZONES = sorted(available_timezones())

# --- input -----------------------------------------------------------------------------------


class RegisterInputSerializer(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)


class VerifyEmailInputSerializer(serializers.Serializer[dict[str, Any]]):
    """Either `{token}` or `{email, code}`."""

    required_together = [("token",), ("email", "code")]  # the document's anyOf (lms.core.schema)
    token = serializers.CharField(required=False, max_length=200)
    email = serializers.EmailField(required=False, max_length=254)
    # ASCII digits only: `\d` in Python's `re` also matches full-width and other Unicode digits
    code = serializers.RegexField(r"^[0-9]{6}$", required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("token") and not (attrs.get("email") and attrs.get("code")):
            raise serializers.ValidationError(
                "Send either a token or an email with its code.", code="required"
            )
        return attrs


class EmailInputSerializer(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)


class LoginInputSerializer(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer[dict[str, Any]]):
    refresh = serializers.CharField(max_length=2000)


class TokenPairSerializer(serializers.Serializer[dict[str, Any]]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class ChangePasswordInputSerializer(serializers.Serializer[dict[str, Any]]):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetConfirmInputSerializer(VerifyEmailInputSerializer):
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class StudentProfileInputSerializer(serializers.ModelSerializer[StudentProfile]):
    """The profile fields a student (anyone but an instructor) may change."""

    timezone = serializers.ChoiceField(choices=_TIMEZONES, required=False)
    currency = CurrencyInputField(required=False)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)

    class Meta:
        model = StudentProfile
        fields = ["bio", "language", "country", "timezone", "currency", "education"]


class InstructorProfileInputSerializer(serializers.ModelSerializer[InstructorProfile]):
    """The profile fields an instructor may change."""

    timezone = serializers.ChoiceField(choices=_TIMEZONES, required=False)
    currency = CurrencyInputField(required=False)
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=30, required=False
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=20, required=False
    )
    hourly_rate = AmountInputField(required=False)
    payout_details = serializers.DictField(
        child=serializers.CharField(max_length=200), required=False
    )

    class Meta:
        model = InstructorProfile
        fields = [
            "headline",
            "bio",
            "skills",
            "languages",
            "hourly_rate",
            "currency",
            "timezone",
            "payout_details",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The rate is exact in its currency: the one sent, else the profile's own. A new
        currency without a new rate checks the stored rate (40.50 cannot become JPY: 400
        `invalid_amount` on `hourly_rate`, nothing rounded), as a course's price does."""
        user = self.context.get("user")
        stored = getattr(user, "instructor_profile", None) if user is not None else None
        currency = str(attrs.get("currency") or getattr(stored, "currency", DEFAULT_CURRENCY))
        rate = (
            attrs
            if "hourly_rate" in attrs
            else {"hourly_rate": getattr(stored, "hourly_rate", None)}
        )
        check_amount_decimals(rate, amount="hourly_rate", currency=currency, chargeable=True)
        return attrs


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


class MeUpdateInputSerializer(serializers.Serializer[dict[str, Any]]):
    """Names and the profile; `role`, `email` and verification are not accepted here."""

    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    # An open object in the document: which fields are read depends on the caller's role, which
    # the body does not carry. A schema per role (`anyOf`) would accept for a student what
    # only an instructor may send (a 10,000-character `bio`, the student's limit is 5,000)
    # and the other way round, so the fields are listed in the description instead.
    profile = serializers.DictField(
        required=False,
        help_text="The profile fields to change, only those sent, by the caller's role. An "
        f"instructor's: {_listed(InstructorProfileInputSerializer.Meta.fields)}; anyone "
        f"else's: {_listed(StudentProfileInputSerializer.Meta.fields)}. A value its field "
        "refuses: 400 `validation_error`, `attr` `profile.<field>`; other keys (the other "
        "role's fields among them) are ignored.",
    )

    def validate_profile(self, value: dict[str, Any]) -> dict[str, Any]:
        user: User = self.context["user"]
        profile_serializer: serializers.Serializer[Any] = (
            InstructorProfileInputSerializer(data=value, partial=True, context={"user": user})
            if user.role == Role.INSTRUCTOR
            else StudentProfileInputSerializer(data=value, partial=True)
        )
        profile_serializer.is_valid(raise_exception=True)
        return dict(profile_serializer.validated_data)


class AvatarInputSerializer(serializers.Serializer[dict[str, Any]]):
    avatar = ValidatedFileField(allowed=IMAGE_TYPES, max_bytes=5 * MB)


class InstructorApplicationInputSerializer(serializers.Serializer[dict[str, Any]]):
    headline = serializers.CharField(max_length=200)
    bio = serializers.CharField(max_length=10000)
    expertise = serializers.CharField(max_length=500)
    cv = ValidatedFileField(allowed=DOCUMENT_TYPES, max_bytes=10 * MB)
    certificate = ValidatedFileField(allowed=DOCUMENT_TYPES, max_bytes=10 * MB)


class RejectInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000)


class AdminUserUpdateInputSerializer(serializers.Serializer[dict[str, Any]]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


# --- output ----------------------------------------------------------------------------------


def _avatar_url(user: User, request: Any) -> str | None:
    return file_url(user.avatar, request)


def _affiliation(user: User) -> Any:
    try:
        return user.affiliation
    except ObjectDoesNotExist:
        return None


class UniversityVerifiedRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    verified = serializers.BooleanField()


class StudentProfileSerializer(serializers.Serializer[StudentProfile]):
    """A student's profile, and that of anyone but an instructor (`User.profile`)."""

    bio = serializers.CharField()
    language = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 (`GB`), or empty.")
    timezone = serializers.CharField(help_text="An IANA time zone name (`Europe/London`).")
    currency = serializers.CharField()
    education = serializers.CharField()


class InstructorProfileSerializer(serializers.Serializer[InstructorProfile]):
    """An instructor's profile (`User.profile`)."""

    headline = serializers.CharField()
    bio = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    hourly_rate = AmountField()
    currency = serializers.CharField()
    timezone = serializers.CharField(help_text="An IANA time zone name (`Europe/London`).")
    payout_details = serializers.DictField(child=serializers.CharField())


# Which one a user has is their role's: no field of the body says (no discriminator); each
# shape's own fields tell them apart (`headline`, `education`).
PROFILE_SCHEMA = PolymorphicProxySerializer(
    component_name="UserProfile",
    serializers=[InstructorProfileSerializer, StudentProfileSerializer],
    resource_type_field_name=None,
    allow_null=True,
    help_text="An instructor's profile for an instructor, a student's for anyone else; null "
    "while the user has none.",
)


class UserSerializer(serializers.ModelSerializer[User]):
    email_verified = serializers.BooleanField(read_only=True)
    avatar = serializers.SerializerMethodField()
    profile = serializers.SerializerMethodField()
    university = serializers.SerializerMethodField()
    university_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "email_verified",
            "avatar",
            "profile",
            "university",
            "university_verified",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields

    def get_avatar(self, user: User) -> str | None:
        return _avatar_url(user, self.context.get("request"))

    @extend_schema_field(UniversityVerifiedRefSerializer(allow_null=True))
    def get_university(self, user: User) -> dict[str, Any] | None:
        affiliation = _affiliation(user)
        if affiliation is None:
            return None
        university = affiliation.university
        return {
            "id": str(university.pk),
            "name": university.name,
            "verified": universities.is_verified(user, university),
        }

    def get_university_verified(self, user: User) -> bool:
        affiliation = _affiliation(user)
        return affiliation is not None and universities.is_verified(user, affiliation.university)

    @extend_schema_field(PROFILE_SCHEMA)
    def get_profile(self, user: User) -> dict[str, Any] | None:
        if user.role == Role.INSTRUCTOR:
            profile = getattr(user, "instructor_profile", None)
            return InstructorProfileSerializer(profile).data if profile else None
        student_profile = getattr(user, "student_profile", None)
        return StudentProfileSerializer(student_profile).data if student_profile else None


class AdminUserSerializer(serializers.ModelSerializer[User]):
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "email_verified",
            "is_active",
            "last_login",
            "created_at",
        ]
        read_only_fields = fields


class LoginOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class PublicInstructorSerializer(serializers.Serializer[User]):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")
    avatar = serializers.SerializerMethodField()
    headline = serializers.CharField(source="instructor_profile.headline")
    bio = serializers.CharField(source="instructor_profile.bio")
    skills = serializers.ListField(
        child=serializers.CharField(), source="instructor_profile.skills"
    )
    languages = serializers.ListField(
        child=serializers.CharField(), source="instructor_profile.languages"
    )
    rating = serializers.FloatField(source="instructor_profile.rating")
    review_count = serializers.IntegerField(source="instructor_profile.review_count")
    student_count = serializers.IntegerField(source="instructor_profile.student_count")
    course_count = serializers.IntegerField(source="instructor_profile.course_count")

    def get_avatar(self, user: User) -> str | None:
        return _avatar_url(user, self.context.get("request"))


class InstructorApplicationSerializer(serializers.ModelSerializer[InstructorApplication]):
    user = AdminUserSerializer(read_only=True)
    cv_url = serializers.SerializerMethodField()
    certificate_url = serializers.SerializerMethodField()

    class Meta:
        model = InstructorApplication
        fields = [
            "id",
            "user",
            "headline",
            "bio",
            "expertise",
            "status",
            "reason",
            "cv_url",
            "certificate_url",
            "reviewed_at",
            "created_at",
        ]
        read_only_fields = fields

    def _file_url(self, application: InstructorApplication, kind: str) -> str:
        from django.urls import reverse

        path = reverse("instructor-application-file", args=[application.pk, kind])
        return absolute_url(path, self.context.get("request"))

    def get_cv_url(self, application: InstructorApplication) -> str:
        return self._file_url(application, "cv")

    def get_certificate_url(self, application: InstructorApplication) -> str:
        return self._file_url(application, "certificate")


class UserListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    search = serializers.CharField(max_length=100, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class ApplicationListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=InstructorApplication.Status.choices, required=False)


# --- two-factor authentication ---------------------------------------------------------------


class MfaChallengeSerializer(serializers.Serializer[dict[str, Any]]):
    """The password step's answer when 2FA is on: no tokens."""

    mfa_required = serializers.BooleanField()
    challenge = serializers.CharField()


class MfaEnrollmentRequiredSerializer(serializers.Serializer[dict[str, Any]]):
    """403: the error shape; with `mfa_enrollment_required`, also a setup-only token (the
    login's other 403s, `email_not_verified` among them, have none)."""

    type = serializers.CharField()
    # documents the body only (never validates), so shadowing Serializer.errors is harmless
    errors = ClientErrorSerializer(many=True)  # type: ignore[assignment]
    setup_token = serializers.CharField(required=False)


class LoginTwoFactorInputSerializer(serializers.Serializer[dict[str, Any]]):
    challenge = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=32, help_text="A TOTP code or a recovery code.")


class CodeInputSerializer(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField(max_length=32, help_text="A TOTP code or a recovery code.")


class TwoFactorSetupSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_svg = serializers.CharField()


class RecoveryCodesSerializer(serializers.Serializer[Any]):
    """The ten recovery codes (shown once) and a new token pair: turning 2FA on signs out
    every session opened before, this one's old tokens included."""

    recovery_codes = serializers.ListField(child=serializers.CharField())
    access = serializers.CharField(source="tokens.access")
    refresh = serializers.CharField(source="tokens.refresh")


# --- your data ---------------------------------------------------------------------------------


class DeleteAccountInputSerializer(serializers.Serializer[dict[str, Any]]):
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    code = serializers.CharField(
        max_length=32, required=False, help_text="A TOTP or recovery code, when 2FA is on."
    )


class DataExportSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportDownloadQuerySerializer(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(max_length=500)


# --- universities and onboarding -------------------------------------------------------------


class UniversitySerializer(serializers.ModelSerializer[University]):
    logo = serializers.SerializerMethodField()
    domains = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = University
        fields = ["id", "name", "country", "domains", "logo"]
        read_only_fields = fields

    def get_logo(self, university: Any) -> str | None:
        return file_url(university.logo, self.context.get("request"))


class UniversityListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    search = serializers.CharField(max_length=100, required=False)
    # `\Z`, not `$` (which also matches before a final newline), and no trimming: exactly
    # the document's pattern
    country = serializers.RegexField(
        r"^[A-Za-z]{2}\Z",
        required=False,
        trim_whitespace=False,
        help_text="ISO 3166-1 alpha-2, any case.",
    )


class AffiliationInputSerializer(serializers.Serializer[dict[str, Any]]):
    university_id = serializers.UUIDField()


class UniversityRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AffiliationSerializer(serializers.Serializer[dict[str, Any]]):
    """`university{id,name}` and whether the user's verified email is on its domains."""

    university = UniversityRefSerializer()
    verified = serializers.BooleanField()


class OnboardingChoiceSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    text = serializers.CharField()


class OnboardingQuestionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    text = serializers.CharField()
    type = serializers.CharField()
    choices = OnboardingChoiceSerializer(many=True, source="choices.all")
    order = serializers.IntegerField()


class OnboardingAnswerSerializer(serializers.Serializer[Any]):
    question_id = serializers.UUIDField()
    choice_ids = serializers.SerializerMethodField()
    text = serializers.CharField()

    def get_choice_ids(self, answer: Any) -> list[str]:
        return [str(choice.pk) for choice in answer.choices.all()]


class OnboardingSerializer(serializers.Serializer[Any]):
    questions = OnboardingQuestionSerializer(many=True)
    answers = OnboardingAnswerSerializer(many=True)


class OnboardingAnswerInputSerializer(serializers.Serializer[dict[str, Any]]):
    question_id = serializers.UUIDField()
    choice_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class OnboardingInputSerializer(serializers.Serializer[dict[str, Any]]):
    answers = serializers.ListField(child=OnboardingAnswerInputSerializer(), max_length=100)
