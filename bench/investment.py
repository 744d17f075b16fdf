"""Investment's benchmark (issue 5): 50,000 projects, 1,000,000 follow-ups, and their scenarios.

Generate once, on top of the benchmark organisation (built first if the database has none), then run:

    DATABASE_URL=sqlite:///var/bench-inv.sqlite3 .venv/bin/python -m bench.investment
    DATABASE_URL=sqlite:///var/bench-inv.sqlite3 .venv/bin/python -m bench.run --suite investment

    createdb -h 127.0.0.1 -U postgres luoshi_bench_inv      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench_inv .venv/bin/python -m bench.investment
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench_inv .venv/bin/python -m bench.run --suite investment

The data is benchmark data, not user input: it is written with bulk inserts in batches, bypassing the
services, so it carries no audit trail, no stage moves, no documents and no notifications. What the
kanban, the funnel and the targets read is realistic:

- projects whose leads came in over the last five years (more of them recently), in the seven zones
  with the industries and investors that fit each zone, led by the zone office or the investment
  bureau (招商局), owned by a person of that unit, with a leader in charge;
- each project is moved along the pipeline with plausible odds and delays (some skip 洽谈), up to the
  moment of generation; most leads that go nowhere are marked lost after a quiet spell, some stay
  open, and a share of the open leads and negotiations has gone quiet, so the stale flags show;
- the date each stage was reached, the contracted amount at signing, an enterprise (with a valid
  USCC) for every registered project, and the monthly investment of every started project;
- follow-ups spread over each project's active life, more of them in the early stages;
- zone targets for every year of the history and the next one.

The runner's suite (`bench.run --suite investment`) times the kanban of one zone with its column
totals, the funnel and the targets page for all zones, their API twins and the selectors themselves.
"""

# ruff: noqa: E402 — Django must be configured before the models are imported.
from __future__ import annotations

import argparse
import datetime
import itertools
import random
import sys
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from bench.environment import database_label, machine_now, setup

setup()

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from bench import generate
from bench.service import (
    Timing,
    fact_times,
    finish,
    make_uscc,
    print_timing,
    print_timing_header,
    time_call,
    vacuum_analyse,
)
from luoshi.core.models import Counter
from luoshi.investment import selectors
from luoshi.investment.models import (
    STAGES,
    FollowUp,
    FollowUpForm,
    MonthlyInvestment,
    Project,
    Source,
    Stage,
    ZoneTarget,
)
from luoshi.org.models import Person, Role, Unit, UnitKind, Zone
from luoshi.service.models import Enterprise
from luoshi.service.models import Stage as LifeStage

BATCH = 2000
TARGET_KANBAN_P95_MS = 80.0  # PostgreSQL: the kanban of one zone with its column totals
TARGET_PAGE_MS = 300.0  # PostgreSQL: the funnel and the targets page for all zones


@dataclass
class Plan:
    """How much investment data to build."""

    projects: int = 50_000
    follow_ups: int = 1_000_000
    years: int = 5
    seed: int = 2027


