"""Time the hot pages and endpoints on the benchmark organisation and count their queries.

Build the organisation once with bench.generate, then run (from the repository root):

    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.generate
    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.run

    createdb -h 127.0.0.1 -U postgres luoshi_bench      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench .venv/bin/python -m bench.generate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench .venv/bin/python -m bench.run

Each scenario is requested in-process through Django's test client, with the full middleware stack,
sessions and templates of config.settings.base: `--warmup` requests first (default 5), then
`--requests` timed ones (default 50). The table gives p50, p95 and the fastest of the server time in
milliseconds, the median CPU time of the Python process (the server's own work without the
database's: on a busy machine the wall times stretch, this much less), and the number of SQL queries
of one request (counted in a separate request, so the query log does not slow the timed ones). The
database connection stays open between requests, as a server's persistent connection does. Results
are also written to bench/out/<vendor>.json.

Target (issue 2): the person directory (search and paginate, 50 rows) answers in p95 ≤ 50 ms on
PostgreSQL with ≤ 10 queries. Rows marked "target" are checked against it; `--check` exits with 1
when one misses.
"""

# ruff: noqa: E402 — Django must be configured before the models are imported.
from __future__ import annotations

import argparse
import importlib
import json
import platform
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.environment import database_label, machine_now, setup

setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.generate import HEAD, HEAD_UNIT, SUPERVISOR
from luoshi.org.models import Person, Unit, UnitKind

TARGET_P95_MS = 50.0
TARGET_QUERIES = 10
OUT_DIR = Path(__file__).resolve().parent / "out"
SEARCH = "王"  # a common surname: a few hundred matches among 20,000 names
# The scenarios of each capability live in a module of their own, with its generator and a
# `run_suite(args)` that reuses this module's measure() and print_table(); `--suite` picks one.
SUITES = {
    "org": "",  # the organisation: the scenarios below
    "worklist": "bench.worklist",  # issue 3: the implementation list
    "service": "bench.service",  # issue 4: the service desk
    "investment": "bench.investment",  # issue 5: investment
}
# BEGIN/COMMIT around the session save, and savepoints, are transaction control, not queries: they
# are shown in their own column (SQLite logs its BEGIN, PostgreSQL's driver sends it unlogged).
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Scenario:
    """One page or endpoint, requested as one person."""

    key: str
    login: str
    path: str
    params: dict[str, str | int]
    htmx: bool = False
    target: bool = False  # the person directory: p95 ≤ 50 ms on PostgreSQL, ≤ 10 queries

    @property
    def url(self) -> str:
        return f"{self.path}?{urlencode(self.params)}" if self.params else self.path


@dataclass
class Result:
    """The figures of one scenario."""

    key: str
    login: str
    url: str
    p50_ms: float
    p95_ms: float
    min_ms: float
    cpu_p50_ms: float  # CPU time of this Python process: the server's own work, without the database's
    queries: int
    transaction_statements: int
    kbytes: float
    rows: int | None
    target: bool
    met: bool | None


def scenarios() -> list[Scenario]:
    """The key pages and endpoints, with ids looked up in the benchmark organisation."""
    bureau = Unit.objects.get(name=HEAD_UNIT)
    zone_office = Unit.objects.filter(kind=UnitKind.ZONE_OFFICE, parent__kind=UnitKind.COMMITTEE).first()
    member = Person.objects.filter(positions__unit__parent=bureau, is_active=True).order_by("pk").first()
    if zone_office is None or member is None:
        sys.exit("the benchmark organisation is incomplete; run bench.generate --reset")
    s, h = SUPERVISOR, HEAD
    return [
        Scenario("directory search", s, "/people/", {"q": SEARCH, "page": 2}, target=True),
        Scenario("directory search htmx", s, "/people/", {"q": SEARCH, "page": 2}, htmx=True, target=True),
        Scenario("directory page 200", s, "/people/", {"page": 200}, target=True),
        Scenario("directory search", h, "/people/", {"q": SEARCH}, target=True),
        Scenario("directory page 3", h, "/people/", {"page": 3}, target=True),
        Scenario("api people search", s, "/api/people", {"q": SEARCH, "page": 2}, target=True),
        Scenario("api people search", h, "/api/people", {"q": SEARCH}, target=True),
        Scenario("api people by unit", s, "/api/people", {"unit_id": zone_office.pk, "page": 2}, target=True),
        Scenario("api people by unit", h, "/api/people", {"unit_id": bureau.pk, "page": 2}, target=True),
        Scenario("unit tree", s, "/units/", {}),
        Scenario("unit tree", h, "/units/", {}),
        Scenario("unit page", s, f"/units/{bureau.pk}/", {}),
        Scenario("person page", s, f"/people/{member.pk}/", {}),
        Scenario("api units", s, "/api/units", {"page": 3}),
        Scenario("zone list", s, "/zones/", {}),
        Scenario("home", s, "/", {}),
        Scenario("home", h, "/", {}),
    ]


