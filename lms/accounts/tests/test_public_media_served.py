"""Public media (avatars, thumbnails) are served in production, and private ones never are.

With DEBUG off Django serves no `/media/` (config/urls.py), so the shipped deployment serves
MEDIA_ROOT/public from nginx (`location /media/` in deploy/nginx.conf, aliased to the `media`
volume that docker-compose.yml shares read-only with the nginx service). The first test reads
that mapping from the two files; the second runs the real nginx binary with the repository's
nginx.conf (upstream, port and volume mount point replaced by local ones) in front of the
application with production settings, uploads an avatar through it, and fetches the URL that
`/auth/me/` returns. It is skipped where no nginx is installed (`apt-get install nginx`).
"""

from __future__ import annotations

import grp
import http.client
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from django.conf import settings
from django.db import connections
from django.test.testcases import LiveServerThread

from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.helpers import image_bytes

DEPLOY = Path(settings.BASE_DIR, "deploy")
HOST = "api.example.com"  # the production host: the only one ALLOWED_HOSTS names here
MIME_TYPES = ("/etc/nginx/mime.types", "/usr/local/etc/nginx/mime.types")


def _compose_media_mounts() -> tuple[str, str]:
    """(where the app writes the `media` volume, where nginx reads it) in docker-compose.yml."""
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]

    def mounts(service: str) -> list[list[str]]:
        volumes = services[service].get("volumes") or []
        return [v.split(":")[1:] for v in volumes if v.split(":")[0] == "media"]

    # web writes avatars and thumbnails, ws and worker write too: one volume, at MEDIA_ROOT
    app_mounts = {tuple(m) for name in ("web", "ws", "worker") for m in mounts(name)}
    media_roots = {services[name]["environment"]["MEDIA_ROOT"] for name in ("web", "ws", "worker")}
    assert len(app_mounts) == 1, app_mounts
    ((app_mount,),) = app_mounts
    assert media_roots == {app_mount}, "MEDIA_ROOT is where the app mounts the volume"
    nginx_mounts = mounts("nginx")
    assert len(nginx_mounts) == 1, "nginx mounts the same volume once"
    nginx_mount, mode = nginx_mounts[0]
    assert mode == "ro", "read-only"
    return app_mount, nginx_mount


def _media_location() -> tuple[str, str]:
    """(the location block's modifier and prefix, its body) of deploy/nginx.conf's media."""
    conf = (DEPLOY / "nginx.conf").read_text()
    match = re.search(r"location\s+(\^~\s+)?(/media/)\s*\{(.*?)\n    \}", conf, flags=re.DOTALL)
    assert match, "deploy/nginx.conf has a `location /media/`"
    return match.group(2), match.group(3)


def test_nginx_serves_the_public_folder_of_the_shared_media_volume():
    # given
    _, nginx_mount = _compose_media_mounts()
    prefix, body = _media_location()

    # then: /media/<name> is MEDIA_ROOT/public/<name>, as the default storage stores it
    assert prefix == settings.MEDIA_URL
    alias = re.search(r"^\s*alias\s+(\S+);", body, flags=re.MULTILINE)
    assert alias
    assert alias.group(1) == f"{nginx_mount}/public/"
    assert settings.PUBLIC_MEDIA_ROOT == settings.MEDIA_ROOT / "public"
    assert "private" not in alias.group(1)
    # and: no listing, no symlinks out of public/, nosniff on every answer, a cache lifetime
    assert re.search(r"^\s*autoindex\s+off;", body, flags=re.MULTILINE)
    assert re.search(r"^\s*disable_symlinks\s+on;", body, flags=re.MULTILINE)
    assert re.search(r"add_header\s+X-Content-Type-Options\s+nosniff\s+always;", body)
    assert re.search(r'add_header\s+Cache-Control\s+"public, max-age=\d+"', body)


