"""Reads of the service desk: queues with SLA countdowns, and the three rates (三率)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from luoshi.org.models import Person, Unit, Zone

from .models import Enterprise, Rating, RequestState, ServiceRequest, serves_every_enterprise

S = RequestState
OPEN_STATES = [S.RECEIVED, S.DISPATCHED, S.ACKNOWLEDGED, S.WAITING]


def request_list(
    *,
    person: Person,
    state: list[str] | None = None,
    unit: Unit | None = None,
    enterprise: Enterprise | None = None,
    q: str = "",
) -> QuerySet[ServiceRequest]:
    """The requests the person may see, newest first."""
    requests = ServiceRequest.objects.visible_to(person).select_related("enterprise", "category", "unit")
    if state:
        requests = requests.filter(state__in=state)
    if unit is not None:
        requests = requests.filter(unit__path__startswith=unit.path)
    if enterprise is not None:
        requests = requests.filter(enterprise=enterprise)
    if q.strip():
        requests = requests.filter(
            Q(title__icontains=q.strip())
            | Q(code__icontains=q.strip())
            | Q(enterprise__name__icontains=q.strip())
        )
    return requests


def centre_queue(*, person: Person) -> QuerySet[ServiceRequest]:
    """New and returned requests waiting to be dispatched, oldest first."""
    return request_list(person=person, state=[S.RECEIVED]).order_by("received_at", "pk")


def unit_queue(*, person: Person) -> QuerySet[ServiceRequest]:
    """Open requests of the person's units, the most urgent first (what is due soonest)."""
    from django.db.models import Case, When

    due = Case(When(state=S.DISPATCHED, then=F("response_due_at")), default=F("resolution_due_at"))
    return (
        ServiceRequest.objects.filter(
            unit_id__in=person.scope.own_unit_ids or person.scope.unit_ids,
            state__in=[S.DISPATCHED, S.ACKNOWLEDGED, S.WAITING],
        )
        .select_related("enterprise", "category", "unit")
        .annotate(due_at=due)
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


@dataclass
class Rates:
    """The three rates of one unit (or zone, or the whole zone) over a period."""

    key: Any
    label: str
    received: int = 0
    responded_on_time: int = 0
    due: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    stars_avg: Decimal | None = None
    resolved: int = 0
    reopened: int = 0

    @staticmethod
    def _pct(part: int, whole: int) -> Decimal | None:
        return None if not whole else (Decimal(part * 100) / whole).quantize(Decimal("0.1"))

    @property
    def response_rate(self) -> Decimal | None:
        return self._pct(self.responded_on_time, self.received)

    @property
    def resolution_rate(self) -> Decimal | None:
        return self._pct(self.resolved_on_time, self.due)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return self._pct(self.satisfied, self.rated)

    @property
    def reopen_rate(self) -> Decimal | None:
        return self._pct(self.reopened, self.resolved)


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


# The definitions, shown on the rates page and applied below:
RESPONDED_ON_TIME = Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("response_due_at"))
RESOLVED_ON_TIME = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))


