"""In real Chromium: every demo role logs in, sees its Chinese home page, meets an honest 建设中 page,
switches to English and back; a wrong password shows the error; the person search updates in place.

Translations are maintained separately, so UI text is compared with what gettext gives for the
active language (the English msgid when no catalogue has it yet); names and unit names are data and
are compared as the Chinese they are.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.urls import resolve, reverse
from django.utils import translation
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from luoshi.core import views as core_views
from luoshi.demo import org as demo_data
from luoshi.org.models import Person
from luoshi.org.selectors import person_list

from .conftest import PHONE, Shoot, Traffic

pytestmark = pytest.mark.browser

CAPABILITY_KEYS = [key for key, _label, _icon in settings.CAPABILITIES]
LOGINS = {
    username: (name, unit, title, principal)
    for username, name, _l, unit, _r, title, principal in demo_data.DEMO_LOGINS
}

# The card on the home page that is laid out for the role (English msgids from core/home.html).
ROLE_HEADER = {
    "leader": "The whole zone at a glance",
    "deputy": "The units you oversee",
    "supervisor": "Supervision: lists, verification, escalation",
    "head": "Your unit: claim items and assign owners",
    "staff": "Your items and reports",
    "steward": "Your enterprises",
    "enterprise": "Enterprise service portal",
}
ROLES = list(ROLE_HEADER)


def under_construction_keys() -> list[str]:
    """The capabilities that still answer with the 建设中 page; they shrink as capabilities are built."""
    return [key for key in CAPABILITY_KEYS if resolve(reverse(key)).func is core_views.under_construction]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def keys_for(username: str) -> list[str]:
    """The capabilities in a person's navigation."""
    from luoshi.core.context_processors import ENTERPRISE_CAPABILITIES

    return [k for k in CAPABILITY_KEYS if username != "enterprise" or k in ENTERPRISE_CAPABILITIES]


def capability_label(key: str) -> str:
    return str(next(label for k, label, _icon in settings.CAPABILITIES if k == key))


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_test_id("login-submit").click()


