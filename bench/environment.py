"""Point Django at the benchmark database that DATABASE_URL names, never at the embedded demo database."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

USAGE = (
    "Set DATABASE_URL to a separate benchmark database, for example\n"
    "  DATABASE_URL=sqlite:///var/bench.sqlite3\n"
    "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench"
)


def setup() -> None:
    """Configure Django (config.settings.base unless DJANGO_SETTINGS_MODULE says otherwise).

    The benchmarks write 20,000 people with bulk inserts, so they refuse to run without an explicit
    DATABASE_URL and refuse the demo's default SQLite file outright.
    """
    if not os.environ.get("DATABASE_URL"):
        sys.exit(USAGE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = str(database["NAME"])
        if name == ":memory:" or Path(name).resolve() == (settings.VAR_DIR / "luoshi.sqlite3").resolve():
            sys.exit("That is the demo database (or an in-memory one). " + USAGE)
    # Load the application as a server worker does (config.wsgi), with what it sets up for the
    # worker's life, so the pages are timed as they are served.
    import config.wsgi  # noqa: F401


def database_label() -> str:
    """Vendor, server version and database name, for the report header."""
    from django.db import connection

    connection.ensure_connection()
    vendor = connection.vendor
    if vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]
        release = f"{version // 10000}.{version % 10000}"
    elif vendor == "sqlite":
        import sqlite3

        release = sqlite3.sqlite_version
    else:
        release = "?"
    return f"{connection.display_name} {release} ({connection.settings_dict['NAME']})"


def machine_now() -> str:
    """How busy and how fast the machine is right now: the load average, and the time a fixed
    pure-Python loop takes (the CPU probe). On a shared machine the same code measures up to a
    third slower or faster from one minute to the next; the probe tells the runs apart."""
    started = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    probe_ms = (time.perf_counter() - started) * 1000
    return (
        f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, CPU probe {probe_ms:.0f} ms"
    )
