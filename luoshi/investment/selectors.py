"""Reads of investment: the project list and kanban, the funnel, and zones against their targets."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import ExtractMonth, RowNumber
from django.utils import timezone

from luoshi.org.models import Person, Zone

from .models import STAGES, MonthlyInvestment, Project, ProjectQuerySet, Stage, ZoneTarget
from .stale import annotate_stale

BIG_PROJECT = Decimal("10000")  # 1 亿元 in 10k yuan


@dataclass
class ProjectFilters:
    """The project list's filters, shared by the page, the API and the export."""

    zone: Zone | None = None
    industry: str = ""
    stages: list[str] = field(default_factory=list)
    origin: str = ""
    owner: Person | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    stale: str = ""  # "any", "yellow" or "red"
    include_lost: bool = False
    q: str = ""


def project_list(
    *, person: Person, filters: ProjectFilters | None = None, today: datetime.date | None = None
) -> ProjectQuerySet:
    """Projects the person may see, filtered, annotated with `stale` and `quiet_since`."""
    f = filters or ProjectFilters()
    projects = annotate_stale(_filtered(person, f), today or timezone.localdate())
    if f.stale == "any":
        projects = projects.exclude(stale="")  # type: ignore[misc]  # an annotation
    elif f.stale in ("yellow", "red"):
        projects = projects.filter(stale=f.stale)  # type: ignore[misc]  # an annotation
    return projects.select_related("zone", "owner", "unit")


def _filtered(person: Person, f: ProjectFilters) -> ProjectQuerySet:
    """The projects the person may see, with every filter but the stale one (which needs the clock)."""
    if f.zone is not None:
        projects = Project.objects.visible_in_zone(person, f.zone)
    else:
        projects = Project.objects.visible_to(person)
    if not f.include_lost:
        projects = projects.filter(lost_on__isnull=True)
    if f.industry:
        projects = projects.filter(industry=f.industry)
    if f.stages:
        projects = projects.filter(stage__in=f.stages)
    if f.origin:
        projects = projects.filter(origin=f.origin)
    if f.owner is not None:
        projects = projects.filter(owner=f.owner)
    if f.amount_min is not None:
        projects = projects.filter(planned_investment__gte=f.amount_min)
    if f.amount_max is not None:
        projects = projects.filter(planned_investment__lte=f.amount_max)
    if f.q.strip():
        q = f.q.strip()
        projects = projects.filter(Q(name__icontains=q) | Q(investor__icontains=q) | Q(code__icontains=q))
    return projects


@dataclass
class Column:
    stage: str
    label: str
    count: int
    amount: Decimal
    cards: list[Project]


def kanban(
    *,
    person: Person,
    zone: Zone | None = None,
    per_column: int = 30,
    today: datetime.date | None = None,
    only: tuple[str, ...] = (),
) -> list[Column]:
    """The pipeline board: one column per stage with its count and total planned amount.

    `only` names the fields the cards need (`owner__name` follows the owner), when not all of them.

    Three queries, whatever the number of projects: the totals, grouped by stage; the ids of each
    column's most recently updated cards, picked with a window function; and those cards alone
    with their stale state. The stale state is a correlated subquery on the follow-ups, so it is
    worked out for the cards shown only, not for every project of the column before sorting.
    """
    filters = ProjectFilters(zone=zone)
    projects = _filtered(person, filters)
    totals = {
        row["stage"]: (row["n"], row["amount"] or Decimal(0))
        for row in projects.order_by()
        .values("stage")
        .annotate(n=Count("pk"), amount=Sum("planned_investment"))
    }
    cards: dict[str, list[Project]] = {stage: [] for stage in STAGES}
    if per_column > 0 and totals:
        newest = Window(
            RowNumber(), partition_by=[F("stage")], order_by=[F("updated_at").desc(), F("pk").desc()]
        )
        shown = list(
            projects.order_by()
            .annotate(place=newest)
            .filter(place__lte=per_column)
            .values_list("pk", flat=True)
        )
        chosen = project_list(person=person, filters=filters, today=today).filter(pk__in=shown)
        if only:
            related = {name.split("__")[0] for name in only if "__" in name}
            chosen = chosen.select_related(None).select_related(*related).only(*only)
        for card in chosen.order_by("-updated_at", "-pk"):
            cards[card.stage].append(card)
    columns = []
    for stage in STAGES:
        count, amount = totals.get(stage, (0, Decimal(0)))
        columns.append(
            Column(stage=stage, label=str(Stage(stage).label), count=count, amount=amount, cards=cards[stage])
        )
    return columns


@dataclass
class FunnelStep:
    stage: str
    label: str
    reached: int
    conversion: Decimal | None  # share of the previous stage's projects that reached this one
    median_days: float | None  # median days spent in this stage before moving on


