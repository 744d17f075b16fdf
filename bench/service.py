"""The service desk's benchmark (issue 4): 100,000 enterprises, 2,000,000 requests, and their scenarios.

Generate once, on top of the benchmark organisation (built first if the database has none), then run:

    DATABASE_URL=sqlite:///var/bench-svc.sqlite3 .venv/bin/python -m bench.service
    DATABASE_URL=sqlite:///var/bench-svc.sqlite3 .venv/bin/python -m bench.run --suite service

    createdb -h 127.0.0.1 -U postgres luoshi_bench_svc      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench_svc .venv/bin/python -m bench.service
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luoshi_bench_svc .venv/bin/python -m bench.run --suite service

The data is benchmark data, not user input: it is written with bulk inserts in batches, bypassing the
services, so it carries no audit trail, no notifications, no rating links and no attachments. What the
pages and the figures read is realistic:

- enterprises across the seven zones with valid unified social credit codes, an industry that fits
  the zone, a life-cycle stage, a steward of their zone (or of the service centre) and a contact;
  the 400 enterprise users of the organisation act for the 400 busiest enterprises;
- requests arriving over the last 12 months, mostly in office hours on working days (some in the
  evening and on holidays), in ten categories with their resolution days, dispatched to the unit the
  category goes to (a department, one of its sections, or a section of the enterprise's zone office);
- each request is driven through its life with plausible delays (dispatch, acknowledgement, waiting
  for the enterprise, resolution, rating, reopen after a low rating, closing), cut at the moment of
  generation: whatever a plan puts later has not happened yet, so the queues hold what a working desk
  holds. A few requests are neglected (never dispatched, acknowledged or resolved), as happens;
- the due times are the SLA functions of the facts (`luoshi.service.sla`), computed once per day
  and cached: the calendar answers per day, so 2,000,000 requests need a few hundred calls;
- a rating for every rating event (1–5 stars, a comment for 3 stars or less).

The runner's suite (`bench.run --suite service`) times a unit's queue page, the three rates for all
units for one month (`selectors.rates`), the rates page and the SLA sweep over all open requests
(`services.sla_sweep`, twice: the second run must create nothing).
"""

# ruff: noqa: E402 — Django must be configured before the models are imported.
from __future__ import annotations

import argparse
import datetime
import functools
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bench.environment import database_label, machine_now, setup

setup()

from django.db import connection, models, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import generate
from luoshi.core import calendar as workcal
from luoshi.core.models import Counter
from luoshi.notify.models import Notification
from luoshi.org.models import Person, Role, Unit, UnitKind, Zone
from luoshi.service import selectors, services, sla
from luoshi.service.models import (
    Category,
    Channel,
    Contact,
    Enterprise,
    EnterpriseMember,
    Pause,
    Rating,
    RequestState,
    ServiceRequest,
    SlaAlert,
    Stage,
)
from luoshi.service.uscc import CHARSET, check_character, validate_uscc

S = RequestState
DIVISION = "210213"  # 大连市金州区 (金普新区)
BATCH = 2000

# Targets (issue 4).
TARGET_QUEUE_P95_MS = 50.0  # PostgreSQL: a unit's queue page
TARGET_RATES_MS = {"postgresql": 500.0, "sqlite": 2000.0}  # the three rates, all units, one month
TARGET_SWEEP_S = 30.0  # PostgreSQL: the SLA sweep over all open requests


@dataclass
class Plan:
    """How much service-desk data to build."""

    enterprises: int = 100_000
    requests: int = 2_000_000
    months: int = 12
    seed: int = 2026


# Zone code → (industries, name words, the zone's favourite company suffixes).
ZONE_PROFILES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "xinriben": (
        ["汽车零部件", "精密机械", "电子元器件", "新能源汽车", "智能装备"],
        [
            "丰田通商",
            "电装",
            "矢崎",
            "松下",
            "阿尔卑斯",
            "光洋",
            "东芝",
            "日立",
            "小松",
            "富士",
            "兄弟",
            "三菱",
        ],
        ["精密部件", "汽车部件", "电子", "机械", "工业"],
    ),
    "sanshilipu": (
        ["农产品批发", "冷链物流", "商贸", "食品加工"],
        ["金海", "鲜达", "丰源", "港湾", "北方", "海润", "鑫达", "众诚", "绿野", "恒通"],
        ["农产品", "冷链物流", "商贸", "食品", "供应链"],
    ),
    "songmudao": (
        ["精细化工", "新材料", "医药中间体", "涂料"],
        ["松木", "恒力", "瑞泽", "化源", "科隆", "新宇", "昌和", "石化", "博远", "凯信"],
        ["化工", "新材料", "精细化学", "化学品", "涂料"],
    ),
    "kechuang": (
        ["科技服务", "软件", "检验检测", "教育培训"],
        ["知行", "博学", "启明", "创想", "智源", "睿思", "格物", "致远", "星火", "数联"],
        ["科技", "信息技术", "检测", "软件", "教育科技"],
    ),
    "gaotie": (
        ["会展服务", "商贸服务", "酒店餐饮", "现代物流"],
        ["东北亚", "高铁", "汇通", "会展", "瑞和", "嘉华", "国展", "远航", "信达", "联城"],
        ["会展服务", "商贸", "物流", "酒店管理", "供应链"],
    ),
    "wanbei": (
        ["集成电路", "半导体设备", "信息技术", "人工智能"],
        ["芯程", "晶合", "华芯", "北硅", "微纳", "光谷", "智芯", "海光", "睿晶", "中科"],
        ["半导体", "微电子", "集成电路", "信息技术", "智能科技"],
    ),
    "shanhe": (
        ["绿色建材", "装配式建筑", "水泥制品", "新型墙材"],
        ["山河", "鲁宏", "泰山", "建华", "金石", "宏远", "北方", "筑友", "中建", "远大"],
        ["建材", "装配式建筑", "新型材料", "混凝土", "住工"],
    ),
}
CITY_PREFIXES = ["大连", "辽宁", "普湾", "金普", ""]
NAME_TAILS = ["", "一", "二", "三", "东方", "北方", "新", "盛", "华", "通"]

