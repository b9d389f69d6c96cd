"""What the analytics selectors return: frozen read models, rendered by api/serializers.py.

Counts, minutes, hours, percents and ratings are numbers; money is a `Decimal` beside its
currency (rendered as the currency's decimal string). A chart series is `Series`:
`labels` (one per period, `lms.analytics.periods`) and `datasets`, each with one value per
label.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Dataset:
    label: str
    data: list[float]


@dataclass(frozen=True, slots=True)
class Series:
    """`{labels, datasets: [{label, data}]}`, every period present."""

    labels: list[str]
    datasets: list[Dataset]


@dataclass(frozen=True, slots=True)
class MoneyDataset:
    label: str  # gross, fees, net, refunds
    currency: str
    data: list[Decimal]


@dataclass(frozen=True, slots=True)
class MoneySeries:
    labels: list[str]
    datasets: list[MoneyDataset]


@dataclass(frozen=True, slots=True)
class Revenue:
    """Money from the ledger in one currency: gross paid, platform fees, the net."""

    currency: str
    gross: Decimal
    fees: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class Distribution:
    """Counts by key (a rating 1..5, a role, a status, a priority), every key present."""

    labels: list[str]
    counts: list[int]


# --- student ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseProgress:
    course_id: uuid.UUID
    title: str
    status: str
    progress_percent: float
    completed_lessons: int
    total_lessons: int
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class CertificateLine:
    id: uuid.UUID
    code: str
    course_title: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class StudentAnalytics:
    timezone: str
    granularity: str
    courses: list[CourseProgress]
    quiz_scores: Series  # average score percent and attempts per period
    study_minutes: Series  # minutes per period
    current_streak: int
    longest_streak: int
    certificate_count: int
    certificates: list[CertificateLine]


# --- instructor and course ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonRef:
    id: uuid.UUID
    title: str


@dataclass(frozen=True, slots=True)
class FunnelStep:
    lesson_id: uuid.UUID
    title: str
    position: int  # 1-based, in curriculum order
    completed: int  # enrollments that completed this lesson
    drop: int  # completed at the previous step (enrollments for the first) minus here


@dataclass(frozen=True, slots=True)
class CourseFigures:
    course_id: uuid.UUID
    title: str
    status: str
    enrollments: int
    completed: int
    completion_rate: float  # percent of enrollments (not revoked) that are completed
    average_rating: float
    reviews: int
    drop_off_lesson: LessonRef | None
    revenue: list[Revenue]


@dataclass(frozen=True, slots=True)
class QuizPassRate:
    quiz_id: uuid.UUID
    lesson_title: str
    course_title: str
    attempts: int
    passed: int
    pass_rate: float  # percent of submitted attempts that passed


@dataclass(frozen=True, slots=True)
class Tutoring:
    sessions: int  # completed bookings
    hours: float
    earnings: list[Revenue]


@dataclass(frozen=True, slots=True)
class InstructorAnalytics:
    timezone: str
    granularity: str
    total_courses: int
    published_courses: int
    total_enrollments: int
    average_rating: float
    total_reviews: int
    revenue: list[Revenue]  # all time, by currency
    rating_distribution: Distribution
    enrollments: Series
    revenue_series: MoneySeries
    courses: list[CourseFigures]
    quiz_pass_rates: list[QuizPassRate]
    tutoring: Tutoring


@dataclass(frozen=True, slots=True)
class CourseAnalytics:
    timezone: str
    granularity: str
    course: CourseFigures
    enrollments: Series
    funnel: list[FunnelStep]
    rating_distribution: Distribution
    revenue_series: MoneySeries


# --- platform ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingApprovals:
    instructor_applications: int
    courses: int
    withdrawals: int


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Refunds:
    """Succeeded refunds (commerce): how many, and the money returned by currency."""

    count: int
    amounts: list[MoneyTotal]


@dataclass(frozen=True, slots=True)
class PlatformAnalytics:
    timezone: str
    granularity: str
    total_users: int
    users_by_role: Distribution
    user_growth: Series  # new users per period, one dataset per role
    courses_by_status: Distribution
    total_enrollments: int
    enrollments: Series
    revenue: list[Revenue]  # all time, by currency
    revenue_series: MoneySeries  # gross and fees per period and currency
    refunds: Refunds
    refund_series: MoneySeries
    pending_approvals: PendingApprovals
    open_tickets_by_priority: Distribution
    # active users affiliated with each university that has any (seed 003), most first
    users_by_university: Distribution