# Zone code → (share of the projects, industries, trade names of investors, origins with weights).
ZONES: dict[str, tuple[int, list[str], list[str], list[tuple[str, int]]]] = {
    "xinriben": (
        20,
        ["汽车零部件", "新能源汽车", "精密机械", "智能装备"],
        ["丰田", "电装", "爱信", "矢崎", "光洋", "小松", "阿尔卑斯", "日立", "富士", "兄弟", "捷太格特"],
        [("日本", 7), ("中国大陆", 2), ("德国", 1)],
    ),
    "sanshilipu": (
        10,
        ["农产品批发", "冷链物流", "食品加工", "商贸"],
        ["鲜达", "丰源", "海润", "绿野", "恒通", "金海", "众诚", "鑫达"],
        [("中国大陆", 8), ("新加坡", 1), ("中国香港", 1)],
    ),
    "songmudao": (
        15,
        ["精细化工", "新材料", "医药中间体", "电子化学品"],
        ["恒力", "瑞泽", "科隆", "巴斯夫", "昌和", "博远", "凯信", "万华"],
        [("中国大陆", 6), ("德国", 2), ("日本", 1), ("韩国", 1)],
    ),
    "kechuang": (
        10,
        ["科技服务", "软件", "检验检测", "研发机构"],
        ["知行", "启明", "智源", "睿思", "格物", "数联", "星火", "致远"],
        [("中国大陆", 8), ("美国", 1), ("新加坡", 1)],
    ),
    "gaotie": (
        10,
        ["会展", "商贸服务", "酒店", "现代物流"],
        ["汇通", "瑞和", "嘉华", "国展", "远航", "信达", "联城", "万达"],
        [("中国大陆", 7), ("中国香港", 2), ("新加坡", 1)],
    ),
    "wanbei": (
        25,
        ["集成电路", "半导体设备", "信息技术", "人工智能"],
        ["晶合", "华芯", "北硅", "微纳", "智芯", "海光", "睿晶", "三星", "英特尔", "SK海力士"],
        [("中国大陆", 5), ("韩国", 2), ("美国", 2), ("日本", 1)],
    ),
    "shanhe": (
        10,
        ["绿色建材", "装配式建筑", "新型墙材", "水泥制品"],
        ["鲁宏", "建华", "金石", "宏远", "筑友", "远大", "东方雨虹", "北新"],
        [("中国大陆", 9), ("日本", 1)],
    ),
}
INVESTOR_FORMS = {
    "日本": "日本{x}株式会社",
    "韩国": "韩国{x}株式会社",
    "中国香港": "{x}（香港）投资有限公司",
    "德国": "德国{x}集团",
    "美国": "美国{x}公司",
    "新加坡": "新加坡{x}控股有限公司",
    "中国大陆": "{city}{x}集团有限公司",
}
CITIES = ["上海", "深圳", "北京", "沈阳", "大连", "杭州", "苏州", "青岛", "天津", "合肥"]
PROJECT_KINDS = ["生产基地", "研发中心", "扩产", "二期", "总部", "产业园", "智能工厂", "技改"]
LOST_REASONS = [
    "投资方战略调整，项目暂停。",
    "选址最终落在其他地区。",
    "用地条件未能满足企业要求。",
    "融资未落实。",
]
OUTCOMES = [
    "介绍园区产业政策和用地情况，企业表示有意向。",
    "就投资规模、用地和用能需求深入交流。",
    "企业考察选址地块，对配套条件比较满意。",
    "协调解决企业提出的审批问题。",
    "了解项目建设进度和下一步资金计划。",
]
NEXT_STEPS = [
    "准备投资协议草案。",
    "安排企业高层来访。",
    "对接规划和自然资源部门。",
    "跟进设备进场计划。",
    "",
]

# (next stage, chance to get there, days it takes: low, high); a skip of 洽谈 happens at the lead.
ADVANCE = {
    Stage.LEAD: (Stage.NEGOTIATING, 0.55, 20, 150),
    Stage.NEGOTIATING: (Stage.SIGNED, 0.5, 30, 200),
    Stage.SIGNED: (Stage.REGISTERED, 0.85, 15, 90),
    Stage.REGISTERED: (Stage.STARTED, 0.8, 30, 180),
    Stage.STARTED: (Stage.OPERATING, 0.75, 180, 540),
}
SKIP_NEGOTIATION = 0.05
FOLLOW_UP_WEIGHT = {  # follow-ups per year of each stage, relative
    Stage.LEAD: 18,
    Stage.NEGOTIATING: 30,
    Stage.SIGNED: 20,
    Stage.REGISTERED: 12,
    Stage.STARTED: 8,
    Stage.OPERATING: 3,
}


