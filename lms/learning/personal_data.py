"""Learning's part of a person's export and deletion (lms.accounts.personal_data).

Export: enrollments with lesson progress, certificates (with their PDFs), activity events.
Erase: a certificate keeps its code, course and date (it still verifies) but loses the
student's name and its PDF (rendered again, nameless, when asked for); a deleted
instructor's name leaves the certificates of their courses. Enrollments, progress and
activity stay, tied to the anonymous placeholder (they carry no identity themselves and
the purchase records point to them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from lms.accounts.deletion import delete_files_after_commit
from lms.accounts.personal_data import (
    DELETED_USER_NAME,
    ExportAttachment,
    ExportDocument,
    file_name,
)
from lms.learning.models import ActivityEvent, Certificate, Enrollment, LessonProgress


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    enrollments = list(
        Enrollment.objects.filter(student=user).select_related("course").order_by("created_at")
    )
    progress: dict[Any, list[dict[str, Any]]] = {}
    for row in LessonProgress.objects.filter(enrollment__student=user).select_related("lesson"):
        progress.setdefault(row.enrollment_id, []).append(
            {
                "lesson_id": row.lesson_id,
                "lesson_title": row.lesson.title,
                "completed_at": row.completed_at,
                "position_seconds": row.position_seconds,
            }
        )
    yield ExportDocument(
        "learning/enrollments.json",
        [
            {
                "id": enrollment.pk,
                "course": {"id": enrollment.course_id, "title": enrollment.course.title},
                "status": enrollment.status,
                "source": enrollment.source,
                "enrolled_at": enrollment.enrolled_at,
                "completed_at": enrollment.completed_at,
                "revoked_at": enrollment.revoked_at,
                "progress_percent": enrollment.progress_percent,
                "last_accessed_at": enrollment.last_accessed_at,
                "lessons": progress.get(enrollment.pk, []),
            }
            for enrollment in enrollments
        ],
    )
    certificates = list(Certificate.objects.filter(student=user).order_by("issued_at"))
    yield ExportDocument(
        "learning/certificates.json",
        [
            {
                "id": certificate.pk,
                "code": certificate.code,
                "course_title": certificate.course_title,
                "student_name": certificate.student_name,
                "instructor_names": certificate.instructor_names,
                "issued_at": certificate.issued_at,
            }
            for certificate in certificates
        ],
    )
    for certificate in certificates:
        if certificate.pdf:
            yield ExportAttachment(
                f"learning/files/certificates/{file_name(certificate.pdf)}", certificate.pdf
            )
    yield ExportDocument(
        "learning/activity.json",
        list(
            ActivityEvent.objects.filter(user=user)
            .order_by("occurred_at")
            .values("kind", "course_id", "lesson_id", "seconds", "occurred_at")
        ),
    )


def erase(user: Any) -> None:
    for certificate in Certificate.objects.filter(student=user).exclude(pdf=""):
        delete_files_after_commit(certificate.pdf)
    Certificate.objects.filter(student=user).update(student_name="", pdf="")
    # a deleted instructor's name on their students' certificates
    name = user.full_name
    taught = Certificate.objects.filter(
        Q(course__instructor=user) | Q(course__co_instructors=user)
    ).distinct()
    for certificate in taught:
        names = [DELETED_USER_NAME if n == name else n for n in certificate.instructor_names]
        if names != certificate.instructor_names:
            Certificate.objects.filter(pk=certificate.pk).update(instructor_names=names)
