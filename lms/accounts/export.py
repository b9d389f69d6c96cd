"""A person's data as a ZIP of JSON files (GDPR art. 15 and 20: access and portability).

`request_export` records a pending export (one at a time per user: a partial unique
constraint, so two concurrent requests cannot both start one; the second gets 409
`export_running`) and enqueues `build_export` after commit. The task claims the row
(pending -> running, one conditional UPDATE), collects accounts' own documents and every
registered exporter's (lms.accounts.personal_data), writes the ZIP to the private storage,
marks it ready with `expires_at` = now + DATA_EXPORT_LINK_TTL_HOURS, and emails a signed
link. The link carries a signed, timestamped token (django.core.signing, salted): it opens
the file until it expires, with no login (the mailbox is the proof, like a reset link).

ZIP layout: `manifest.json` (user id, generated_at, every file with its size),
`accounts/profile.json`, `accounts/university.json`, `accounts/onboarding.json`,
`accounts/security.json`, `accounts/instructor_applications.json` (+ their files under
`accounts/files/`), then each app's `<app>/<name>.json` and uploaded files, and
`missing_files.json` when a stored file could not be read.
"""

from __future__ import annotations

import json
import logging
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lms.accounts import personal_data
from lms.accounts.errors import AccountError
from lms.accounts.models import (
    Affiliation,
    InstructorApplication,
    InstructorProfile,
    LoginChallenge,
    OnboardingAnswer,
    PersonalDataExport,
    RecoveryCode,
    StudentProfile,
    TwoFactorDevice,
    User,
)
from lms.accounts.personal_data import ExportAttachment, ExportDocument
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.absolute_urls import absolute_url
from lms.core.email import send_templated_email
from lms.core.errors import Conflict, NotFound
from lms.core.requests import AnyRequest

logger = logging.getLogger(__name__)

_SALT = "lms.accounts.export"
_CHUNK = 1024 * 1024


def request_export(*, user: User, request: AnyRequest = None) -> PersonalDataExport:
    """Start an export; 409 `export_running` while one is pending or running."""
    try:
        with transaction.atomic():
            export = PersonalDataExport.objects.create(user=user)
            record(
                action=AuditAction.USER_DATA_EXPORT_REQUESTED,
                actor=user,
                target=user,
                request=request,
            )
    except IntegrityError as exc:
        raise Conflict(
            "An export of your data is already being prepared.", code=AccountError.EXPORT_RUNNING
        ) from exc
    from lms.accounts import tasks

    tasks.build_personal_data_export.delay_on_commit(str(export.pk))
    return export


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _own_entries(user: User) -> Iterator[ExportDocument | ExportAttachment]:
    """What accounts holds about the user."""
    student = StudentProfile.objects.filter(user=user).first()
    instructor = InstructorProfile.objects.filter(user=user).first()
    yield ExportDocument(
        "accounts/profile.json",
        {
            "id": user.pk,
            "email": user.email,
            "email_verified_at": user.email_verified_at,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "created_at": user.created_at,
            "last_login": user.last_login,
            "avatar": user.avatar.name or None,
            "student_profile": student
            and {
                "bio": student.bio,
                "language": student.language,
                "country": student.country,
                "timezone": student.timezone,
                "currency": student.currency,
                "education": student.education,
            },
            "instructor_profile": instructor
            and {
                "headline": instructor.headline,
                "bio": instructor.bio,
                "skills": instructor.skills,
                "languages": instructor.languages,
                "hourly_rate": instructor.hourly_rate,
                "currency": instructor.currency,
                "timezone": instructor.timezone,
                "payout_details": instructor.payout_details,
            },
        },
    )
    if user.avatar:
        yield ExportAttachment(
            f"accounts/files/avatar/{personal_data.file_name(user.avatar)}", user.avatar
        )
    affiliation = Affiliation.objects.select_related("university").filter(user=user).first()
    yield ExportDocument(
        "accounts/university.json",
        affiliation
        and {
            "university": {
                "id": affiliation.university_id,
                "name": affiliation.university.name,
            },
            "since": affiliation.created_at,
        },
    )
    answers = OnboardingAnswer.objects.filter(user=user).select_related("question")
    yield ExportDocument(
        "accounts/onboarding.json",
        [
            {
                "question": answer.question.text,
                "choices": [choice.text for choice in answer.choices.all()],
                "text": answer.text,
                "answered_at": answer.updated_at,
            }
            for answer in answers.prefetch_related("choices")
        ],
    )
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    yield ExportDocument(
        "accounts/security.json",
        {
            "two_factor_enabled_at": device.confirmed_at if device else None,
            "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at=None).count(),
        },
    )
    applications = list(InstructorApplication.objects.filter(user=user).order_by("created_at"))
    yield ExportDocument(
        "accounts/instructor_applications.json",
        [
            {
                "id": application.pk,
                "headline": application.headline,
                "bio": application.bio,
                "expertise": application.expertise,
                "status": application.status,
                "reason": application.reason,
                "created_at": application.created_at,
                "reviewed_at": application.reviewed_at,
            }
            for application in applications
        ],
    )
    for application in applications:
        for kind in ("cv", "certificate"):
            file = getattr(application, kind)
            if file:
                name = personal_data.file_name(file)
                yield ExportAttachment(f"accounts/files/{application.pk}/{kind}-{name}", file)


