"""Fixtures for the browser tests: Playwright's sync API driving Debian's chromium.

``chromium_browser`` (session) launches ``/usr/bin/chromium`` (override with
``$DULY_CHROMIUM``) headless with ``--no-sandbox``; Playwright's own browser downloads are
never used. When chromium or the ``playwright`` module is missing the tests are SKIPPED
with the reason, unless ``DULY_REQUIRE_SERVICES=1``, where they FAIL.

``page`` is a fresh browser context and page per test (default timeout 10 s), closed after.

Every test in this folder is marked ``browser`` (``-m "not browser"`` leaves them out).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import need

DEFAULT_CHROMIUM = "/usr/bin/chromium"
PAGE_TIMEOUT_MS = 10_000

_HERE = Path(__file__).resolve().parent


def chromium_path() -> str:
    """The chromium executable the browser tests launch."""
    return os.environ.get("DULY_CHROMIUM") or DEFAULT_CHROMIUM


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser with ``browser``."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def browser_problem() -> str | None:
    """``None`` when Playwright and chromium are both there, else what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright module is not installed ({exc}); pip install -e '.[test]'"
    exe = chromium_path()
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        return (f"chromium not found at {exe} (apt-get install chromium, "
                f"or point DULY_CHROMIUM at it)")
    return None


def need_browser() -> None:
    """Skip (or fail under ``DULY_REQUIRE_SERVICES=1``) when the browser can't run."""
    need(browser_problem())


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """A headless chromium (``playwright.sync_api.Browser``) shared by the session."""
    need_browser()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                     args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[Any]:
    """A fresh context and page (``playwright.sync_api.Page``); closed after the test."""
    context = chromium_browser.new_context()
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        pg = context.new_page()
        pg.set_default_timeout(PAGE_TIMEOUT_MS)
        yield pg
    finally:
        context.close()