# (name, resolution working days, usual unit, share, pool of (unit name or "zone:<section>", weight)).
# A department named in the pool stands for itself and its sections.
CATEGORIES: list[tuple[str, int, str, int, list[tuple[str, int]]]] = [
    ("政策咨询", 2, "经济发展局", 20, [("经济发展局", 5), ("财政局", 1), ("zone:经济发展科", 3)]),
    ("用地规划", 5, "自然资源局", 8, [("自然资源局", 6), ("zone:规划土地科", 3)]),
    ("项目审批", 5, "行政审批局", 12, [("行政审批局", 6), ("规划建设局", 2), ("住房和城乡建设局", 2)]),
    (
        "水电气暖",
        3,
        "普湾建设投资有限公司",
        14,
        [
            ("普湾建设投资有限公司", 3),
            ("普湾水务有限公司", 2),
            ("普湾能源有限公司", 2),
            ("zone:企业服务站", 3),
        ],
    ),
    ("人才招聘", 5, "组织人事部", 9, [("组织人事部", 6), ("社会事业局", 2)]),
    ("融资服务", 7, "财政局", 7, [("财政局", 5), ("普湾科技创新投资有限公司", 2)]),
    ("厂房租赁", 3, "普湾产业园区运营有限公司", 8, [("普湾产业园区运营有限公司", 6), ("zone:企业服务站", 3)]),
    ("环保安全", 4, "生态环境局", 8, [("生态环境局", 4), ("应急管理局", 3), ("zone:安全生产科", 2)]),
    ("市场监管", 3, "市场监督管理局", 6, [("市场监督管理局", 6), ("zone:综合办公室", 1)]),
    ("其他", 5, "党政办公室", 8, [("zone:综合办公室", 5), ("党政办公室", 2), ("zone:企业服务站", 3)]),
]
TOPICS: dict[str, list[str]] = {
    "政策咨询": [
        "高新技术企业认定奖励政策咨询",
        "研发费用加计扣除口径咨询",
        "稳岗补贴申领条件",
        "专精特新培育政策",
    ],
    "用地规划": ["扩建厂房新增用地指标", "厂区规划条件调整", "用地红线核实", "不动产权证办理进度"],
    "项目审批": ["技改项目备案咨询", "施工许可办理协调", "环评审批进度查询", "竣工联合验收协调"],
    "水电气暖": ["厂区增容用电申请", "冬季供暖不达标", "工业用水水压不足", "天然气管道接入"],
    "人才招聘": ["技术工人招聘对接", "人才公寓申请", "高层次人才认定咨询", "员工子女入学咨询"],
    "融资服务": ["流动资金贷款对接", "政策性担保申请", "贴息资金兑现进度", "上市辅导咨询"],
    "厂房租赁": ["标准厂房租赁咨询", "厂房漏雨维修", "租金减免政策咨询", "仓储用房需求"],
    "环保安全": ["排污许可变更", "危废转移审批", "安全生产标准化辅导", "消防设施检查整改"],
    "市场监管": ["经营范围变更登记", "特种设备检验预约", "计量器具检定", "商标注册指导"],
    "其他": ["园区道路积水", "厂区周边交通拥堵", "员工通勤班车", "门前路灯损坏维修"],
}
LOW_COMMENTS = [
    "问题没有真正解决，希望再跟进。",
    "答复太笼统，没有具体办理时间。",
    "处理时间太长，影响生产。",
]
REPLIES = ["已与企业沟通并办结，详见答复。", "已协调相关单位现场解决。", "已按政策办理完毕并告知企业。"]
WAIT_REASONS = ["请补充营业执照复印件和情况说明。", "请提供现场照片和用电负荷清单。", "请补充项目备案材料。"]
PORTAL_SHARE = 0.7  # of the requests of an enterprise that has its own login
OTHER_CHANNELS = [Channel.PHONE, Channel.HOTLINE, Channel.STEWARD, Channel.VISIT, Channel.WECHAT]
STAR_WEIGHTS = [3, 4, 8, 25, 60]  # 1..5 stars on a first rating
STAR_WEIGHTS_AGAIN = [2, 3, 8, 35, 52]  # after a reopen
OPEN_AT, CLOSE_AT = datetime.time(8, 30), datetime.time(17, 30)
OFFICE_MINUTES = 9 * 60


