"""Reviews, comments, discussions, replies and reports for staff: read only, moderated by
actions that call the same services as the API (audit lines, course rating, reports)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.core.admin import ViewOnlyAdmin, apply_to_each

from . import selectors, services
from .models import Discussion, DiscussionReply, ItemKind, LessonComment, Report, Review


def _visibility_action(kind: str, *, visible: bool, noun: str) -> Any:
    verb = "restored" if visible else "hidden"

    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        apply_to_each(
            modeladmin,
            request,
            queryset,
            lambda item: services.set_item_visibility(
                kind=kind, item_id=item.pk, by=request.user, visible=visible, request=request
            ),
            done=f"{{count}} {noun}(s) {verb}.",
        )

    action.__name__ = "restore" if visible else "hide"
    return admin.action(
        description=f"{'Restore' if visible else 'Hide'} the selected {noun}s (audited; "
        "their open reports are resolved)"
    )(action)


class ModeratedAdmin(ViewOnlyAdmin):
    """Read only; hide and restore through `services.set_item_visibility`."""

    kind = ""
    noun = ""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for visible in (False, True):
            action = _visibility_action(self.kind, visible=visible, noun=self.noun)
            actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions


@admin.register(Review)
class ReviewAdmin(ModeratedAdmin):
    kind = ItemKind.REVIEW
    noun = "review"
    list_display = ("course", "student", "rating", "helpful_count", "visibility", "created_at")
    list_filter = ("visibility", "rating")
    list_select_related = ("course", "student")
    search_fields = ("course__title", "student__email", "comment")
    date_hierarchy = "created_at"


@admin.register(LessonComment)
class LessonCommentAdmin(ModeratedAdmin):
    kind = ItemKind.COMMENT
    noun = "comment"
    list_display = ("lesson", "author", "visibility", "deleted_at", "created_at")
    list_filter = ("visibility",)
    list_select_related = ("lesson", "author")
    search_fields = ("author__email", "body")


class FlagAction:
    """An admin action moving a discussion flag through `services.move_discussion_flag`."""

    def __init__(self, move: str) -> None:
        self.move = move

    def __call__(self, modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        def move(discussion: Discussion) -> Any:
            access = selectors.course_access(user=request.user, ref=discussion.course_id)
            return services.move_discussion_flag(
                discussion_id=discussion.pk,
                access=access,
                by=request.user,
                move=self.move,
                request=request,
            )

        done = f"{{count}} discussion(s): {self.move}."
        apply_to_each(modeladmin, request, queryset, move, done=done)


@admin.register(Discussion)
class DiscussionAdmin(ModeratedAdmin):
    kind = ItemKind.DISCUSSION
    noun = "discussion"
    list_display = (
        "title",
        "course",
        "author",
        "kind",
        "is_pinned",
        "is_locked",
        "is_resolved",
        "reply_count",
        "visibility",
        "last_activity_at",
    )
    list_filter = ("kind", "visibility", "is_pinned", "is_locked", "is_resolved")
    list_select_related = ("course", "author")
    search_fields = ("title", "body", "author__email", "course__title")
    exclude = ("search_vector",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for move in ("pin", "unpin", "lock", "unlock", "resolve", "unresolve"):
            description = f"{move.capitalize()} the selected discussions"
            actions[move] = (FlagAction(move), move, description)
        return actions


@admin.register(DiscussionReply)
class DiscussionReplyAdmin(ModeratedAdmin):
    kind = ItemKind.REPLY
    noun = "reply"
    list_display = ("discussion", "author", "upvote_count", "visibility", "created_at")
    list_filter = ("visibility",)
    list_select_related = ("discussion", "author")
    search_fields = ("author__email", "body")


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    list_display = ("kind", "item_id", "reason", "reporter", "status", "decision", "created_at")
    list_filter = ("status", "kind", "reason", "decision")
    list_select_related = ("reporter",)
    search_fields = ("item_id", "reporter__email", "detail")
