import uuid

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from lms.accounts.models import (
    InstructorApplication,
    InstructorProfile,
    Role,
    StudentProfile,
    User,
)

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.STUDENT
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)
    student_profile: factory.declarations.PostGenerationDeclaration = factory.RelatedFactory(
        "lms.accounts.tests.factories.StudentProfileFactory", factory_related_name="user"
    )


class StudentProfileFactory(factory.django.DjangoModelFactory[StudentProfile]):
    class Meta:
        model = StudentProfile

    user = factory.SubFactory(UserFactory, student_profile=None)


class InstructorFactory(UserFactory):
    role = Role.INSTRUCTOR
    # A plain `None` would be passed to User(...) as a field; a no-op hook just skips the profile.
    student_profile = factory.PostGeneration(lambda user, create, extracted, **kwargs: None)
    instructor_profile = factory.RelatedFactory(
        "lms.accounts.tests.factories.InstructorProfileFactory", factory_related_name="user"
    )


class InstructorProfileFactory(factory.django.DjangoModelFactory[InstructorProfile]):
    class Meta:
        model = InstructorProfile

    user = factory.SubFactory(InstructorFactory, instructor_profile=None)
    headline = factory.Faker("sentence", nb_words=5)
    bio = factory.Faker("paragraph")
    skills = factory.LazyFunction(lambda: ["python"])
    languages = factory.LazyFunction(lambda: ["en"])


class ManagerFactory(UserFactory):
    role = Role.MANAGER
    is_staff = True


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


def _private_pdf(prefix: str) -> ContentFile[bytes]:
    return ContentFile(
        b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n",
        name=f"{prefix}-{uuid.uuid4().hex}.pdf",
    )


class InstructorApplicationFactory(factory.django.DjangoModelFactory[InstructorApplication]):
    class Meta:
        model = InstructorApplication

    user = factory.SubFactory(UserFactory)
    headline = factory.Faker("sentence", nb_words=4)
    bio = factory.Faker("paragraph")
    expertise = "python, django"
    cv = factory.LazyFunction(lambda: _private_pdf("cv"))
    certificate = factory.LazyFunction(lambda: _private_pdf("certificate"))