def collect(user: User) -> Iterable[ExportDocument | ExportAttachment]:
    """Accounts' entries, then every registered exporter's, in registration order."""
    yield from _own_entries(user)
    for exporter in personal_data.exporters:
        yield from exporter(user)


def write_zip(user: User, target: Any) -> list[dict[str, Any]]:
    """Write the export of `user` into the binary file `target`; returns the manifest's list."""
    files: list[dict[str, Any]] = []
    missing: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in collect(user):
            if isinstance(entry, ExportDocument):
                body = _json_bytes(entry.data)
                archive.writestr(entry.path, body)
                files.append({"path": entry.path, "size": len(body)})
            else:
                size = _copy_file(archive, entry.path, entry.file)
                if size is None:
                    missing.append(entry.path)
                else:
                    files.append({"path": entry.path, "size": size})
        if missing:
            archive.writestr("missing_files.json", _json_bytes(missing))
        manifest = {"user_id": user.pk, "generated_at": timezone.now(), "files": files}
        archive.writestr("manifest.json", _json_bytes(manifest))
    return files


def _copy_file(archive: zipfile.ZipFile, path: str, file: File) -> int | None:
    size = 0
    try:
        file.open("rb")
        with archive.open(path, "w") as out:
            while chunk := file.read(_CHUNK):
                out.write(chunk)
                size += len(chunk)
        file.close()
    except OSError:
        logger.warning("export: a stored file could not be read", extra={"path": path})
        return None
    return size


def build_export(*, export_id: str) -> None:
    """The Celery task's work: claim, build, store, email. A second delivery does nothing."""
    claimed = PersonalDataExport.objects.filter(
        pk=export_id, status=PersonalDataExport.Status.PENDING
    ).update(status=PersonalDataExport.Status.RUNNING)
    if not claimed:
        return
    export = PersonalDataExport.objects.select_related("user").get(pk=export_id)
    user = export.user
    try:
        with tempfile.TemporaryFile() as spool:
            write_zip(user, spool)
            spool.seek(0)
            export.file.save(f"export-{export.pk}.zip", File(spool), save=False)
    except Exception:
        PersonalDataExport.objects.filter(pk=export.pk).update(
            status=PersonalDataExport.Status.FAILED, finished_at=timezone.now()
        )
        # failed, not retried: the user may ask again at once (the constraint frees them)
        logger.exception("export: building the ZIP failed", extra={"export_id": export_id})
        return
    now = timezone.now()
    export.status = PersonalDataExport.Status.READY
    export.finished_at = now
    export.expires_at = now + timedelta(hours=settings.DATA_EXPORT_LINK_TTL_HOURS)
    export.save(update_fields=["file", "status", "finished_at", "expires_at", "updated_at"])
    record(action=AuditAction.USER_DATA_EXPORT_READY, actor=None, target=user)
    send_templated_email(
        to=user.email,
        template="data_export_ready",
        context={
            "user": user,
            "link": download_link(export),
            "hours": settings.DATA_EXPORT_LINK_TTL_HOURS,
        },
    )


def download_token(export: PersonalDataExport) -> str:
    return signing.dumps({"export": str(export.pk)}, salt=_SALT, compress=True)


def download_link(export: PersonalDataExport) -> str:
    path = reverse("auth-me-export-download")
    return absolute_url(f"{path}?token={download_token(export)}")


def export_for_token(*, token: str, request: AnyRequest = None) -> PersonalDataExport:
    """The ready export a signed link names; 404 when the token is forged, the link older than
    DATA_EXPORT_LINK_TTL_HOURS, or the export gone (its user deleted, the file purged)."""
    try:
        payload = signing.loads(
            token, salt=_SALT, max_age=timedelta(hours=settings.DATA_EXPORT_LINK_TTL_HOURS)
        )
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise NotFound("The link is invalid or has expired.") from exc
    export = (
        PersonalDataExport.objects.select_related("user")
        .filter(
            pk=payload.get("export"),
            status=PersonalDataExport.Status.READY,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .exclude(file="")
        .first()
    )
    if export is None:
        raise NotFound("The link is invalid or has expired.")
    record(
        action=AuditAction.USER_DATA_EXPORT_DOWNLOADED,
        actor=None,
        target=export.user,
        request=request,
    )
    return export


def purge_expired_exports() -> int:
    """Delete the files of exports whose link has expired (the beat task); returns how many.
    Login challenges past their life go too (they can no longer be used)."""
    LoginChallenge.objects.filter(expires_at__lte=timezone.now()).delete()
    expired = list(
        PersonalDataExport.objects.filter(
            status=PersonalDataExport.Status.READY, expires_at__lte=timezone.now()
        ).exclude(file="")
    )
    for export in expired:
        export.file.delete(save=False)
        PersonalDataExport.objects.filter(pk=export.pk).update(file="")
    return len(expired)