@dataclass
class Draft:
    """A project before insertion, with what its follow-ups and investment need."""

    project: Project
    zone_code: str
    active: tuple[datetime.date, datetime.date] | None  # when follow-ups happen
    weight: float  # expected follow-ups, relative
    author_ids: list[int] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", action="store_true", help="wipe the benchmark database and build it again")
    parser.add_argument("--projects", type=int, default=Plan.projects)
    parser.add_argument("--follow-ups", type=int, default=Plan.follow_ups)
    parser.add_argument("--years", type=int, default=Plan.years, help="history to spread the leads over")
    parser.add_argument("--people", type=int, default=generate.Plan.people, help="the organisation's size")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args(argv)
    plan = Plan(projects=args.projects, follow_ups=args.follow_ups, years=args.years, seed=args.seed)

    org_args = ["--people", str(args.people), *(["--reset"] if args.reset else [])]
    if generate.main(org_args) != 0:
        return 1
    if Project.objects.exists():
        print("the investment data is already there; nothing to do (use --reset to rebuild everything)")
        return 0
    started = time.perf_counter()
    counts = build(plan)
    vacuum_analyse()
    print(
        f"built {counts['projects']:,} projects, {counts['follow_ups']:,} follow-ups, "
        f"{counts['investments']:,} monthly investments, {counts['enterprises']:,} enterprises and "
        f"{counts['targets']} zone targets in {time.perf_counter() - started:.0f} s"
    )
    stages = dict(
        Project.objects.filter(lost_on__isnull=True)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    lost = Project.objects.filter(lost_on__isnull=False).count()
    print("projects by stage: " + ", ".join(f"{s} {stages.get(s, 0):,}" for s in STAGES) + f", lost {lost:,}")
    return 0


def _people_of(units: list[Unit]) -> dict[int, list[int]]:
    """The active people holding a government post in each unit (candidates for 招商责任人)."""
    people: dict[int, list[int]] = {}
    for unit_id, person_id in (
        Person.objects.filter(
            is_active=True,
            positions__unit__in=units,
            positions__role__in=[Role.STAFF, Role.UNIT_HEAD],
        )
        .values_list("positions__unit_id", "pk")
        .order_by("pk")
    ):
        people.setdefault(unit_id, []).append(person_id)
    return people


def build(plan: Plan) -> dict[str, int]:
    rng = random.Random(plan.seed)
    today = timezone.localdate()
    zones = {z.code: z for z in Zone.objects.all()}
    units = list(Unit.objects.filter(is_active=True))
    bureau = next(u for u in units if u.name == generate.HEAD_UNIT)
    offices = {u.zone_id: u for u in units if u.kind == UnitKind.ZONE_OFFICE and u.depth == 2}
    # Who leads a project: the zone office or its 招商服务科, or the bureau and its sections.
    leading: dict[int, list[Unit]] = {}
    for zone in zones.values():
        office = offices.get(zone.pk)
        candidates = [office] if office else []
        candidates += [
            u for u in units if office and u.parent_id == office.pk and u.name.endswith("招商服务科")
        ]
        leading[zone.pk] = candidates
    bureau_units = [bureau, *(u for u in units if u.parent_id == bureau.pk)]
    people = _people_of([*bureau_units, *(u for us in leading.values() for u in us)])
    leaders = list(
        Person.objects.filter(username__startswith="bench_deputy").order_by("pk").values_list("pk", flat=True)
    )
    stewards: dict[int | None, list[int]] = {}
    for person_id, zone_id in (
        Person.objects.filter(is_active=True, positions__role=Role.STEWARD)
        .values_list("pk", "positions__unit__zone_id")
        .order_by("pk")
    ):
        stewards.setdefault(zone_id, []).append(person_id)

    drafts = plan_projects(plan, rng, today, zones, leading, bureau_units, people, leaders)
    print(f"  planned {len(drafts):,} projects")
    with transaction.atomic():
        enterprises = link_enterprises(rng, drafts, stewards)
    with transaction.atomic(), fact_times(Project):
        created = Project.objects.bulk_create([d.project for d in drafts], batch_size=BATCH)
        for draft, project in zip(drafts, created, strict=True):
            draft.project = project
    years = {d.project.lead_on.year for d in drafts}
    for year in years:
        last = sum(1 for d in drafts if d.project.lead_on.year == year)
        Counter.objects.update_or_create(series=f"ZS-{year}", defaults={"last": last})
    print(f"  {len(created):,} projects, {enterprises:,} enterprises")
    follow_ups = build_follow_ups(plan, rng, drafts)
    investments = build_investments(rng, drafts, today)
    targets = build_targets(rng, today, min(years), list(zones.values()))
    return {
        "projects": len(created),
        "follow_ups": follow_ups,
        "investments": investments,
        "enterprises": enterprises,
        "targets": targets,
    }


def _investor(rng: random.Random, origin: str, names: list[str]) -> str:
    return INVESTOR_FORMS[origin].format(x=rng.choice(names), city=rng.choice(CITIES))


def plan_projects(
    plan: Plan,
    rng: random.Random,
    today: datetime.date,
    zones: dict[str, Zone],
    leading: dict[int, list[Unit]],
    bureau_units: list[Unit],
    people: dict[int, list[int]],
    leaders: list[int],
) -> list[Draft]:
    """Every project's facts, moved along the pipeline up to today."""
    first = today.replace(year=today.year - plan.years)
    span = (today - first).days
    codes = [code for code in ZONES if code in zones]
    zone_weights = list(itertools.accumulate(ZONES[c][0] for c in codes))
    sources = list(Source.values)
    leads = sorted(
        # More leads recently: the density grows linearly over the history.
        first + datetime.timedelta(days=int(span * rng.random() ** 0.7))
        for _ in range(plan.projects)
    )
    numbers: dict[int, int] = {}
    drafts = []
    for lead_on in leads:
        code = rng.choices(codes, cum_weights=zone_weights)[0]
        _share, industries, trade_names, origins = ZONES[code]
        zone = zones[code]
        origin = rng.choices([o for o, _w in origins], weights=[w for _o, w in origins])[0]
        if rng.random() < 0.3 or not leading.get(zone.pk):
            unit = rng.choice(bureau_units)
        else:
            unit = rng.choice(leading[zone.pk])
        owners = people.get(unit.pk) or people.get(bureau_units[0].pk) or [leaders[0]]
        owner = rng.choice(owners)
        planned = Decimal(round(min(max(rng.lognormvariate(8.5, 1.1), 200), 800_000), -1))
        industry = rng.choice(industries)
        investor = _investor(rng, origin, trade_names)
        numbers[lead_on.year] = numbers.get(lead_on.year, 0) + 1
        project = Project(
            code=f"ZS-{lead_on.year}-{numbers[lead_on.year]:04d}",
            name=f"{investor.split('（')[0][:12]}{industry}{rng.choice(PROJECT_KINDS)}项目",
            investor=investor,
            origin=origin,
            industry=industry,
            zone=zone,
            unit=unit,
            owner_id=owner,
            leader_id=rng.choice(leaders) if leaders else None,
            source=rng.choice(sources),
            planned_investment=planned,
            expected_output=(planned * Decimal(rng.uniform(0.8, 2.5))).quantize(Decimal("1")),
            expected_jobs=int(float(planned) / rng.uniform(40, 120)) + 5,
            description=f"{investor}拟在{zone.name}投资建设{industry}项目。",
            stage=Stage.LEAD,
            lead_on=lead_on,
        )
        drafts.append(advance(rng, today, project, code, owners))
    return drafts


def advance(
    rng: random.Random, today: datetime.date, project: Project, zone_code: str, owners: list[int]
) -> Draft:
    """Move a project along the pipeline with the odds of ADVANCE, stopping at today."""
    reached = project.lead_on
    events = [reached]
    weight = 0.0
    stage = Stage.LEAD
    while stage in ADVANCE:
        following, chance, low, high = ADVANCE[stage]
        if stage == Stage.LEAD and rng.random() < SKIP_NEGOTIATION:
            following = Stage.SIGNED
        moved = reached + datetime.timedelta(days=rng.randint(low, high))
        if rng.random() >= chance or moved > today:
            break
        weight += FOLLOW_UP_WEIGHT[stage] * (moved - reached).days / 365
        stage, reached = following, moved
        setattr(project, f"{stage}_on", moved)
        events.append(moved)
        if stage == Stage.SIGNED:
            project.contracted_amount = (
                project.planned_investment * Decimal(rng.uniform(0.8, 1.2))
            ).quantize(Decimal("0.01"))
    project.stage = stage
    end = today
    if stage in (Stage.LEAD, Stage.NEGOTIATING):
        quiet = reached + datetime.timedelta(days=rng.randint(60, 300))
        if rng.random() < 0.6 and quiet <= today:  # it went nowhere and was given up
            project.lost_on = quiet
            project.lost_reason = rng.choice(LOST_REASONS)
            end = quiet - datetime.timedelta(days=rng.randint(30, 90))
            events.append(quiet)
        elif rng.random() < 0.35:  # still open, but nobody has called for a while
            end = today - datetime.timedelta(days=rng.randint(20, 120))
    end = max(end, project.lead_on)
    weight += FOLLOW_UP_WEIGHT[stage] * max((end - reached).days, 0) / 365
    last = max(events)
    project.version = len(events)
    project.created_at = _moment(rng, project.lead_on)
    project.updated_at = _moment(rng, max(last, min(end, today)))
    return Draft(project, zone_code, (project.lead_on, end), weight, owners[:])


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=timezone.get_current_timezone()
    )


