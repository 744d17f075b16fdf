"""Login, lockout, sessions, password change, API tokens and CSRF on the API."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.conftest import PASSWORD, SmallOrg, client_for
from luoshi.org import services
from luoshi.org.models import ApiToken, Zone

SECURITY = "luoshi.security"
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """A clock the test moves by hand, starting on a fixed working morning."""
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def log_in(client: Client, username: str, password: str, **extra: Any) -> int:
    return client.post("/login/", {"username": username, "password": password}, **extra).status_code


def logged_in(client: Client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")
        return False
    assert response.status_code == 200
    return True


def security_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SECURITY]


# Login and logout -------------------------------------------------------------------------------


def test_login_and_logout(org: SmallOrg) -> None:
    client = Client()
    assert not logged_in(client)
    response = client.post("/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in(client)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not logged_in(client)


def test_wrong_password_shows_the_form_again(org: SmallOrg) -> None:
    client = Client()
    response = client.post("/login/", {"username": "staff", "password": "wrong"})
    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()
    assert not logged_in(client)


def test_deactivated_person_cannot_log_in_and_loses_their_session(org: SmallOrg) -> None:
    session = client_for(org.staff)
    services.person_deactivate(actor=org.admin, person=org.staff, expected_version=None)
    assert not logged_in(session)
    assert log_in(Client(), "staff", PASSWORD) == 200


# Lockout ----------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_fifteen_minutes(
    org: SmallOrg, clock: time_machine.Traveller
) -> None:
    client = Client()
    for _ in range(4):
        assert log_in(client, "staff", "wrong-password") == 200
    assert log_in(client, "staff", "wrong-password") == 429  # the fifth failure locks
    # Even the right password is refused while the lock holds, and the page says why.
    response = client.post("/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 429
    assert response.context["locked_message"]
    assert not logged_in(client)
    clock.shift(datetime.timedelta(minutes=14))
    assert log_in(Client(), "staff", PASSWORD) == 429
    clock.shift(datetime.timedelta(minutes=2))
    client = Client()
    assert log_in(client, "staff", PASSWORD) == 302
    assert logged_in(client)


def test_forged_forwarded_for_does_not_get_around_the_lock(
    org: SmallOrg, clock: time_machine.Traveller
) -> None:
    for i in range(5):
        forged = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i + 1}", "HTTP_X_REAL_IP": f"198.51.100.{i + 1}"}
        log_in(Client(), "staff", "wrong-password", **forged)
    for i in range(3):
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{i + 10}, 10.0.0.{i + 1}"}
        assert log_in(Client(), "staff", PASSWORD, **forged) == 429
    # The lock is on the account, not on an address: others in the same office still get in.
    assert log_in(Client(), "head", PASSWORD) == 302


def test_lock_counts_failures_from_every_address(org: SmallOrg, clock: time_machine.Traveller) -> None:
    for i in range(5):
        log_in(Client(REMOTE_ADDR=f"127.0.0.{i + 2}"), "staff", "wrong-password")
    assert log_in(Client(REMOTE_ADDR="127.0.0.99"), "staff", PASSWORD) == 429


def test_a_success_resets_the_failure_count(org: SmallOrg, clock: time_machine.Traveller) -> None:
    for _ in range(4):
        log_in(Client(), "staff", "wrong-password")
    assert log_in(Client(), "staff", PASSWORD) == 302
    for _ in range(4):
        assert log_in(Client(), "staff", "wrong-password") == 200
    assert log_in(Client(), "staff", PASSWORD) == 302


# Security log -----------------------------------------------------------------------------------


def test_logins_failures_and_denials_are_logged(org: SmallOrg, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    log_in(Client(), "staff", PASSWORD)
    log_in(Client(), "staff", "wrong-password")
    client = client_for(org.staff)
    client.get(f"/units/{org.zone_office.pk}/")  # out of scope: 404
    client.get(f"/units/{org.team.pk}/edit/")  # seen but not allowed: 403
    lines = security_lines(caplog)
    assert any(line.startswith(f"login success: person={org.staff.pk}") for line in lines)
    assert any(line.startswith("login failure: username=staff") for line in lines)
    assert any("access denied (not visible)" in line and "org.Unit" in line for line in lines)
    assert any(line.startswith(f"access denied: person={org.staff.pk} action=manage_org") for line in lines)


def test_api_denials_are_logged(
    org: SmallOrg, caplog: pytest.LogCaptureFixture, api_token: Callable[..., dict[str, Any]]
) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    headers = api_token(org.staff)
    assert Client().get(f"/api/units/{org.zone_office.pk}", **headers).status_code == 404
    assert Client().post("/api/zones", "{}", content_type="application/json").status_code == 401
    response = Client().post(
        "/api/zones", json.dumps({"code": "x", "name": "X"}), content_type="application/json", **headers
    )
    assert response.status_code == 403
    lines = security_lines(caplog)
    assert any("access denied (not visible)" in line for line in lines)
    assert any(line.startswith(f"access denied: person={org.staff.pk}") for line in lines)
    assert any(line.startswith("api authentication refused") for line in lines)


def test_locked_attempts_are_logged(
    org: SmallOrg, caplog: pytest.LogCaptureFixture, clock: time_machine.Traveller
) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    for _ in range(6):
        log_in(Client(), "staff", "wrong-password")
    failures = [line for line in security_lines(caplog) if line.startswith("login failure: username=staff")]
    assert len(failures) == 6


# Password change --------------------------------------------------------------------------------


def test_password_change_keeps_this_session_and_ends_the_others(org: SmallOrg) -> None:
    here = Client()
    there = Client()
    assert log_in(here, "staff", PASSWORD) == 302
    assert log_in(there, "staff", PASSWORD) == 302
    response = here.post(
        "/account/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(there)
    assert log_in(Client(), "staff", PASSWORD) == 200
    assert log_in(Client(), "staff", NEW_PASSWORD) == 302


def test_password_change_needs_the_old_password(org: SmallOrg) -> None:
    client = client_for(org.staff)
    response = client.post(
        "/account/", {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert response.context["password_form"].errors
    org.staff.refresh_from_db()
    assert org.staff.check_password(PASSWORD)


def test_password_reset_by_a_manager_ends_the_persons_sessions(org: SmallOrg) -> None:
    theirs = Client()
    assert log_in(theirs, "staff", PASSWORD) == 302
    response = client_for(org.head).post(f"/people/{org.staff.pk}/password/", {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert not logged_in(theirs)


# Sessions ---------------------------------------------------------------------------------------


def test_session_expires_after_thirty_idle_minutes(org: SmallOrg, clock: time_machine.Traveller) -> None:
    client = Client()
    assert log_in(client, "staff", PASSWORD) == 302
    # Activity renews the cookie: an hour of work in 29-minute steps keeps the session.
    for _ in range(3):
        clock.shift(datetime.timedelta(minutes=29))
        assert logged_in(client)
    clock.shift(datetime.timedelta(minutes=31))
    assert not logged_in(client)


def test_activity_renews_the_session_once_a_minute_not_on_every_request(
    org: SmallOrg, clock: time_machine.Traveller
) -> None:
    client = Client()
    assert log_in(client, "staff", PASSWORD) == 302
    assert logged_in(client)

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert logged_in(client)
        return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"])

    clock.shift(datetime.timedelta(seconds=30))
    assert session_writes() == 0
    clock.shift(datetime.timedelta(seconds=30))
    assert session_writes() == 1
    assert session_writes() == 0
    # Expiry counts from the last renewal, not from the last request: a request 50 seconds after
    # a renewal does not renew, so the session ends 29 min 10 s after it.
    clock.shift(datetime.timedelta(seconds=50))
    assert session_writes() == 0
    clock.shift(datetime.timedelta(minutes=29, seconds=11))
    assert not logged_in(client)


def test_session_ends_after_twelve_hours_however_active(org: SmallOrg, clock: time_machine.Traveller) -> None:
    client = Client()
    assert log_in(client, "staff", PASSWORD) == 302
    started = timezone.now()
    step = datetime.timedelta(minutes=25)
    while timezone.now() + step - started < datetime.timedelta(hours=12):
        clock.shift(step)
        assert logged_in(client), timezone.now() - started
    clock.shift(step)  # now past 12 hours, and active all along
    assert timezone.now() - started > datetime.timedelta(hours=12)
    assert not logged_in(client)
    # The login page says why.
    assert [m.level_tag for m in client.get("/login/").context["messages"]] == ["info"]
    # Logging in again starts a fresh 12 hours.
    assert log_in(client, "staff", PASSWORD) == 302
    assert logged_in(client)


def test_api_through_an_expired_session_answers_401(org: SmallOrg, clock: time_machine.Traveller) -> None:
    client = Client()
    assert log_in(client, "staff", PASSWORD) == 302
    assert client.get("/api/me").status_code == 200
    for _ in range(29):
        clock.shift(datetime.timedelta(minutes=25))
        client.get("/api/me")
    response = client.get("/api/me")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "errors"}


# API tokens -------------------------------------------------------------------------------------


def test_token_created_on_the_account_page_works_until_revoked(org: SmallOrg) -> None:
    page = client_for(org.staff)
    response = page.post("/account/", {"token_name": "统计脚本"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key.startswith("ls_")
    token = ApiToken.objects.get(person=org.staff)
    assert token.key_hash != key and key not in token.key_hash  # only the hash is kept

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    header = {"HTTP_X_API_TOKEN": key}
    for auth in (bearer, header):
        response = Client().get("/api/me", **auth)
        assert response.status_code == 200
        assert response.json()["username"] == "staff"

    assert page.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    for auth in (bearer, header):
        response = Client().get("/api/me", **auth)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


def test_wrong_or_missing_token_answers_401(org: SmallOrg) -> None:
    attempts: list[dict[str, Any]] = [
        {},
        {"HTTP_AUTHORIZATION": "Bearer ls_nope"},
        {"HTTP_X_API_TOKEN": "ls_nope"},
    ]
    for headers in attempts:
        response = Client().get("/api/me", **headers)
        assert response.status_code == 401
        assert set(response.json()) == {"code", "message", "errors"}


def test_a_deactivated_persons_token_answers_401(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    headers = api_token(org.staff)
    assert Client().get("/api/me", **headers).status_code == 200
    services.person_deactivate(actor=org.head, person=org.staff, expected_version=None)
    assert Client().get("/api/me", **headers).status_code == 401


def test_nobody_may_revoke_someone_elses_token(org: SmallOrg) -> None:
    token, key = services.token_create(actor=org.staff, name="脚本")
    assert client_for(org.head).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


# CSRF on the API --------------------------------------------------------------------------------


def test_session_api_post_without_csrf_token_is_refused(org: SmallOrg) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.supervisor)
    body = json.dumps({"code": "songmu", "name": "松木岛化工园区"})
    response = client.post("/api/zones", body, content_type="application/json")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "errors"}
    assert not Zone.objects.filter(code="songmu").exists()
    # The pages' own calls send the token from the cookie, and pass.
    client.get("/account/")
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/zones", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201
    assert Zone.objects.filter(code="songmu").exists()


def test_token_requests_need_no_csrf_token(org: SmallOrg, api_token: Callable[..., dict[str, Any]]) -> None:
    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"code": "songmu", "name": "松木岛化工园区"})
    response = client.post("/api/zones", body, content_type="application/json", **api_token(org.supervisor))
    assert response.status_code == 201


def test_anonymous_api_post_answers_401_not_a_csrf_error(org: SmallOrg) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/zones", json.dumps({"code": "x", "name": "X"}), content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
