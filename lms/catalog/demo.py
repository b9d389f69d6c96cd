"""Demo catalog for `manage.py seed_demo`: published courses with curricula, idempotent.

Courses go through the same services as real ones (create, sections, lessons, media
uploads, thumbnails, submit, approve, publish), so counters, search documents and audit
lines are right. Each demo instructor's media library holds a playable video
(`demo_assets/lesson.mp4`: 4 s, 320x180, H.264 constrained baseline, yuv420p, `moov` first,
8 kB; made once with PyAV's libx264 from frames drawn by Pillow) and a PDF written here
with reportlab; video lessons play it, each course's first section has the PDF, and every
course previews the video. Thumbnails are drawn with Pillow (`seed_thumbnails`, run after
the other seeders so their courses get one too). Every other status of the course workflow
has one course (`QUEUE_COURSES`): a draft, one waiting for review, a rejected one, an
approved one not yet published and an unpublished one.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from lms.accounts.models import Role, User

from . import services
from .models import Category, Course, CourseStatus, LessonType, MediaAsset

DEMO_ASSETS = Path(__file__).resolve().parent / "demo_assets"
DEMO_DOMAIN = "@demo.learnflow.local"
VIDEO_TITLE = "Demo lesson video (4 s)"
PDF_TITLE = "Course handbook (PDF)"

CATEGORIES = [
    ("Development", "development", "code", None),
    ("Web Development", "web-development", "globe", "development"),
    ("Data Science", "data-science", "chart", None),
    ("Design", "design", "palette", None),
    ("Art", "art", "brush", "design"),
]

# (owner email, category slug, title, subtitle, level, price or None for free, tags, outline)
Outline = list[tuple[str, list[str]]]
COURSES: list[tuple[str, str, str, str, str, str | None, list[str], Outline]] = [
    (
        "grace@demo.learnflow.local", "development", "Python from First Principles",
        "Variables to packages: write clear, tested Python", "beginner", "29.99",
        ["python", "programming"],
        [
            ("Getting started", ["Why Python", "Installing the interpreter", "Your first script"]),
            ("Core language", ["Numbers and strings", "Lists and dictionaries", "Functions"]),
            ("Real programs", ["Modules and packages", "Testing with pytest", "Final project"]),
        ],
    ),
    (
        "grace@demo.learnflow.local", "development", "Build Your Own Compiler",
        "Lexing, parsing and code generation for a small language", "advanced", "59.00",
        ["compilers", "python"],
        [
            ("Front end", ["Tokens and lexers", "Recursive descent parsing", "Syntax trees"]),
            ("Back end", ["Type checking", "Generating bytecode", "A tiny virtual machine"]),
        ],
    ),
    (
        "grace@demo.learnflow.local", "web-development", "Django REST APIs that Last",
        "Design, test and ship a versioned HTTP API", "intermediate", "39.00",
        ["django", "python", "api"],
        [
            ("Foundations", ["Resources and URLs", "Serializers for input", "Permissions"]),
            ("Production", ["Pagination and filters", "Query counts", "Deploying"]),
        ],
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Machine Learning Foundations",
        "Regression, classification and honest evaluation", "intermediate", "49.99",
        ["machine learning", "mathematics", "python"],
        [
            ("Supervised learning", ["Linear regression", "Logistic regression", "Overfitting"]),
            ("Evaluation", ["Train, validation, test", "Metrics that matter", "Case study"]),
        ],
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Logic and Computation",
        "From truth tables to the halting problem", "all", None,
        ["mathematics", "logic"],
        [
            ("Logic", ["Propositions", "Proofs", "Predicate logic"]),
            ("Computation", ["Finite automata", "Turing machines", "Undecidability"]),
        ],
    ),
    (
        "frida@demo.learnflow.local", "art", "Painting Self-Portraits",
        "Colour, composition and telling your own story", "beginner", "24.00",
        ["painting", "art"],
        [
            ("Seeing", ["Observing your face", "Sketching proportions"]),
            ("Painting", ["Mixing skin tones", "Symbolic backgrounds", "Finishing touches"]),
        ],
    ),
    (
        "frida@demo.learnflow.local", "design", "Visual Storytelling for Designers",
        "Use colour and symbol to carry a message", "intermediate", "34.50",
        ["design", "storytelling"],
        [
            ("Principles", ["Colour meaning", "Symbols and motifs"]),
            ("Practice", ["Moodboards", "A poster from brief to print"]),
        ],
    ),
]  # fmt: skip


# (owner email, category slug, title, subtitle, status it is left in, review note)
QUEUE_COURSES = [
    (
        "frida@demo.learnflow.local", "art", "Watercolour Basics",
        "Washes, layers and light in ten short lessons", CourseStatus.PENDING, "",
    ),
    (
        "grace@demo.learnflow.local", "development", "Rust for Python Programmers",
        "Ownership and borrowing explained through code you know", CourseStatus.REJECTED,
        "Please add exercises to each section and a longer description.",
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Cryptography for Everyone",
        "Ciphers, keys and proofs without the jargon", CourseStatus.DRAFT, "",
    ),
    (
        "frida@demo.learnflow.local", "design", "Typography Essentials",
        "Choose, pair and set type that reads well", CourseStatus.APPROVED, "",
    ),
    (
        "alan@demo.learnflow.local", "data-science", "Statistics Refresher",
        "Means, variance and confidence intervals in one evening", CourseStatus.UNPUBLISHED, "",
    ),
]  # fmt: skip


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and lines of text (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 20)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 12)
    for index, line in enumerate(lines):
        page.drawString(72, 730 - 18 * index, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def thumbnail_png(title: str, subtitle: str = "") -> bytes:
    """A 1280x720 PNG: a colour picked from the title, the title and subtitle in white."""
    hue = int(hashlib.sha256(title.encode()).hexdigest()[:4], 16) / 0xFFFF
    top = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.75))
    bottom = tuple(int(255 * c) for c in colorsys.hsv_to_rgb((hue + 0.08) % 1, 0.75, 0.45))
    width, height = 1280, 720
    image = Image.new("RGB", (width, height), top)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
        )
    draw.text((80, 260), title, fill="white", font=ImageFont.load_default(size=72))
    draw.text((80, 380), subtitle, fill=(235, 235, 235), font=ImageFont.load_default(size=36))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def media_library(owner: User) -> tuple[MediaAsset, MediaAsset]:
    """The owner's demo video and PDF, uploaded through the media service once."""
    found = {
        asset.title: asset
        for asset in MediaAsset.objects.filter(owner=owner, title__in=[VIDEO_TITLE, PDF_TITLE])
    }
    if VIDEO_TITLE not in found:
        video = (DEMO_ASSETS / "lesson.mp4").read_bytes()
        found[VIDEO_TITLE] = services.upload_media(
            owner=owner,
            file=SimpleUploadedFile("lesson.mp4", video, "video/mp4"),
            title=VIDEO_TITLE,
        )
    if PDF_TITLE not in found:
        pdf = demo_pdf(
            "Course handbook",
            [
                f"Welcome! This course is taught by {owner.full_name}.",
                "Each section ends with a short exercise; the quiz checks what you learnt.",
                "Questions? Use the course's discussion or write to your instructor.",
            ],
        )
        found[PDF_TITLE] = services.upload_media(
            owner=owner,
            file=SimpleUploadedFile("handbook.pdf", pdf, "application/pdf"),
            title=PDF_TITLE,
        )
    return found[VIDEO_TITLE], found[PDF_TITLE]


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {}
    for order, (name, slug, icon, parent) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "icon": icon,
                "order": order,
                "parent": found.get(parent or ""),
            },
        )
        found[slug] = category
    return found


