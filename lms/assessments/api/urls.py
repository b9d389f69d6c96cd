from django.urls import path

from lms.assessments.api import views

urlpatterns = [
    path("quizzes/<uuid:pk>/", views.QuizDetailView.as_view(), name="quiz-detail"),
    path(
        "quizzes/<uuid:pk>/questions/", views.QuizQuestionListView.as_view(), name="quiz-questions"
    ),
    path("quizzes/<uuid:pk>/attempts/", views.QuizAttemptListView.as_view(), name="quiz-attempts"),
    path("questions/<uuid:pk>/", views.QuestionDetailView.as_view(), name="question-detail"),
    path("attempts/<uuid:pk>/", views.AttemptDetailView.as_view(), name="attempt-detail"),
    path("attempts/<uuid:pk>/submit/", views.AttemptSubmitView.as_view(), name="attempt-submit"),
    path("assignments/<uuid:pk>/", views.AssignmentDetailView.as_view(), name="assignment-detail"),
    path(
        "assignments/<uuid:pk>/submissions/",
        views.AssignmentSubmissionListView.as_view(),
        name="assignment-submissions",
    ),
    path("submissions/<uuid:pk>/", views.SubmissionDetailView.as_view(), name="submission-detail"),
    path("submissions/<uuid:pk>/file/", views.SubmissionFileView.as_view(), name="submission-file"),
    path(
        "submissions/<uuid:pk>/grade/", views.SubmissionGradeView.as_view(), name="submission-grade"
    ),
    path(
        "courses/<str:course>/quiz-attempts/",
        views.CourseAttemptListView.as_view(),
        name="course-quiz-attempts",
    ),
    path(
        "courses/<str:course>/submissions/",
        views.CourseSubmissionListView.as_view(),
        name="course-submissions",
    ),
]
