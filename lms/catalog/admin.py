"""Django admin: the course review queue, with the workflow's actions calling the services.

Every save here is a catalog service call (`by=` the staff member, `request=`), so a title or
price changed in the admin refreshes the search document, bumps the response cache and writes
the audit line exactly as the API does; what no service writes (a course's owner, slug,
thumbnail, a tag's name, a media file) is read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from lms.accounts.current import current_user
from lms.core.admin import ServiceAdmin, apply_to_each

from . import services
from .models import Category, Course, CourseStatus, Lesson, MediaAsset, Section, Tag

REJECTED_FROM_ADMIN = "Rejected in review; see the reviewer's notes."
# What `services.update_course` edits; the many-to-many ones are passed as lists.
COURSE_FIELDS = (
    "title", "subtitle", "description", "outcomes", "requirements", "category", "level",
    "language", "price", "currency", "is_free", "preview_video",
)  # fmt: skip
COURSE_LINKS = ("tags", "prerequisites", "co_instructors")
LESSON_FIELDS = (
    "title", "type", "content", "video_id", "media", "duration_seconds", "is_preview", "order",
)  # fmt: skip


def changed(form: forms.ModelForm[Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The form's cleaned values of the fields among `names` that the staff member changed."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


class ReviewActionForm(ActionForm):
    reason = forms.CharField(
        required=False, label="Reason (for reject)", widget=forms.TextInput(attrs={"size": 50})
    )


class SectionInline(admin.TabularInline[Section, Course]):
    """Saved through create_section / update_section / delete_section (CourseAdmin)."""

    model = Section
    extra = 0
    fields = ("title", "order")
    show_change_link = False


@admin.register(Course)
class CourseAdmin(ServiceAdmin[Course]):
    list_display = (
        "title", "instructor", "status", "category", "level", "price", "currency",
        "lesson_count", "enrollment_count", "rating", "submitted_at", "published_at",
    )  # fmt: skip
    list_filter = ("status", "level", "category", "is_free", "language")
    list_select_related = ("instructor", "category")
    search_fields = ("title", "slug", "instructor__email", "instructor__last_name")
    ordering = ("-submitted_at", "-created_at")
    raw_id_fields = ("co_instructors", "prerequisites", "preview_video")
    # Status moves only through the actions (the workflow), never by editing the field; the
    # owner, slug and thumbnail have no staff service.
    readonly_fields = (
        "slug", "instructor", "thumbnail", "status", "rejection_reason", "submitted_at",
        "published_at", "rating", "review_count", "enrollment_count", "lesson_count",
        "duration_seconds", "created_at", "updated_at",
    )  # fmt: skip
    exclude = ("search_vector",)
    inlines = [SectionInline]
    action_form = ReviewActionForm
    actions = ["approve", "reject", "publish", "unpublish"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # instructors create courses (POST /courses/)

    def has_delete_permission(self, request: HttpRequest, obj: Course | None = None) -> bool:
        return obj is None or obj.status == CourseStatus.DRAFT

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        data = changed(form, COURSE_FIELDS + COURSE_LINKS)
        if "tags" in data:
            data["tags"] = [tag.name for tag in data["tags"]]
        for name in ("prerequisites", "co_instructors"):
            if name in data:
                data[name] = list(data[name])
        if data:
            services.update_course(
                course=Course.objects.get(pk=obj.pk),  # not the form's half-applied instance
                by=current_user(request),
                data=data,
                request=request,
            )
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The links were set by update_course (save_model); only the sections are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        by = current_user(request)
        # What Django's change message reads after a formset's save.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for section_form in formset.deleted_forms:
            if not section_form.instance._state.adding:
                services.delete_section(section=section_form.instance, by=by, request=request)
                formset.deleted_objects.append(section_form.instance)
        for section_form in formset.forms:
            if section_form in formset.deleted_forms or not section_form.has_changed():
                continue
            if section_form.instance._state.adding:
                formset.new_objects.append(
                    services.create_section(
                        course=form.instance,
                        by=by,
                        title=section_form.cleaned_data["title"],
                        order=section_form.cleaned_data.get("order"),
                    )
                )
            else:
                section = services.update_section(
                    section=Section.objects.get(pk=section_form.instance.pk),
                    by=by,
                    data=changed(section_form, ("title", "order")),
                )
                formset.changed_objects.append((section, section_form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Course) -> None:
        services.delete_course(course=obj, by=current_user(request), request=request)

    @admin.action(permissions=["change"], description="Approve selected pending courses")
    def approve(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.approve_course(course=course, by=by, request=request),
            done="{count} course(s) approved.",
        )  # fmt: skip

    @admin.action(
        permissions=["change"],
        description="Reject selected pending courses (with the reason typed beside)",
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        reason = str(request.POST.get("reason", "")).strip() or REJECTED_FROM_ADMIN
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.reject_course(
                course=course, by=by, request=request, reason=reason
            ),
            done="{count} course(s) rejected.",
        )  # fmt: skip

    @admin.action(permissions=["change"], description="Publish selected approved courses")
    def publish(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.publish_course(course=course, by=by, request=request),
            done="{count} course(s) published.",
        )  # fmt: skip

    @admin.action(permissions=["change"], description="Unpublish selected published courses")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        by = current_user(request)
        apply_to_each(
            self, request, queryset.select_related("instructor"),
            lambda course: services.unpublish_course(course=course, by=by, request=request),
            done="{count} course(s) unpublished.",
        )  # fmt: skip


@admin.register(Category)
class CategoryAdmin(ServiceAdmin[Category]):
    list_display = ("name", "slug", "parent", "order", "icon")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        by = current_user(request)
        names = ("name", "slug", "icon", "parent", "order")
        if change:
            category = services.update_category(
                category=Category.objects.get(pk=obj.pk),
                by=by,
                data=changed(form, names),
                request=request,
            )
        else:
            data = {name: form.cleaned_data[name] for name in names}
            category = services.create_category(by=by, data=data, request=request)
        obj.pk = category.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        services.delete_category(category=obj, by=current_user(request), request=request)


@admin.register(Tag)
class TagAdmin(ServiceAdmin[Tag]):
    """Tags are added and deleted through the services; no service renames one (its name is
    in the search documents of its courses), so the name is read-only once it exists."""

    list_display = ("name", "slug")
    search_fields = ("name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None) -> Any:
        return ("name", "slug") if obj is not None else ("slug",)

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a tag is editable
        tag = services.create_tag(
            by=current_user(request), name=form.cleaned_data["name"], request=request
        )
        obj.pk = tag.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        services.delete_tag(tag=obj, by=current_user(request), request=request)


@admin.register(Lesson)
class LessonAdmin(ServiceAdmin[Lesson]):
    """Lessons through create_lesson / update_lesson / delete_lesson: the course's totals,
    the lesson's quiz or assignment and the response cache follow, as through the API."""

    list_display = ("title", "course", "section", "type", "is_preview", "order")
    list_filter = ("type", "is_preview")
    list_select_related = ("course", "section")
    search_fields = ("title", "course__title")
    raw_id_fields = ("section", "media")

    def get_readonly_fields(self, request: HttpRequest, obj: Lesson | None = None) -> Any:
        # The course follows the section; no service moves a lesson to another section.
        return ("course", "section") if obj is not None else ("course",)

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        by = current_user(request)
        if change:
            lesson = services.update_lesson(
                lesson=Lesson.objects.select_related("course").get(pk=obj.pk),
                by=by,
                data=changed(form, LESSON_FIELDS),
            )
        else:
            data = {name: form.cleaned_data[name] for name in LESSON_FIELDS}
            lesson = services.create_lesson(section=form.cleaned_data["section"], by=by, data=data)
        obj.pk = lesson.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Lesson) -> None:
        services.delete_lesson(lesson=obj, by=current_user(request), request=request)


@admin.register(MediaAsset)
class MediaAssetAdmin(ServiceAdmin[MediaAsset]):
    """Files are uploaded by their owners (POST /media/) and deleted here through
    delete_media (refused while a lesson or course uses one); nothing else is edited."""

    list_display = ("__str__", "owner", "kind", "size", "content_type", "created_at")
    list_filter = ("kind",)
    list_select_related = ("owner",)
    search_fields = ("title", "owner__email")
    readonly_fields = ("owner", "title", "file", "size", "content_type", "checksum", "kind")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MediaAsset, form: Any, change: bool) -> None:
        return  # every field is read-only

    def delete_model(self, request: HttpRequest, obj: MediaAsset) -> None:
        services.delete_media(asset=obj, by=current_user(request), request=request)