def open_menu(page: Page) -> None:
    """On a narrow screen the navigation sits behind the toggler; Bootstrap's JS has to open it."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and not page.locator("#ls-nav").is_visible():
        toggler.click()
        # "show" is set once the collapse animation has finished.
        expect(page.locator("#ls-nav")).to_have_class(re.compile(r"\bshow\b"))


def switch_language(page: Page, to: str) -> None:
    open_menu(page)
    button = page.locator("#ls-nav").get_by_test_id("language-switch")
    expect(button).to_have_attribute("lang", to)
    button.click()
    expect(page.locator("html")).to_have_attribute("lang", to)


def assert_assets_loaded(page: Page, traffic: Traffic) -> None:
    """Bootstrap, its icons, htmx and our stylesheet came from the live server and took effect."""
    for path in (
        "/static/vendor/bootstrap/css/bootstrap.min.css",
        "/static/vendor/bootstrap/js/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/luoshi/luoshi.css",
    ):
        served = traffic.static(path)
        statuses = [r.status for r in served]
        assert statuses and all(status in (200, 304) for status in statuses), f"{path}: {statuses}"
    navbar = page.locator("nav.navbar")
    # display:flex comes from bootstrap.min.css, the committee blue from luoshi.css.
    assert navbar.evaluate("e => getComputedStyle(e).display") == "flex"
    assert navbar.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 74, 139)"
    assert page.evaluate("() => typeof window.bootstrap === 'object' && typeof window.htmx === 'object'")
    # The Bootstrap Icons font is a real glyph font, not a fallback.
    assert page.evaluate("() => document.fonts.check('16px bootstrap-icons')")
    assert not traffic.failed(), traffic.failed()
    assert not traffic.page_errors, traffic.page_errors


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways: the page is no wider than the screen."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert page.viewport_size is not None
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


@pytest.mark.parametrize("username", ROLES)
def test_role_home_under_construction_and_language(
    username: str,
    demo: None,
    live_server: LiveServer,
    page: Page,
    phone_page: Page,
    traffic: Traffic,
    shoot: Shoot,
) -> None:
    base = live_server.url
    name, unit, title, principal = LOGINS[username]
    # The enterprise user is on a phone.
    if username == "enterprise":
        page = phone_page
        assert page.viewport_size == PHONE

    log_in(page, base, username, demo_data.DEMO_PASSWORD)
    expect(page).to_have_url(f"{base}/")

    # Chinese by default, although the browser asks for English.
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title(re.compile(re.escape(zh("Luoshi")) + "$"))
    expect(page.get_by_test_id("home-title")).to_contain_text(name)
    role_badge = page.get_by_test_id("home-role")
    if unit:
        expect(role_badge).to_contain_text(unit)
    expect(role_badge).to_contain_text(zh("Principal leader") if principal else title)
    expect(page.locator(".card-header", has_text=zh(ROLE_HEADER[username]))).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_text(name)
    if username == "deputy":
        for oversees in demo_data.DEPUTY_OVERSEES:
            expect(page.locator("main").get_by_role("link", name=oversees, exact=True)).to_be_visible()

    # The navigation reaches every capability the person can use; enterprise users get the
    # service desk only, and the internal organisation menu is not for them.
    open_menu(page)
    nav = page.locator("#ls-nav")
    for key in CAPABILITY_KEYS:
        link = nav.locator(f'a.nav-link[href="{reverse(key)}"]')
        if key not in keys_for(username):
            expect(link).to_have_count(0)
            continue
        expect(link).to_be_visible()
        with translation.override("zh-hans"):
            expect(link).to_have_text(capability_label(key))
    expect(nav.locator('a[href="/inbox/"]')).to_be_visible()
    # The switch offers English in its own name.
    expect(nav.get_by_test_id("language-switch")).to_have_text("English")
    for org_page in ("/zones/", "/units/", "/people/"):
        expect(nav.locator(f'a[href="{org_page}"]')).to_have_count(0 if username == "enterprise" else 1)
    shoot(page, "home-zh")
    assert_assets_loaded(page, traffic)
    if username == "enterprise":
        assert_fits(page)

    if username == "enterprise":
        # No capability under construction is offered to enterprises: switch language at home.
        switch_language(page, "en")
        expect(html).to_have_attribute("lang", "en")
        expect(page.get_by_test_id("home-title")).to_have_text(f"Welcome, {name}")
        shoot(page, "home-en")
        assert_fits(page)
        switch_language(page, "zh-hans")
        expect(html).to_have_attribute("lang", "zh-hans")
        return

    # An honest 建设中 page for a capability that is not built yet; each role opens a different one.
    pending = under_construction_keys()
    assert pending, "every capability is built: move this step to another page"
    capability = pending[ROLES.index(username) % len(pending)]
    nav.locator(f'a.nav-link[href="{reverse(capability)}"]').click()
    expect(page).to_have_url(base + reverse(capability))
    construction = page.get_by_test_id("under-construction")
    expect(construction).to_be_visible()
    with translation.override("zh-hans"):
        expect(construction.locator("h1")).to_have_text(capability_label(capability))
    expect(construction).to_contain_text(zh("Under construction"))
    expect(nav.locator(f'a.nav-link.active[href="{reverse(capability)}"]')).to_have_count(1)
    shoot(page, "under-construction-zh")
    if username == "enterprise":
        assert_fits(page)

    # English: the switch stays on the same page.
    switch_language(page, "en")
    expect(page).to_have_url(base + reverse(capability))
    with translation.override("en"):
        expect(construction.locator("h1")).to_have_text(capability_label(capability))
    expect(construction).to_contain_text("Under construction")
    expect(construction).to_contain_text("This capability is not available yet.")
    shoot(page, "under-construction-en")
    construction.get_by_role("link", name="Back to the home page").click()
    expect(page).to_have_url(f"{base}/")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_title(re.compile(r"Luoshi$"))
    expect(page.get_by_test_id("home-title")).to_have_text(f"Welcome, {name}")
    expect(page.locator(".card-header", has_text=ROLE_HEADER[username])).to_be_visible()
    open_menu(page)
    with translation.override("en"):
        for key in CAPABILITY_KEYS:
            expect(nav.locator(f'a.nav-link[href="{reverse(key)}"]')).to_have_text(capability_label(key))
    # The switch now offers Chinese, named in Chinese.
    expect(nav.get_by_test_id("language-switch")).to_have_text("简体中文")
    shoot(page, "home-en")
    if username == "enterprise":
        assert_fits(page)

    # And back to Chinese, which sticks across pages.
    switch_language(page, "zh-hans")
    expect(page.locator(".card-header", has_text=zh(ROLE_HEADER[username]))).to_be_visible()
    page.goto(f"{base}/inbox/")
    expect(html).to_have_attribute("lang", "zh-hans")
    assert not traffic.failed(), traffic.failed()
    assert not traffic.page_errors, traffic.page_errors


def test_failed_login_shows_the_error(demo: None, live_server: LiveServer, page: Page, shoot: Shoot) -> None:
    base = live_server.url
    log_in(page, base, "supervisor", "not-the-password")
    expect(page).to_have_url(re.compile(re.escape(f"{base}/login/")))
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    with translation.override("zh-hans"):
        expected = AuthenticationForm.error_messages["invalid_login"] % {
            "username": Person._meta.get_field("username").verbose_name
        }
    expect(error).to_have_text(expected)
    expect(page.locator("#id_username")).to_have_value("supervisor")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    shoot(page, "zh")
    # The right password still works afterwards.
    page.locator("#id_password").fill(demo_data.DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{base}/")


def test_person_search_updates_the_table_in_place(
    demo: None, live_server: LiveServer, page: Page, traffic: Traffic, shoot: Shoot
) -> None:
    base = live_server.url
    log_in(page, base, "supervisor", demo_data.DEMO_PASSWORD)
    expect(page).to_have_url(f"{base}/")
    nav = page.locator("#ls-nav")
    nav.locator(".dropdown-toggle", has=page.locator(".bi-diagram-3")).click()
    nav.locator('a.dropdown-item[href="/people/"]').click()
    expect(page).to_have_url(f"{base}/people/")
    table = page.get_by_test_id("person-table")
    rows = table.locator("tbody tr")
    supervisor = Person.objects.get(username="supervisor")
    everyone = person_list(person=supervisor).count()
    expect(rows).to_have_count(min(everyone, 50))
    shoot(page, "all")

    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("() => { window.__sameDocument = true; }")
    head_name = LOGINS["head"][0]
    search = page.get_by_test_id("person-search")
    with page.expect_response(
        lambda r: "/people/?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        search.press_sequentially(head_name, delay=30)
    found = list(person_list(person=supervisor, q=head_name).values_list("name", flat=True))
    assert head_name in found and len(found) < everyone
    expect(rows).to_have_count(len(found))
    expect(rows.filter(has_text=head_name)).to_contain_text("招商局")
    expect(page).to_have_url(re.compile(r"/people/\?.*q="))
    assert page.evaluate("() => window.__sameDocument === true"), "the search reloaded the page"
    shoot(page, "found")

    search.fill("没有这个人")
    expect(table.locator("td.ls-empty")).to_be_visible()
    expect(rows).to_have_count(1)
    search.fill("")
    expect(rows).to_have_count(min(everyone, 50))
    assert page.evaluate("() => window.__sameDocument === true"), "the search reloaded the page"
    navigations = [r for r in traffic.responses if r.request.is_navigation_request() and "/people/" in r.url]
    assert len(navigations) == 1, [r.url for r in navigations]
    assert not traffic.failed(), traffic.failed()
    assert not traffic.page_errors, traffic.page_errors
