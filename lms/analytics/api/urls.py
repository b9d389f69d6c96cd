from django.urls import path

from . import views

urlpatterns = [
    path("analytics/student/", views.StudentAnalyticsView.as_view(), name="analytics-student"),
    path(
        "analytics/instructor/",
        views.InstructorAnalyticsView.as_view(),
        name="analytics-instructor",
    ),
    path(
        "analytics/courses/<str:course>/",
        views.CourseAnalyticsView.as_view(),
        name="analytics-course",
    ),
    path("analytics/platform/", views.PlatformAnalyticsView.as_view(), name="analytics-platform"),
]
