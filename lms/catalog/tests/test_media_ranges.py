"""Media streams answer HTTP Range requests (RFC 9110 §14), so players can seek and Safari
and iOS play videos: 206 for a satisfiable range, 416 for one past the end, 200 with
`Accept-Ranges: bytes` without a range (lms.core.files.RangedMediaResponse)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from lms.catalog.models import MediaKind
from lms.catalog.tests.factories import MediaAssetFactory
from lms.catalog.video import sign_media

pytestmark = pytest.mark.django_db

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40  # 10 252 bytes
PDF = b"%PDF-1.4\n" + b"x" * 991 + b"\n%%EOF\n"


def _stream_path(data: bytes, kind: str = MediaKind.VIDEO, content_type: str = "video/mp4"):
    asset = MediaAssetFactory(
        file=ContentFile(data, name=f"file.{'mp4' if kind == MediaKind.VIDEO else 'pdf'}"),
        kind=kind,
        content_type=content_type,
        size=len(data),
    )
    return sign_media(asset).url.removeprefix("http://testserver"), asset


def _get(path: str, range_header: str | None = None):
    extra = {"HTTP_RANGE": range_header} if range_header is not None else {}
    return APIClient().get(path, **extra)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_whole_file_says_it_accepts_ranges():
    path, asset = _stream_path(VIDEO)
    response = _get(path)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(VIDEO))
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == f'inline; filename="{asset.pk}.mp4"'
    assert _body(response) == VIDEO


def test_a_middle_range_is_206():
    path, _ = _stream_path(VIDEO)
    response = _get(path, "bytes=100-1123")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1123/{len(VIDEO)}"
    assert response["Content-Length"] == "1024"
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == VIDEO[100:1124]


def test_an_open_range_runs_to_the_end():
    path, _ = _stream_path(VIDEO)
    response = _get(path, "bytes=10000-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10000-{len(VIDEO) - 1}/{len(VIDEO)}"
    assert _body(response) == VIDEO[10000:]


def test_safaris_first_probe_and_a_suffix_range():
    path, _ = _stream_path(VIDEO)
    probe = _get(path, "bytes=0-1")
    assert (probe.status_code, _body(probe)) == (206, VIDEO[:2])
    suffix = _get(path, "bytes=-500")
    assert suffix.status_code == 206
    assert _body(suffix) == VIDEO[-500:]


def test_a_range_past_the_end_overlapping_it_is_cut_to_the_end():
    path, _ = _stream_path(VIDEO)
    response = _get(path, f"bytes={len(VIDEO) - 10}-{len(VIDEO) + 5000}")
    assert response.status_code == 206
    assert _body(response) == VIDEO[-10:]


@pytest.mark.parametrize(
    "header",
    [
        "bytes=20000-",
        "bytes=10252-10300",
        "bytes=-0",
        "bytes=10252-",
        # a first byte beyond any integer the library compares with sys.maxsize, or beyond
        # the digits int() reads: still past the end
        "bytes=99999999999999999999-",
        "bytes=99999999999999999999-999999999999999999999",
        "bytes=" + "9" * 5000 + "-",
    ],
)
def test_an_unsatisfiable_range_is_416_without_a_body(header):
    path, _ = _stream_path(VIDEO)
    response = _get(path, header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"
    assert _body(response) == b""


@pytest.mark.parametrize("header", ["bytes=abc-", "items=0-10", "bytes=50-10", "bytes=0-1,5-9"])
def test_a_malformed_or_multi_range_header_is_ignored(header):
    path, _ = _stream_path(VIDEO)
    response = _get(path, header)
    assert response.status_code == 200
    assert _body(response) == VIDEO


def test_a_pdf_is_served_in_ranges_too():
    path, _ = _stream_path(PDF, kind=MediaKind.PDF, content_type="application/pdf")
    response = _get(path, "bytes=0-8")
    assert response.status_code == 206
    assert response["Content-Type"] == "application/pdf"
    assert _body(response) == b"%PDF-1.4\n"


def test_the_file_is_closed_after_the_answer(monkeypatch):
    path, _ = _stream_path(VIDEO)
    response = _get(path, "bytes=0-9")
    reader = response.ranged_file
    _body(response)
    response.close()
    assert reader.f.closed


def test_a_bad_token_is_still_403_with_a_range():
    response = _get("/api/v1/media/stream/not-a-token/", "bytes=0-10")
    assert response.status_code == 403


@pytest.mark.parametrize("header", ["bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000])
def test_a_huge_last_byte_or_suffix_is_the_whole_file_in_a_206(header):
    path, _ = _stream_path(VIDEO)
    response = _get(path, header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{len(VIDEO) - 1}/{len(VIDEO)}"
    assert _body(response) == VIDEO


@pytest.mark.parametrize(
    ("header", "status", "length"),
    [(None, 200, "10252"), ("bytes=100-1123", 206, "1024"), ("bytes=20000-", 416, "0")],
)
def test_head_answers_as_get_without_a_body(header, status, length):
    # given
    path, _ = _stream_path(VIDEO)
    extra = {"HTTP_RANGE": header} if header is not None else {}

    # when
    response = APIClient().head(path, **extra)

    # then a GET's status and headers, and no body
    assert response.status_code == status
    assert response["Content-Length"] == length
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert _body(response) == b""


def test_head_closes_the_file(monkeypatch):
    path, _ = _stream_path(VIDEO)
    response = APIClient().head(path)
    reader = response.ranged_file
    response.close()
    assert reader.f.closed