def link_enterprises(rng: random.Random, drafts: list[Draft], stewards: dict[int | None, list[int]]) -> int:
    """Every registered project gets its enterprise, as project_move does at registration."""
    registered = [d for d in drafts if d.project.registered_on is not None]
    life: dict[str, str] = {Stage.REGISTERED: LifeStage.PREPARING, Stage.STARTED: LifeStage.BUILDING}
    everyone = [p for people in stewards.values() for p in people]
    specs = []
    for serial, draft in enumerate(registered):
        p = draft.project
        name = f"{p.investor.split('（')[0][:10]}（大连）{p.industry}有限公司{serial:05d}号"
        specs.append(
            Enterprise(
                name=name,
                uscc=make_uscc(serial, series="MA1"),  # the service desk's generator uses MA0
                zone=p.zone,
                industry=p.industry,
                stage=life.get(p.stage, LifeStage.OPERATING),
                steward_id=rng.choice(stewards.get(p.zone_id) or everyone) if everyone else None,
            )
        )
    created = Enterprise.objects.bulk_create(specs, batch_size=BATCH)
    for draft, enterprise in zip(registered, created, strict=True):
        draft.project.enterprise = enterprise
    return len(created)


def build_follow_ups(plan: Plan, rng: random.Random, drafts: list[Draft]) -> int:
    """Follow-ups spread over each project's active life, `plan.follow_ups` of them in all."""
    total_weight = sum(d.weight + 0.5 for d in drafts)
    forms = list(FollowUpForm.values)
    pending: list[FollowUp] = []
    written = 0
    started = time.perf_counter()
    carry = 0.0
    for draft in drafts:
        exact = plan.follow_ups * (draft.weight + 0.5) / total_weight + carry
        count = round(exact)
        carry = exact - count
        first, last = draft.active or (draft.project.lead_on, draft.project.lead_on)
        days = max((last - first).days, 0)
        for _ in range(count):
            day = first + datetime.timedelta(days=rng.randint(0, days))
            pending.append(
                FollowUp(
                    project_id=draft.project.pk,
                    date=day,
                    form=rng.choice(forms),
                    people_met=f"{draft.project.investor[:20]} {generate._name(rng)}",
                    outcome=rng.choice(OUTCOMES),
                    next_step=rng.choice(NEXT_STEPS),
                    author_id=draft.project.owner_id if rng.random() < 0.8 else rng.choice(draft.author_ids),
                    created_at=_moment(rng, day),
                )
            )
        if len(pending) >= 20_000:
            written += _insert_follow_ups(pending)
            print(f"  {written:,} follow-ups ({written / (time.perf_counter() - started):,.0f}/s)", end="\r")
    written += _insert_follow_ups(pending)
    print()
    return written


