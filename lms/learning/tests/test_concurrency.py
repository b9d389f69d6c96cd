"""Two enrollments of one student in one course at the same moment give one enrollment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lms.accounts.tests.factories import UserFactory
from lms.learning import services
from lms.learning.models import Enrollment
from lms.learning.tests.conftest import make_course


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_enroll_gives_one_enrollment():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent inserts need PostgreSQL")
    # given
    student = UserFactory()
    course = make_course(lessons=1).course
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def buy() -> None:
        try:
            barrier.wait(timeout=10)
            enrollment = services.enroll(
                student=student, course=course, source="purchase", if_exists="return"
            )
            results.append(str(enrollment.pk))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=buy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then
    assert errors == []
    assert len(results) == 2
    assert len(set(results)) == 1
    assert Enrollment.objects.filter(student=student, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1