def _create(
    *,
    owner: User,
    category: Category,
    title: str,
    subtitle: str,
    level: str,
    price: str | None,
    tags: list[str],
    outline: Outline,
) -> Course:
    """A draft with its curriculum: video lessons play the owner's demo video, and the first
    section ends with the handbook PDF."""
    video, pdf = media_library(owner)
    course = services.create_course(
        by=owner,
        data={
            "title": title,
            "subtitle": subtitle,
            "description": f"{subtitle}. A hands-on course by {owner.full_name}.",
            "outcomes": [
                f"Understand {lesson.lower()}" for _, lessons in outline for lesson in lessons[:1]
            ],
            "requirements": ["Curiosity and a computer"],
            "category": category,
            "tags": tags,
            "level": level,
            "price": Decimal(price) if price else Decimal("0"),
            "is_free": price is None,
            "preview_video": video,
        },
    )
    for number, (section_title, lessons) in enumerate(outline):
        section = services.create_section(course=course, by=owner, title=section_title)
        for index, lesson_title in enumerate(lessons):
            is_video = index % 2 == 0
            services.create_lesson(
                section=section,
                by=owner,
                data={
                    "title": lesson_title,
                    "type": LessonType.VIDEO if is_video else LessonType.TEXT,
                    "content": f"Notes for “{lesson_title}”.",
                    "media": video if is_video else None,
                    "duration_seconds": 300 + 60 * index,
                    "is_preview": index == 0 and number == 0,
                },
            )
        if number == 0:
            services.create_lesson(
                section=section,
                by=owner,
                data={
                    "title": "Course handbook",
                    "type": LessonType.PDF,
                    "content": "The handbook of this course, to read or print.",
                    "media": pdf,
                    "duration_seconds": 300,
                    "is_preview": True,
                },
            )
    course.refresh_from_db()
    return course


