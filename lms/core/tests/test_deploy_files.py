"""deploy/: the image, the compose file and nginx agree with the settings they run."""

from __future__ import annotations

import http.server
import os
import re
import runpy
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR, "deploy")


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]


def test_the_image_is_multi_stage_non_root_and_health_checked():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", dockerfile, flags=re.MULTILINE)
    assert stages == ["build", "runtime"]
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER app$", runtime, flags=re.MULTILINE)
    assert "pip install" not in runtime  # only the built virtualenv is copied in
    assert re.search(r"^HEALTHCHECK .*deploy/healthcheck.py", runtime, flags=re.MULTILINE | re.S)


def test_every_celery_queue_has_a_worker_and_exactly_one_beat_runs():
    services = _compose()
    consumed: set[str] = set()
    beats = 0
    for service in services.values():
        command = service.get("command") or []
        if "worker" in command and "celery" in command[0]:
            queues = command[command.index("--queues") + 1]
            consumed.update(queues.split(","))
        if "beat" in command and "celery" in command[0]:
            beats += 1
    assert consumed == {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert beats == 1


def test_compose_has_every_service_the_spec_names():
    services = _compose()
    assert {"web", "ws", "worker", "beat", "postgres", "redis", "minio", "nginx"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert "daphne" in services["ws"]["command"]
    assert services["ws"]["environment"]["HEALTHCHECK_PORT"] == "8001"


def test_nginx_sends_websockets_to_the_asgi_service():
    nginx = (DEPLOY / "nginx.conf").read_text()
    websocket = nginx.split("location /ws/", 1)[1].split("}", 1)[0]
    assert "proxy_pass http://lms_ws;" in websocket
    assert "proxy_set_header Upgrade $http_upgrade;" in websocket
    assert re.search(r"upstream lms_ws \{ server ws:8001; \}", nginx)
    assert re.search(r"upstream lms_web \{ server web:8000; \}", nginx)


def test_check_deploy_is_clean_with_the_scale_out_settings():
    # given: production settings with everything of docs/deploy.md configured: Redis,
    # a read replica, S3 storage (nothing is contacted by `check`)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "q8#Lp3!wZ0@nK5$eT9^yU2&iO7*pA4(sD6)fG1_hJ-kL+xC=vB/nM<qW>",
        "SECURE_SSL_REDIRECT": "true",
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "postgres://lms:secret@db.example.com:5432/lms",
        "DATABASE_REPLICA_URLS": "postgres://lms:secret@replica.example.com:5432/lms",
        "REDIS_URL": "redis://redis.example.com:6379/0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": "lms-media",
        "AWS_S3_REGION_NAME": "eu-central-1",
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_check_deploy",
        "STRIPE_WEBHOOK_SECRET": "whsec_check_deploy",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "ALLOW_FAKE_PAYMENTS"):
        env.pop(name, None)

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        proxied = self.headers["X-Forwarded-Proto"] == "https"
        self.send_response(self.status if proxied and self.path == "/health/ready/" else 400)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _healthcheck(port: int) -> int:
    env = {**os.environ, "HEALTHCHECK_PORT": str(port), "HEALTHCHECK_PATH": "/health/ready/"}
    return subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    ).returncode


def test_the_image_health_check_passes_on_200_only():
    for status, expected in ((200, 0), (503, 1)):
        handler = type("Handler", (_Health,), {"status": status})
        with http.server.HTTPServer(("127.0.0.1", 0), handler) as server:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                assert _healthcheck(server.server_address[1]) == expected
            finally:
                server.shutdown()
    # nothing listening
    with http.server.HTTPServer(("127.0.0.1", 0), _Health) as server:
        port = server.server_address[1]
    assert _healthcheck(port) == 1


