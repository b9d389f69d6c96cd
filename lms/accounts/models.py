from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import Storage, storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from lms.accounts.names import display_name
from lms.core.models import BaseModel, CurrencyField, MoneyAmountField
from lms.core.money import DEFAULT_CURRENCY
from lms.core.permissions import ADMIN, INSTRUCTOR, MANAGER, STUDENT
from lms.core.uploads import UploadPath


def private_storage() -> Storage:
    """Files only served through permission-checked views (CVs, certificates, submissions)."""
    return storages["private"]


class Role(models.TextChoices):
    STUDENT = STUDENT, "Student"
    INSTRUCTOR = INSTRUCTOR, "Instructor"
    MANAGER = MANAGER, "Manager"
    ADMIN = ADMIN, "Admin"


STAFF_ROLES = (Role.ADMIN, Role.MANAGER)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """`createsuperuser`: an admin whose email counts as verified."""
        extra.update(
            role=Role.ADMIN, is_staff=True, is_superuser=True, email_verified_at=timezone.now()
        )
        return self.create_user(email, password, **extra)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(
        max_length=20, choices=Role.choices, default=Role.STUDENT, db_index=True
    )
    is_active = models.BooleanField(default=True)
    # Django admin access; kept in step with the role by accounts.services.
    is_staff = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    avatar = models.ImageField(upload_to=UploadPath("avatars"), blank=True)
    # Tokens issued before this instant are refused (password change, reset, deactivation).
    tokens_valid_after = models.DateTimeField(default=timezone.now)
    # Set when the person deleted their account: the row stays as an anonymous placeholder
    # that orders, payments and ledger lines keep pointing to (lms/accounts/deletion.py).
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_case_insensitive_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def full_name(self) -> str:
        """The display name every response shows (the rule: `lms.accounts.names`)."""
        return display_name(first_name=self.first_name, last_name=self.last_name, email=self.email)

    @property
    def is_platform_staff(self) -> bool:
        return self.role in STAFF_ROLES


class OneTimeCode(BaseModel):
    """A link token and a 6-digit code for one purpose; both stored only as keyed hashes."""

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        PASSWORD_RESET = "password_reset"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]


class StudentProfile(BaseModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="student_profile")
    bio = models.TextField(blank=True, max_length=5000)
    language = models.CharField(max_length=10, blank=True)
    country = models.CharField(max_length=2, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    currency = CurrencyField(default=DEFAULT_CURRENCY)
    education = models.CharField(max_length=300, blank=True)


class InstructorProfile(BaseModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="instructor_profile")
    headline = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True, max_length=10000)
    skills = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    hourly_rate = MoneyAmountField(
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = CurrencyField(default=DEFAULT_CURRENCY)
    timezone = models.CharField(max_length=64, default="UTC")
    payout_details = models.JSONField(default=dict, blank=True)
    # Denormalised figures, kept by the services of catalog, learning and community.
    rating = models.FloatField(default=0)
    review_count = models.PositiveIntegerField(default=0)
    student_count = models.PositiveIntegerField(default=0)
    course_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="instructor_hourly_rate_not_negative"
            )
        ]


class InstructorApplication(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="instructor_applications")
    headline = models.CharField(max_length=200)
    bio = models.TextField(max_length=10000)
    expertise = models.CharField(max_length=500)
    cv = models.FileField(storage=private_storage, upload_to=UploadPath("applications/cv"))
    certificate = models.FileField(
        storage=private_storage, upload_to=UploadPath("applications/certificates")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_open_instructor_application",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


# --- universities and affiliation ------------------------------------------------------------


class University(BaseModel):
    """A university; `domains`: its email domains, lower-case, without a leading dot
    (`mit.edu`); an address on a domain or one of its subdomains (`cs.mit.edu`) belongs to it."""

    name = models.CharField(max_length=200, db_index=True)
    country = models.CharField(max_length=2, blank=True, db_index=True)
    domains = models.JSONField(default=list, blank=True)
    logo = models.ImageField(upload_to=UploadPath("universities"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "universities"

    def __str__(self) -> str:
        return self.name


class Affiliation(BaseModel):
    """The university a user says they belong to. Verified is computed, never stored: the
    user's email is verified and its domain is one of the university's
    (lms.accounts.universities.is_verified), so a changed email is unverified at once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="affiliation")
    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="affiliations"
    )


# --- onboarding ----------------------------------------------------------------------------------


class OnboardingQuestion(BaseModel):
    class Type(models.TextChoices):
        SINGLE_CHOICE = "single_choice"
        MULTIPLE_CHOICE = "multiple_choice"
        TEXT = "text"

    text = models.CharField(max_length=500)
    type = models.CharField(max_length=20, choices=Type.choices)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["order", "created_at"]

    def __str__(self) -> str:
        return self.text


class OnboardingChoice(BaseModel):
    """A choice; `category_slugs` / `tag_slugs`: the catalog's categories and tags it stands
    for (slugs, since accounts sits below the catalog), weighed by recommendations."""

    question = models.ForeignKey(
        OnboardingQuestion, on_delete=models.CASCADE, related_name="choices"
    )
    text = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    category_slugs = models.JSONField(default=list, blank=True)
    tag_slugs = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "created_at"]

    def __str__(self) -> str:
        return self.text


class OnboardingAnswer(BaseModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="onboarding_answers")
    question = models.ForeignKey(
        OnboardingQuestion, on_delete=models.CASCADE, related_name="answers"
    )
    choices = models.ManyToManyField(OnboardingChoice, blank=True, related_name="+")
    text = models.TextField(blank=True, max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_answer_per_question")
        ]


# --- two-factor authentication ---------------------------------------------------------------


class TwoFactorDevice(BaseModel):
    """A TOTP secret (RFC 6238, 30 s steps, 6 digits); active once `confirmed_at` is set.

    `last_used_step`: the time step of the last accepted code; a code of that step or an
    earlier one is refused, so each code is accepted once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)


class RecoveryCode(BaseModel):
    """One of ten single-use codes, stored only as a keyed hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]


class LoginChallenge(BaseModel):
    """The password step's answer when 2FA is on: a short-lived, single-use token (stored as a
    keyed hash) that the code step exchanges for tokens."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_challenges")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)


# --- personal data export ----------------------------------------------------------------------


class PersonalDataExport(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    RUNNING_STATES = (Status.PENDING, Status.RUNNING)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    file = models.FileField(storage=private_storage, upload_to=UploadPath("exports"), blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["pending", "running"]),
                name="one_running_export_per_user",
            )
        ]
