"""The admin in a real browser (issue 15): an admin signs in, sees the queue, approves and
publishes a pending course through the change list's actions, and the index's charts are
captured in a screenshot.

Runs when Playwright's Python package and a Chromium are there (Debian's `chromium`; no
browser download: Playwright drives the system binary through `executable_path`); skipped
otherwise. The screenshot goes to `$ANALYTICS_SCREENSHOT_DIR` (default: the test's tmp dir).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from lms.accounts.tests.factories import PASSWORD, AdminFactory
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine"),
]


@pytest.fixture
def browser_page() -> Any:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test
    # itself are plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_staff_approves_and_publishes_a_pending_course(
    live_server: Any, browser_page: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REQUIRE_STAFF_MFA = False
    staff = AdminFactory(email="admin@example.com")
    course = CourseFactory(status=CourseStatus.PENDING, title="Browser Course")
    LessonFactory(section=SectionFactory(course=course))
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#staff-dashboard")
    assert page.inner_text("[data-queue=courses-pending-review]") == "1"
    assert page.locator("#platform-charts svg").count() >= 4
    shots = Path(os.environ.get("ANALYTICS_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "admin-index.png"), full_page=True)

    page.click("text=Courses pending review")
    for action in ("approve", "publish"):
        page.check(f"input[name=_selected_action][value='{course.pk}']")
        page.select_option("select[name=action]", action)
        page.click("button[name=index]")
        page.wait_for_selector("ul.messagelist")
        if action == "approve":
            page.goto(f"{live_server.url}/admin/catalog/course/?status__exact=approved")

    page.goto(f"{live_server.url}/admin/catalog/course/?status__exact=published")
    assert "Browser Course" in page.inner_text("#result_list")
    assert Course.objects.get(pk=course.pk).status == CourseStatus.PUBLISHED
    page.goto(f"{live_server.url}/admin/")
    assert page.inner_text("[data-queue=courses-pending-review]") == "0"
