"""Analytics (issue 15, "Speed"): the student, instructor, course and platform dashboards.

The issue's scale, in one PostgreSQL bench database: 100,000 enrollments (2,000 students x
50 courses of one instructor, who therefore owns every figure), 1,000,000 lesson-progress
rows (10 lessons per course, each completed by a share of the enrollments that falls from
the first lesson to the last, so the funnel has a drop everywhere), 50,000 paid orders of one
item each with their ledger sales (fee 15 %, the rest to the instructor) spread over the last
12 months, and 500 of them refunded (ledger reversal, enrollment revoked).

Budget from the issue: p99 < 200 ms, a constant number of queries. The query budgets are
the endpoint tests' `django_assert_max_num_queries` bounds (authentication included). The
issue gives no throughput ratio; none is checked. Dashboards are opened by a person, not
hammered: the scenarios run at 2 connections (one per gunicorn worker), so p99 is the
endpoint's own time and not a queue of 16 requests behind each other. The answers' short
cache (lms/analytics/cache.py) is bypassed: the bench server has no Redis by default, and the
scenarios' query count is taken on a miss; every request builds the figures.

The seed writes with `INSERT ... SELECT` over `generate_series` (no rows through Python),
so it takes well under three minutes; it is deterministic (hashes of the row numbers, no
`random()`). Triggers are off while it writes (`session_replication_role = replica`, bench
database only, superuser): the ledger's append-only trigger would refuse the reseed's
DELETE of the earlier rows, and the analytics rollups' triggers would cost a minute for the
1,150,000 rows; the rollups are then rebuilt from the sources
(`lms.analytics.rollups.rebuild`, as `manage.py rebuild_analytics_rollups`). The ledger's
rows are balanced by construction (clearing -40.00, fee 6.00, instructor 34.00).
"""

from __future__ import annotations

from typing import Any

from bench.registry import Budget, Context, Scenario, Value

SEED_VERSION = "4"
DOMAIN = "analytics.bench.example.com"
SLUG_PREFIX = "bench-analytics-"
INSTRUCTOR_EMAIL = f"bench-analyst@{DOMAIN}"
STUDENT_EMAIL = f"student-00000@{DOMAIN}"
ADMIN_EMAIL = f"bench-admin@{DOMAIN}"
COURSES = 50
SECTIONS = 2
LESSONS_PER_SECTION = 5
STUDENTS = 2_000  # x 50 courses: 100,000 enrollments, x 10 lessons: 1,000,000 progress rows
PRICE = "40.00"
FEE = "6.00"
SHARE = "34.00"
MINUTES_IN_YEAR = 525_600

# Every SQL statement of the seed, in order; %(name)s are the seed's parameters.
_DELETE = [
    # children first; the ledger's append-only triggers are off for this transaction
    """DELETE FROM payouts_ledgerentry WHERE transaction_id IN (
         SELECT id FROM payouts_ledgertransaction
          WHERE idempotency_key LIKE 'bench-analytics:%%')""",
    """DELETE FROM payouts_ledgertransaction WHERE idempotency_key LIKE 'bench-analytics:%%'
         AND reverses_id IS NOT NULL""",
    "DELETE FROM payouts_ledgertransaction WHERE idempotency_key LIKE 'bench-analytics:%%'",
    """DELETE FROM payouts_wallet WHERE instructor_id IN (
         SELECT id FROM accounts_user WHERE email LIKE '%%@' || %(domain)s)""",
    """DELETE FROM commerce_orderitem WHERE order_id IN (
         SELECT id FROM commerce_order WHERE number LIKE 'BA-%%')""",
    "DELETE FROM commerce_order WHERE number LIKE 'BA-%%'",
    """DELETE FROM learning_lessonprogress WHERE lesson_id IN (
         SELECT l.id FROM catalog_lesson l JOIN catalog_course c ON c.id = l.course_id
          WHERE c.slug LIKE %(slug_prefix)s || '%%')""",
    """DELETE FROM learning_enrollment WHERE course_id IN (
         SELECT id FROM catalog_course WHERE slug LIKE %(slug_prefix)s || '%%')""",
]