def funnel(
    *, person: Person, zone: Zone | None = None, since: datetime.date | None = None
) -> list[FunnelStep]:
    """Projects reaching each stage, the conversion between stages and the median days in each.

    Two queries: the projects per current stage (a project has reached every stage up to its own),
    and the stage dates of the projects that moved at least once, which are the only ones with a
    time spent in a stage. The rest, the leads, can be most of the projects.
    """
    projects = (
        Project.objects.visible_in_zone(person, zone)
        if zone is not None
        else Project.objects.visible_to(person)
    )
    if since is not None:
        projects = projects.filter(lead_on__gte=since)
    at_stage = dict(projects.order_by().values_list("stage").annotate(n=Count("pk")))
    reached = [sum(at_stage.get(s, 0) for s in STAGES[i:]) for i in range(len(STAGES))]
    durations: list[list[int]] = [[] for _s in STAGES]
    moved = Q()
    for later in STAGES[1:]:
        moved |= Q(**{f"{later}_on__isnull": False})
    for dates in projects.filter(moved).order_by().values_list(*(f"{s}_on" for s in STAGES)):
        for i, start in enumerate(dates):
            if start is None:
                continue
            following = next((d for d in dates[i + 1 :] if d is not None), None)
            if following is not None:
                durations[i].append((following - start).days)
    steps = []
    for i, stage in enumerate(STAGES):
        conversion = None
        if i and reached[i - 1]:
            conversion = (Decimal(reached[i] * 100) / reached[i - 1]).quantize(Decimal("0.1"))
        median = float(statistics.median(durations[i])) if durations[i] else None
        steps.append(FunnelStep(stage, str(Stage(stage).label), reached[i], conversion, median))
    return steps


@dataclass
class TargetRow:
    """A zone's year: each target with its actual figure, and the monthly cumulative actuals."""

    zone: Zone
    target: ZoneTarget | None
    signed_amount: Decimal = Decimal(0)
    started_count: int = 0
    actual_investment: Decimal = Decimal(0)
    big_projects: int = 0
    monthly: dict[str, list[Any]] = field(default_factory=dict)  # metric → 12 cumulative values

    def percent(self, metric: str) -> Decimal | None:
        goal = getattr(self.target, metric, None) if self.target else None
        if not goal:
            return None
        return (Decimal(getattr(self, metric)) * 100 / Decimal(goal)).quantize(Decimal("0.1"))


def _cumulative(by_month: dict[int, Any]) -> list[Any]:
    total, out = 0, []
    for month in range(1, 13):
        total += by_month.get(month, 0) or 0
        out.append(total)
    return out


def targets(*, person: Person, year: int) -> list[TargetRow]:
    """Every zone's progress against its targets for `year` (a fixed number of grouped queries)."""
    projects = Project.objects.visible_to(person)
    zones = list(Zone.objects.visible_to(person).filter(is_active=True))
    goals = {t.zone_id: t for t in ZoneTarget.objects.filter(year=year)}
    # zone id → metric → month → amount or count in that month
    by_month: dict[int, dict[str, dict[int, Any]]] = {z.pk: {} for z in zones}

    def put(zone_id: int, metric: str, month: int, value: Any) -> None:
        if zone_id in by_month:
            by_month[zone_id].setdefault(metric, {})[month] = value

    signed = (
        projects.filter(signed_on__year=year)
        .annotate(m=ExtractMonth("signed_on"))
        .order_by()
        .values("zone_id", "m")
        .annotate(
            amount=Sum("contracted_amount"), big=Count("pk", filter=Q(contracted_amount__gte=BIG_PROJECT))
        )
    )
    for r in signed:
        put(r["zone_id"], "signed_amount", r["m"], r["amount"] or Decimal(0))
        put(r["zone_id"], "big_projects", r["m"], r["big"])
    started = (
        projects.filter(started_on__year=year)
        .annotate(m=ExtractMonth("started_on"))
        .order_by()
        .values("zone_id", "m")
        .annotate(n=Count("pk"))
    )
    for r in started:
        put(r["zone_id"], "started_count", r["m"], r["n"])
    invested = (
        MonthlyInvestment.objects.filter(project__in=projects, month__year=year)
        .annotate(m=ExtractMonth("month"))
        .order_by()
        .values("project__zone_id", "m")
        .annotate(amount=Sum("amount"))
    )
    for r in invested:
        put(r["project__zone_id"], "actual_investment", r["m"], r["amount"])
    rows = []
    for zone in zones:
        row = TargetRow(zone=zone, target=goals.get(zone.pk))
        for metric in ("signed_amount", "started_count", "actual_investment", "big_projects"):
            series = _cumulative(by_month[zone.pk].get(metric, {}))
            row.monthly[metric] = series
            setattr(row, metric, series[-1])
        rows.append(row)
    return rows


def target_drilldown(*, person: Person, zone: Zone, year: int, metric: str) -> ProjectQuerySet:
    """The projects behind one target figure."""
    projects = Project.objects.visible_to(person).filter(zone=zone).select_related("owner", "unit")
    return {
        "signed_amount": projects.filter(signed_on__year=year),
        "big_projects": projects.filter(signed_on__year=year, contracted_amount__gte=BIG_PROJECT),
        "started_count": projects.filter(started_on__year=year),
        "actual_investment": projects.filter(investments__month__year=year).distinct(),
    }[metric]
