from django.urls import path

from lms.community.api import views

FLAG_MOVES = ("pin", "unpin", "lock", "unlock", "resolve", "unresolve")
REPORTABLE = {
    "reviews": "review",
    "comments": "comment",
    "discussions": "discussion",
    "replies": "reply",
}

urlpatterns = [
    path("courses/<str:course>/reviews/", views.CourseReviewsView.as_view(), name="course-reviews"),
    path("reviews/<uuid:pk>/", views.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<uuid:pk>/helpful/", views.ReviewHelpfulView.as_view(), name="review-helpful"),
    path("reviews/<uuid:pk>/reply/", views.ReviewReplyView.as_view(), name="review-reply"),
    path("lessons/<uuid:pk>/comments/", views.LessonCommentsView.as_view(), name="lesson-comments"),
    path("comments/<uuid:pk>/", views.CommentDetailView.as_view(), name="comment-detail"),
    path(
        "courses/<str:course>/discussions/",
        views.CourseDiscussionsView.as_view(),
        name="course-discussions",
    ),
    path("discussions/<uuid:pk>/", views.DiscussionDetailView.as_view(), name="discussion-detail"),
    path(
        "discussions/<uuid:pk>/replies/",
        views.DiscussionRepliesView.as_view(),
        name="discussion-replies",
    ),
    path(
        "discussions/<uuid:pk>/accept/",
        views.DiscussionAcceptView.as_view(),
        name="discussion-accept",
    ),
    *[
        path(
            f"discussions/<uuid:pk>/{move}/",
            views.DiscussionFlagView.as_view(move=move),
            name=f"discussion-{move}",
        )
        for move in FLAG_MOVES
    ],
    path("replies/<uuid:pk>/upvote/", views.ReplyUpvoteView.as_view(), name="reply-upvote"),
    *[
        path(
            f"{prefix}/<uuid:pk>/report/",
            views.ReportView.as_view(kind=kind),
            name=f"{kind}-report",
        )
        for prefix, kind in REPORTABLE.items()
    ],
    path("moderation/reports/", views.ModerationReportsView.as_view(), name="moderation-reports"),
    *[
        path(
            f"moderation/items/<str:kind>/<uuid:pk>/{action}/",
            views.ModerationItemView.as_view(action=action),
            name=f"moderation-{action}",
        )
        for action in ("hide", "restore", "dismiss")
    ],
]
