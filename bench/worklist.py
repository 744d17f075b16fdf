"""The implementation list (落实清单) on the benchmark organisation: data, page scenarios and timed tasks.

Build the organisation with bench.generate first, then the list on top of it, then run the suite
(from the repository root, against a database of its own, never the demo's):

    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.generate
    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.worklist
    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.run --suite worklist

The data: 4,000 directives, 200,000 items, 1,000,000 milestones and 2,000,000 progress reports,
created over the four and a half years before today. This is benchmark data, not user input: it
is written with bulk inserts in batches, bypassing the services, so it carries no audit trail and
no notifications, and takes minutes instead of days. The facts are shaped the way real work goes,
so that today every light occurs:

- each item was published on a day of the last 4.5 years, claimed, started and given a deadline
  30 days to two years later (often a quarter's or the year's end); a chain of leader in charge
  (the deputy who oversees the lead unit), lead-unit head and owner (staff of the lead unit);
- its state follows from where today falls: items whose deadline has long passed are mostly
  closed out (some late, some with the target missed), cancelled or suspended, a few still open
  and overdue; items due now are in progress or awaiting verification; recent ones are drafts,
  published, declined or claimed;
- its 3 to 7 milestones are planned backwards from the deadline on working days, and its reports
  come at its cycle (weekly, fortnightly or monthly) from the start; one item in five slips: a
  milestone passes undone or the reports lapse, which turns it yellow or red.

Run again, it finds the items in place and does nothing; `--reset` deletes the list's data (items,
milestones, reports, directives, escalations) and builds it again. The codes' counters are set
past the generated codes, so items created later get new codes.

`bench.run --suite worklist` calls `run_suite`: it requests the pages of `scenarios()` the way the
organisation's are requested, then times the tasks of `run_tasks()`: the escalation sweep twice,
the Excel import and export.
"""

# ruff: noqa: E402 — Django must be configured before the models are imported.
from __future__ import annotations

import argparse
import bisect
import io
import json
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from bench.environment import database_label, machine_now, setup

setup()

from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Model
from django.test import TestCase
from django.utils import timezone

from bench.generate import HEAD, HEAD_UNIT, SUPERVISOR, analyse
from luoshi.core import calendar as workcal
from luoshi.core.models import Counter
from luoshi.notify.models import Notification
from luoshi.org.models import Oversight, Person, Position, Role, Unit, UnitKind, Zone
from luoshi.worklist.lights import Light
from luoshi.worklist.models import (
    Category,
    Directive,
    Escalation,
    Item,
    ItemState,
    Milestone,
    ProgressReport,
    ReportCycle,
    SourceKind,
)
from luoshi.worklist.selectors import ItemFilters, item_list, light_counts

S = ItemState
ITEMS = 200_000
MILESTONES = 1_000_000
REPORTS = 2_000_000
DIRECTIVES = 4_000
SPAN_DAYS = 1_640  # items were published over the last 4.5 years
CHUNK = 10_000  # items built and written per round
BATCH = 5_000  # rows per INSERT
IMPORT_ROWS = 10_000
EXPORT_ROWS = 10_000

# Vocabulary for titles and texts.
SUBJECTS = [
    "湾北高科技产业集聚区",
    "汽车产业园",
    "前沿半导体科技创新中心",
    "集成电路现代产业学院",
    "日式风情小镇",
    "农产品一级批发市场",
    "精细化工产业基地",
    "东北亚国际会展中心",
    "绿色建材产业园",
    "装配式建筑示范基地",
    "智能网联汽车测试场",
    "新能源电池材料项目",
    "冷链物流中心",
    "跨境电商产业园",
    "人才公寓",
    "污水处理厂提标改造",
    "热电联产供热管网",
    "主干道路网",
    "标准化厂房",
    "企业服务中心",
    "政务服务大厅",
    "数字化园区平台",
    "安全生产双重预防体系",
    "营商环境评价",
    "招商引资项目库",
    "产业链招商图谱",
    "重点企业包保服务",
    "五星服务品牌",
    "“2.0版”考核方案",
    "干部作风建设",
]
ACTIONS = [
    "规划编制",
    "前期手续办理",
    "征地拆迁",
    "开工建设",
    "主体施工",
    "竣工验收",
    "招商推介",
    "签约落地",
    "运营管理",
    "方案制定",
    "政策起草",
    "专项整治",
    "提质增效",
    "配套建设",
    "试点推进",
]
PHASES = ["", "一期", "二期", "三期", "（续建）", "（新建）"]
DONE_TEXTS = [
    "完成现场踏勘和方案比选",
    "召开专题推进会，明确责任分工",
    "与意向企业完成第二轮洽谈",
    "施工图设计通过审查",
    "完成土地报批材料上报",
    "主体结构施工至三层",
    "配套管网完成铺设",
    "组织专家评审并修改完善",
    "完成招投标挂网",
    "协调解决企业用电接入问题",
    "完成政策征求意见稿",
    "推进入园企业注册手续",
    "完成阶段性验收",
    "整理佐证材料并归档",
    "对接市级主管部门争取支持",
]
PROBLEMS = [
    "用地指标尚未落实",
    "资金拨付进度偏慢",
    "企业投资意向有所波动",
    "施工受天气影响",
    "审批环节需市级部门协调",
    "配套电力容量不足",
]
NEXT_STEPS = [
    "下周完成方案报审",
    "继续跟进企业签约",
    "加快施工进度，确保节点完成",
    "协调市级部门加快审批",
    "组织阶段性验收",
    "完善佐证材料",
]
MILESTONE_TITLES = {
    Category.PROJECT: ["完成前期手续", "开工建设", "主体完工", "竣工验收", "成果总结"],
    Category.INVESTMENT: ["对接洽谈", "签订协议", "注册落地", "成果总结"],
    Category.REFORM: ["调研起草", "征求意见", "审议印发", "成果总结"],
}
GENERAL_MILESTONES = ["制定方案", "组织实施", "成果总结"]
METRICS = [
    ("完成固定资产投资", "万元", (500, 50_000)),
    ("签约项目", "个", (1, 20)),
    ("新增注册企业", "家", (5, 200)),
    ("完成建设面积", "平方米", (2_000, 120_000)),
    ("引进到位资金", "万元", (1_000, 100_000)),
    ("办结率", "%", (90, 100)),
]
QUALITATIVE = [
    "完成规划编制并通过审批",
    "项目竣工并投入使用",
    "出台实施办法并组织落实",
    "形成工作机制并常态化运行",
    "完成整改并通过验收",
    "企业满意度明显提升",
]
REASONS = {
    S.DECLINED: "该事项不属于本单位职责范围，建议由相关职能部门牵头",
    S.SUSPENDED: "受上级政策调整影响，暂缓实施",
    S.CANCELLED: "项目方投资计划取消，经研究予以撤销",
}


