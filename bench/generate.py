"""Build a large organisation for the benchmarks: 7 zones, 500 units and 20,000 people.

Run from the repository root, against a database of its own (never the demo's):

    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.generate
    createdb -h 127.0.0.1 -U postgres luoshi_bench      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench .venv/bin/python -m bench.generate

The generator migrates the database first. Run again, it finds the benchmark organisation in place
and changes nothing; `--reset` drops the whole database content and builds it afresh (only for a
database whose name contains "bench").

The tree: New Area → committee → 22 departments, 7 zone offices and 10 state-owned enterprises →
sections (科室) of the departments and zone offices, subsidiaries of the enterprises and their
departments. Every unit has a head; the committee has a principal leader and eight leaders in charge
who oversee the departments, zone offices and enterprises between them; the supervision office
(督查室) has the supervisors; a quarter of the staff hold a second post in another unit.

This is test data, not user input: it is written with bulk inserts, bypassing the services, so it
carries no audit trail and takes seconds instead of minutes. Unit.path is computed exactly as
`unit_create` does ("/<ancestor ids>/<own id>/").
"""

# ruff: noqa: E402 — Django must be configured before the models are imported.
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.environment import database_label, setup

setup()

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from luoshi.demo import org as demo
from luoshi.org.models import Oversight, Person, Position, Role, Unit, UnitKind, Zone

BENCH_PASSWORD = "bench-pass-2026"
# The accounts the runner logs in as (any of them can also log in to a server on this database).
PRINCIPAL = "bench_principal"
DEPUTY = "bench_deputy1"
SUPERVISOR = "bench_supervisor"
HEAD = "bench_head"  # head of 招商局 and its sections: the scoped view of the directory
HEAD_UNIT = "招商局"

DEPARTMENTS = [
    ("党政办公室", "党政办"),
    ("督查室", "督查室"),
    ("组织人事部", "组织人事部"),
    ("招商局", "招商局"),
    ("经济发展局", "经发局"),
    ("规划建设局", "规建局"),
    ("财政局", "财政局"),
    ("企业服务中心", "企服中心"),
    ("自然资源局", "自然资源局"),
    ("党群工作部", "党群部"),
    ("纪检监察室", "纪检监察室"),
    ("应急管理局", "应急局"),
    ("生态环境局", "生态环境局"),
    ("农业农村局", "农业农村局"),
    ("社会事业局", "社会事业局"),
    ("城市管理局", "城管局"),
    ("市场监督管理局", "市场监管局"),
    ("行政审批局", "行政审批局"),
    ("统计局", "统计局"),
    ("审计局", "审计局"),
    ("科技创新局", "科创局"),
    ("住房和城乡建设局", "住建局"),
]
DEPARTMENT_SECTIONS = [
    "综合科",
    "政策法规科",
    "规划计划科",
    "项目管理科",
    "督查考核科",
    "业务一科",
    "业务二科",
    "信息统计科",
]
ZONE_OFFICE_SECTIONS = [
    "综合办公室",
    "招商服务科",
    "项目建设科",
    "企业服务站",
    "安全生产科",
    "规划土地科",
    "社会事务科",
    "经济发展科",
    "环境保护科",
    "党群工作科",
    "第一社区工作站",
    "第二社区工作站",
]
SOES = [
    ("普湾发展集团有限公司", "发展集团"),
    ("普湾建设投资有限公司", "建投公司"),
    ("普湾产业园区运营有限公司", "园区运营"),
    ("普湾城市服务有限公司", "城市服务"),
    ("普湾水务有限公司", "水务公司"),
    ("普湾物流有限公司", "物流公司"),
    ("普湾科技创新投资有限公司", "科创投"),
    ("普湾文旅发展有限公司", "文旅公司"),
    ("普湾能源有限公司", "能源公司"),
    ("普湾农业发展有限公司", "农发公司"),
]
SUBSIDIARIES = ["建设", "运营", "物业", "投资"]
SUBSIDIARY_DEPARTMENTS = ["综合部", "财务部", "工程部", "市场部", "安全环保部"]
STEWARD_UNITS = ("企业服务中心", "企业服务站")  # staff of these units serve enterprises
DEPUTIES = 8
SUPERVISORS = 6
ENTERPRISE_SHARE = 0.02
SECOND_POST_SHARE = 0.25
INACTIVE_SHARE = 0.015
BATCH = 2000


