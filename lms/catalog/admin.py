"""Django admin: the course review queue, with the workflow's actions calling the services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.accounts.current import current_user
from lms.core.admin import apply_to_each

from . import services
from .models import Category, Course, CourseStatus, Lesson, MediaAsset, Section, Tag

REJECTED_FROM_ADMIN = "Rejected in review; see the reviewer's notes."


class SectionInline(admin.TabularInline[Section, Course]):
    model = Section
    extra = 0
    fields = ("title", "order")
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = (
        "title", "instructor", "status", "category", "level", "price", "currency",
        "lesson_count", "enrollment_count", "rating", "submitted_at", "published_at",
    )  # fmt: skip
    list_filter = ("status", "level", "category", "is_free", "language")
    list_select_related = ("instructor", "category")
    search_fields = ("title", "slug", "instructor__email", "instructor__last_name")
    ordering = ("-submitted_at", "-created_at")
    raw_id_fields = ("instructor", "co_instructors", "prerequisites", "preview_video")
    # Status moves only through the actions (the workflow), never by editing the field.
    readonly_fields = (
        "status", "submitted_at", "published_at", "rating", "review_count",
        "enrollment_count", "lesson_count", "duration_seconds", "created_at", "updated_at",
    )  # fmt: skip
    exclude = ("search_vector",)
    inlines = [SectionInline]
    actions = ["approve", "reject", "publish", "unpublish"]

    @admin.action(description="Approve selected pending courses")
    def approve(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.approve_course(course=course, by=by, request=request),
            done="{count} course(s) approved.",
        )  # fmt: skip

    @admin.action(description="Reject selected pending courses (reason: the course's field)")
    def reject(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.reject_course(
                course=course, by=by, request=request,
                reason=course.rejection_reason or REJECTED_FROM_ADMIN,
            ),
            done="{count} course(s) rejected.",
        )  # fmt: skip

    @admin.action(description="Publish selected approved courses")
    def publish(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.publish_course(course=course, by=by, request=request),
            done="{count} course(s) published.",
        )  # fmt: skip

    @admin.action(description="Unpublish selected published courses")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.unpublish_course(course=course, by=by, request=request),
            done="{count} course(s) unpublished.",
        )  # fmt: skip

    def has_delete_permission(self, request: HttpRequest, obj: Course | None = None) -> bool:
        return obj is None or obj.status == CourseStatus.DRAFT


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("name", "slug", "parent", "order", "icon")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    list_display = ("title", "course", "section", "type", "is_preview", "order")
    list_filter = ("type", "is_preview")
    list_select_related = ("course", "section")
    search_fields = ("title", "course__title")
    raw_id_fields = ("course", "section", "media")


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin[MediaAsset]):
    list_display = ("__str__", "owner", "kind", "size", "content_type", "created_at")
    list_filter = ("kind",)
    list_select_related = ("owner",)
    search_fields = ("title", "owner__email")
    readonly_fields = ("file", "size", "content_type", "checksum", "kind")
