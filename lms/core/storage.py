"""File storage: where uploads and generated files live, and how their URLs are made.

Two storages, named in settings.STORAGES (`STORAGE_BACKEND` picks local or S3):

- `default`, public files (avatars, course thumbnails, university logos): plain URLs that
  anyone may fetch; a changed file gets a new random name, so they cache well.
- `private` (CVs, submissions, certificates, receipts, media, exports): served by
  permission-checked views; on S3 the storage's `url()` is a presigned URL that expires
  after `PRIVATE_URL_SECONDS` (SigV4, so at most 7 days may be asked of S3 itself).

`s3_storages()` builds both for S3-compatible stores (AWS S3, Cloudflare R2, MinIO) from
the configuration contract's variables; `config/settings.py` calls it, and the tests call
it against moto's S3 server (lms/core/tests/test_s3_storage.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # config/settings.py imports this module: nothing of Django's at run time
    from django.core.files.storage import Storage
    from django.db.models.fields.files import FieldFile

# How long a presigned URL of a private object works.
PRIVATE_URL_SECONDS = 300

S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storages(
    *,
    bucket_name: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region_name: str | None = None,
    custom_domain: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The `default` (public) and `private` entries of settings.STORAGES on one bucket.

    Public objects live under `public/` (the bucket policy lets anyone read `public/*`),
    private ones under `private/` (nobody reads them without a signature). Every object is
    stored with `Content-Disposition: attachment`, so a browser downloads it rather than
    rendering it on the bucket's origin. Missing keys mean the instance role's.
    """
    common: dict[str, Any] = {
        "bucket_name": bucket_name,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region_name or None,
        "file_overwrite": False,
        "default_acl": None,
        "object_parameters": {"ContentDisposition": "attachment"},
        "signature_version": "s3v4",
    }
    return {
        # Plain URLs of the bucket, or of `custom_domain` (a CDN, or R2's public domain).
        "default": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {
                **common,
                "location": "public",
                "querystring_auth": False,
                "custom_domain": custom_domain or None,
            },
        },
        "private": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {
                **common,
                "location": "private",
                "querystring_auth": True,
                "querystring_expire": PRIVATE_URL_SECONDS,
            },
        },
    }


def is_remote(storage: Storage) -> bool:
    """Whether files of `storage` live in object storage (their URLs point there)."""
    return hasattr(storage, "bucket_name")


def private_url(file: FieldFile, *, download_name: str, expires: int = PRIVATE_URL_SECONDS) -> str:
    """A presigned, expiring URL of a private object in object storage, which makes the
    browser download it as `download_name`; `ValueError` for local storage, whose private
    files have no URL and are streamed by the view that checked access."""
    storage = file.storage
    if not is_remote(storage):
        raise ValueError("Local private files have no URL: serve them from a view.")
    disposition = f"attachment; filename*=UTF-8''{quote(download_name)}"
    url: str = storage.url(  # type: ignore[call-arg]
        file.name,
        parameters={"ResponseContentDisposition": disposition},
        expire=expires,
    )
    return url
