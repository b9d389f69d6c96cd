"""Analytics' read models (lms/analytics/read_models.py) render through their one serializer
each, every field accounted for, and each answer (the student's, the instructor's, a
course's, the platform's) has exactly the documented keys in every nested object
(lms.core.tests.read_models; commerce's and payouts' tests are the model). Analytics renders
with DRF only (no compiled fast path), so there is no second rendering to compare."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from lms.analytics import read_models as rm
from lms.analytics.api import serializers as s
from lms.core.tests.read_models import assert_documented_throughout, assert_renders_exactly

from .fixtures import teaching

pytestmark = pytest.mark.django_db

# read model -> its one serializer: every read model of the module is here (checked below)
PAIRS = [
    (rm.Dataset, s.DatasetSerializer),
    (rm.Series, s.SeriesSerializer),
    (rm.MoneyDataset, s.MoneyDatasetSerializer),
    (rm.MoneySeries, s.MoneySeriesSerializer),
    (rm.Revenue, s.RevenueSerializer),
    (rm.Distribution, s.DistributionSerializer),
    (rm.CourseProgress, s.CourseProgressSerializer),
    (rm.CertificateLine, s.CertificateLineSerializer),
    (rm.StudentAnalytics, s.StudentAnalyticsSerializer),
    (rm.LessonRef, s.LessonRefSerializer),
    (rm.FunnelStep, s.FunnelStepSerializer),
    (rm.CourseFigures, s.CourseFiguresSerializer),
    (rm.QuizPassRate, s.QuizPassRateSerializer),
    (rm.Tutoring, s.TutoringSerializer),
    (rm.InstructorAnalytics, s.InstructorAnalyticsSerializer),
    (rm.CourseAnalytics, s.CourseAnalyticsSerializer),
    (rm.PendingApprovals, s.PendingApprovalsSerializer),
    (rm.MoneyTotal, s.MoneyTotalSerializer),
    (rm.Refunds, s.RefundsSerializer),
    (rm.PlatformAnalytics, s.PlatformAnalyticsSerializer),
]

NOVEMBER = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}


def test_every_read_model_has_its_serializer():
    models = {
        cls
        for _, cls in inspect.getmembers(rm, inspect.isclass)
        if dataclasses.is_dataclass(cls) and cls.__module__ == rm.__name__
    }
    assert models == {model for model, _ in PAIRS}


@pytest.mark.parametrize(("model", "serializer"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_every_field_of_the_read_model_is_rendered(model, serializer):
    assert_renders_exactly(model, serializer)


def test_every_answer_has_exactly_the_documented_keys_throughout(
    document, client_for, admin_client_api
):
    # given: the hand-counted teaching fixture (a funnel, a drop-off lesson, sales, refunds,
    # quiz attempts, tutoring)
    data = teaching()
    student = data.students[0]

    # when
    answers = [
        (s.StudentAnalyticsSerializer, client_for(student).get("/api/v1/analytics/student/")),
        (
            s.InstructorAnalyticsSerializer,
            client_for(data.instructor).get("/api/v1/analytics/instructor/", NOVEMBER),
        ),
        (
            s.CourseAnalyticsSerializer,
            client_for(data.instructor).get(
                f"/api/v1/analytics/courses/{data.course.pk}/", NOVEMBER
            ),
        ),
        (
            s.PlatformAnalyticsSerializer,
            admin_client_api.get("/api/v1/analytics/platform/", NOVEMBER),
        ),
    ]

    # then: every object in every answer is its documented component, key for key
    checked = 0
    for serializer, response in answers:
        assert response.status_code == 200, response.content[:300]
        checked += assert_documented_throughout(document, serializer, response.json())
    course = answers[2][1].json()["course"]
    assert course["drop_off_lesson"] is not None  # nested objects present, so checked
    assert course["revenue"]
    assert checked > 40