def rates(*, person: Person, start: datetime.date, end: datetime.date, by: str = "unit") -> list[Rates]:
    """The three rates per unit (`by="unit"`) or zone (`by="zone"`) for requests the person may see.

    - response rate = acknowledged on time ÷ received in the period;
    - resolution rate = resolved on time ÷ resolution due in the period;
    - satisfaction rate = rated 4–5 stars ÷ rated in the period (the rating counts for the unit rated).
    Each figure is one query grouped by the unit (or zone) id alone, and one more query names them,
    whatever the number of requests. Grouping by the id alone lets the database hash a few hundred
    groups; grouping by the name too made it sort every request of the month. Each query counts the
    time column of its window (never null inside it) rather than the id: with the unit and the facts
    compared, that column's index then holds all the query reads (bench/README.md).
    """
    lo, hi = _bounds(start, end)
    key = {"unit": "unit_id", "zone": "enterprise__zone_id"}[by]
    visible = ServiceRequest.objects.visible_to(person)
    table: dict[Any, Rates] = {}

    def row(k: Any) -> Rates:
        return table.setdefault(k, Rates(key=k, label="—"))

    for r in (
        visible.filter(received_at__gte=lo, received_at__lt=hi)
        .order_by()
        .values(key)
        .annotate(n=Count("received_at"), ok=Count("received_at", filter=RESPONDED_ON_TIME))
    ):
        entry = row(r[key])
        entry.received, entry.responded_on_time = r["n"], r["ok"]
    for r in (
        visible.filter(resolution_due_at__gte=lo, resolution_due_at__lt=hi)
        .order_by()
        .values(key)
        .annotate(n=Count("resolution_due_at"), ok=Count("resolution_due_at", filter=RESOLVED_ON_TIME))
    ):
        entry = row(r[key])
        entry.due, entry.resolved_on_time = r["n"], r["ok"]
    for r in (
        visible.filter(first_resolved_at__gte=lo, first_resolved_at__lt=hi)
        .order_by()
        .values(key)
        .annotate(
            n=Count("first_resolved_at"), again=Count("first_resolved_at", filter=Q(reopen_count__gt=0))
        )
    ):
        entry = row(r[key])
        entry.resolved, entry.reopened = r["n"], r["again"]
    rating_key = {"unit": "unit_id", "zone": "request__enterprise__zone_id"}[by]
    ratings = Rating.objects.filter(rated_at__gte=lo, rated_at__lt=hi)
    if not serves_every_enterprise(person):
        # Only the ratings of requests the person may see (who sees every request needs no join).
        ratings = ratings.filter(request__in=visible)
    for r in (
        ratings.order_by()
        .values(rating_key)
        .annotate(n=Count("rated_at"), ok=Count("rated_at", filter=Q(stars__gte=4)), avg=Avg("stars"))
    ):
        entry = row(r[rating_key])
        entry.rated, entry.satisfied = r["n"], r["ok"]
        entry.stars_avg = Decimal(str(r["avg"])).quantize(Decimal("0.01")) if r["avg"] is not None else None
    named = Unit.objects if by == "unit" else Zone.objects
    names = dict(named.filter(pk__in=[k for k in table if k is not None]).values_list("pk", "name"))
    for entry in table.values():
        entry.label = names.get(entry.key) or "—"
    return sorted(table.values(), key=_rank)


def _rank(r: Rates) -> tuple[Any, ...]:
    """Best first: satisfaction, then resolution, then response; units with no data last."""
    return (
        r.satisfaction_rate is None,
        -(r.satisfaction_rate or 0),
        -(r.resolution_rate or 0),
        -(r.response_rate or 0),
        r.label,
    )


def rate_drilldown(
    *,
    person: Person,
    start: datetime.date,
    end: datetime.date,
    figure: str,
    unit: Unit | None = None,
    zone_id: int | None = None,
) -> QuerySet[ServiceRequest]:
    """The requests behind one number: figure is received|responded|due|resolved|rated|satisfied|reopened."""
    lo, hi = _bounds(start, end)
    requests = request_list(person=person)
    if unit is not None:
        requests = requests.filter(unit=unit)
    if zone_id is not None:
        requests = requests.filter(enterprise__zone_id=zone_id)
    window = {
        "received": Q(received_at__gte=lo, received_at__lt=hi),
        "responded": Q(received_at__gte=lo, received_at__lt=hi) & RESPONDED_ON_TIME,
        "due": Q(resolution_due_at__gte=lo, resolution_due_at__lt=hi),
        "resolved": Q(resolution_due_at__gte=lo, resolution_due_at__lt=hi) & RESOLVED_ON_TIME,
        "reopened": Q(first_resolved_at__gte=lo, first_resolved_at__lt=hi, reopen_count__gt=0),
        "rated": Q(ratings__rated_at__gte=lo, ratings__rated_at__lt=hi),
        "satisfied": Q(ratings__rated_at__gte=lo, ratings__rated_at__lt=hi, ratings__stars__gte=4),
    }[figure]
    return requests.filter(window).distinct()