@dataclass
class Plan:
    """How big the organisation gets."""

    units: int = 500
    people: int = 20_000
    seed: int = 2021


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", action="store_true", help="wipe the benchmark database and build it again")
    parser.add_argument("--people", type=int, default=Plan.people, help="people to create (default 20000)")
    parser.add_argument("--units", type=int, default=Plan.units, help="units to create (default 500)")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args(argv)
    plan = Plan(units=args.units, people=args.people, seed=args.seed)
    if plan.units < 2 + len(DEPARTMENTS) + len(demo.ZONES) + len(SOES):
        parser.error("--units must leave room for the committee's departments, zone offices and SOEs")

    print(f"database: {database_label()}")
    if args.reset:
        wipe()
    call_command("migrate", interactive=False, verbosity=0)
    if Person.objects.filter(username=SUPERVISOR).exists():
        print("the benchmark organisation is already there; nothing to do (use --reset to rebuild it)")
        return 0
    if Zone.objects.exists() or Unit.objects.exists():
        print("this database holds another organisation; point DATABASE_URL at an empty one or use --reset")
        return 1
    started = time.perf_counter()
    counts = build(plan)
    analyse()
    print(
        f"built {counts['units']} units, {counts['people']} people, {counts['positions']} positions and "
        f"{counts['oversights']} oversights in {time.perf_counter() - started:.1f} s"
    )
    print(f"logins (password {BENCH_PASSWORD}): {PRINCIPAL}, {DEPUTY}, {SUPERVISOR}, {HEAD}")
    return 0