def _client(username: str) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(Person.objects.get(username=username))
    return client


def _get(client: Client, scenario: Scenario) -> tuple[float, float, bytes]:
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get(scenario.url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu_started) * 1000
    if response.status_code != 200:
        sys.exit(f"{scenario.key} as {scenario.login}: {scenario.url} answered {response.status_code}")
    return elapsed, cpu, response.content


def _rows(scenario: Scenario, content: bytes) -> int | None:
    """How many records the answer shows (list endpoints and the directory only)."""
    if scenario.path.startswith("/api/"):
        data = json.loads(content)
        return len(data["items"]) if isinstance(data, dict) and "items" in data else None
    if scenario.path == "/people/":
        return content.count(b'<tr><td><a href="/people/')
    return None


def measure(scenario: Scenario, client: Client, *, requests: int, warmup: int, show_sql: bool) -> Result:
    """Warm up, time `requests` requests, then count the queries of one more."""
    for _ in range(warmup):
        _get(client, scenario)
    samples = [_get(client, scenario)[:2] for _ in range(requests)]
    timings = sorted(wall for wall, _cpu in samples)
    with CaptureQueriesContext(connection) as captured:
        _elapsed, _cpu, content = _get(client, scenario)
    if show_sql:
        print(f"\n-- {scenario.key} as {scenario.login}: {scenario.url}")
        for query in captured.captured_queries:
            print(f"   {float(query['time']) * 1000:7.2f} ms  {query['sql'][:400]}")
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[18] if len(timings) > 1 else timings[0]
    statements = [query["sql"] for query in captured.captured_queries]
    control = sum(1 for sql in statements if TRANSACTION_CONTROL.match(sql))
    queries = len(statements) - control
    met = None
    if scenario.target:
        met = queries <= TARGET_QUERIES and (connection.vendor != "postgresql" or p95 <= TARGET_P95_MS)
    return Result(
        key=scenario.key,
        login=scenario.login,
        url=scenario.url,
        p50_ms=round(p50, 2),
        p95_ms=round(p95, 2),
        min_ms=round(timings[0], 2),
        cpu_p50_ms=round(statistics.median(cpu for _wall, cpu in samples), 2),
        queries=queries,
        transaction_statements=control,
        kbytes=round(len(content) / 1024, 1),
        rows=_rows(scenario, content),
        target=scenario.target,
        met=met,
    )


def print_table(header: str, results: list[Result]) -> None:
    print(header)
    columns = (
        f"{'scenario':<24} {'as':<17} {'p50 ms':>7} {'p95 ms':>7} {'min ms':>7} {'cpu ms':>7} "
        f"{'queries':>7} {'+tx':>3} {'rows':>4} {'KB':>6}  url"
    )
    print(columns)
    print("-" * len(columns))
    for r in results:
        mark = "" if r.met is None else ("  target met" if r.met else "  TARGET MISSED")
        rows = "" if r.rows is None else str(r.rows)
        print(
            f"{r.key:<24} {r.login:<17} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.min_ms:>7.1f} {r.cpu_p50_ms:>7.1f} "
            f"{r.queries:>7} {r.transaction_statements:>3} {rows:>4} {r.kbytes:>6.1f}  {r.url}{mark}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per scenario (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (default 5)")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    parser.add_argument("--sql", action="store_true", help="print each scenario's queries with their times")
    parser.add_argument("--check", action="store_true", help="exit with 1 when a target row misses")
    parser.add_argument("--suite", choices=SUITES, default="org", help="whose scenarios to run (default org)")
    args = parser.parse_args(argv)

    if not Person.objects.filter(username=SUPERVISOR).exists():
        sys.exit("no benchmark organisation in this database: run `python -m bench.generate` first")
    if SUITES[args.suite]:
        return int(importlib.import_module(SUITES[args.suite]).run_suite(args))
    header = (
        f"database: {database_label()}\n"
        f"people: {Person.objects.count()}, units: {Unit.objects.count()}; "
        f"{args.requests} timed requests per scenario after {args.warmup} warm-up; "
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
        f"{timezone.localtime():%Y-%m-%d %H:%M}\n"
        f"target (PostgreSQL): person directory p95 ≤ {TARGET_P95_MS:.0f} ms, ≤ {TARGET_QUERIES} queries\n"
    )
    before = machine_now()
    clients: dict[str, Client] = {}
    results = []
    for scenario in scenarios():
        if args.only and args.only not in scenario.key:
            continue
        client = clients.get(scenario.login) or clients.setdefault(scenario.login, _client(scenario.login))
        results.append(
            measure(scenario, client, requests=args.requests, warmup=args.warmup, show_sql=args.sql)
        )
    header += f"before: {before}\nafter:  {machine_now()}\n"
    print_table(header, results)

    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"{connection.vendor}.json"
    out.write_text(
        json.dumps({"header": header, "results": [asdict(r) for r in results]}, ensure_ascii=False, indent=2)
    )
    print(f"\nwritten to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    missed = [r for r in results if r.met is False]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