def test_gunicorn_opens_no_control_socket():
    """gunicorn's control socket sits at one path per user (~/.gunicorn/gunicorn.ctl), which
    concurrent gunicorns take from each other and the image's read-only home refuses."""
    from gunicorn.config import Config

    config = Config()
    for name, value in runpy.run_path(str(DEPLOY / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)

    assert config.control_socket_disable is True


def test_the_smoke_test_and_the_worker_test_default_to_different_redis_databases():
    """Run at once on one Redis, a worker of each would take the other's tasks."""
    default = re.compile(r"redis://[\w.]+:\d+/(\d+)")
    smoke = (DEPLOY / "smoke.py").read_text().split('"--redis-url"', 1)[1].split("\n", 1)[0]
    worker = Path(__file__).with_name("test_celery_worker.py").read_text()
    worker = worker.split('"CELERY_WORKER_TEST_REDIS_URL"', 1)[1].split("\n", 1)[0]
    smoke_db, worker_db = default.search(smoke), default.search(worker)
    assert smoke_db is not None
    assert worker_db is not None
    assert smoke_db[1] != worker_db[1]


def test_the_image_asks_liveness_so_a_redis_outage_leaves_web_healthy(client, settings):
    # given: the image's default check, and the two health endpoints with Redis unreachable
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    settings.SECURE_SSL_REDIRECT = False

    # then: the container asks /health/live/ (200 whatever Redis does), never /health/ready/
    assert "HEALTHCHECK_PATH=/health/live/" in dockerfile
    assert '"HEALTHCHECK_PATH", "/health/live/"' in (DEPLOY / "healthcheck.py").read_text()
    assert client.get("/health/live/").status_code == 200


# --- access logs: no credential from a URL -----------------------------------------------------


def _access_line(query: str, path: str = "/api/v1/auth/me/export/download/") -> str:
    """One access-log line as gunicorn writes it with deploy/gunicorn.conf.py's settings."""
    import datetime
    import runpy
    import types

    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    from config.access_log import RedactingLogger

    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", conf["access_log_format"])
    assert conf["logger_class"] == "config.access_log.RedactingLogger"
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = types.SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = types.SimpleNamespace(headers=[("AUTHORIZATION", "Bearer secret-access-jwt")])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=3))
    shown = conf["access_log_format"] % SafeAtoms(atoms)  # gunicorn's: "-" for a missing atom
    return f"{shown} {atoms['r']} {atoms.get('{authorization}i', '')}"


@pytest.mark.parametrize(
    "query",
    [
        "token=SECRET-EXPORT-TOKEN-123",
        "page=2&token=SECRET-EXPORT-TOKEN-123",
        "code=SECRET-EXPORT-TOKEN-123&status=paid",
        "SECRET-EXPORT-TOKEN-123",
        "q=SECRET-EXPORT-TOKEN-123&token=SECRET-EXPORT-TOKEN-123",
        "page=1;token=SECRET-EXPORT-TOKEN-123",
    ],
)
def test_the_access_log_hides_every_value_that_may_be_a_credential(query):
    line = _access_line(query)

    assert "SECRET-EXPORT-TOKEN-123" not in line
    assert "secret-access-jwt" not in line
    assert "/api/v1/auth/me/export/download/" in line


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/v1/media/stream/SECRET-EXPORT-TOKEN-123/", "/api/v1/media/stream/~/"),
        ("/api/v1/certificates/verify/SECRET-EXPORT-TOKEN-123/", "/api/v1/certificates/verify/~/"),
        ("/api/v1/other/eyJhIjoxfQ:SECRET-EXPORT-TOKEN-123/", "/api/v1/other/~/"),
    ],
)
def test_the_access_log_hides_a_credential_in_the_path(path, logged):
    line = _access_line("", path=path)

    assert "SECRET-EXPORT-TOKEN-123" not in line
    assert logged in line


def test_the_access_log_keeps_paging_and_plain_filters():
    line = _access_line("page=2&ordering=-created_at&status=paid&token=abc")

    assert "page=2&ordering=-created_at&status=paid&token=~" in line


def test_nginx_logs_paths_without_their_query():
    nginx = (DEPLOY / "nginx.conf").read_text()

    log_format = nginx.split("log_format lms_no_query", 1)[1].split(";", 1)[0]
    assert "$lms_logged_uri" in log_format
    assert "$uri" not in log_format
    logged_uri = nginx.split("map $uri $lms_logged_uri", 1)[1].split("\n}", 1)[0]
    assert "/media/stream/)[^/]+" in logged_uri
    assert "/certificates/verify/)[^/]+" in logged_uri
    assert "$request " not in log_format
    assert '$request"' not in log_format
    assert "$args" not in log_format
    assert "$request_uri" not in log_format
    assert "access_log /var/log/nginx/access.log lms_no_query;" in nginx


def test_daphne_writes_no_access_log_of_its_own():
    # daphne logs a plain HTTP request's query whole: a /ws/?token=<JWT> without Upgrade
    from deploy.processes import daphne_command

    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    for command in (services["ws"]["command"], daphne_command(8001)):
        assert command[command.index("--access-log") + 1] == "/dev/null"
