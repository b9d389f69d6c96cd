"""The speed item of issue 15, on demand: `ANALYTICS_BENCH=1` with PostgreSQL.

Seeds 100,000 enrollments (2,000 students x 50 courses of one instructor), 1,000,000
lesson-progress rows (10 lessons each) and 50,000 paid orders with their ledger sales
spread over 12 months, then asks every analytics endpoint `ROUNDS` times with the cache
emptied before each request and reports the p99 (the slowest of the rounds) and the query
count. Off by default: seeding takes minutes.

    ANALYTICS_BENCH=1 DATABASE_URL=postgres://... pytest lms/analytics/tests/test_bench.py -s
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.accounts.models import User
from lms.accounts.tests.factories import AdminFactory, InstructorFactory
from lms.catalog.models import CourseStatus, Lesson
from lms.catalog.tests.factories import CourseFactory, SectionFactory
from lms.commerce.models import Order, OrderItem
from lms.core.testing import clear_cache
from lms.learning.models import Enrollment
from lms.payouts.models import Account, LedgerEntry, LedgerTransaction, TransactionKind, Wallet

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("ANALYTICS_BENCH") or not os.environ.get("DATABASE_URL"),
        reason="the analytics bench runs on demand (ANALYTICS_BENCH=1) on PostgreSQL",
    ),
]

COURSES, LESSONS, STUDENTS, ORDERS = 50, 10, 2_000, 50_000
ROUNDS = int(os.environ.get("ANALYTICS_BENCH_ROUNDS", "20"))
BUDGET_MS = 200


def seed() -> tuple[User, object]:
    instructor = InstructorFactory()
    courses = CourseFactory.create_batch(
        COURSES, instructor=instructor, status=CourseStatus.PUBLISHED
    )
    lessons = []
    for course in courses:
        section = SectionFactory(course=course)
        lessons += [
            Lesson(course=course, section=section, title=f"L{n}", order=n) for n in range(LESSONS)
        ]
    Lesson.objects.bulk_create(lessons, batch_size=5_000)
    students = User.objects.bulk_create(
        [User(email=f"bench{n}@example.com", password="!") for n in range(STUDENTS)],
        batch_size=5_000,
    )
    now = timezone.now()
    Enrollment.objects.bulk_create(
        (
            Enrollment(
                student=student,
                course=course,
                source="purchase",
                enrolled_at=now - timedelta(minutes=(i * 7 + j * 131) % 525_600),
            )
            for i, student in enumerate(students)
            for j, course in enumerate(courses)
        ),
        batch_size=10_000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO learning_lessonprogress
                (id, created_at, updated_at, enrollment_id, lesson_id, completed_at,
                 position_seconds)
            SELECT gen_random_uuid(), now(), now(), e.id, l.id,
                   CASE WHEN random() < 0.7 THEN e.enrolled_at + interval '1 day' END, 0
            FROM learning_enrollment e JOIN catalog_lesson l ON l.course_id = e.course_id
            """
        )
    wallet = Wallet.objects.create(instructor=instructor, currency="USD")
    per_month = ORDERS // 12
    shares = Decimal(0)
    for month in range(12):
        with time_machine.travel(now - timedelta(days=30 * month + 1), tick=False):
            orders = Order.objects.bulk_create(
                [
                    Order(
                        number=f"B-{uuid.uuid4().hex[:16]}",
                        user=students[n % STUDENTS],
                        currency="USD",
                        subtotal=Decimal("40.00"),
                        total=Decimal("40.00"),
                        status="paid",
                        paid_at=timezone.now(),
                    )
                    for n in range(per_month)
                ],
                batch_size=5_000,
            )
            items = OrderItem.objects.bulk_create(
                [
                    OrderItem(
                        order=order,
                        kind="course",
                        reference_id=courses[n % COURSES].pk,
                        course=courses[n % COURSES],
                        title="x",
                        instructor=instructor,
                        currency="USD",
                        price=Decimal("40.00"),
                        amount_paid=Decimal("40.00"),
                    )
                    for n, order in enumerate(orders)
                ],
                batch_size=5_000,
            )
            sales = LedgerTransaction.objects.bulk_create(
                [
                    LedgerTransaction(
                        kind=TransactionKind.SALE,
                        idempotency_key=f"sale:bench:{item.pk}",
                        reference_type="commerce.orderitem",
                        reference_id=str(item.pk),
                        currency="USD",
                        amount=Decimal("40.00"),
                    )
                    for item in items
                ],
                batch_size=5_000,
            )
            LedgerEntry.objects.bulk_create(
                [
                    leg
                    for sale in sales
                    for leg in (
                        LedgerEntry(
                            transaction=sale,
                            account=Account.PLATFORM_CLEARING,
                            currency="USD",
                            amount=Decimal("-40.00"),
                        ),
                        LedgerEntry(
                            transaction=sale,
                            account=Account.PLATFORM_REVENUE,
                            currency="USD",
                            amount=Decimal("6.00"),
                        ),
                        LedgerEntry(
                            transaction=sale,
                            account=Account.INSTRUCTOR_PENDING,
                            wallet=wallet,
                            currency="USD",
                            amount=Decimal("34.00"),
                        ),
                    )
                ],
                batch_size=10_000,
            )
            shares += Decimal("34.00") * len(sales)
    Wallet.objects.filter(pk=wallet.pk).update(pending=shares, total_earned=shares)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return instructor, courses[0]


def test_every_endpoint_answers_under_budget(client_for):
    started = time.monotonic()
    instructor, course = seed()
    seeded = time.monotonic() - started
    admin = AdminFactory()
    cases = [
        ("student", client_for(instructor), "/api/v1/analytics/student/"),
        ("instructor", client_for(instructor), "/api/v1/analytics/instructor/"),
        ("course", client_for(instructor), f"/api/v1/analytics/courses/{course.pk}/"),
        ("platform", client_for(admin), "/api/v1/analytics/platform/"),
    ]
    report = [
        f"seeded in {seeded:.0f} s: {Enrollment.objects.count()} enrollments, "
        f"{LedgerTransaction.objects.count()} sales"
    ]
    slow = []
    for name, client, url in cases:
        times = []
        for _ in range(ROUNDS):
            clear_cache()
            with CaptureQueriesContext(connection) as queries:
                begin = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.content
        p99 = max(times)
        report.append(
            f"{name}: median {statistics.median(times):.0f} ms, p99 {p99:.0f} ms, "
            f"{len(queries)} queries"
        )
        if p99 > BUDGET_MS:
            slow.append(name)
    print("\n".join(report))
    assert not slow, report