def publish_seeded_course(course: Course) -> Course:
    """Publish a demo course that another app's seeder wrote as a draft with its lessons,
    through the workflow's services (submit by its owner, approve and publish by the first
    admin), so its owner's figures (`course_count`) and the audit lines are right. A course
    without a category gets the first demo category. Without an admin it stays a draft."""
    reviewer = User.objects.filter(role=Role.ADMIN).order_by("created_at").first()
    if reviewer is None or course.status != CourseStatus.DRAFT:
        return course
    if course.category_id is None:
        course.category = _categories()[CATEGORIES[0][1]]
        course.save(update_fields=["category", "updated_at"])
    with transaction.atomic():
        services._refresh_course_totals(course.pk)  # its lessons were written directly
    services.submit_course_for_review(course=course, by=course.instructor)
    services.approve_course(course=course, by=reviewer)
    return services.publish_course(course=course, by=reviewer)


def _move_to(course: Course, status: str, *, owner: User, reviewer: User, note: str) -> None:
    """From draft to `status` through the workflow's services, the way a real course goes:
    submitted by its owner, then approved or rejected, published and unpublished by staff."""
    if status == CourseStatus.DRAFT:
        return
    services.submit_course_for_review(course=course, by=owner)
    if status == CourseStatus.REJECTED:
        services.reject_course(course=course, by=reviewer, reason=note)
    elif status != CourseStatus.PENDING:
        services.approve_course(course=course, by=reviewer)
        if status in (CourseStatus.PUBLISHED, CourseStatus.UNPUBLISHED):
            services.publish_course(course=course, by=reviewer)
        if status == CourseStatus.UNPUBLISHED:
            services.unpublish_course(course=course, by=reviewer)


@transaction.atomic
def seed_catalog(stdout: Any) -> None:
    """Create the demo categories, the published courses and the review queue's courses
    that are not there yet."""
    categories = _categories()
    reviewer = User.objects.filter(role=Role.ADMIN).order_by("created_at").first()
    created = 0
    for email, category, title, subtitle, level, price, tags, outline in COURSES:
        owner = User.objects.filter(email=email).first()
        if owner is None or reviewer is None:
            continue
        if Course.objects.filter(slug=slugify(title)).exists():
            continue
        course = _create(
            owner=owner,
            category=categories[category],
            title=title,
            subtitle=subtitle,
            level=level,
            price=price,
            tags=tags,
            outline=outline,
        )
        services.submit_course_for_review(course=course, by=owner)
        services.approve_course(course=course, by=reviewer)
        services.publish_course(course=course, by=reviewer)
        created += 1
    stdout.write(f"Catalog: {created} demo course(s) published.")
    for email, category, title, subtitle, status, note in QUEUE_COURSES:
        owner = User.objects.filter(email=email).first()
        if owner is None or reviewer is None or Course.objects.filter(slug=slugify(title)).exists():
            continue
        course = _create(
            owner=owner,
            category=categories[category],
            title=title,
            subtitle=subtitle,
            level="beginner",
            price="19.00",
            tags=[],
            outline=[("First steps", ["What you need", "A first exercise"])],
        )
        _move_to(course, status, owner=owner, reviewer=reviewer, note=note)
        stdout.write(f"Catalog: “{title}” by {owner.email} is {status}.")


@transaction.atomic
def seed_thumbnails(stdout: Any) -> None:
    """A drawn thumbnail for every demo instructor's course that has none (any seeder's)."""
    drawn = 0
    for course in Course.objects.filter(
        instructor__email__endswith=DEMO_DOMAIN, thumbnail=""
    ).select_related("instructor"):
        image = SimpleUploadedFile("thumbnail.png", thumbnail_png(course.title, course.subtitle))
        services.set_course_thumbnail(course=course, file=image, by=course.instructor)
        drawn += 1
    stdout.write(f"Catalog: {drawn} course thumbnail(s) drawn.")