def _insert_follow_ups(pending: list[FollowUp]) -> int:
    with transaction.atomic(), fact_times(FollowUp):
        FollowUp.objects.bulk_create(pending, batch_size=BATCH)
    count = len(pending)
    pending.clear()
    return count


def build_investments(rng: random.Random, drafts: list[Draft], today: datetime.date) -> int:
    """The monthly investment of each started project, from its start to last month."""
    this_month = today.replace(day=1)
    rows = []
    for draft in drafts:
        p = draft.project
        if p.started_on is None:
            continue
        months: list[datetime.date] = []
        month = p.started_on.replace(day=1)
        while month < this_month and len(months) < 36:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        if not months:
            continue
        base = (p.contracted_amount or p.planned_investment) * Decimal("0.9") / max(len(months), 18)
        for month in months:
            amount = (base * Decimal(rng.uniform(0.3, 1.7))).quantize(Decimal("0.01"))
            rows.append(MonthlyInvestment(project_id=p.pk, month=month, amount=amount))
    with transaction.atomic():
        MonthlyInvestment.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def build_targets(rng: random.Random, today: datetime.date, first_year: int, zones: list[Zone]) -> int:
    """Each zone's targets for every year of the history and the next: a little above what it did."""
    signed = {
        (r["zone_id"], r["y"]): r
        for r in Project.objects.filter(signed_on__isnull=False)
        .annotate(y=ExtractYear("signed_on"))
        .order_by()
        .values("zone_id", "y")
        .annotate(amount=Sum("contracted_amount"), n=Count("pk"))
    }
    started_rows = (
        Project.objects.filter(started_on__isnull=False)
        .annotate(y=ExtractYear("started_on"))
        .order_by()
        .values("zone_id", "y")
        .annotate(n=Count("pk"))
    )
    started = {(r["zone_id"], r["y"]): r["n"] for r in started_rows}
    invested = {
        (r["project__zone_id"], r["y"]): r["amount"]
        for r in MonthlyInvestment.objects.annotate(y=ExtractYear("month"))
        .order_by()
        .values("project__zone_id", "y")
        .annotate(amount=Sum("amount"))
    }
    targets = []
    for year in range(first_year, today.year + 2):
        # The current year is judged on a full year's pace; the next year's targets are set already.
        pace = Decimal(12) / Decimal(today.month) if year == today.year else Decimal(1)
        for zone in zones:
            base_year = min(year, today.year)
            s = signed.get((zone.pk, base_year), {})
            factor = Decimal(rng.uniform(1.0, 1.25)) * pace
            targets.append(
                ZoneTarget(
                    zone=zone,
                    year=year,
                    signed_amount=_round((s.get("amount") or Decimal(0)) * factor),
                    started_count=int(started.get((zone.pk, base_year), 0) * factor) + 1,
                    actual_investment=_round((invested.get((zone.pk, base_year)) or Decimal(0)) * factor),
                    big_projects=int((s.get("n") or 0) * Decimal("0.3") * factor) + 1,
                )
            )
    ZoneTarget.objects.bulk_create(targets)
    return len(targets)