@dataclass
class Plan:
    """How much list data to build."""

    items: int = ITEMS
    milestones: int = MILESTONES
    reports: int = REPORTS
    directives: int = DIRECTIVES
    seed: int = 2026


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", action="store_true", help="delete the list's data and build it again")
    parser.add_argument("--items", type=int, default=Plan.items, help=f"items (default {ITEMS})")
    parser.add_argument(
        "--milestones", type=int, default=Plan.milestones, help=f"milestones (default {MILESTONES})"
    )
    parser.add_argument(
        "--reports", type=int, default=Plan.reports, help=f"progress reports (default {REPORTS})"
    )
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args(argv)
    directives = max(1, round(DIRECTIVES * args.items / ITEMS))
    plan = Plan(args.items, args.milestones, args.reports, directives, args.seed)

    print(f"database: {database_label()}")
    call_command("migrate", interactive=False, verbosity=0)
    if not Person.objects.filter(username=SUPERVISOR).exists():
        print("no benchmark organisation in this database: run `python -m bench.generate` first")
        return 1
    if args.reset:
        wipe()
    if Item.objects.exists():
        print("the benchmark list is already there; nothing to do (use --reset to rebuild it)")
        return 0
    started = time.perf_counter()
    counts = build(plan)
    written = time.perf_counter()
    settle()
    analysed = time.perf_counter()
    print(
        f"built {counts['directives']} directives, {counts['items']} items, {counts['milestones']} milestones, "
        f"{counts['reports']} progress reports and {counts['support']} supporting units in "
        f"{written - started:.0f} s (+ {analysed - written:.0f} s VACUUM/ANALYZE)"
    )
    print_distribution()
    return 0


def wipe() -> None:
    """Delete the list's data (only in a database whose name says "bench")."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"refusing to wipe {name!r}: --reset only works on a database whose name contains 'bench'")
    tables = [
        "worklist_escalation_recipients",
        "worklist_escalation",
        "worklist_attachment",
        "worklist_progressreport",
        "worklist_milestone",
        "worklist_item_support_units",
        "worklist_item",
        "worklist_directive",
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # fixed table names
    Notification.objects.filter(kind__startswith="item_").delete()
    Counter.objects.filter(series__startswith="PW-").delete()
    print(f"deleted the list's data in {time.perf_counter() - started:.0f} s")


def settle() -> None:
    """Leave the database as one in service would be after a bulk load.

    Fresh planner statistics; on PostgreSQL also VACUUM, which autovacuum would do in service: it
    marks the pages all-visible, without which no index-only scan is possible. And `jit = off`
    for the database, as bench/README.md recommends for Luoshi's: the light filters' estimated
    cost passes `jit_above_cost`, and compiling them costs most of a second per query.
    """
    analyse()
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute(f'ALTER DATABASE "{name}" SET jit = off')
        print(f"VACUUM (ANALYZE) done; ALTER DATABASE {name} SET jit = off")


# Dates ---------------------------------------------------------------------------------------------


class WorkDays:
    """The working days around today, for planning milestones back from a deadline quickly."""

    def __init__(self, first: date, last: date) -> None:
        with warnings.catch_warnings():  # years the calendar does not know fall back to Mon–Fri
            warnings.simplefilter("ignore", workcal.UnknownCalendarYear)
            self.days = [
                first + timedelta(days=n)
                for n in range((last - first).days + 1)
                if workcal.is_working_day(first + timedelta(days=n))
            ]
        self.ordinals = [d.toordinal() for d in self.days]

    def index(self, day: date) -> int:
        """The index of the last working day on or before `day`."""
        return max(bisect.bisect_right(self.ordinals, day.toordinal()) - 1, 0)

    def on_or_before(self, day: date) -> date:
        return self.days[self.index(day)]

    def shift(self, day: date, n: int) -> date:
        """`n` working days after (or before, if negative) the working day on or before `day`."""
        return self.days[min(max(self.index(day) + n, 0), len(self.days) - 1)]

    def between(self, start: date, end: date) -> int:
        return self.index(end) - self.index(start)


def _moment(day: date, rng: random.Random, now: datetime, earliest: int = 8, latest: int = 19) -> datetime:
    """A time of day on `day` in office hours, never after now (which is in the local time zone)."""
    seconds = int(rng.random() * 3600 * (latest - earliest))
    moment = datetime.combine(day, clock(earliest), tzinfo=now.tzinfo) + timedelta(seconds=seconds)
    return min(moment, now - timedelta(minutes=1 + int(rng.random() * 90)))


# The organisation the items are spread over ------------------------------------------------------


@dataclass
class Org:
    """What the generator needs to know about the benchmark organisation."""

    units: list[Unit]
    weights: list[float]
    heads: dict[int, int]  # unit → its head
    staff: dict[int, list[int]]  # unit → active staff of the unit, else of its subtree
    leader_of: dict[int, int]  # unit → the deputy overseeing its top-level ancestor
    zones: list[Zone]
    supervisor: int
    tops: list[Unit] = field(default_factory=list)
    directive_dates: list[int] = field(default_factory=list)  # ordinals, sorted


def load_org() -> Org:
    heads: dict[int, int] = {}
    for unit_id, person_id in Position.objects.filter(
        role=Role.UNIT_HEAD, person__is_active=True
    ).values_list("unit_id", "person_id"):
        heads.setdefault(unit_id, person_id)
    # Units below the committee that have a head can lead items (the supervision office has none).
    units = [
        u for u in Unit.objects.filter(is_active=True).order_by("path") if u.depth >= 2 and u.pk in heads
    ]
    own: dict[int, list[int]] = {}
    for unit_id, person_id in Position.objects.filter(
        role=Role.STAFF, person__is_active=True, title="科员"
    ).values_list("unit_id", "person_id"):
        own.setdefault(unit_id, []).append(person_id)
    staff: dict[int, list[int]] = {}
    for unit in units:
        people = own.get(unit.pk) or [
            p for u in units if u.path.startswith(unit.path) for p in own.get(u.pk, [])
        ]
        staff[unit.pk] = people or [heads[unit.pk]]
    overseer = dict(Oversight.objects.values_list("unit_id", "leader_id"))
    leader_of = {}
    for unit in units:
        top = int(unit.path.strip("/").split("/")[2])
        leader_of[unit.pk] = overseer[top]
    # Departments and zone offices lead most items; their sections and the enterprises fewer each.
    weights = [6.0 if u.depth == 2 else (1.0 if u.depth == 3 else 0.3) for u in units]
    supervisor = Person.objects.get(username=SUPERVISOR).pk
    return Org(
        units=units,
        weights=weights,
        heads=heads,
        staff=staff,
        leader_of=leader_of,
        zones=list(Zone.objects.order_by("sort")),
        supervisor=supervisor,
        tops=[u for u in units if u.depth == 2],
    )


# Building --------------------------------------------------------------------------------------------


@contextmanager
def stamped_by_hand(*models: type[Model]) -> Iterator[None]:
    """Let bulk inserts keep the created_at/updated_at the generator sets (they are auto_now*)."""
    saved = []
    for model in models:
        for name in ("created_at", "updated_at"):
            f = model._meta.get_field(name)
            assert isinstance(f, DateTimeField)
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass(slots=True)
class Spec:
    """One item's facts before it is written: what decides its milestones and reports."""

    item: Item
    support: list[int]
    start: date
    stop: date | None  # the last day work was done (None: not started)
    slipping: str  # "", "milestone", "reports" or "both"
    milestones: int = 0
    reports: int = 0
    last_report: date | None = None
    natural_reports: int = 0


