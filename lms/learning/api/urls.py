from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/<str:course>/enroll/", views.EnrollView.as_view(), name="learning-enroll"),
    path(
        "courses/<str:course>/students/",
        views.CourseStudentsView.as_view(),
        name="learning-course-students",
    ),
    path("enrollments/", views.EnrollmentListView.as_view(), name="learning-enrollment-list"),
    path(
        "enrollments/<uuid:enrollment_id>/",
        views.EnrollmentDetailView.as_view(),
        name="learning-enrollment-detail",
    ),
    path(
        "enrollments/<uuid:enrollment_id>/mark-lesson-complete/",
        views.MarkLessonCompleteView.as_view(),
        name="learning-mark-lesson-complete",
    ),
    path(
        "enrollments/<uuid:enrollment_id>/lessons/<uuid:lesson_id>/progress/",
        views.LessonPositionView.as_view(),
        name="learning-lesson-progress",
    ),
    path("certificates/", views.CertificateListView.as_view(), name="learning-certificate-list"),
    path(
        "certificates/verify/<str:code>/",
        views.CertificateVerifyView.as_view(),
        name="learning-certificate-verify",
    ),
    path(
        "certificates/<uuid:certificate_id>/",
        views.CertificateDetailView.as_view(),
        name="learning-certificate-detail",
    ),
    path(
        "certificates/<uuid:certificate_id>/pdf/",
        views.CertificatePdfView.as_view(),
        name="learning-certificate-pdf",
    ),
    path("dashboard/stats/", views.DashboardStatsView.as_view(), name="learning-dashboard-stats"),
    path(
        "dashboard/continue-learning/",
        views.ContinueLearningView.as_view(),
        name="learning-continue-learning",
    ),
    path(
        "dashboard/recommendations/",
        views.RecommendationsView.as_view(),
        name="learning-recommendations",
    ),
]