_SEED = [
    # 100,000 enrollments: every student in every course, enrolled at a point of the last
    # 12 months; half of them bought (the rest free), 1 % of those refunded and revoked,
    # 30 % of the others completed.
    """
    INSERT INTO learning_enrollment (id, created_at, updated_at, status, source, enrolled_at,
        completed_at, revoked_at, revoke_reason, last_accessed_at, progress_percent,
        course_id, last_lesson_id, student_id)
    SELECT gen_random_uuid(), at, at,
           CASE WHEN bought AND n %% 100 = 8 THEN 'revoked'
                WHEN n %% 10 < 3 THEN 'completed' ELSE 'active' END,
           CASE WHEN bought THEN 'purchase' ELSE 'free' END,
           at, CASE WHEN n %% 10 < 3 AND NOT (bought AND n %% 100 = 8)
                    THEN at + interval '20 days' END,
           CASE WHEN bought AND n %% 100 = 8 THEN at + interval '1 day' END, '', NULL, 0,
           course_id, NULL, student_id
      FROM (
        SELECT s.id AS student_id, c.id AS course_id,
               s.n * %(courses)s + c.n AS n, (s.n + c.n) %% 2 = 0 AS bought,
               %(now)s::timestamptz - make_interval(
                   mins => ((s.n * 7919 + c.n * 131) %% %(minutes)s)::int) AS at
          FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM accounts_user
                 WHERE email LIKE 'student-%%@' || %(domain)s) s
          CROSS JOIN (SELECT id, row_number() OVER (ORDER BY slug) AS n FROM catalog_course
                       WHERE slug LIKE %(slug_prefix)s || '%%') c
      ) plan
    """,
    # 1,000,000 progress rows, one per enrollment and lesson: lesson k (1..10) is completed by
    # (95 - 7k) % of the enrollments, so each lesson loses some students.
    """
    INSERT INTO learning_lessonprogress (id, created_at, updated_at, completed_at,
        position_seconds, enrollment_id, lesson_id)
    SELECT gen_random_uuid(), e.enrolled_at, e.enrolled_at,
           CASE WHEN abs(hashtext(e.id::text || l.position::text)) %% 100 < 95 - 7 * l.position
                THEN e.enrolled_at + make_interval(days => l.position::int) END,
           0, e.id, l.id
      FROM learning_enrollment e
      JOIN (SELECT l.id, l.course_id,
                   row_number() OVER (PARTITION BY l.course_id ORDER BY s."order", l."order")
                       AS position
              FROM catalog_lesson l JOIN catalog_section s ON s.id = l.section_id) l
        ON l.course_id = e.course_id
      JOIN catalog_course c ON c.id = e.course_id
     WHERE c.slug LIKE %(slug_prefix)s || '%%'
    """,
    # One paid order of one item per purchased enrollment (50,000), the sale's ledger
    # transaction and its three legs at the enrollment's time.
    """
    CREATE TEMPORARY TABLE bench_analytics_sale ON COMMIT DROP AS
    SELECT e.id AS enrollment_id, e.student_id, e.course_id, e.enrolled_at AS at,
           e.status = 'revoked' AS refunded,
           gen_random_uuid() AS order_id, gen_random_uuid() AS item_id,
           gen_random_uuid() AS sale_id, gen_random_uuid() AS reversal_id,
           gen_random_uuid() AS refund_ref,
           row_number() OVER (ORDER BY e.enrolled_at, e.id) AS n
      FROM learning_enrollment e JOIN catalog_course c ON c.id = e.course_id
     WHERE c.slug LIKE %(slug_prefix)s || '%%' AND e.source = 'purchase'
    """,
    """
    INSERT INTO commerce_order (id, created_at, updated_at, number, status, currency, subtotal,
        discount, total, coupon_code, billing_address, paid_at, refunded_at, refunded_amount,
        failure_code, coupon_id, user_id)
    SELECT order_id, at, at, 'BA-' || lpad(n::text, 8, '0'),
           CASE WHEN refunded THEN 'refunded' ELSE 'paid' END, 'USD', %(price)s, 0, %(price)s,
           '', '{}'::jsonb, at, CASE WHEN refunded THEN at + interval '1 day' END,
           CASE WHEN refunded THEN %(price)s::numeric ELSE 0 END, '', NULL, student_id
      FROM bench_analytics_sale
    """,
    """
    INSERT INTO commerce_orderitem (id, created_at, updated_at, title, currency, price, discount,
        amount_paid, course_id, instructor_id, order_id, refund_id, kind, reference_id)
    SELECT item_id, at, at, 'Bench analytics course', 'USD', %(price)s, 0, %(price)s,
           course_id, %(instructor)s, order_id, NULL, 'course', course_id
      FROM bench_analytics_sale
    """,
    """
    INSERT INTO payouts_ledgertransaction (id, created_at, updated_at, kind, idempotency_key,
        reference_type, reference_id, currency, amount, memo, reverses_id)
    SELECT sale_id, at, at, 'sale', 'bench-analytics:sale:' || item_id::text,
           'commerce.orderitem', item_id::text, 'USD', %(price)s, '', NULL
      FROM bench_analytics_sale
    UNION ALL
    SELECT reversal_id, at + interval '1 day', at + interval '1 day', 'sale_reversal',
           'bench-analytics:reversal:' || item_id::text, 'commerce.refund', refund_ref::text,
           'USD', %(price)s, '', sale_id
      FROM bench_analytics_sale WHERE refunded
    """,
    """
    INSERT INTO payouts_ledgerentry (id, created_at, updated_at, account, currency, amount,
        transaction_id, wallet_id)
    SELECT gen_random_uuid(), t.at, t.at, leg.account, 'USD', t.sign * leg.amount, t.id,
           CASE WHEN leg.account = 'instructor_pending' THEN %(wallet)s::uuid END
      FROM (SELECT sale_id AS id, at, 1 AS sign FROM bench_analytics_sale
            UNION ALL
            SELECT reversal_id, at + interval '1 day', -1 FROM bench_analytics_sale
             WHERE refunded) t
     CROSS JOIN (VALUES ('platform_clearing', -%(price)s::numeric),
                        ('platform_revenue', %(fee)s::numeric),
                        ('instructor_pending', %(share)s::numeric)) AS leg(account, amount)
    """,
    """
    UPDATE payouts_wallet SET pending = (SELECT coalesce(sum(amount), 0)
        FROM payouts_ledgerentry WHERE wallet_id = %(wallet)s),
        total_earned = (SELECT coalesce(sum(amount), 0)
        FROM payouts_ledgerentry WHERE wallet_id = %(wallet)s AND amount > 0)
     WHERE id = %(wallet)s
    """,
    """
    UPDATE catalog_course c SET enrollment_count = (
        SELECT count(*) FROM learning_enrollment e
         WHERE e.course_id = c.id AND e.status <> 'revoked')
     WHERE c.slug LIKE %(slug_prefix)s || '%%'
    """,
]


