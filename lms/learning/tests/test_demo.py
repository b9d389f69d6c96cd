import io

import pytest

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.learning import demo
from lms.learning.models import Certificate, Enrollment, EnrollmentStatus

pytestmark = pytest.mark.django_db


def test_demo_seeder_leaves_a_completed_course_and_one_in_progress_and_runs_twice():
    InstructorFactory(email="grace@demo.learnflow.local")
    sam = UserFactory(email="student@demo.learnflow.local")
    lee = UserFactory(email="lee@demo.learnflow.local")

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    done = Enrollment.objects.get(student=sam)
    assert done.status == EnrollmentStatus.COMPLETED
    assert Certificate.objects.filter(enrollment=done).count() == 1
    started = Enrollment.objects.get(student=lee)
    assert started.status == EnrollmentStatus.ACTIVE
    assert 0 < started.progress_percent < 100
