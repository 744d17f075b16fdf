"""Fixtures for the end-to-end tests: Debian's Chromium driven by Playwright against the live server.

The browser starts once for the package; every test gets a fresh context (cookies, viewport) and the
demo organisation loaded through the services into a database that the live server shares.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import translation
from playwright.sync_api import Browser, FilePayload, Page, Response, ViewportSize, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from luoshi.demo.documents import pdf_bytes

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

Shoot = Callable[[Page, str], Path]
OpenAs = Callable[..., Page]


@dataclass
class Traffic:
    """What the page asked the server for and what went wrong, so a test can assert none of it failed."""

    responses: list[Response] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def failed(self) -> list[str]:
        return [f"{r.status} {r.url}" for r in self.responses if r.status >= 400]

    def static(self, path: str) -> list[Response]:
        return [r for r in self.responses if r.url.split("?")[0].endswith(path)]


@pytest.fixture(scope="package")
def chromium(django_db_setup: None) -> Iterator[Browser]:
    """One Chromium for the browser tests, closed after the last of them.

    While Playwright's sync API is active, its event loop counts as running in this thread, so the
    rest of the suite must not run under it: the scope is this package, not the session.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps)")
    held = {alias: connections[alias] for alias in connections}
    # With that loop "running", Django would refuse the database calls the test itself makes
    # (loading the demo data, reading the expected values).
    allow_async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        # Playwright marks its event loop as running in this thread, and Django then looks its
        # connections up per async context instead of per thread, which would give the test a
        # second connection without the test database's state (the serialized contents, the
        # in-memory SQLite shared with the live server). Keep the thread's own connections.
        for alias, held_connection in held.items():
            connections[alias] = held_connection
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if allow_async_unsafe is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allow_async_unsafe


# Assertions wait as long as actions do (10 s): on a busy machine a page that checks an uploaded
# file's content can take more than the default 5 s to answer.
expect.set_options(timeout=10_000)


def open_action(page: Page, name: str) -> None:
    """Open an action's form on an item's or a request's page, behind its collapse, and wait for the
    panel to finish opening: a click on its button while it still slides open can be lost."""
    page.get_by_test_id(f"action-{name}").click()
    expect(page.get_by_test_id(f"action-form-{name}")).to_be_visible()
    expect(page.locator(f"#act-{name}")).to_have_class(re.compile(r"^(?!.*collapsing).*\bshow\b"))


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def _open_page(chromium: Browser, traffic: Traffic, viewport: ViewportSize) -> Page:
    """A page in a context of its own (its own cookies), watched by `traffic`."""
    # An English browser, so that the Chinese default is seen to come from Luoshi and not the browser.
    context = chromium.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("response", lambda response: traffic.responses.append(response))
    page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    return page


def _new_page(chromium: Browser, traffic: Traffic, viewport: ViewportSize) -> Iterator[Page]:
    page = _open_page(chromium, traffic, viewport)
    yield page
    page.context.close()


@pytest.fixture
def page(chromium: Browser, traffic: Traffic) -> Iterator[Page]:
    yield from _new_page(chromium, traffic, DESKTOP)


@pytest.fixture
def phone_page(chromium: Browser, traffic: Traffic) -> Iterator[Page]:
    yield from _new_page(chromium, traffic, PHONE)


@pytest.fixture
def open_as(chromium: Browser, traffic: Traffic, live_server: LiveServer) -> Iterator[OpenAs]:
    """`open_as("head")` gives a page signed in as that demo login, in a browser context of its own.

    Several people can work side by side in one test (the supervisor publishes, the unit head
    claims …), each with their own session; `viewport=PHONE` puts one of them on a phone.
    """
    from luoshi.demo.org import DEMO_PASSWORD

    pages: list[Page] = []

    def open_page(username: str, *, viewport: ViewportSize = DESKTOP) -> Page:
        page = _open_page(chromium, traffic, viewport)
        pages.append(page)
        page.goto(f"{live_server.url}/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.get_by_test_id("login-submit").click()
        # Attached, not visible: on a phone the menu sits behind the navbar toggler.
        expect(page.get_by_test_id("user-menu")).to_be_attached()
        return page

    yield open_page
    for page in pages:
        page.context.close()


def zh(msgid: str) -> str:
    """What the Chinese UI shows for an English msgid (the msgid itself until it is translated)."""
    with translation.override("zh-hans"):
        return str(translation.gettext(msgid))


def pdf_file(name: str, *lines: str) -> FilePayload:
    """A PDF for `set_input_files`, under a name of our choosing (Chinese names included)."""
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(*lines or ("Luoshi evidence",))}


def assert_clean(traffic: Traffic, *, allow: Iterable[str] = ()) -> None:
    """No request failed and no script error happened on any page of the test.

    `allow` names the failures the test provoked on purpose, as "<status> <url>".
    """
    failed = [f for f in traffic.failed() if f not in set(allow)]
    assert not failed, failed
    assert not traffic.page_errors, traffic.page_errors


@pytest.fixture
def demo(
    live_server: LiveServer, transactional_db: None, django_db_serialized_rollback: None
) -> Iterator[None]:
    """The demo organisation with one login per role, committed where the live server sees it.

    The flush after each test also empties what data migrations wrote (milestone templates …);
    serialized rollback puts it back before the next test.
    """
    from luoshi.demo.loader import load_demo

    assert load_demo().created
    yield
    _purge_audit_trail()


def _purge_audit_trail() -> None:
    """Let the flush after a transactional test empty the audit table.

    On SQLite the table refuses DELETE through a trigger and Django flushes SQLite with DELETE
    (PostgreSQL flushes with TRUNCATE, which row triggers do not see). The trigger is lifted only
    for this one statement and put back exactly as the migration defines it.
    """
    if connection.vendor != "sqlite":
        return
    append_only = importlib.import_module("luoshi.core.migrations.0003_auditrecord_append_only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER core_auditrecord_no_delete")
        cursor.execute("DELETE FROM core_auditrecord")
        cursor.execute(next(sql for sql in append_only.SQLITE if "no_delete" in sql))


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shoot:
    """`shoot(page, "step")` saves a full-page PNG under test-artifacts/browser/<test>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^\w-]+", "-", request.node.name).strip("-")

    def save(page: Page, step: str) -> Path:
        path = ARTIFACTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