def wipe() -> None:
    """Drop everything in the benchmark database (its name must say "bench")."""
    settings_dict = connection.settings_dict
    name = str(settings_dict["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"refusing to wipe {name!r}: --reset only works on a database whose name contains 'bench'")
    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        sys.exit(f"--reset does not know how to wipe a {connection.vendor} database")
    print(f"wiped {name}")


@transaction.atomic
def build(plan: Plan) -> dict[str, int]:
    """Create zones, the unit tree, people, their positions and the leaders' oversight."""
    rng = random.Random(plan.seed)
    zones = Zone.objects.bulk_create(
        Zone(code=code, name=name, positioning=positioning, industries=industries, sort=sort)
        for sort, (code, name, positioning, industries) in enumerate(demo.ZONES, start=1)
    )
    units = build_units(plan, rng, zones)
    people, positions, oversights = build_people(plan, rng, units)
    return {"units": len(units), "people": people, "positions": positions, "oversights": oversights}


def _add_level(specs: list[Unit]) -> list[Unit]:
    """Insert one level of the tree, then give each unit its path below its parent's."""
    created = Unit.objects.bulk_create(specs, batch_size=BATCH)
    for unit in created:
        unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    Unit.objects.bulk_update(created, ["path"], batch_size=BATCH)
    return created


def build_units(plan: Plan, rng: random.Random, zones: list[Zone]) -> list[Unit]:
    """The tree, level by level, stopping at exactly `plan.units` units."""
    (authority,) = _add_level([Unit(name=demo.AUTHORITY, short_name="新区", kind=UnitKind.AUTHORITY)])
    (committee,) = _add_level(
        [Unit(name=demo.COMMITTEE, short_name="管委会", kind=UnitKind.COMMITTEE, parent=authority)]
    )
    top: list[Unit] = []
    for name, short in DEPARTMENTS:
        top.append(Unit(name=name, short_name=short, kind=UnitKind.DEPARTMENT, parent=committee))
    zone_by_code = {z.code: z for z in zones}
    for name, short, kind, zone_code in demo.UNITS:
        if kind == UnitKind.ZONE_OFFICE and zone_code:
            top.append(
                Unit(name=name, short_name=short, kind=kind, parent=committee, zone=zone_by_code[zone_code])
            )
    for name, short in SOES:
        top.append(Unit(name=name, short_name=short, kind=UnitKind.SOE, parent=committee))
    for sort, unit in enumerate(top, start=1):
        unit.sort = sort
        unit.phone = f"0411-8765{sort:04d}"
    top = _add_level(top)
    budget = plan.units - 2 - len(top)

    second: list[Unit] = []
    soe_index = 0
    for parent in top:
        if parent.kind == UnitKind.DEPARTMENT:
            names = DEPARTMENT_SECTIONS
        elif parent.kind == UnitKind.ZONE_OFFICE:
            names = ZONE_OFFICE_SECTIONS
        else:
            names = [f"{s}公司" for s in SUBSIDIARIES]
        for sort, section in enumerate(names, start=1):
            zone = parent.zone
            if parent.kind == UnitKind.SOE:
                # Every other subsidiary runs a park in one of the zones.
                zone = zones[soe_index % len(zones)] if soe_index % 2 == 0 else None
                soe_index += 1
            second.append(
                Unit(
                    name=f"{parent.short_name}{section}",
                    short_name=section,
                    kind=parent.kind,
                    parent=parent,
                    zone=zone,
                    sort=sort,
                )
            )
    second = _add_level(second[:budget])
    budget -= len(second)

    third: list[Unit] = []
    subsidiaries = [u for u in second if u.kind == UnitKind.SOE]
    for sort, department in enumerate(SUBSIDIARY_DEPARTMENTS, start=1):
        for parent in subsidiaries:
            third.append(
                Unit(
                    name=f"{parent.parent.short_name}{parent.short_name}{department}",  # type: ignore[union-attr]
                    short_name=department,
                    kind=UnitKind.SOE,
                    parent=parent,
                    zone=parent.zone,
                    sort=sort,
                )
            )
    third = _add_level(third[:budget]) if budget > 0 else []
    return [authority, committee, *top, *second, *third]


def _name(rng: random.Random) -> str:
    return rng.choice(demo.SURNAMES) + "".join(rng.choice(demo.GIVEN) for _ in range(rng.randint(1, 2)))


def build_people(plan: Plan, rng: random.Random, units: list[Unit]) -> tuple[int, int, int]:
    """People and their posts: heads, leaders, supervisors, stewards, staff and enterprise users."""
    by_name = {u.name: u for u in units}
    committee = next(u for u in units if u.kind == UnitKind.COMMITTEE)
    authority = next(u for u in units if u.kind == UnitKind.AUTHORITY)
    supervision = by_name["督查室"]
    now = timezone.now()
    usable = make_password(BENCH_PASSWORD)
    unusable = make_password(None)  # generated people cannot log in; the named accounts can

    # (username or None, unit or None, role, title, principal)
    posts: list[tuple[str | None, Unit | None, str, str, bool]] = [
        (PRINCIPAL, committee, Role.LEADER, "管委会主任", True),
        (SUPERVISOR, supervision, Role.SUPERVISOR, "督查室主任", False),
        (HEAD, by_name[HEAD_UNIT], Role.UNIT_HEAD, "局长", False),
    ]
    posts += [
        (f"bench_deputy{n}", committee, Role.LEADER, "管委会副主任", False) for n in range(1, DEPUTIES + 1)
    ]
    posts += [(None, supervision, Role.SUPERVISOR, "督查专员", False) for _ in range(SUPERVISORS - 1)]
    for unit in units:
        if unit.kind in (UnitKind.AUTHORITY, UnitKind.COMMITTEE) or unit in (supervision, by_name[HEAD_UNIT]):
            continue
        posts.append((None, unit, Role.UNIT_HEAD, "负责人", False))
    enterprises = round(plan.people * ENTERPRISE_SHARE)
    posts += [(None, None, Role.ENTERPRISE, "企业联系人", False) for _ in range(enterprises)]

    # Everyone else is staff, spread over the units: sections are busier than the offices above them.
    staff_units = [u for u in units if u != authority]
    weights = [0.3 if u == committee else (0.6 if u.depth == 2 else 1.0) for u in staff_units]
    rest = max(plan.people - len(posts), 0)
    for unit in rng.choices(staff_units, weights=weights, k=rest):
        serves = (
            any(unit.name.endswith(s) for s in STEWARD_UNITS) or unit.parent_id == by_name["企业服务中心"].pk
        )
        role, title = (Role.STEWARD, "企业服务专员") if serves else (Role.STAFF, "科员")
        posts.append((None, unit, role, title, False))
    posts = posts[: plan.people]

    people = []
    for serial, (username, _unit, _role, _title, _principal) in enumerate(posts, start=1):
        login = username or f"b{serial:05d}"
        people.append(
            Person(
                username=login,
                name=_name(rng),
                email=f"{login}@puwan.example.cn",
                phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                password=usable if username else unusable,
                is_active=bool(username) or rng.random() >= INACTIVE_SHARE,
                date_joined=now - timedelta(days=rng.randint(0, 3650)),
            )
        )
    people = Person.objects.bulk_create(people, batch_size=BATCH)

    positions = []
    internal_units = [u for u in units if u.kind not in (UnitKind.AUTHORITY,)]
    for person, (_username, post_unit, post_role, post_title, principal) in zip(people, posts, strict=True):
        positions.append(
            Position(person=person, unit=post_unit, role=post_role, title=post_title, is_principal=principal)
        )
        if post_unit is not None and post_role == Role.STAFF and rng.random() < SECOND_POST_SHARE:
            other = rng.choice(internal_units)
            if other != post_unit:
                positions.append(Position(person=person, unit=other, role=Role.STAFF, title="兼职"))
    Position.objects.bulk_create(positions, batch_size=BATCH)

    deputies = [p for p in people if p.username.startswith("bench_deputy")]
    overseen = [u for u in units if u.depth == 2]
    rng.shuffle(overseen)
    oversights = [
        Oversight(leader=deputies[index % len(deputies)], unit=unit) for index, unit in enumerate(overseen)
    ]
    Oversight.objects.bulk_create(oversights, batch_size=BATCH)
    return len(people), len(positions), len(oversights)


def analyse() -> None:
    """Fresh planner statistics, as a database in service would have."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