# The calendar, per day -----------------------------------------------------------------------------


class Clock:
    """The SLA functions and working-day steps, cached per day.

    The due times depend only on the local date a clock started on (and the number of days), so the
    real functions of `luoshi.service.sla` run once per distinct day instead of once per request.
    Every moment handled here is an aware datetime in the current time zone (Asia/Shanghai has no
    daylight saving), so `moment.date()` is its local date.
    """

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self._working: dict[datetime.date, bool] = {}
        self._next: dict[datetime.date, datetime.date] = {}
        self._response: dict[datetime.date, datetime.datetime] = {}
        self._resolution: dict[tuple[datetime.date, int, int], datetime.datetime] = {}
        self._between: dict[tuple[datetime.date, datetime.date], int] = {}

    def at(self, day: datetime.date, clock: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, clock, tzinfo=self.tz)

    def working(self, day: datetime.date) -> bool:
        if day not in self._working:
            self._working[day] = workcal.is_working_day(day)
        return self._working[day]

    def next_working(self, day: datetime.date) -> datetime.date:
        """The first working day on or after `day`."""
        if day not in self._next:
            self._next[day] = workcal.next_working_day(day)
        return self._next[day]

    def response_due(self, received_at: datetime.datetime) -> datetime.datetime:
        day = received_at.date()
        if day not in self._response:
            self._response[day] = sla.response_due(self.at(day, datetime.time(12)))
        return self._response[day]

    def resolution_due(self, started: datetime.datetime, days: int, paused: int = 0) -> datetime.datetime:
        key = (started.date(), days, paused)
        if key not in self._resolution:
            self._resolution[key] = sla.resolution_due(self.at(key[0], datetime.time(12)), days, paused)
        return self._resolution[key]

    def paused_days(self, start: datetime.datetime, end: datetime.datetime) -> int:
        key = (start.date(), end.date())
        if key not in self._between:
            self._between[key] = sla.paused_working_days([(start, end)])
        return self._between[key]

    def office_after(self, moment: datetime.datetime, minutes: int) -> datetime.datetime:
        """`minutes` of office time (08:30–17:30 on working days) after `moment`."""
        day, clock = moment.date(), moment.time()
        if not self.working(day) or clock >= CLOSE_AT:
            cursor = self.at(
                self.next_working(day + datetime.timedelta(days=1 if self.working(day) else 0)), OPEN_AT
            )
        elif clock < OPEN_AT:
            cursor = self.at(day, OPEN_AT)
        else:
            cursor = moment
        remaining = datetime.timedelta(minutes=minutes)
        while True:
            left = self.at(cursor.date(), CLOSE_AT) - cursor
            if remaining <= left:
                return cursor + remaining
            remaining -= left
            cursor = self.at(self.next_working(cursor.date() + datetime.timedelta(days=1)), OPEN_AT)


