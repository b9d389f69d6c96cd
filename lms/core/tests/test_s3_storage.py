"""STORAGE_BACKEND=s3 against a real S3 HTTP server (moto's, started here on a free port).

The bucket has the policy docs/operations.md asks for (anyone may read `public/*`, nobody
`private/*` without a signature), and the storages are exactly what settings build
(`lms.core.storage.s3_storages`). Files go in through the API, as in production.
moto checks bucket policies but neither signatures nor expiry: that a presigned URL
carries its expiry is checked here, that S3 refuses it afterwards is S3's part.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.files.storage import storages
from django.db.models import FileField

from lms.accounts.models import InstructorApplication, private_storage
from lms.accounts.tests.helpers import PDF_BYTES, image_bytes, pdf_upload, png_upload
from lms.core.storage import PRIVATE_URL_SECONDS, is_remote, private_url, s3_storages

pytestmark = pytest.mark.django_db

BUCKET = "lms-test-media"
KEYS = {"access_key": "testing-access-key", "secret_key": "testing-secret-key"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port, with the bucket and its public-read policy."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/public/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))
    yield endpoint
    server.stop()


@pytest.fixture
def s3(settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """settings.STORAGES as STORAGE_BACKEND=s3 makes them, on the moto bucket."""
    settings.STORAGES = {
        **s3_storages(
            bucket_name=BUCKET, endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS
        ),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    # A FileField's storage callable (`private_storage`) ran when its model was defined: point
    # those fields at the new private storage (public ones use default_storage, which follows
    # the setting by itself).
    for model in apps.get_models():
        for field in model._meta.get_fields():
            made_by = getattr(field, "_storage_callable", None)
            if isinstance(field, FileField) and made_by is private_storage:
                monkeypatch.setattr(field, "storage", storages["private"])
    return s3_endpoint


def fetch(url: str) -> tuple[int, bytes, Message]:
    """GET `url` with no credentials at all, as a browser following a link; the headers'
    names are case-insensitive."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def test_an_uploaded_avatar_has_a_plain_public_url_anyone_can_fetch(s3, student, student_client):
    # when: an avatar is uploaded through the API
    response = student_client.post(
        "/api/v1/auth/me/avatar/", {"avatar": png_upload()}, format="multipart"
    )
    assert response.status_code == 200, response.content
    url = student_client.get("/api/v1/auth/me/").json()["avatar"]

    # then: the bucket's own URL under public/, unsigned, readable by anyone
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3
    assert parts.path.startswith(f"/{BUCKET}/public/avatars/")
    assert parts.query == ""
    status, body, headers = fetch(url)
    assert status == 200
    assert body[:4] in (b"RIFF", b"\x89PNG", b"\xff\xd8\xff\xe0")  # an image, re-encoded
    assert headers["Content-Disposition"] == "attachment"


def test_a_private_upload_is_refused_without_a_signature_and_served_by_a_presigned_url(
    s3, student_client
):
    # given: an instructor application's CV, uploaded through the API
    response = student_client.post(
        "/api/v1/instructor-applications/",
        {
            "headline": "Data engineer",
            "bio": "I teach SQL.",
            "expertise": "sql",
            "cv": pdf_upload(),
            "certificate": png_upload("certificate.png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    application = InstructorApplication.objects.get(pk=response.json()["id"])
    assert is_remote(application.cv.storage)

    # then: the object's plain address answers 403 (the policy opens only public/)
    plain = f"{s3}/{BUCKET}/private/{application.cv.name}"
    assert fetch(plain)[0] == 403

    # ...its storage URL is presigned and expires after PRIVATE_URL_SECONDS
    signed = application.cv.url
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == [str(PRIVATE_URL_SECONDS)]
    assert "X-Amz-Signature" in query
    status, body, _ = fetch(signed)
    assert (status, body) == (200, PDF_BYTES)

    # ...a download link names the file as we choose
    link = private_url(application.cv, download_name="cv.pdf", expires=60)
    assert parse_qs(urlsplit(link).query)["X-Amz-Expires"] == ["60"]
    status, body, headers = fetch(link)
    assert status == 200
    assert headers["Content-Disposition"] == "attachment; filename*=UTF-8''cv.pdf"

    # ...and the permission-checked view streams it from the bucket
    download = student_client.get(f"/api/v1/instructor-applications/{application.pk}/files/cv/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_local_private_files_have_no_url(student_client, student):
    # given: the default, local storage
    response = student_client.post(
        "/api/v1/instructor-applications/",
        {
            "headline": "Data engineer",
            "bio": "I teach SQL.",
            "expertise": "sql",
            "cv": pdf_upload(),
            "certificate": png_upload("certificate.png"),
        },
        format="multipart",
    )
    application = InstructorApplication.objects.get(pk=response.json()["id"])

    # then
    assert not is_remote(application.cv.storage)
    with pytest.raises(ValueError, match="no URL"):
        private_url(application.cv, download_name="cv.pdf")


def test_settings_build_the_same_storages_from_the_environment():
    # the configuration contract's variables, as config/settings.py reads them
    built = s3_storages(bucket_name="media", endpoint_url="", access_key="", secret_key="")
    public, private = built["default"]["OPTIONS"], built["private"]["OPTIONS"]
    assert (public["location"], public["querystring_auth"]) == ("public", False)
    assert (private["location"], private["querystring_auth"]) == ("private", True)
    assert private["querystring_expire"] == PRIVATE_URL_SECONDS
    # unset means the instance role's credentials and AWS's endpoint, never an empty string
    assert public["endpoint_url"] is public["access_key"] is public["secret_key"] is None
    assert image_bytes()  # the helper the avatar test uploads