def _round(amount: Decimal) -> Decimal:
    return Decimal(round(amount, -2)).quantize(Decimal("0.01"))


# Scenarios ---------------------------------------------------------------------------------------


def run_suite(args: argparse.Namespace) -> int:
    """Investment's scenarios: pages through the test client, then the selectors themselves."""
    from bench import run

    if not Project.objects.exists():
        sys.exit("no investment data in this database: run `python -m bench.investment` first")
    vendor = connection.vendor
    supervisor = Person.objects.get(username=generate.SUPERVISOR)
    today = timezone.localdate()
    busiest = (
        Project.objects.filter(lost_on__isnull=True)
        .order_by()
        .values("zone_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None
    zone = Zone.objects.get(pk=busiest["zone_id"])
    office = Unit.objects.filter(
        zone=zone, kind=UnitKind.ZONE_OFFICE, parent__kind=UnitKind.COMMITTEE
    ).first()
    office_head = (
        Person.objects.filter(positions__unit=office, positions__role=Role.UNIT_HEAD, is_active=True)
        .order_by("pk")
        .first()
    )
    s = supervisor.username
    year = today.year
    kanban_target = TARGET_KANBAN_P95_MS if vendor == "postgresql" else None
    page_target = TARGET_PAGE_MS if vendor == "postgresql" else None
    scenarios: list[tuple[Any, float | None]] = [
        (run.Scenario("kanban of a zone", s, "/investment/kanban/", {"zone": zone.pk}), kanban_target),
        (
            run.Scenario("kanban board htmx", s, "/investment/kanban/", {"zone": zone.pk}, htmx=True),
            kanban_target,
        ),
        (run.Scenario("api kanban of a zone", s, "/api/investment/kanban", {"zone_id": zone.pk}), None),
        (run.Scenario("kanban all zones", s, "/investment/kanban/", {}), None),
        (run.Scenario("funnel all zones", s, "/investment/funnel/", {}), page_target),
        (run.Scenario("api funnel", s, "/api/investment/funnel", {}), None),
        (run.Scenario("targets all zones", s, "/investment/targets/", {"year": year}), page_target),
        (run.Scenario("api targets", s, "/api/investment/targets", {"year": year}), None),
        (run.Scenario("investment home", s, "/investment/", {}), None),
    ]
    if office_head is not None:
        scenarios.insert(
            1,
            (
                run.Scenario(
                    "kanban of a zone", office_head.username, "/investment/kanban/", {"zone": zone.pk}
                ),
                kanban_target,
            ),
        )
    counts = {
        "projects": Project.objects.count(),
        "open": Project.objects.filter(lost_on__isnull=True).count(),
        "zone": busiest["n"],
        "follow_ups": FollowUp.objects.count(),
        "investments": MonthlyInvestment.objects.count(),
    }
    header = (
        f"database: {database_label()}\n"
        f"investment: {counts['projects']:,} projects ({counts['open']:,} not lost; {zone.name} "
        f"{counts['zone']:,}), {counts['follow_ups']:,} follow-ups, {counts['investments']:,} monthly investments\n"
        f"targets (PostgreSQL): kanban of one zone p95 ≤ {TARGET_KANBAN_P95_MS:.0f} ms; the funnel and the "
        f"targets page for all zones ≤ {TARGET_PAGE_MS:.0f} ms\n"
    )
    header += f"at the start: {machine_now()}\n"
    pages = []
    clients: dict[str, Any] = {}
    for scenario, target_ms in scenarios:
        if args.only and args.only not in scenario.key:
            continue
        client = clients.get(scenario.login) or clients.setdefault(
            scenario.login, run._client(scenario.login)
        )
        result = run.measure(scenario, client, requests=args.requests, warmup=args.warmup, show_sql=args.sql)
        if target_ms is not None:
            result = replace(result, target=True, met=result.p95_ms <= target_ms)
        pages.append(result)
    run.print_table(header, pages)

    calls: list[Timing] = []
    print_timing_header()
    functions = [
        (
            "kanban()",
            f"zone {zone.name}",
            lambda: selectors.kanban(person=supervisor, zone=zone, today=today),
        ),
        ("funnel()", "all zones", lambda: selectors.funnel(person=supervisor)),
        ("targets()", f"all zones, {year}", lambda: selectors.targets(person=supervisor, year=year)),
    ]
    for key, detail, call in functions:
        if args.only and args.only not in key:
            continue
        timing, _result = time_call(key, detail, call, runs=max(args.requests // 5, 5), warmup=2)
        calls.append(print_timing(timing))
    return finish(args, f"{vendor}-investment", header, pages, calls)


if __name__ == "__main__":
    sys.exit(main())
