"""A person's own data across every app: what an export contains and what a deletion erases.

Accounts sits low in the layers (docs/architecture.md), yet a person's data lives in every
app above it. Each app that holds personal data registers here, in its `AppConfig.ready`,
under its own label as key:

    # lms/<app>/apps.py
    def ready(self) -> None:
        from lms.accounts import personal_data
        from lms.<app> import personal_data as mine

        personal_data.exporters.register("<app>", mine.export)
        personal_data.erasers.register("<app>", mine.erase)
        personal_data.deletion_blockers.register("<app>", mine.refuse_deletion)  # if any

The three kinds of entry:

- an **exporter** `(user) -> Iterable[ExportDocument | ExportAttachment]` names what goes into
  the user's ZIP: JSON documents (`<app>/<name>.json`) and files the user uploaded
  (`<app>/files/...`). It runs in the export's Celery task, reads only, and may be called
  for a user with no rows at all (then it yields nothing or empty lists).
- an **eraser** `(user) -> None` runs inside the deletion's transaction, after every blocker
  passed and before accounts anonymises the user row itself. It erases or anonymises what
  identifies the person in its app (free text they wrote, uploads, names copied into other
  rows, addresses) and keeps what the law requires (orders, payments, ledger lines,
  invoices) tied to the same user row, which accounts then turns into an anonymous
  placeholder (no name, no email, no password, inactive). Files are deleted with
  `transaction.on_commit`. An eraser must be idempotent.
- a **deletion blocker** `(user) -> None` raises `lms.core.errors.Conflict` with its own code
  when the account cannot be deleted yet (payouts: `balance_outstanding` while an
  instructor has money or a withdrawal pending). It runs inside the deletion's transaction
  after the user row is locked, before any eraser.

Order: entries run in registration order, i.e. the order of `INSTALLED_APPS`' `ready()`.
Tests swap entries with `registry.swapped({...})`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files import File

from lms.core.registry import Registry

if TYPE_CHECKING:
    from lms.accounts.models import User


@dataclass(frozen=True)
class ExportDocument:
    """One JSON file of the export.

    `path`: inside the ZIP, `<app>/<name>.json` (e.g. `learning/enrollments.json`).
    `data`: what `json.dumps(..., cls=DjangoJSONEncoder)` accepts: dicts, lists, strings,
    numbers, booleans, None, and Decimal (money, written as a string), UUID, datetime/date
    (ISO 8601).
    """

    path: str
    data: Any


@dataclass(frozen=True)
class ExportAttachment:
    """One uploaded file copied into the export as it is stored.

    `path`: inside the ZIP, `<app>/files/<id>/<file name>`; `file`: a Django `File` (a model's
    `FieldFile`), opened and read in chunks by the export builder. A file missing from the
    storage is listed in the export's `missing_files.json` instead of failing the export.
    """

    path: str
    file: File


Exporter = Callable[["User"], Iterable[ExportDocument | ExportAttachment]]
Eraser = Callable[["User"], None]
DeletionBlocker = Callable[["User"], None]

exporters: Registry[Exporter] = Registry("accounts.personal_data.exporters")
erasers: Registry[Eraser] = Registry("accounts.personal_data.erasers")
deletion_blockers: Registry[DeletionBlocker] = Registry("accounts.personal_data.deletion_blockers")

# The name shown where a deleted person's name was (reviews, posts, messages).
DELETED_USER_NAME = "Deleted user"


def identifying_texts(user: User) -> tuple[str, ...]:
    """Lower-case texts that identify the user in free text and JSON: the email, and the full
    name when both names are set (one short name alone would match unrelated text)."""
    texts = [user.email.lower()]
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last:
        texts.append(f"{first} {last}".lower())
    return tuple(texts)


def scrub_json(value: Any, needles: tuple[str, ...]) -> Any:
    """`value` (JSON) with every string holding one of the lower-case `needles` emptied."""
    from lms.audit.personal_data import scrub

    return scrub(value, needles)


def file_name(file: File) -> str:
    """The base name of a stored file (`a/b/c.pdf` -> `c.pdf`), for an attachment's path."""
    return (file.name or "file").rsplit("/", 1)[-1]
