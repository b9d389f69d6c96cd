from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("categories/<str:category>/", views.CategoryDetailView.as_view(), name="category-detail"),
    path("tags/", views.TagListView.as_view(), name="tag-list"),
    path("tags/<uuid:pk>/", views.TagDetailView.as_view(), name="tag-detail"),
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("search/", views.SearchView.as_view(), name="course-search"),
    path("courses/<str:course>/", views.CourseDetailView.as_view(), name="course-detail"),
    path(
        "courses/<str:course>/thumbnail/",
        views.CourseThumbnailView.as_view(),
        name="course-thumbnail",
    ),
    path("courses/<str:course>/submit/", views.CourseSubmitView.as_view(), name="course-submit"),
    path(
        "courses/<str:course>/approve/",
        views.CourseModerationView.as_view(action="approve"),
        name="course-approve",
    ),
    path("courses/<str:course>/reject/", views.CourseRejectView.as_view(), name="course-reject"),
    path(
        "courses/<str:course>/publish/",
        views.CourseModerationView.as_view(action="publish"),
        name="course-publish",
    ),
    path(
        "courses/<str:course>/unpublish/",
        views.CourseModerationView.as_view(action="unpublish"),
        name="course-unpublish",
    ),
    path(
        "courses/<str:course>/curriculum/",
        views.CurriculumView.as_view(),
        name="course-curriculum",
    ),
    path(
        "courses/<str:course>/related/",
        views.RelatedCoursesView.as_view(),
        name="course-related",
    ),
    path(
        "courses/<str:course>/sections/",
        views.SectionListView.as_view(),
        name="course-sections",
    ),
    path(
        "courses/<str:course>/sections/reorder/",
        views.SectionReorderView.as_view(),
        name="course-sections-reorder",
    ),
    path("sections/<uuid:pk>/", views.SectionDetailView.as_view(), name="section-detail"),
    path("sections/<uuid:pk>/lessons/", views.LessonListView.as_view(), name="section-lessons"),
    path(
        "sections/<uuid:pk>/lessons/reorder/",
        views.LessonReorderView.as_view(),
        name="section-lessons-reorder",
    ),
    path("lessons/<uuid:pk>/", views.LessonDetailView.as_view(), name="lesson-detail"),
    path("lessons/<uuid:pk>/playback/", views.PlaybackView.as_view(), name="lesson-playback"),
    path("media/", views.MediaListView.as_view(), name="media-list"),
    path("media/stream/<str:token>/", views.media_stream, name="media-stream"),
    path("media/<uuid:pk>/", views.MediaDetailView.as_view(), name="media-detail"),
]
