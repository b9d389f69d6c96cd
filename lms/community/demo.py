"""Demo community data for `manage.py seed_demo`: reviews with an instructor reply and a
helpful vote, a Q&A thread with an accepted answer, a lesson comment with its answer, and
the staff's moderation queue with a report in each state.

Runs after learning's seeder, on the short free course both demo students are enrolled in
(`demo-study-skills`, by Grace). Everything goes through the services, so the course's rating
and counters are right. The moderation queue (`moderate`, decided by the demo manager): an
open report of Lee's review, Lee's advert in the Q&A thread reported as spam and hidden
(resolved, `hidden`), and a report of Sam's reply dismissed (resolved, `dismissed`).
Idempotent: what exists already is left as it is.
"""

from __future__ import annotations

from typing import Any

from lms.accounts.models import Role, User
from lms.catalog.models import Course, Lesson

from . import selectors, services
from .models import (
    Discussion,
    DiscussionKind,
    DiscussionReply,
    ItemKind,
    LessonComment,
    Report,
    ReportReason,
    Review,
    ReviewReply,
)

COURSE_SLUG = "demo-study-skills"
QUESTION_TITLE = "How often should I review my flashcards?"
REVIEWS = {
    "student@demo.learnflow.local": (5, "Short, practical and it changed how I plan my week."),
    "lee@demo.learnflow.local": (4, "Useful ideas; I would like one more worked example."),
}
SPAM_REPLY = "Flashcards 50% off this week only, link in my profile!"


def _review(course: Course, student: User, rating: int, comment: str) -> Review:
    found = Review.objects.filter(course=course, student=student).first()
    if found is not None:
        return found
    access = selectors.course_access(user=student, ref=course.pk)
    return services.write_review(access=access, student=student, rating=rating, comment=comment)


def seed(stdout: Any) -> None:
    course = Course.objects.filter(slug=COURSE_SLUG).first()
    people = {user.email: user for user in User.objects.filter(email__in=list(REVIEWS))}
    sam = people.get("student@demo.learnflow.local")
    lee = people.get("lee@demo.learnflow.local")
    if course is None or sam is None or lee is None:
        stdout.write("community: no demo course or students; skipped")
        return
    grace = course.instructor
    reviews = [_review(course, people[email], *REVIEWS[email]) for email in REVIEWS]
    if not ReviewReply.objects.filter(review=reviews[0]).exists():
        access = selectors.course_access(user=grace, ref=course.pk)
        services.reply_to_review(
            review_id=reviews[0].pk, access=access, by=grace, body="Thank you, Sam!"
        )
    services.vote_review_helpful(review_id=reviews[0].pk, by=lee)

    if not Discussion.objects.filter(course=course, title=QUESTION_TITLE).exists():
        lee_access = selectors.course_access(user=lee, ref=course.pk)
        question = services.start_discussion(
            access=lee_access,
            author=lee,
            title=QUESTION_TITLE,
            body="The lesson says 'spaced', but how far apart, in days?",
            kind=DiscussionKind.QUESTION,
        )
        grace_access = selectors.course_access(user=grace, ref=course.pk)
        answer = services.reply_to_discussion(
            discussion_id=question.pk,
            access=grace_access,
            author=grace,
            body="Start at 1, 3 and 7 days, then double the gap after each good recall.",
        )
        sam_access = selectors.course_access(user=sam, ref=course.pk)
        services.reply_to_discussion(
            discussion_id=question.pk,
            access=sam_access,
            author=sam,
            body="That schedule worked for me too.",
            parent_id=answer.pk,
        )
        services.upvote_reply(reply_id=answer.pk, access=sam_access, by=sam)
        services.accept_answer(
            discussion_id=question.pk, access=lee_access, by=lee, reply_id=answer.pk
        )

    lesson = Lesson.objects.filter(course=course).order_by("order", "created_at").first()
    if lesson is not None and not LessonComment.objects.filter(lesson=lesson).exists():
        lesson_ref, sam_lesson = selectors.lesson_access(user=sam, lesson_id=lesson.pk)
        comment = services.post_comment(
            lesson=lesson_ref, access=sam_lesson, author=sam, body="Is there a printable summary?"
        )
        _ref, grace_lesson = selectors.lesson_access(user=grace, lesson_id=lesson.pk)
        services.post_comment(
            lesson=lesson_ref,
            access=grace_lesson,
            author=grace,
            body="Yes: the resource lesson at the end of the section.",
            parent_id=comment.pk,
        )
    reports = moderate(course=course, sam=sam, lee=lee)
    course.refresh_from_db(fields=["rating", "review_count"])
    stdout.write(
        f"community: {course.title} rated {course.rating} from {course.review_count} reviews; "
        f"a Q&A thread with an accepted answer; {reports} report(s) for moderation"
    )


def _report(*, by: User, kind: str, item_id: Any, reason: str, detail: str) -> bool:
    """`by` reports the item through the service; False when they have already."""
    if Report.objects.filter(reporter=by, kind=kind, item_id=item_id).exists():
        return False
    item, access = selectors.item_for_user(user=by, kind=kind, item_id=item_id)
    services.report_item(kind=kind, item=item, access=access, by=by, reason=reason, detail=detail)
    return True


def moderate(*, course: Course, sam: User, lee: User) -> int:
    """The moderation queue's reports, each report made and decided once; returns how many
    reports the queue's course has. Skipped without a manager or the Q&A thread."""
    moderator = User.objects.filter(role=Role.MANAGER).order_by("created_at").first()
    question = Discussion.objects.filter(course=course, title=QUESTION_TITLE).first()
    review = Review.objects.filter(course=course, student=lee).first()
    if moderator is None or question is None or review is None:
        return 0
    # open: Sam reports Lee's review; it waits in the queue
    _report(
        by=sam,
        kind=ItemKind.REVIEW,
        item_id=review.pk,
        reason=ReportReason.OFF_TOPIC,
        detail="This asks for a lesson rather than reviewing the course.",
    )
    # resolved, hidden: Lee's advert in the thread, reported by Sam as spam
    advert = DiscussionReply.objects.filter(discussion=question, author=lee, body=SPAM_REPLY)
    spam = advert.first()
    if spam is None:
        spam = services.reply_to_discussion(
            discussion_id=question.pk,
            access=selectors.course_access(user=lee, ref=course.pk),
            author=lee,
            body=SPAM_REPLY,
        )
    if _report(
        by=sam,
        kind=ItemKind.REPLY,
        item_id=spam.pk,
        reason=ReportReason.SPAM,
        detail="An advert, not an answer.",
    ):
        services.set_item_visibility(
            kind=ItemKind.REPLY, item_id=spam.pk, by=moderator, visible=False
        )
    # resolved, dismissed: Lee reports Sam's reply, which the manager keeps
    kept = DiscussionReply.objects.filter(discussion=question, author=sam).order_by("created_at")
    reply = kept.first()
    if reply is not None and _report(
        by=lee,
        kind=ItemKind.REPLY,
        item_id=reply.pk,
        reason=ReportReason.OTHER,
        detail="Is this an answer or a comment?",
    ):
        services.dismiss_reports(kind=ItemKind.REPLY, item_id=reply.pk, by=moderator)
    return Report.objects.filter(course=course).count()
