"""/healthz, the heartbeat of the job queue, and the production settings' deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from luoshi.core import calendar as workcal
from luoshi.core.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_queue() -> None:
    HUEY.get(HEARTBEAT_KEY)  # reading without peek removes the key


def test_healthz_ok_after_a_heartbeat() -> None:
    heartbeat()  # immediate mode: the periodic task runs now
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["queue"] == "ok"


def test_healthz_503_without_a_consumer() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"].startswith("down")


def test_healthz_503_when_the_heartbeat_is_stale() -> None:
    heartbeat()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.HEARTBEAT_MAX_AGE + 30)):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert "last heartbeat" in response.json()["queue"]


def test_healthz_503_when_the_queue_storage_is_down() -> None:
    heartbeat()
    with mock.patch.object(HUEY, "get", side_effect=ConnectionError("redis gone")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == "down: ConnectionError"


def test_healthz_503_when_the_database_is_down() -> None:
    heartbeat()
    from django.db import connection

    with mock.patch.object(connection, "cursor", side_effect=RuntimeError("db gone")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down: RuntimeError"


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    """Configured as the README says, `check --deploy --fail-level WARNING` reports nothing."""
    db = tmp_path / "deploy.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "luoshi.puwan.gov.cn",
        "DATABASE_URL": f"sqlite:///{db}",
        "LUOSHI_VAR_DIR": str(tmp_path),
    }
    base = Path(settings.BASE_DIR)
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *args], cwd=base, env=env, capture_output=True, text=True, timeout=120
    )
    assert run("migrate", "--noinput").returncode == 0
    # The README asks operators to keep the working-day calendar a year ahead.
    today = timezone.localdate()
    for year in {today.year, today.year + 1} - set(workcal.PACKAGE_YEARS):
        shell = f"from luoshi.core.models import CalendarYear; CalendarYear.objects.create(year={year})"
        assert run("shell", "-c", shell).returncode == 0
    result = run("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_require_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "LUOSHI_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_server_worker_freezes_what_it_loaded() -> None:
    """The WSGI module moves the loaded application out of the garbage collector's generations."""
    code = "import gc, config.wsgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10_000


def test_postgresql_connections_run_without_jit_or_parallel_workers() -> None:
    """Luoshi's short queries on a small server: no JIT compilation, no parallel workers to start."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