# Generation --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reset", action="store_true", help="wipe the benchmark database and build it again")
    parser.add_argument("--enterprises", type=int, default=Plan.enterprises)
    parser.add_argument("--requests", type=int, default=Plan.requests)
    parser.add_argument("--months", type=int, default=Plan.months, help="history to spread requests over")
    parser.add_argument("--people", type=int, default=generate.Plan.people, help="the organisation's size")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args(argv)
    plan = Plan(enterprises=args.enterprises, requests=args.requests, months=args.months, seed=args.seed)

    org_args = ["--people", str(args.people), *(["--reset"] if args.reset else [])]
    if generate.main(org_args) != 0:
        return 1
    if ServiceRequest.objects.exists() or Enterprise.objects.exists():
        print("the service-desk data is already there; nothing to do (use --reset to rebuild everything)")
        return 0
    started = time.perf_counter()
    counts = build(plan)
    vacuum_analyse()
    print(
        f"built {counts['enterprises']:,} enterprises, {counts['requests']:,} requests, "
        f"{counts['ratings']:,} ratings and {counts['pauses']:,} pauses in {time.perf_counter() - started:.0f} s"
    )
    open_counts = dict(
        ServiceRequest.objects.order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    print("requests by state: " + ", ".join(f"{state} {open_counts.get(state, 0):,}" for state in S.values))
    return 0


def vacuum_analyse() -> None:
    """Planner statistics and, on PostgreSQL, the visibility map, as a database in service has them
    (autovacuum keeps both): index-only scans rely on the map."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


@contextmanager
def fact_times(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the generated created_at/updated_at instead of stamping them now."""
    fields = [
        f
        for model in model_classes
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[attr-defined]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


def build(plan: Plan) -> dict[str, int]:
    """Categories, enterprises with their contacts and users, then the requests day by day."""
    rng = random.Random(plan.seed)
    clock = Clock()
    now = timezone.localtime().replace(microsecond=0)
    units = {u.name: u for u in Unit.objects.filter(is_active=True)}
    with transaction.atomic():
        categories = build_categories(units)
    with transaction.atomic(), fact_times(Enterprise):
        enterprises = build_enterprises(plan, rng, now)
    print(f"  {len(enterprises):,} enterprises")
    requests, ratings, pauses = build_requests(plan, rng, clock, now, categories, enterprises)
    return {"enterprises": len(enterprises), "requests": requests, "ratings": ratings, "pauses": pauses}


@dataclass
class CategoryPlan:
    """A category with the units its requests go to (per zone, for the zone offices' sections)."""

    category: Category
    share: int
    topics: list[str]
    pool: dict[int | None, tuple[list[Unit], list[float]]] = field(default_factory=dict)  # zone id → units


def build_categories(units: dict[str, Unit]) -> list[CategoryPlan]:
    children: dict[int, list[Unit]] = {}
    for unit in units.values():
        if unit.parent_id:
            children.setdefault(unit.parent_id, []).append(unit)
    offices = {u.zone_id: u for u in units.values() if u.kind == UnitKind.ZONE_OFFICE and u.depth == 2}
    plans = []
    for sort, (name, days, usual, share, pool) in enumerate(CATEGORIES, start=1):
        category = Category.objects.create(
            name=name, resolution_days=days, default_unit=units.get(usual), sort=sort
        )
        plan = CategoryPlan(category=category, share=share, topics=TOPICS[name])
        for zone_id, office in offices.items():
            chosen: list[Unit] = []
            weights: list[float] = []
            for spec, weight in pool:
                if spec.startswith("zone:"):
                    section = next(
                        (c for c in children.get(office.pk, []) if c.name.endswith(spec[5:])), office
                    )
                    chosen.append(section)
                    weights.append(weight)
                elif spec in units:
                    # The department itself and its sections share the weight.
                    family = [units[spec], *children.get(units[spec].pk, [])]
                    chosen += family
                    weights += [weight / len(family)] * len(family)
            plan.pool[zone_id] = (chosen, list(itertools.accumulate(weights)))
        plans.append(plan)
    return plans


def _org_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code (the 9th character of its 9)."""
    total = sum(int(c, 36) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(serial: int, series: str = "MA0") -> str:
    """A valid code of a company registered in 金普新区, unique per serial (31⁵ serials per series)."""
    digits = []
    for _ in range(5):
        serial, rest = divmod(serial, len(CHARSET))
        digits.append(CHARSET[rest])
    body = series + "".join(reversed(digits))
    first17 = "91" + DIVISION + body + _org_code_check(body)
    return validate_uscc(first17 + check_character(first17))


@dataclass
class EnterpriseRow:
    """What the request generator needs of an enterprise."""

    pk: int
    zone_id: int
    short: str
    steward_id: int
    member_id: int | None = None


def _stewards() -> tuple[dict[int | None, list[int]], list[int]]:
    """Stewards by the zone their unit serves (None: the service centre), and all of them."""
    by_zone: dict[int | None, list[int]] = {}
    for person_id, zone_id in (
        Person.objects.filter(is_active=True, positions__role=Role.STEWARD)
        .values_list("pk", "positions__unit__zone_id")
        .order_by("pk")
        .distinct()
    ):
        by_zone.setdefault(zone_id, []).append(person_id)
    everyone = sorted({p for people in by_zone.values() for p in people})
    if not everyone:
        sys.exit("the organisation has no steward; rebuild it with bench.generate --reset")
    return by_zone, everyone


def build_enterprises(plan: Plan, rng: random.Random, now: datetime.datetime) -> list[EnterpriseRow]:
    """Enterprises with valid codes, a steward of their zone and one contact; the enterprise users
    act for the busiest ones (the order of the list is the order of activity)."""
    zones = list(Zone.objects.order_by("sort"))
    by_zone, everyone = _stewards()
    names: set[str] = set()
    stages = [Stage.PREPARING, Stage.BUILDING, Stage.OPERATING, Stage.GROWING]
    specs: list[Enterprise] = []
    shorts: list[str] = []
    for serial in range(plan.enterprises):
        zone = zones[serial % len(zones)]
        industries, words, suffixes = ZONE_PROFILES.get(zone.code, next(iter(ZONE_PROFILES.values())))
        while True:
            short = rng.choice(words) + rng.choice(NAME_TAILS)
            name = f"{rng.choice(CITY_PREFIXES)}{short}{rng.choice(suffixes)}有限公司"
            if name not in names:
                break
            name = f"{name[:-4]}{rng.randint(2, 99)}号有限公司"
            if name not in names:
                break
        names.add(name)
        stewards = by_zone.get(zone.pk) or by_zone.get(None) or everyone
        joined = now - datetime.timedelta(days=rng.randint(30, 3650))
        specs.append(
            Enterprise(
                name=name,
                uscc=make_uscc(serial),
                zone=zone,
                industry=rng.choice(industries),
                stage=rng.choices(stages, weights=[5, 10, 55, 30])[0],
                steward_id=rng.choice(stewards),
                address=f"{zone.name}{rng.randint(1, 300)}号",
                legal_representative=generate._name(rng),
                created_at=joined,
                updated_at=joined,
            )
        )
        shorts.append(short)
    created = Enterprise.objects.bulk_create(specs, batch_size=BATCH)
    Contact.objects.bulk_create(
        (
            Contact(
                enterprise=e,
                name=generate._name(rng),
                title=rng.choice(["总经理", "行政经理", "财务总监", "厂长", "办公室主任"]),
                phone=f"13{rng.randint(100_000_000, 999_999_999)}",
            )
            for e in created
        ),
        batch_size=BATCH,
    )
    rows = [
        EnterpriseRow(pk=e.pk, zone_id=e.zone_id, short=short, steward_id=e.steward_id or everyone[0])
        for e, short in zip(created, shorts, strict=True)
    ]
    rng.shuffle(rows)  # the order of activity, busiest first
    users = list(
        Person.objects.filter(positions__role=Role.ENTERPRISE, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    members = []
    for row, person_id in zip(rows, users, strict=False):
        row.member_id = person_id
        members.append(EnterpriseMember(person_id=person_id, enterprise_id=row.pk))
    EnterpriseMember.objects.bulk_create(members, batch_size=BATCH)
    return rows


@dataclass
class Facts:
    """One request's life up to now: its fields, its ratings and its pause."""

    fields: dict[str, Any]
    ratings: list[tuple[datetime.datetime, int, str, str]] = field(default_factory=list)
    pause: tuple[datetime.datetime, datetime.datetime | None, str] | None = None


def _set(facts: Facts, moment: datetime.datetime, **changes: Any) -> None:
    facts.fields.update(changes, updated_at=moment, version=facts.fields["version"] + 1)


def simulate(
    rng: random.Random,
    clock: Clock,
    now: datetime.datetime,
    received: datetime.datetime,
    days: int,
    unit: Unit,
) -> Facts:
    """Drive one request through its life with plausible delays, stopping at `now`."""
    f = Facts(
        fields={
            "state": S.RECEIVED,
            "received_at": received,
            "response_due_at": clock.response_due(received),
            "created_at": received,
            "updated_at": received,
            "version": 1,
        }
    )
    neglect = rng.random()  # a few requests are forgotten at one step or another
    dispatched = clock.office_after(received, rng.randint(3, 90))
    if neglect < 0.0005 or dispatched > now:
        return f
    _set(f, dispatched, state=S.DISPATCHED, unit=unit, dispatched_at=dispatched)
    if rng.random() < 0.06:  # acknowledged a working day or more late
        acknowledged = clock.office_after(f.fields["response_due_at"], rng.randint(10, 2 * OFFICE_MINUTES))
    else:
        acknowledged = clock.office_after(dispatched, rng.randint(5, 240))
    if neglect < 0.002 or acknowledged > now:
        return f
    due = clock.resolution_due(acknowledged, days)
    _set(f, acknowledged, state=S.ACKNOWLEDGED, acknowledged_at=acknowledged, resolution_due_at=due)
    cursor = acknowledged
    if rng.random() < 0.08:  # the unit needs more from the enterprise
        paused = clock.office_after(acknowledged, rng.randint(30, OFFICE_MINUTES * max(days - 1, 1)))
        if paused <= now:
            reason = rng.choice(WAIT_REASONS)
            _set(f, paused, state=S.WAITING, paused_at=paused)
            resumed = clock.office_after(paused, rng.randint(60, OFFICE_MINUTES * 5))
            if rng.random() < 0.05 or resumed > now:  # the enterprise has not answered (yet)
                f.pause = (paused, None, reason)
                return f
            f.pause = (paused, resumed, reason)
            due = clock.resolution_due(acknowledged, days, clock.paused_days(paused, resumed))
            _set(f, resumed, state=S.ACKNOWLEDGED, paused_at=None, resolution_due_at=due)
            cursor = resumed
    if neglect < 0.005:
        return f
    for round_ in range(3):
        if rng.random() < 0.12 or cursor >= due:  # resolved late
            resolved = clock.office_after(max(due, cursor), rng.randint(30, OFFICE_MINUTES * 4))
        else:
            span = (due - cursor).total_seconds()
            resolved = min(
                clock.office_after(cursor + datetime.timedelta(seconds=rng.random() * span), 0), due
            )
        if resolved > now:
            return f
        _set(f, resolved, state=S.RESOLVED, resolved_at=resolved)
        f.fields.setdefault("first_resolved_at", resolved)
        f.fields["reply"] = rng.choice(REPLIES)
        if rng.random() >= (0.8 if round_ == 0 else 0.7):  # the enterprise never rated it
            return f
        rated = resolved + datetime.timedelta(minutes=rng.randint(10, 60 * 24 * 7))
        if rated > now:
            return f
        stars = rng.choices(range(1, 6), weights=STAR_WEIGHTS if round_ == 0 else STAR_WEIGHTS_AGAIN)[0]
        comment = rng.choice(LOW_COMMENTS) if stars <= services.LOW_RATING else ""
        via = "link" if rng.random() < 0.6 else "portal"
        f.ratings.append((rated, stars, comment, via))
        if stars > services.LOW_RATING:
            _set(f, rated, state=S.RATED, rated_at=rated, stars=stars)
            closed = clock.office_after(rated, rng.randint(60, OFFICE_MINUTES * 5))
            if rng.random() < 0.9 and closed <= now:
                _set(f, closed, state=S.CLOSED, closed_at=closed)
            return f
        # 从企业不满意的地方改起: back to the unit with a new clock.
        due = clock.resolution_due(rated, days)
        _set(
            f,
            rated,
            state=S.ACKNOWLEDGED,
            rated_at=rated,
            stars=stars,
            resolved_at=None,
            reopen_count=f.fields.get("reopen_count", 0) + 1,
            resolution_due_at=due,
        )
        cursor = rated
    return f


def _days(plan: Plan, clock: Clock, now: datetime.datetime) -> tuple[list[datetime.date], list[int]]:
    """The days of the history and how many requests arrive on each (working days far more)."""
    first = (now - datetime.timedelta(days=round(plan.months * 365 / 12))).date()
    days = [first + datetime.timedelta(days=n) for n in range((now.date() - first).days + 1)]
    weights = [1.0 if clock.working(d) else 0.12 for d in days]
    weights[-1] *= (now - clock.at(now.date(), datetime.time.min)).total_seconds() / 86400
    total = sum(weights)
    counts, carry = [], 0.0
    for w in weights:
        exact = plan.requests * w / total + carry
        counts.append(round(exact))
        carry = exact - counts[-1]
    counts[-1] += plan.requests - sum(counts)
    return days, counts


def _arrival(rng: random.Random, clock: Clock, day: datetime.date) -> datetime.datetime:
    if clock.working(day):
        if rng.random() < 0.88:
            minute = 8 * 60 + 30 + int(rng.triangular(0, OFFICE_MINUTES, 120))
        else:
            minute = rng.choice([rng.randint(7 * 60, 8 * 60 + 29), rng.randint(17 * 60 + 30, 23 * 60)])
    else:
        minute = rng.randint(8 * 60, 20 * 60)
    return clock.at(day, datetime.time(minute // 60, minute % 60, rng.randint(0, 59)))


def build_requests(
    plan: Plan,
    rng: random.Random,
    clock: Clock,
    now: datetime.datetime,
    categories: list[CategoryPlan],
    enterprises: list[EnterpriseRow],
) -> tuple[int, int, int]:
    """The requests, arrival by arrival over the history, inserted in batches with their ratings
    and pauses. Codes run per year in order of arrival, and the code counters are left after them."""
    # Activity is heavy-tailed: the busiest enterprises file many requests, most file a few.
    activity = list(itertools.accumulate(1.0 / (rank + 10) ** 0.8 for rank in range(len(enterprises))))
    category_weights = list(itertools.accumulate(c.share for c in categories))
    fallback = next(iter(categories[0].pool.values()))
    days, counts = _days(plan, clock, now)
    numbers: dict[int, int] = {}
    pending: list[tuple[ServiceRequest, Facts]] = []
    totals = [0, 0, 0]
    started = time.perf_counter()

    def flush() -> None:
        with transaction.atomic(), fact_times(ServiceRequest):
            created = ServiceRequest.objects.bulk_create([r for r, _f in pending], batch_size=BATCH)
            ratings, pauses = [], []
            for request, (_spec, facts) in zip(created, pending, strict=True):
                for rated_at, stars, comment, via in facts.ratings:
                    by = (
                        request.filed_by_id if via == "portal" and request.channel == Channel.PORTAL else None
                    )
                    ratings.append(
                        Rating(
                            request_id=request.pk,
                            stars=stars,
                            comment=comment,
                            rated_at=rated_at,
                            unit_id=request.unit_id,
                            via=via if by else "link",
                            by_id=by,
                        )
                    )
                if facts.pause:
                    begun, ended, reason = facts.pause
                    pauses.append(
                        Pause(request_id=request.pk, started_at=begun, ended_at=ended, reason=reason)
                    )
            Rating.objects.bulk_create(ratings, batch_size=BATCH)
            Pause.objects.bulk_create(pauses, batch_size=BATCH)
        totals[0] += len(created)
        totals[1] += len(ratings)
        totals[2] += len(pauses)
        pending.clear()

    for day, count in zip(days, counts, strict=True):
        arrivals = sorted(_arrival(rng, clock, day) for _ in range(count))
        arrivals = [
            a if a <= now else now - datetime.timedelta(seconds=rng.randint(1, 3600)) for a in arrivals
        ]
        chosen = rng.choices(enterprises, cum_weights=activity, k=count)
        kinds = rng.choices(categories, cum_weights=category_weights, k=count)
        for received, enterprise, kind in zip(sorted(arrivals), chosen, kinds, strict=True):
            pool, cumulative = kind.pool.get(enterprise.zone_id, fallback)
            unit = rng.choices(pool, cum_weights=cumulative)[0]
            facts = simulate(rng, clock, now, received, kind.category.resolution_days, unit)
            if enterprise.member_id and rng.random() < PORTAL_SHARE:
                channel, filed_by = Channel.PORTAL, enterprise.member_id
            else:
                channel, filed_by = rng.choice(OTHER_CHANNELS), enterprise.steward_id
            year = received.year
            numbers[year] = numbers.get(year, 0) + 1
            topic = rng.choice(kind.topics)
            pending.append(
                (
                    ServiceRequest(
                        code=f"SR-{year}-{numbers[year]:05d}",
                        enterprise_id=enterprise.pk,
                        category=kind.category,
                        title=topic,
                        description=f"{enterprise.short}：{topic}，请协助尽快办理。",
                        channel=channel,
                        filed_by_id=filed_by,
                        **facts.fields,
                    ),
                    facts,
                )
            )
            if len(pending) >= 10_000:
                flush()
                done = totals[0]
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} requests ({rate:,.0f}/s), up to {day}", end="\r", flush=True)
    if pending:
        flush()
    print()
    for year, last in numbers.items():
        Counter.objects.update_or_create(series=f"SR-{year}", defaults={"last": last})
    return totals[0], totals[1], totals[2]


# Scenarios ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    """The figures of one timed function call (not a page)."""

    key: str
    detail: str
    p50_ms: float
    p95_ms: float
    min_ms: float
    cpu_p50_ms: float
    queries: int
    runs: int
    target: str = ""
    met: bool | None = None


def time_call(
    key: str, detail: str, call: Callable[[], Any], *, runs: int, warmup: int
) -> tuple[Timing, Any]:
    """Time `runs` calls after `warmup` untimed ones; count the queries of one more."""
    for _ in range(warmup):
        call()
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu_started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        result = call()
    walls.sort()
    p95 = statistics.quantiles(walls, n=20, method="inclusive")[18] if len(walls) > 1 else walls[0]
    timing = Timing(
        key=key,
        detail=detail,
        p50_ms=round(statistics.median(walls), 1),
        p95_ms=round(p95, 1),
        min_ms=round(walls[0], 1),
        cpu_p50_ms=round(statistics.median(cpus), 1),
        queries=len(captured.captured_queries),
        runs=runs,
    )
    return timing, result


def _month_before(moment: datetime.datetime) -> tuple[datetime.date, datetime.date]:
    """The last complete calendar month before `moment`."""
    end = moment.date().replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def _head_of(unit_id: int) -> Person:
    head = (
        Person.objects.filter(positions__unit_id=unit_id, positions__role=Role.UNIT_HEAD, is_active=True)
        .order_by("pk")
        .first()
    )
    if head is None:
        sys.exit(f"unit {unit_id} has no head")
    return head


def run_suite(args: argparse.Namespace) -> int:
    """The service desk's scenarios: pages through the test client, then the timed functions."""
    from bench import run

    if not ServiceRequest.objects.exists():
        sys.exit("no service-desk data in this database: run `python -m bench.service` first")
    vendor = connection.vendor
    supervisor = Person.objects.get(username=generate.SUPERVISOR)
    last_arrival = ServiceRequest.objects.order_by("-received_at").values_list("received_at", flat=True)[0]
    start, end = _month_before(timezone.localtime(last_arrival))
    open_states = [S.DISPATCHED, S.ACKNOWLEDGED, S.WAITING]
    busiest = (
        ServiceRequest.objects.filter(state__in=open_states)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    top = busiest[0]
    head = _head_of(top["unit_id"])
    # A second unit of another kind: a department (or one of its sections) when the busiest is not.
    section = (
        busiest.exclude(unit_id=top["unit_id"])
        .exclude(unit__kind=Unit.objects.get(pk=top["unit_id"]).kind)
        .first()
        or busiest[1]
    )
    section_head = _head_of(section["unit_id"])
    month: dict[str, str | int] = {"period": "month", "year": start.year, "month": start.month}
    received = ServiceRequest.objects.filter(state=S.RECEIVED).order_by("-pk").values_list("pk", flat=True)[0]
    handled = (
        ServiceRequest.objects.filter(state=S.ACKNOWLEDGED, unit_id=top["unit_id"])
        .order_by("-pk")
        .values_list("pk", flat=True)[0]
    )
    scenarios = [
        (run.Scenario("unit queue", head.username, "/service/unit-queue/", {}), TARGET_QUEUE_P95_MS),
        (
            run.Scenario("unit queue page 3", head.username, "/service/unit-queue/", {"page": 3}),
            TARGET_QUEUE_P95_MS,
        ),
        (run.Scenario("unit queue", section_head.username, "/service/unit-queue/", {}), TARGET_QUEUE_P95_MS),
        (run.Scenario("api unit queue", head.username, "/api/service/queues/unit", {}), None),
        (run.Scenario("centre queue", supervisor.username, "/service/queue/", {}), None),
        # A new request as the supervision office (dispatch, escalate), one in hand as its unit's head.
        (run.Scenario("request page", supervisor.username, f"/service/requests/{received}/", {}), None),
        (run.Scenario("request page", head.username, f"/service/requests/{handled}/", {}), None),
        (
            run.Scenario(
                "rates page by unit", supervisor.username, "/service/rates/", {**month, "by": "unit"}
            ),
            None,
        ),
        (
            run.Scenario(
                "rates page by zone", supervisor.username, "/service/rates/", {**month, "by": "zone"}
            ),
            None,
        ),
        (
            run.Scenario(
                "api rates",
                supervisor.username,
                "/api/service/rates",
                {"start": start.isoformat(), "end": end.isoformat(), "by": "unit"},
            ),
            None,
        ),
    ]
    counts = {
        "enterprises": Enterprise.objects.count(),
        "requests": ServiceRequest.objects.count(),
        "open": ServiceRequest.objects.filter(state__in=[S.RECEIVED, *open_states]).count(),
        "ratings": Rating.objects.count(),
    }
    header = (
        f"database: {database_label()}\n"
        f"service desk: {counts['enterprises']:,} enterprises, {counts['requests']:,} requests "
        f"({counts['open']:,} open), {counts['ratings']:,} ratings; month {start:%Y-%m}; "
        f"the busiest unit has {top['n']} open requests, the other {section['n']}\n"
        f"targets: unit queue p95 ≤ {TARGET_QUEUE_P95_MS:.0f} ms (PostgreSQL); three rates for all units "
        f"for one month ≤ {TARGET_RATES_MS['postgresql']:.0f} ms (PostgreSQL), "
        f"≤ {TARGET_RATES_MS['sqlite']:.0f} ms (SQLite); SLA sweep ≤ {TARGET_SWEEP_S:.0f} s (PostgreSQL)\n"
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
        if target_ms is not None and vendor == "postgresql":
            result = replace(result, target=True, met=result.p95_ms <= target_ms)
        pages.append(result)
    run.print_table(header, pages)

    calls: list[Timing] = []
    print_timing_header()
    rates_target = TARGET_RATES_MS.get(vendor)
    for by in ("unit", "zone"):
        key = f"rates by {by}"
        if args.only and args.only not in key:
            continue
        timing, rows = time_call(
            key,
            f"selectors.rates(supervisor, {start}..{end}, by={by!r}): {{rows}} rows",
            functools.partial(selectors.rates, person=supervisor, start=start, end=end, by=by),
            runs=max(args.requests // 5, 5),
            warmup=2,
        )
        timing.detail = timing.detail.format(rows=len(rows))
        if by == "unit" and rates_target is not None:
            timing.target = f"≤ {rates_target:.0f} ms"
            timing.met = timing.p95_ms <= rates_target
        calls.append(print_timing(timing))
    if not args.only or args.only in "sla sweep":
        calls += sweep_twice(last_arrival, vendor)
    return finish(args, f"{vendor}-service", header, pages, calls)


def finish(args: argparse.Namespace, name: str, header: str, pages: list[Any], calls: list[Timing]) -> int:
    """Print the load at the end, write the results to bench/out/<name>.json and say whether all met."""
    from bench import run

    load = f"at the end: {machine_now()}\n"
    print("\n" + load, end="")
    run.OUT_DIR.mkdir(exist_ok=True)
    out = run.OUT_DIR / f"{name}.json"
    out.write_text(
        json.dumps(
            {
                "header": header + load,
                "pages": [asdict(r) for r in pages],
                "calls": [asdict(t) for t in calls],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {out}")
    missed = [r for r in pages if r.met is False] + [t for t in calls if t.met is False]
    return 1 if args.check and missed else 0


def sweep_twice(last_arrival: datetime.datetime, vendor: str) -> list[Timing]:
    """The SLA sweep as of the last arrival, from no alert at all, then again (it must send nothing)."""
    kinds = SlaAlert.Kind.values
    # A previous run's alerts and their inbox entries go first, so the first sweep starts from nothing.
    SlaAlert.objects.all().delete()
    Notification.objects.filter(kind__in=kinds).delete()
    at = last_arrival + datetime.timedelta(minutes=1)
    timings = []
    for n in (1, 2):
        alerts_before = SlaAlert.objects.count()
        inbox_before = Notification.objects.filter(kind__in=kinds).count()
        started, cpu_started = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as captured:
            sent = services.sla_sweep(at=at)
        wall = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu_started) * 1000
        alerts = SlaAlert.objects.count() - alerts_before
        inbox = Notification.objects.filter(kind__in=kinds).count() - inbox_before
        timing = Timing(
            key=f"sla sweep, run {n}",
            detail=f"services.sla_sweep(at={timezone.localtime(at):%Y-%m-%d %H:%M}): "
            f"{sent:,} sent, {alerts:,} alerts and {inbox:,} inbox entries created",
            p50_ms=round(wall, 1),
            p95_ms=round(wall, 1),
            min_ms=round(wall, 1),
            cpu_p50_ms=round(cpu, 1),
            queries=len(captured.captured_queries),
            runs=1,
        )
        if vendor == "postgresql":
            timing.target = f"≤ {TARGET_SWEEP_S:.0f} s"
            timing.met = wall <= TARGET_SWEEP_S * 1000
        if n == 2:
            timing.target = (timing.target + ", " if timing.target else "") + "creates nothing"
            timing.met = (timing.met is not False) and sent == 0 and alerts == 0 and inbox == 0
        timings.append(print_timing(timing))
    return timings


def print_timing_header() -> None:
    columns = f"{'function':<20} {'p50 ms':>9} {'p95 ms':>9} {'min ms':>9} {'cpu ms':>9} {'queries':>7} {'runs':>4}  detail"
    print()
    print(columns)
    print("-" * len(columns))


def print_timing(t: Timing) -> Timing:
    """One row of the timings table, printed as soon as it is measured."""
    mark = "" if t.met is None else (f"  target {t.target} met" if t.met else f"  TARGET {t.target} MISSED")
    print(
        f"{t.key:<20} {t.p50_ms:>9.1f} {t.p95_ms:>9.1f} {t.min_ms:>9.1f} {t.cpu_p50_ms:>9.1f} "
        f"{t.queries:>7} {t.runs:>4}  {t.detail}{mark}",
        flush=True,
    )
    return t


if __name__ == "__main__":
    sys.exit(main())
