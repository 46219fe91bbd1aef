"""Headless Chromium through Playwright, driving Debian's /usr/bin/chromium (never a download)."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# for setup are synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    """A phone-sized page in Chinese; the test's own labels (``str(Reason.label)``) are in
    the page's language too, whatever an earlier test left active in this thread."""
    from django.utils import translation

    settings.ALLOWED_HOSTS = ["*"]
    translation.activate("zh-hans")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    _wait_for_functions_not_expressions(page)
    blocked = []  # what the Content-Security-Policy refused: a page that breaks it fails
    page.on("console", lambda m: blocked.append(f"{m.text} at {m.location}")
            if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    translation.deactivate()
    assert not blocked, "\n".join(blocked)


def _wait_for_functions_not_expressions(page):
    """Playwright polls an expression string with ``eval`` inside the page, which the pages'
    Content-Security-Policy forbids; a function is compiled by the DevTools protocol instead.
    So ``page.wait_for_function("expr")`` waits for ``() => (expr)``."""
    original = page.wait_for_function

    def wait_for_function(expression, *args, **kwargs):
        if not expression.lstrip().startswith(("()", "function", "async")):
            expression = f"() => ({expression})"
        return original(expression, *args, **kwargs)

    page.wait_for_function = wait_for_function


def login(page, username, password="pw-for-tests-123"):
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")