def build(plan: Plan) -> dict[str, int]:
    """Directives, then the items in rounds of CHUNK with their milestones, reports and supporting units."""
    rng = random.Random(plan.seed)
    now = timezone.localtime()  # the local zone, so that a moment's date() is its local date
    today = now.date()
    org = load_org()
    days = WorkDays(today - timedelta(days=SPAN_DAYS + 60), today + timedelta(days=3 * 365))
    with stamped_by_hand(Directive, Item, Milestone), transaction.atomic():
        directives = build_directives(plan, rng, org, today, now)
        org.directive_dates = [d.source_date.toordinal() for d in directives]
        print(f"  {len(directives)} directives")
        specs = [make_item(rng, org, directives, days, today, now) for _ in range(plan.items)]
        specs.sort(key=lambda s: s.item.published_at or s.item.created_at)
        number_items(specs)
        allocate(specs, plan, rng, today)
        counts = {"directives": len(directives), "items": 0, "milestones": 0, "reports": 0, "support": 0}
        started = time.perf_counter()
        for first in range(0, len(specs), CHUNK):
            chunk = specs[first : first + CHUNK]
            written = write_chunk(chunk, rng, days, today, now)
            for key, value in written.items():
                counts[key] += value
            rate = counts["items"] / (time.perf_counter() - started)
            print(
                f"  {counts['items']:>7} items, {counts['milestones']:>8} milestones, "
                f"{counts['reports']:>8} reports ({rate:.0f} items/s)",
                flush=True,
            )
    return counts


def build_directives(plan: Plan, rng: random.Random, org: Org, today: date, now: datetime) -> list[Directive]:
    committee = Unit.objects.get(kind=UnitKind.COMMITTEE)
    issuers = ["管委会主任", "管委会副主任", "区委书记", "党工委书记", "新区区长"]
    meetings = ["主任办公会议", "党工委会议", "重点项目调度会", "专题推进会", "招商引资工作会议"]
    directives = []
    for serial in range(1, plan.directives + 1):
        day = today - timedelta(days=rng.randint(20, SPAN_DAYS + 40))
        kind = rng.choices(list(SourceKind), weights=[5, 3, 2])[0]
        subject = rng.choice(SUBJECTS)
        if kind == SourceKind.MEETING:
            source = f"{day.year}年第{rng.randint(1, 40)}次{rng.choice(meetings)}"
        elif kind == SourceKind.DOCUMENT:
            source = f"普湾管发〔{day.year}〕{rng.randint(1, 120)}号"
        else:
            source = f"{rng.choice(issuers)}关于{subject}的批示"
        moment = _moment(day, rng, now)
        directives.append(
            Directive(
                title=f"关于推进{subject}{rng.choice(ACTIONS)}的部署（{day.year}-{serial:04d}）",
                text=f"加快推进{subject}建设，明确责任单位和完成时限，实行清单化管理、项目化推进。",
                source_kind=kind,
                source_title=source,
                source_date=day,
                source_issuer=rng.choice(issuers),
                issuing_unit=committee if rng.random() < 0.7 else rng.choice(org.tops),
                due_date=day + timedelta(days=rng.choice([180, 365, 540])) if rng.random() < 0.6 else None,
                created_at=moment,
                updated_at=moment,
            )
        )
    directives = Directive.objects.bulk_create(directives, batch_size=BATCH)
    directives.sort(key=lambda d: d.source_date)
    return directives