def test_every_proxied_location_forwards_host_address_and_scheme():
    # given: nginx inherits proxy_set_header only into a location that sets none itself
    conf = (DEPLOY / "nginx.conf").read_text()
    locations = re.findall(r"\n    location\s+[^{]*\{(.*?)\n    \}", conf, flags=re.DOTALL)
    proxied = [body for body in locations if "proxy_pass" in body]

    # then: each proxied location sends what ALLOWED_HOSTS, the throttles and HTTPS need
    assert len(proxied) == 2
    for body in proxied:
        for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Id"):
            assert re.search(rf"^\s*proxy_set_header\s+{header}\s", body, flags=re.MULTILINE)


# --- the real nginx in front of the application ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local_nginx_conf(*, directory: Path, nginx_port: int, app_port: int) -> str:
    """deploy/nginx.conf with the compose names replaced by this machine's, in a main config."""
    _, nginx_mount = _compose_media_mounts()
    site = (DEPLOY / "nginx.conf").read_text()
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{app_port};",
        "server ws:8001;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{nginx_port};",
        f"alias {nginx_mount}/": f"alias {settings.MEDIA_ROOT}/",
    }
    for old, new in replacements.items():
        assert site.count(old) == 1, old
        site = site.replace(old, new)
    mime_types = next(path for path in MIME_TYPES if os.path.exists(path))
    # As root, workers drop to an unprivileged user as the nginx image's do (user `nginx`,
    # not the app's): they read only what the app made world-readable.
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
    else:
        user = ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log {directory}/access.log;
{temp}
{site}
}}
"""


def _application_only(media_handler: Any) -> Any:
    """LiveServerThread serves MEDIA_ROOT itself; production's gunicorn serves only the app."""
    return media_handler.application


@pytest.fixture
def app_server(transactional_db: None) -> Iterator[str]:
    """The WSGI application alone on a local port, as gunicorn serves it (no media handler)."""
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    thread = LiveServerThread(
        "127.0.0.1", static_handler=_application_only, connections_override=shared
    )
    thread.daemon = True
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