def seed() -> None:
    """The instructor's 50 courses of 10 lessons, 2,000 students in all of them, their
    progress, sales and refunds; re-runnable (runs in the registry's transaction)."""
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from lms.accounts.models import InstructorProfile, Role, StudentProfile, User
    from lms.catalog.models import Course, CourseStatus, Lesson, LessonType, Section
    from lms.payouts.models import Wallet

    now = timezone.now()
    params: dict[str, Any] = {
        "domain": DOMAIN,
        "slug_prefix": SLUG_PREFIX,
        "courses": COURSES,
        "minutes": MINUTES_IN_YEAR,
        "now": now,
        "price": Decimal(PRICE),
        "fee": Decimal(FEE),
        "share": Decimal(SHARE),
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in _DELETE:
            cursor.execute(statement, params)
        cursor.execute("SET LOCAL session_replication_role = origin")
    Lesson.objects.filter(course__slug__startswith=SLUG_PREFIX).delete()
    Section.objects.filter(course__slug__startswith=SLUG_PREFIX).delete()
    Course.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    User.objects.filter(email__endswith=f"@{DOMAIN}").delete()

    instructor = User.objects.create(
        email=INSTRUCTOR_EMAIL,
        first_name="Bench",
        last_name="Analyst",
        role=Role.INSTRUCTOR,
        email_verified_at=now,
    )
    InstructorProfile.objects.create(
        user=instructor, headline="Bench instructor", timezone="America/New_York"
    )
    User.objects.create(
        email=ADMIN_EMAIL,
        first_name="Bench",
        last_name="Admin",
        role=Role.ADMIN,
        is_staff=True,
        email_verified_at=now,
    )
    courses = Course.objects.bulk_create(
        [
            Course(
                slug=f"{SLUG_PREFIX}{index:02d}",
                title=f"Bench analytics course {index:02d}",
                instructor=instructor,
                status=CourseStatus.PUBLISHED,
                published_at=now,
                price=Decimal(PRICE),
                currency="USD",
                lesson_count=SECTIONS * LESSONS_PER_SECTION,
            )
            for index in range(COURSES)
        ]
    )
    sections = Section.objects.bulk_create(
        [
            Section(course=course, title=f"Section {number}", order=number)
            for course in courses
            for number in range(SECTIONS)
        ]
    )
    Lesson.objects.bulk_create(
        [
            Lesson(
                course_id=section.course_id,
                section=section,
                title=f"Lesson {section.order}.{number}",
                type=LessonType.VIDEO,
                duration_seconds=300,
                order=number,
            )
            for section in sections
            for number in range(LESSONS_PER_SECTION)
        ]
    )
    students = User.objects.bulk_create(
        [
            User(
                email=f"student-{index:05d}@{DOMAIN}",
                first_name="Student",
                last_name=str(index),
                role=Role.STUDENT,
                email_verified_at=now,
            )
            for index in range(STUDENTS)
        ],
        batch_size=1_000,
    )
    StudentProfile.objects.create(user=students[0], timezone="Europe/Berlin")
    wallet = Wallet.objects.create(instructor=instructor, currency="USD")
    params.update(instructor=instructor.pk, wallet=wallet.pk)
    from lms.analytics import rollups

    with connection.cursor() as cursor:
        # Triggers off for the bulk load (the rollups' would cost a minute), then the rollups
        # rebuilt from the sources, as `manage.py rebuild_analytics_rollups` does.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in _SEED:
            cursor.execute(statement, params)
        cursor.execute("SET LOCAL session_replication_role = origin")
        rollups.rebuild()
        cursor.execute(
            "ANALYZE learning_enrollment, learning_lessonprogress, catalog_lesson,"
            " commerce_order, commerce_orderitem, payouts_ledgertransaction,"
            " payouts_ledgerentry, accounts_user, analytics_lessoncompletions,"
            " analytics_courseenrollments, analytics_enrollmentdays,"
            " analytics_enrollmentbuckets, analytics_revenuetotal, analytics_revenuebucket"
        )


ROLLUPS = (
    "analytics_lessoncompletions",
    "analytics_courseenrollments",
    "analytics_enrollmentdays",
    "analytics_enrollmentbuckets",
    "analytics_revenuetotal",
    "analytics_revenuebucket",
)


def prepare() -> Context:
    """Fresh access tokens for the instructor, a student and an admin; one course's id; the
    first of the last 365 days in the instructor's zone. The rollups are vacuumed first (the
    seed rebuilt them in a transaction, where VACUUM cannot run): with the visibility map
    set, a series is the index-only scan it is on a production table, not a heap read per
    row; a second VACUUM finds nothing to do."""
    from django.db import connection

    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in ROLLUPS:
                cursor.execute(f"VACUUM ANALYZE {table}")
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from lms.accounts import tokens
    from lms.accounts.models import User
    from lms.catalog.models import Course

    instructor = User.objects.get(email=INSTRUCTOR_EMAIL)
    student = User.objects.get(email=STUDENT_EMAIL)
    admin = User.objects.get(email=ADMIN_EMAIL)
    course = Course.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug").first()
    assert course is not None, "seed the analytics module first"
    today = datetime.now(ZoneInfo("America/New_York")).date()  # the instructor's zone
    return {
        "year_ago": (today - timedelta(days=364)).isoformat(),
        "instructor": tokens.issue_token_pair(instructor)["access"],
        "student": tokens.issue_token_pair(student)["access"],
        "admin": tokens.issue_token_pair(admin)["access"],
        "course": str(course.pk),
    }


BUDGET_MS = 200
CONNECTIONS = 2


def _dashboard(name: str, path: Value, *, who: str, max_queries: int, note: str) -> Scenario:
    """A GET of one dashboard as `who` (a token in the context) at CONNECTIONS, with the
    issue's p99 budget and the endpoint tests' query bound."""
    return Scenario(
        name=f"analytics.{name}",
        path=path,
        headers=lambda context: {"Authorization": f"Bearer {context[who]}"},
        connections=CONNECTIONS,
        budget=Budget(max_p99_ms=BUDGET_MS, max_queries=max_queries),
        note=note,
    )


SCENARIOS = [
    _dashboard(
        "student",
        "/api/v1/analytics/student/",
        who="student",
        max_queries=10,
        note="50 enrollments (1 revoked), 500 progress rows, Europe/Berlin, last 30 days",
    ),
    _dashboard(
        "instructor",
        "/api/v1/analytics/instructor/",
        who="instructor",
        max_queries=16,
        note="every figure: 50 courses, 100,000 enrollments, 1M progress rows, 50,000 sales",
    ),
    _dashboard(
        "instructor_days",
        lambda context: f"/api/v1/analytics/instructor/?granularity=day&from={context['year_ago']}",
        who="instructor",
        max_queries=16,
        note="the same by day over the last 365 days (365 periods)",
    ),
    _dashboard(
        "course",
        lambda context: f"/api/v1/analytics/courses/{context['course']}/",
        who="instructor",
        max_queries=12,
        note="one course: 2,000 enrollments, 20,000 progress rows, 1,000 sales",
    ),
    _dashboard(
        "platform",
        "/api/v1/analytics/platform/",
        who="admin",
        max_queries=18,
        note="whole tables: users, enrollments, the ledger's sales and refunds",
    ),
]