def _deadline(rng: random.Random, start: date, days: WorkDays) -> date:
    """30 days to two years after the start; often the end of a quarter, a half or the year."""
    length = rng.choices(
        [30, 60, 90, 120, 180, 270, 365, 540, 720], weights=[6, 10, 12, 12, 16, 12, 14, 10, 8]
    )[0]
    deadline = start + timedelta(days=length + rng.randint(-10, 10))
    if rng.random() < 0.3:
        quarter_ends = [date(deadline.year, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
        deadline = next((q for q in quarter_ends if q >= deadline), date(deadline.year, 12, 31))
    return days.on_or_before(deadline)


def make_item(
    rng: random.Random, org: Org, directives: list[Directive], days: WorkDays, today: date, now: datetime
) -> Spec:
    """One item with the facts of its life so far; its state follows from where today falls."""
    lead = rng.choices(org.units, weights=org.weights)[0]
    published = today - timedelta(days=int(SPAN_DAYS * rng.random() ** 0.9))
    directive = None
    if rng.random() < 0.85:
        # A directive issued in the three months before the item was published.
        hi = bisect.bisect_right(org.directive_dates, published.toordinal())
        lo = bisect.bisect_right(org.directive_dates, (published - timedelta(days=90)).toordinal())
        if hi > 0:
            directive = directives[rng.randrange(lo, hi) if hi > lo else hi - 1]
    category = (
        rng.choice([Category.PROJECT, Category.INVESTMENT, Category.SERVICE, Category.PROJECT])
        if lead.kind == UnitKind.ZONE_OFFICE
        else Category.PROJECT
        if lead.kind == UnitKind.SOE
        else rng.choices(list(Category), weights=[4, 3, 3, 2, 2, 1, 1])[0]
    )
    subject = rng.choice(SUBJECTS)
    zone_id = lead.zone_id or (rng.choice(org.zones).pk if rng.random() < 0.5 else None)
    start = days.shift(published + timedelta(days=rng.randint(1, 15)), 0)
    deadline = _deadline(rng, start, days)
    item = Item(
        title=f"{subject}{rng.choice(PHASES)}{rng.choice(ACTIONS)}",
        description=f"按照部署要求推进{subject}相关工作。" if rng.random() < 0.5 else "",
        category=category,
        directive=directive,
        zone_id=zone_id,
        lead_unit=lead,
        leader_id=org.leader_of[lead.pk],
        unit_head_id=org.heads[lead.pk],
        start_date=start,
        deadline=deadline,
        report_cycle=rng.choices(ReportCycle.values, weights=[45, 25, 30])[0],
        state=S.DRAFT,
        created_at=_moment(published - timedelta(days=rng.randint(0, 3)), rng, now),
    )
    if rng.random() < 0.4:
        metric, unit, (low, high) = rng.choice(METRICS)
        item.target_metric, item.target_unit = metric, unit
        item.target_value = Decimal(rng.randint(low, high))
    else:
        item.target_text = rng.choice(QUALITATIVE)
    others = [u for u in rng.sample(org.units, 4) if u.pk != lead.pk]
    support = [u.pk for u in others[: rng.choices([0, 1, 2, 3], weights=[50, 30, 15, 5])[0]]]
    spec = Spec(item=item, support=support, start=start, stop=None, slipping="")
    _lifecycle(spec, rng, org, days, today, now, published)
    item.updated_at = max(
        t
        for t in (
            item.created_at,
            item.published_at,
            item.claimed_at,
            item.started_at,
            item.close_requested_at,
            item.closed_at,
            item.suspended_at,
            item.cancelled_at,
        )
        if t is not None
    )
    return spec


def _lifecycle(
    spec: Spec, rng: random.Random, org: Org, days: WorkDays, today: date, now: datetime, published: date
) -> None:
    """Set the state and the times of its facts, as the services would have on those days."""
    item = spec.item
    age = (today - published).days
    r = rng.random()
    if age < 20 and r < 0.25:
        return  # a draft the supervision office is still preparing
    item.published_at = max(_moment(published, rng, now), item.created_at)
    item.version = 2
    if age < 12 and r < 0.55:
        item.state = S.PUBLISHED
        return
    if age < 60 and r < 0.6 and rng.random() < 0.08:
        item.state, item.state_reason = S.DECLINED, REASONS[S.DECLINED]
        item.version = 3
        return
    claimed = min(published + timedelta(days=rng.randint(0, 4)), today)
    item.claimed_at = max(_moment(claimed, rng, now), item.published_at)
    item.owner_id = rng.choice(org.staff[item.lead_unit_id])  # type: ignore[index]
    item.version = 3
    if spec.start > today:
        item.state = S.CLAIMED
        spec.stop = None
        return
    item.started_at = max(_moment(spec.start, rng, now), item.claimed_at)
    item.version = 4
    # One item in four slips: a report a day or two late (yellow), or worse (red).
    spec.slipping = rng.choices(["", "late", "milestone", "reports", "both"], weights=[72, 14, 6, 6, 2])[0]
    overdue = (today - item.deadline).days
    if overdue > 30:
        shares = {
            S.CLOSED: 93.2,
            S.CANCELLED: 4,
            S.SUSPENDED: 1.5,
            S.IN_PROGRESS: 0.8,
            S.CLOSE_REQUESTED: 0.5,
        }
    elif overdue >= 0:
        shares = {S.CLOSED: 60, S.CLOSE_REQUESTED: 20, S.IN_PROGRESS: 15, S.CANCELLED: 3, S.SUSPENDED: 2}
    else:
        shares = {S.IN_PROGRESS: 88, S.CLOSED: 4, S.CLOSE_REQUESTED: 3, S.SUSPENDED: 3, S.CANCELLED: 2}
    state = rng.choices(list(shares), weights=list(shares.values()))[0]
    running = (min(today, item.deadline) - spec.start).days
    if state in (S.SUSPENDED, S.CANCELLED):
        stopped = spec.start + timedelta(days=rng.randint(1, max(running, 1)))
        stopped = min(days.on_or_before(stopped), today)
        moment = max(_moment(stopped, rng, now), item.started_at)
        if state == S.SUSPENDED:
            item.suspended_at = moment
        else:
            item.cancelled_at = moment
        item.state, item.state_reason, item.version = state, REASONS[state], 6
        spec.stop = stopped
        return
    if state == S.IN_PROGRESS:
        item.state = S.IN_PROGRESS
        spec.stop = today
        if overdue < 0 and rng.random() < 0.01:
            item.requested_change, item.requested_reason = "suspend", "上级规划调整，申请暂缓实施"
            item.requested_by_id = item.owner_id
            item.version += 1
        return
    # Submitted for close-out: around the deadline when it has passed, early otherwise.
    if overdue >= 0:
        submitted = item.deadline + timedelta(days=round(rng.gauss(-6, 8)))
    else:
        submitted = today - timedelta(days=rng.randint(1, 40))
    submitted = min(max(submitted, spec.start + timedelta(days=1)), today)
    submitted = days.on_or_before(submitted) if days.on_or_before(submitted) > spec.start else submitted
    item.close_requested_at = max(_moment(submitted, rng, now), item.started_at)
    late = submitted > item.deadline
    value = item.target_value
    met = rng.random() < (0.7 if late else 0.9)
    if value is not None:
        factor = Decimal(str(round(rng.uniform(1.0, 1.3) if met else rng.uniform(0.4, 0.95), 2)))
        item.actual_value = (value * factor).quantize(Decimal("1"))
    item.actual_text = "已按目标完成，佐证材料已上传" if met else "部分完成，剩余工作转入下一年度"
    item.version = 5
    spec.stop = submitted
    closed = submitted + timedelta(days=rng.randint(1, 12))
    if state == S.CLOSED and closed <= today:
        item.state = S.CLOSED
        item.closed_at = max(_moment(closed, rng, now), item.close_requested_at)
        item.target_met = met
        item.version = 6
    else:
        item.state = S.CLOSE_REQUESTED


def number_items(specs: list[Spec]) -> None:
    """PW-YYYY-NNNN in order of creation, and the counters set past the last number."""
    last: dict[str, int] = {}
    for spec in specs:
        series = f"PW-{timezone.localtime(spec.item.created_at).year}"
        last[series] = last.get(series, 0) + 1
        spec.item.code = f"{series}-{last[series]:04d}"
    for series, number in last.items():
        Counter.objects.update_or_create(series=series, defaults={"last": number})


def allocate(specs: list[Spec], plan: Plan, rng: random.Random, today: date) -> None:
    """How many milestones and reports each item gets, so the totals come out exactly as planned.

    Milestones: 3 to 7 per planned item (claimed or later). Reports: in proportion to the reports
    its cycle asks for between its start and its last report; the latest reports are what the
    lights read, so each item's last report date is decided here first.
    """
    planned = [s for s in specs if s.item.claimed_at is not None]
    base, extra = divmod(plan.milestones, max(len(planned), 1))
    counts = [base] * len(planned)
    for index in rng.sample(range(len(planned)), extra):
        counts[index] += 1
    # Spread the counts to 3–7 while keeping the total: move one milestone between random pairs.
    for _ in range(len(planned) * 2):
        a, b = rng.randrange(len(planned)), rng.randrange(len(planned))
        if counts[a] > 3 and counts[b] < 7:
            counts[a] -= 1
            counts[b] += 1
    for spec, count in zip(planned, counts, strict=True):
        spec.milestones = count

    started = [s for s in specs if s.stop is not None]
    for spec in started:
        item, stop = spec.item, spec.stop
        assert stop is not None
        cycle = item.report_cycle
        if item.state == S.IN_PROGRESS:
            if spec.slipping in ("reports", "both"):
                last = stop - timedelta(days=cycle + rng.randint(4, 30))  # the reports have lapsed
            elif spec.slipping == "late":
                last = stop - timedelta(days=cycle + rng.randint(1, 2))  # the next report is overdue
            else:
                last = stop - timedelta(days=rng.randint(0, cycle - 1))
        else:
            last = stop - timedelta(days=rng.randint(0, 3))
        if last <= spec.start:
            spec.last_report, spec.natural_reports = None, 0
            continue
        spec.last_report = last
        spec.natural_reports = (last - spec.start).days // cycle + 1
    natural = sum(s.natural_reports for s in started)
    share = plan.reports / max(natural, 1)
    remainders = []
    total = 0
    for spec in started:
        exact = spec.natural_reports * share
        spec.reports = min(int(exact), _room(spec))
        total += spec.reports
        remainders.append((exact - int(exact), spec))
    remainders.sort(key=lambda pair: -pair[0])
    # The rest, one each to the items with the largest remainders that have room for another.
    while total < plan.reports:
        progressed = False
        for _remainder, spec in remainders:
            if total >= plan.reports:
                break
            if spec.natural_reports and spec.reports < _room(spec):
                spec.reports += 1
                total += 1
                progressed = True
        if not progressed:
            break


def _room(spec: Spec) -> int:
    """At most one report a day between the start and the last report."""
    if spec.last_report is None:
        return 0
    return (spec.last_report - spec.start).days + 1


def write_chunk(
    chunk: list[Spec], rng: random.Random, days: WorkDays, today: date, now: datetime
) -> dict[str, int]:
    """Insert a round of items, then their supporting units, milestones and reports."""
    items = Item.objects.bulk_create([s.item for s in chunk], batch_size=BATCH)
    through = Item.support_units.through
    support = [through(item_id=i.pk, unit_id=u) for s, i in zip(chunk, items, strict=True) for u in s.support]
    through.objects.bulk_create(support, batch_size=BATCH)
    milestones: list[Milestone] = []
    reports: list[ProgressReport] = []
    for spec in chunk:
        milestones.extend(make_milestones(spec, rng, days, today, now))
        reports.extend(make_reports(spec, rng, days, now))
    Milestone.objects.bulk_create(milestones, batch_size=BATCH)
    ProgressReport.objects.bulk_create(reports, batch_size=BATCH)
    Item.objects.filter(pk__in=[i.pk for i in items]).refresh_facts()
    return {
        "items": len(items),
        "milestones": len(milestones),
        "reports": len(reports),
        "support": len(support),
    }


def make_milestones(
    spec: Spec, rng: random.Random, days: WorkDays, today: date, now: datetime
) -> list[Milestone]:
    """Planned back from the deadline on working days; done on time, unless the item slips."""
    item, count = spec.item, spec.milestones
    if not count:
        return []
    titles = list(MILESTONE_TITLES.get(item.category, GENERAL_MILESTONES))  # type: ignore[call-overload]
    while len(titles) < count:
        titles.insert(-1, f"阶段推进（{len(titles) - 1}）")
    titles = [*titles[: count - 1], titles[-1]]
    span = max(days.between(spec.start, item.deadline), count)
    planned_at = item.claimed_at or item.created_at
    result = []
    dues = [days.shift(item.deadline, -round(span * (count - 1 - n) / count)) for n in range(count)]
    missed = -1
    if spec.slipping in ("milestone", "both") and item.state == S.IN_PROGRESS:
        past = [n for n, due in enumerate(dues) if due < today]
        missed = past[-1] if past else -1
    for n, (title, due) in enumerate(zip(titles, dues, strict=True)):
        done_at = None
        if spec.stop is not None:
            finished = item.close_requested_at if item.state in (S.CLOSED, S.CLOSE_REQUESTED) else None
            if finished is not None:
                done_day = min(due, finished.date())
                done_at = min(_moment(done_day - timedelta(days=rng.randint(0, 3)), rng, now), finished)
            elif n != missed and due <= spec.stop and (due < today or rng.random() < 0.1):
                done_day = min(due - timedelta(days=rng.randint(-2, 5)), today)
                done_at = _moment(done_day, rng, now)
        result.append(
            Milestone(
                item_id=item.pk,
                title=title,
                due_date=due,
                done_at=done_at,
                sort=n + 1,
                created_at=planned_at,
                updated_at=done_at or planned_at,
                version=2 if done_at else 1,
            )
        )
    return result


def make_reports(spec: Spec, rng: random.Random, days: WorkDays, now: datetime) -> list[ProgressReport]:
    """`spec.reports` reports spread evenly from the start to the last report date."""
    item, count, last = spec.item, spec.reports, spec.last_report
    if not count or last is None or item.owner_id is None:
        return []
    span = (last - spec.start).days
    finished = item.state in (S.CLOSED, S.CLOSE_REQUESTED)
    if finished:
        final = 100
    else:
        elapsed = (last - spec.start).days / max((item.deadline - spec.start).days, 1)
        final = max(5, min(95, round(100 * elapsed * (0.75 if spec.slipping else rng.uniform(0.9, 1.1)))))
    reports = []
    for n in range(count):
        back = round(span * (count - 1 - n) / count) if count > 1 else 0
        day = last - timedelta(days=back)
        if n != count - 1:
            day = max(days.on_or_before(day), spec.start)
        moment = _moment(day, rng, now, earliest=9, latest=21)
        problems = rng.choice(PROBLEMS) if rng.random() < 0.2 else ""
        reports.append(
            ProgressReport(
                item_id=item.pk,
                author_id=item.owner_id,
                reported_at=moment,
                reported_on=moment.date(),
                done=f"{rng.choice(DONE_TEXTS)}；{rng.choice(DONE_TEXTS)}。",
                problems=problems,
                next_steps=rng.choice(NEXT_STEPS),
                percent=max(1, round(final * (n + 1) / count)),
            )
        )
    return reports


def print_distribution() -> None:
    """States and today's lights, as the list's own queries count them."""
    states = dict(Item.objects.order_by().values_list("state").annotate(n=Count("pk")))
    print("states: " + ", ".join(f"{state} {states.get(state, 0)}" for state in S.values))
    supervisor = Person.objects.get(username=SUPERVISOR)
    started = time.perf_counter()
    counts = light_counts(item_list(person=supervisor))
    print(
        "lights now: "
        + ", ".join(f"{light} {counts[light]}" for light in Light.values)
        + f" (counted in {time.perf_counter() - started:.1f} s)"
    )


# The runner's scenarios and tasks ----------------------------------------------------------------


TARGET_LIST_MS = {"postgresql": 50.0, "sqlite": 100.0}
TARGET_PAGE_MS = {"postgresql": 50.0}
TARGET_SWEEP_S = 30.0
TARGET_IMPORT_S = 15.0
TARGET_EXPORT_S = 10.0


def scenarios() -> list[tuple[Any, dict[str, float] | None]]:
    """The list pages and endpoints, with ids looked up in the benchmark data, and their p95 limits."""
    from bench.run import Scenario

    bureau = Unit.objects.get(name=HEAD_UNIT)
    zone_office = Unit.objects.filter(kind=UnitKind.ZONE_OFFICE, parent__kind=UnitKind.COMMITTEE).first()
    section = Unit.objects.filter(parent=bureau).order_by("sort").first()
    if zone_office is None or section is None:
        sys.exit("the benchmark organisation is incomplete; run bench.generate --reset")
    supervisor = Person.objects.get(username=SUPERVISOR)
    red = item_list(person=supervisor, filters=ItemFilters(unit=bureau, lights=[Light.RED]))
    # The item page: the bureau's red items in progress, one with the median number of reports
    # and the one with the most (a weekly item two years old has a hundred; the page shows ten).
    by_reports = list(
        red.filter(state=S.IN_PROGRESS, lead_unit=bureau)
        .annotate(n=Count("reports"))
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    typical_pk, typical_n = by_reports[len(by_reports) // 2]
    busy_pk, busy_n = by_reports[-1]
    closed_pk = (
        Item.objects.filter(lead_unit=bureau, state=S.CLOSED)
        .order_by("-closed_at")
        .values_list("pk", flat=True)[:1]
        .get()
    )
    s, h = SUPERVISOR, HEAD
    items = "/worklist/items/"
    lists, page = TARGET_LIST_MS, TARGET_PAGE_MS
    return [
        (Scenario("list unit+red", s, items, {"unit": bureau.pk, "light": "red"}), lists),
        (Scenario("list unit+red htmx", s, items, {"unit": bureau.pk, "light": "red"}, htmx=True), lists),
        (Scenario("list unit+red p2", s, items, {"unit": bureau.pk, "light": "red", "page": 2}), lists),
        (Scenario("list unit+yellow", s, items, {"unit": zone_office.pk, "light": "yellow"}), lists),
        # Two lights: the query string repeats the parameter.
        (Scenario("list unit+red+yellow", s, f"{items}?unit={section.pk}&light=red&light=yellow", {}), lists),
        (Scenario("list unit+red", h, items, {"unit": bureau.pk, "light": "red"}), lists),
        (Scenario("list unit+green", h, items, {"unit": section.pk, "light": "green"}), lists),
        (Scenario(f"item page {typical_n} reports", s, f"/worklist/items/{typical_pk}/", {}), page),
        (Scenario(f"item page {typical_n} reports", h, f"/worklist/items/{typical_pk}/", {}), page),
        (Scenario(f"item page {busy_n} reports", s, f"/worklist/items/{busy_pk}/", {}), page),
        (Scenario("item page closed", s, f"/worklist/items/{closed_pk}/", {}), page),
        (
            Scenario("api items unit+red", s, "/api/worklist/items", {"unit_id": bureau.pk, "light": "red"}),
            None,
        ),
        (
            Scenario("api items unit+red", h, "/api/worklist/items", {"unit_id": bureau.pk, "light": "red"}),
            None,
        ),
        (Scenario("api items", h, "/api/worklist/items", {}), None),
        (Scenario("list all", s, items, {}), None),
        (Scenario("list red", s, items, {"light": "red"}), None),
        (Scenario("list all", h, items, {}), None),
        (Scenario("list red", h, items, {"light": "red"}), None),
        (Scenario("worklist home", s, "/worklist/", {}), None),
        (Scenario("worklist home", h, "/worklist/", {}), None),
    ]


def run_suite(args: argparse.Namespace) -> int:
    """`bench.run --suite worklist`: the list's pages through the test client, then the timed tasks."""
    from bench import run

    if not Item.objects.exists():
        sys.exit("no benchmark list in this database: run `python -m bench.worklist` first")
    vendor = connection.vendor
    header = (
        f"database: {database_label()}\n"
        f"items: {Item.objects.count():,}, milestones: {Milestone.objects.count():,}, "
        f"progress reports: {ProgressReport.objects.count():,}, directives: {Directive.objects.count():,}; "
        f"{args.requests} timed requests per scenario after {args.warmup} warm-up; "
        f"{timezone.localtime():%Y-%m-%d %H:%M}\n"
        f"targets: list by unit and light p95 ≤ {TARGET_LIST_MS['postgresql']:.0f} ms (PostgreSQL), "
        f"≤ {TARGET_LIST_MS['sqlite']:.0f} ms (SQLite); item page p95 ≤ {TARGET_PAGE_MS['postgresql']:.0f} ms "
        f"(PostgreSQL); escalation sweep ≤ {TARGET_SWEEP_S:.0f} s (PostgreSQL); import of {IMPORT_ROWS:,} rows "
        f"≤ {TARGET_IMPORT_S:.0f} s, export of {EXPORT_ROWS:,} ≤ {TARGET_EXPORT_S:.0f} s\n"
    )
    before = machine_now()
    pages = []
    clients: dict[str, Any] = {}
    for scenario, limits in scenarios():
        if args.only and args.only not in scenario.key:
            continue
        client = clients.get(scenario.login) or clients.setdefault(
            scenario.login, run._client(scenario.login)
        )
        result = run.measure(scenario, client, requests=args.requests, warmup=args.warmup, show_sql=args.sql)
        if scenario.path.startswith("/worklist/items/?") or scenario.path == "/worklist/items/":
            result = replace(result, rows=_rows_shown(client, scenario))
        limit = (limits or {}).get(vendor)
        if limit is not None:
            result = replace(result, target=True, met=result.p95_ms <= limit)
        pages.append(result)
    tasks = run_tasks(args.only, vendor)
    header += f"before: {before}\nafter:  {machine_now()}\n"
    run.print_table(header, pages)
    print()
    print_tasks(tasks)
    run.OUT_DIR.mkdir(exist_ok=True)
    out = run.OUT_DIR / f"{vendor}-worklist.json"
    out.write_text(
        json.dumps(
            {"header": header, "pages": [asdict(r) for r in pages], "tasks": [asdict(t) for t in tasks]},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out}")
    missed = [r for r in pages if r.met is False] + [t for t in tasks if t.met is False]
    return 1 if args.check and missed else 0


def _rows_shown(client: Any, scenario: Any) -> int:
    """How many items a list page shows (one more, untimed request)."""
    return client.get(scenario.url).content.count(b'data-testid="item-row"')


@dataclass
class TaskResult:
    """The figures of one timed task."""

    key: str
    seconds: float
    cpu_seconds: float
    detail: str
    limit: float | None
    met: bool | None


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - started, time.process_time() - cpu


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run in a transaction that is rolled back, so every run of the benchmark starts alike.

    The services' on-commit work (the inbox notifications) is run inside, before the rollback, so
    it is part of the time.
    """
    with transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
        transaction.set_rollback(True)


def run_tasks(only: str, vendor: str) -> list[TaskResult]:
    """The escalation sweep twice, the import of 10,000 rows and their export, each timed once."""
    results: list[TaskResult] = []
    if not only or only in "escalation sweep":
        results += time_sweep(vendor)
    if not only or only in "excel import":
        results += time_import()
    if not only or only in "excel export":
        results += time_export()
    return results


def time_sweep(vendor: str) -> list[TaskResult]:
    """The sweep over all items, twice in one rolled-back transaction: the second must create nothing."""
    from luoshi.worklist.services import escalation_sweep

    limit = TARGET_SWEEP_S if vendor == "postgresql" else None
    before = Escalation.objects.count()
    results = []
    with rolled_back():
        for run in (1, 2):
            created, seconds, cpu = _timed(lambda: escalation_sweep())
            recipients = Escalation.recipients.through.objects.count()
            ok = (limit is None or seconds <= limit) and (run == 1 or created == 0)
            results.append(
                TaskResult(
                    f"escalation sweep #{run}",
                    seconds,
                    cpu,
                    f"{created} escalations created ({before} before, {recipients} recipients now)",
                    limit,
                    ok,
                )
            )
    return results


def import_workbook(rows: int = IMPORT_ROWS, seed: int = 7) -> bytes:
    """A project list as such sheets look: merged title, Chinese headers, mixed dates, blank rows."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    today = timezone.localdate()
    units = [u.name for u in Unit.objects.filter(is_active=True) if u.depth >= 2]
    leaders: dict[str, int] = {}
    for name in Person.objects.filter(positions__role=Role.LEADER, is_active=True).values_list(
        "name", flat=True
    ):
        leaders[name] = leaders.get(name, 0) + 1
    unique_leaders = [name for name, n in leaders.items() if n == 1]
    # The generated titles carry a serial number, so each names one directive.
    directives = list(Directive.objects.order_by("-source_date").values_list("title", flat=True)[:20])
    zones = list(Zone.objects.values_list("name", flat=True))
    owners = list(Person.objects.filter(positions__role=Role.STAFF).values_list("name", flat=True)[:500])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工程项目清单"
    headers = [
        "序号",
        "事项名称",
        "类别",
        "所属部署",
        "所属片区",
        "牵头单位",
        "配合单位",
        "责任领导",
        "责任人",
        "目标成果",
        "开始时间",
        "完成时限",
        "报告周期",
        "备注",
    ]
    sheet.append([f"普湾经济区{today.year + 1}年重点工作项目清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    categories = [str(label) for label in Category.labels]
    cycles = ["每周", "双周", "每月"]
    for seq in range(1, rows + 1):
        if seq % 2500 == 1:
            sheet.append([f"{'一二三四五'[seq // 2500]}、第{seq // 2500 + 1}批重点任务"])
        start = today + timedelta(days=rng.randint(0, 60))
        deadline = start + timedelta(days=rng.choice([90, 180, 270, 365]))
        form = seq % 4
        deadline_cell: Any = (
            deadline
            if form < 2
            else (
                f"{deadline.year}年{deadline.month}月{deadline.day}日" if form == 2 else deadline.isoformat()
            )
        )
        lead = rng.choice(units)
        support = "、".join(u for u in rng.sample(units, rng.choice([0, 1, 2])) if u != lead)
        subject = rng.choice(SUBJECTS)
        sheet.append(
            [
                seq,
                f"{subject}{rng.choice(PHASES)}{rng.choice(ACTIONS)}（{today.year + 1}-{seq:05d}）",
                rng.choice(categories),
                rng.choice(directives) if directives and rng.random() < 0.5 else None,
                rng.choice(zones) if rng.random() < 0.6 else None,
                lead,
                support or None,
                rng.choice(unique_leaders) if unique_leaders and rng.random() < 0.8 else None,
                rng.choice(owners) if owners and rng.random() < 0.5 else None,
                rng.choice(QUALITATIVE),
                start if rng.random() < 0.7 else None,
                deadline_cell,
                rng.choice(cycles),
                "按计划推进" if rng.random() < 0.3 else None,
            ]
        )
    for _ in range(5):
        sheet.append([None] * len(headers))  # blank trailing rows, as sheets often have
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def time_import() -> list[TaskResult]:
    """`excel.import_items` on 10,000 rows, as drafts and published, each rolled back afterwards."""
    from luoshi.worklist import excel

    limit = TARGET_IMPORT_S
    supervisor = Person.objects.get(username=SUPERVISOR)
    data, build_seconds, _cpu = _timed(import_workbook)
    results = []
    for publish in (False, True):
        with rolled_back():
            result, seconds, cpu = _timed(
                partial(excel.import_items, data, supervisor, publish=publish, filename="bench.xlsx")
            )
        detail = (
            f"{result.count} rows → {'published' if publish else 'drafts'} "
            f"({len(data) // 1024} KB workbook, built in {build_seconds:.1f} s; rolled back)"
        )
        results.append(
            TaskResult(
                f"excel import{' + publish' if publish else ''}",
                seconds,
                cpu,
                detail,
                limit,
                seconds <= limit,
            )
        )
    return results


def time_export() -> list[TaskResult]:
    """`excel.export_items` on the list filtered by a deadline range of about 10,000 items."""
    from luoshi.worklist import excel

    limit = TARGET_EXPORT_S
    supervisor = Person.objects.get(username=SUPERVISOR)
    # The items due from New Year's Day on, up to the day that brings the count closest to 10,000.
    start = date(timezone.localdate().year, 1, 1)
    per_day = (
        Item.objects.filter(deadline__gte=start)
        .order_by("deadline")
        .values_list("deadline")
        .annotate(n=Count("pk"))
    )
    end, total = start, 0
    for day, n in per_day:
        if total + n >= EXPORT_ROWS:
            if total + n - EXPORT_ROWS <= EXPORT_ROWS - total or total == 0:
                end = day
            break
        end, total = day, total + n
    filters = ItemFilters(deadline_from=start, deadline_to=end)
    queryset = item_list(person=supervisor, filters=filters)
    data, seconds, cpu = _timed(lambda: excel.export_items(queryset))
    rows = Item.objects.filter(deadline__gte=start, deadline__lte=end).count()
    detail = f"{rows} rows, deadlines {start} to {end} → {len(data) // 1024} KB"
    return [TaskResult("excel export", seconds, cpu, detail, limit, seconds <= limit)]


def print_tasks(results: list[TaskResult]) -> None:
    columns = f"{'task':<24} {'seconds':>8} {'cpu s':>7} {'limit':>6}  detail"
    print(columns)
    print("-" * len(columns))
    for r in results:
        mark = "" if r.met is None else ("  target met" if r.met else "  TARGET MISSED")
        limit = "" if r.limit is None else f"{r.limit:.0f}"
        print(f"{r.key:<24} {r.seconds:>8.2f} {r.cpu_seconds:>7.2f} {limit:>6}  {r.detail}{mark}")


if __name__ == "__main__":
    sys.exit(main())