@pytest.fixture
def nginx(app_server: str) -> Iterator[int]:
    """The repository's nginx.conf served by the real nginx, in front of `app_server`."""
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
    )
    if binary is None or not any(os.path.exists(path) for path in MIME_TYPES):
        pytest.skip("nginx is not installed")
    directory = Path(tempfile.mkdtemp(prefix="lms-nginx-"))
    directory.chmod(0o755)  # the workers' temp folders are inside
    port = _free_port()
    app_port = int(urlsplit(app_server).port or 80)
    conf = directory / "nginx.conf"
    conf.write_text(_local_nginx_conf(directory=directory, nginx_port=port, app_port=app_port))
    settings.PUBLIC_MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    # The tests' own media root may be left from a run of older code that made it 0750
    # (lms/core/local_storage.py): nginx's workers must be able to pass through it.
    settings.MEDIA_ROOT.chmod(0o755)
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (no client-side normalisation of `..` or `%2f`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", HOST)
        connection.putheader("X-Forwarded-Proto", "https")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_avatar_url_from_me_answers_200_through_nginx_with_production_settings(
    nginx: int, app_server: str, settings: Any
):
    # given: production settings: no DEBUG, one host, HTTPS ended by the load balancer
    settings.ALLOWED_HOSTS = [HOST]
    settings.SECURE_SSL_REDIRECT = True
    assert settings.DEBUG is False
    assert settings.STORAGE_BACKEND == "local"
    user = UserFactory()
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{nginx}",
        headers={"Host": HOST, "X-Forwarded-Proto": "https"},
        timeout=20,
    )
    login = client.post("/api/v1/auth/login/", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["Authorization"] = f"Bearer {login.json()['access']}"

    # when: an avatar is uploaded through nginx, and /auth/me/ names its URL
    upload = client.post(
        "/api/v1/auth/me/avatar/",
        files={"avatar": ("me.png", image_bytes(noisy=True), "image/png")},
    )
    assert upload.status_code == 200, upload.text
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    url = urlsplit(me.json()["avatar"])

    # then: the URL is the production host's, and nginx answers it with the stored image
    assert (url.scheme, url.hostname) == ("https", HOST)
    assert url.path.startswith("/media/avatars/")
    user.refresh_from_db()
    stored = Path(user.avatar.path)
    assert stored == settings.PUBLIC_MEDIA_ROOT / user.avatar.name
    image = client.get(url.path)
    assert image.status_code == 200, image.text
    assert image.content == stored.read_bytes()
    assert image.headers["content-type"] == "image/webp"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["cache-control"].startswith("public, max-age=")
    # the file is readable by nginx's own (unprivileged, other) user, not only the app's
    assert stat.S_IMODE(stored.stat().st_mode) & 0o004
    # and: the application itself does not serve it (DEBUG is off): nginx is what does
    direct = httpx.get(
        f"{app_server}{url.path}", headers={"Host": HOST, "X-Forwarded-Proto": "https"}
    )
    assert direct.status_code == 404


def test_nginx_never_serves_private_media_nor_lists_folders(nginx: int, settings: Any):
    # given: a private document, and a symlink to it planted in the public folder
    settings.ALLOWED_HOSTS = [HOST]
    secret = b"private-document-contents-0451"
    private = settings.PRIVATE_MEDIA_ROOT / "applications" / "cv-secret.pdf"
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_bytes(secret)
    private.chmod(0o644)  # even a readable private file stays out of reach
    link = settings.PUBLIC_MEDIA_ROOT / "avatars" / "link-to-cv.pdf"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(private)
    try:
        # when / then: traversal in every spelling, the symlink, and folder listings
        for path in (
            "/media/../private/applications/cv-secret.pdf",
            "/media/%2e%2e/private/applications/cv-secret.pdf",
            "/media/..%2fprivate/applications/cv-secret.pdf",
            "/media/private/applications/cv-secret.pdf",
            "/media/avatars/../../private/applications/cv-secret.pdf",
            "/media/avatars/link-to-cv.pdf",
        ):
            status, body = _raw_get(nginx, path)
            assert status in (400, 403, 404), (path, status)
            assert secret not in body, path
        for folder in ("/media/", "/media/avatars/"):
            status, body = _raw_get(nginx, folder)
            assert status in (403, 404), (folder, status)
            assert b"link-to-cv" not in body
    finally:
        link.unlink(missing_ok=True)
        private.unlink(missing_ok=True)


# --- STORAGE_BACKEND=s3: the storage makes the URL --------------------------------------------


def _storages_of(**variables: str) -> dict[str, Any]:
    """config/settings.py's STORAGES for these variables, read in a fresh interpreter."""
    script = "import json, config.settings as s; print(json.dumps(s.STORAGES))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    storages_setting: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return storages_setting


def test_with_s3_the_avatar_url_from_me_is_the_public_bucket_url(
    settings: Any, student_client: Any, student: Any
):
    # given: the settings of STORAGE_BACKEND=s3 with a public (CDN) domain
    s3 = _storages_of(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="lms-media",
        AWS_S3_CUSTOM_DOMAIN="media.example.com",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
    )
    settings.STORAGES = {**settings.STORAGES, "default": s3["default"]}
    student.avatar.name = "avatars/0123456789abcdef0123456789abcdef.webp"
    student.save(update_fields=["avatar"])

    # when
    avatar = student_client.get("/api/v1/auth/me/").json()["avatar"]

    # then: a plain, unsigned URL of the bucket's public/ prefix, not this host's /media/
    assert (
        avatar == "https://media.example.com/public/avatars/0123456789abcdef0123456789abcdef.webp"
    )
    assert s3["private"]["OPTIONS"]["querystring_auth"] is True
    assert s3["private"]["OPTIONS"].get("custom_domain") is None
