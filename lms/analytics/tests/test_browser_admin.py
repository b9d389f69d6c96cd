"""The Django admin in a real browser (issue 15, items 7-8): an admin with two-factor
authentication on (REQUIRE_STAFF_MFA, as in production) signs in through `/admin/login/`
with password and code, sees the queue of courses pending review and the platform charts
drawn by the vendored Chart.js, a screenshot of the index is taken, then the queue's
approve action and the publish action (both through catalog's services) make the course
published and the queue shows 0.

Playwright's Python package (dev lock) drives Debian's `chromium` headless through
`executable_path`: no browser download. Where either is missing the test is skipped with the
reason, unless `CI_BROWSER=1` (set by .ci/run), where that is a failure. The screenshot goes to
`$ANALYTICS_SCREENSHOT_DIR`, else `tmp/artifacts/` in the checkout (not committed).
docs/analytics.md, "Browser test".
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.conf import settings as django_settings
from django.db import connections

from lms.accounts import two_factor
from lms.accounts.tests.factories import PASSWORD, AdminFactory
from lms.audit.models import AuditLog
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory

from ..admin_dashboard import CHART_JS

try:
    from playwright import sync_api
except ImportError:  # a checkout installed before playwright joined the dev lock
    sync_api = None

REQUIRED = os.environ.get("CI_BROWSER") == "1"
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)

pytestmark = pytest.mark.django_db(transaction=True)


def _unavailable() -> str | None:
    if sync_api is None:
        return "Playwright's Python package is missing (make install: it is in the dev lock)"
    if CHROMIUM is None:
        return "no Chromium on this machine (apt-get install -y chromium)"
    return None


def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("ANALYTICS_SCREENSHOT_DIR")
        or Path(django_settings.BASE_DIR) / "tmp" / "artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A page of a headless Chromium; fails the test on any script error in the page."""
    reason = _unavailable()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"CI_BROWSER=1 but {reason}")
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous ones, between the browser's steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    assert sync_api is not None
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.set_default_timeout(60_000)  # a busy 2-core CI machine; Playwright's is 30 s
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert errors == [], errors
        finally:
            browser.close()
            # While Playwright's event loop runs in this thread, Django keeps the thread's
            # database connections per context (asgiref's Local), so the test's own queries
            # opened connections its usual ones never see: close them while still in that
            # context, or PostgreSQL refuses to drop the test database at the end of the run
            # ("being accessed by other users").
            connections.close_all()
    # The live server answers each browser connection in a thread of its own (closing its
    # database connection when the socket closes): let those end now the browser is gone.
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=10)


@pytest.fixture
def staff_and_totp() -> tuple[Any, pyotp.TOTP]:
    """An admin as production has them: 2FA set up and confirmed through the service. The
    confirming code is the previous 30-second step's (accepted for clock drift), so the
    current step's code is still unused for the sign-in. Made before the browser starts:
    confirming signs the user's sockets out (async_to_sync), which cannot run in the thread
    where Playwright's event loop runs."""
    staff = AdminFactory(email="admin@example.com")
    setup = two_factor.begin_setup(user=staff)
    totp = pyotp.TOTP(setup.secret)
    two_factor.confirm(user=staff, code=totp.at(time.time() - 30))
    return staff, totp


def test_staff_signs_in_approves_and_publishes_a_pending_course(
    live_server: Any,
    staff_and_totp: tuple[Any, pyotp.TOTP],
    browser_page: Any,
) -> None:
    assert django_settings.REQUIRE_STAFF_MFA  # the real flow: staff must use their code
    staff, totp = staff_and_totp
    course = CourseFactory(status=CourseStatus.PENDING, title="Browser Course")
    LessonFactory(section=SectionFactory(course=course))
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # sign in: password, then the current TOTP code
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_code]", totp.now())
    page.click("input[type=submit]")
    page.wait_for_selector("#staff-dashboard")
    assert page.inner_text("[data-queue=courses-pending-review]") == "1"

    # the charts, drawn by the pinned Chart.js served from /static/
    page.wait_for_function(
        "() => { const c = [...document.querySelectorAll('#platform-charts canvas')];"
        " return window.Chart && c.length >= 4 && c.every((e) => window.Chart.getChart(e)); }"
    )
    assert page.evaluate("window.Chart.version") == CHART_JS.version
    drawn = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('figure[data-chart]')].map("
        "(f) => [f.dataset.chart, window.Chart.getChart(f.querySelector('canvas')).data]))"
    )
    courses = drawn["courses-by-status"]
    assert dict(zip(courses["labels"], courses["datasets"][0]["data"], strict=True))["pending"] == 1
    assert f"{live_server.url}/static/{CHART_JS.path}" in requests
    assert all(url.startswith(live_server.url) for url in requests), requests  # no CDN
    page.screenshot(path=str(screenshot_dir() / "admin-index.png"), full_page=True)

    # the queue: approve through the admin action
    page.click("#staff-dashboard >> text=Courses pending review")
    page.wait_for_selector("#result_list")
    page.check(f"input[name=_selected_action][value='{course.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    assert "1 course(s) approved." in page.inner_text("ul.messagelist")
    assert Course.objects.get(pk=course.pk).status == CourseStatus.APPROVED

    # then publish it from the approved ones
    page.goto(f"{live_server.url}/admin/catalog/course/?status__exact=approved")
    page.check(f"input[name=_selected_action][value='{course.pk}']")
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    assert "1 course(s) published." in page.inner_text("ul.messagelist")

    page.goto(f"{live_server.url}/admin/catalog/course/?status__exact=published")
    assert "Browser Course" in page.inner_text("#result_list")
    assert Course.objects.get(pk=course.pk).status == CourseStatus.PUBLISHED
    actions = set(
        AuditLog.objects.filter(actor=staff, target_id=str(course.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"course.approve", "course.publish"} <= actions  # the services' audit lines
    page.goto(f"{live_server.url}/admin/")
    assert page.inner_text("[data-queue=courses-pending-review]") == "0"
