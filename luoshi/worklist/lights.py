"""Red, yellow and green lights (红黄绿灯), derived from the facts at a moment: `light(item, at)`.

There is one implementation: `light_conditions` builds the SQL conditions, and everything else —
the list filters, the API, the item page, the escalation sweep, the cockpit — uses them. The
working-day thresholds are computed here in Python from the calendar, so the database only
compares dates.

The default rules (the settings LUOSHI_LIGHTS can change the numbers):
- red: the deadline or a milestone has passed undone, or a progress report is more than
  2 working days late;
- yellow: the deadline or a milestone is due within 3 working days and not done, or a report is
  late by up to 2 working days;
- green: otherwise. Items not started (and suspended or cancelled ones) are grey; closed items
  are shown as closed. An item awaiting verification is green if it was submitted by its
  deadline and red if it was submitted late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core import calendar as workcal

from .models import Item, ItemState, Milestone, ProgressReport, ReportCycle

if TYPE_CHECKING:
    from .models import ItemQuerySet


class Light(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")
    GREY = "grey", _("Not started")
    CLOSED = "closed", _("Closed")


DEFAULT_RULES = {"due_soon_working_days": 3, "report_grace_working_days": 2}


def rules() -> dict[str, int]:
    return {**DEFAULT_RULES, **getattr(settings, "LUOSHI_LIGHTS", {})}


@dataclass(frozen=True)
class Thresholds:
    """The dates a light compares against, for one moment."""

    moment: datetime
    today: date
    due_soon: date  # a deadline or milestone due on or before this date is "due soon"
    report_late_before: date  # a report due before this date is late (yellow)
    report_red_before: date  # a report due before this date is more than the grace late (red)

    @classmethod
    def at(cls, moment: datetime | None = None) -> Thresholds:
        moment = moment or timezone.now()
        today = timezone.localdate(moment)
        r = rules()
        last_working = workcal.add_working_days(today + timedelta(days=1), -1)  # on or before today
        return cls(
            moment=moment,
            today=today,
            due_soon=workcal.add_working_days(today, r["due_soon_working_days"]),
            report_late_before=last_working,
            report_red_before=workcal.add_working_days(last_working, -r["report_grace_working_days"]),
        )


def _helpers(t: Thresholds) -> dict[str, Any]:
    """Annotations the conditions read: when reporting started counting, and the submission date."""
    last_report = (
        ProgressReport.objects.filter(item=OuterRef("pk"), reported_at__lte=t.moment)
        .order_by("-reported_on")
        .values("reported_on")[:1]
    )
    return {
        "report_base": Coalesce(
            Subquery(last_report), TruncDate("started_at"), output_field=models.DateField()
        ),
        "close_requested_on": TruncDate("close_requested_at"),
    }


def _report_due_before(limit: date) -> Q:
    """The next report (last report or start + the cycle) was due before `limit`.

    One comparison with a date chosen by the cycle, so the report subquery appears once in the
    SQL rather than once per cycle (neither database shares repeated subqueries). An item with a
    cycle outside the choices is never late, as before: its cutoff is the first day there is, not
    NULL, so the comparison stays false rather than unknown.
    """
    cutoff = Case(
        *(
            When(report_cycle=cycle, then=Value(limit - timedelta(days=cycle)))
            for cycle in ReportCycle.values
        ),
        default=Value(date.min),
        output_field=models.DateField(),
    )
    return Q(report_base__lt=cutoff)


def light_conditions(t: Thresholds) -> dict[str, Q]:
    """The condition for each light, mutually exclusive, over a queryset annotated with `_helpers`."""
    undone = Milestone.objects.filter(Q(done_at__isnull=True) | Q(done_at__gt=t.moment), item=OuterRef("pk"))
    red_facts = (
        Q(deadline__lt=t.today)
        | Q(Exists(undone.filter(due_date__lt=t.today)))
        | _report_due_before(t.report_red_before)
    )
    yellow_facts = (
        Q(deadline__lte=t.due_soon)
        | Q(Exists(undone.filter(due_date__lte=t.due_soon)))
        | _report_due_before(t.report_late_before)
    )
    running = Q(state=ItemState.IN_PROGRESS)
    submitted = Q(state=ItemState.CLOSE_REQUESTED)
    late_submission = submitted & Q(close_requested_on__gt=F("deadline"))
    red = (running & red_facts) | late_submission
    yellow = running & ~red_facts & yellow_facts
    green = (running & ~red_facts & ~yellow_facts) | (submitted & ~Q(close_requested_on__gt=F("deadline")))
    return {
        Light.RED: red,
        Light.YELLOW: yellow,
        Light.GREEN: green,
        Light.CLOSED: Q(state=ItemState.CLOSED),
        Light.GREY: ~Q(state__in=[ItemState.IN_PROGRESS, ItemState.CLOSE_REQUESTED, ItemState.CLOSED]),
    }


def annotate_light(queryset: ItemQuerySet, at: datetime | None = None) -> ItemQuerySet:
    """Annotate `light` on every item, as of `at` (now by default)."""
    t = Thresholds.at(at)
    conditions = light_conditions(t)
    return queryset.annotate(**_helpers(t)).annotate(
        light=Case(
            *(When(condition, then=Value(str(light))) for light, condition in conditions.items()),
            default=Value(str(Light.GREY)),
            output_field=models.CharField(),
        )
    )


# The states an item can be in for each light. Implied by `light_conditions`; filtering on them as
# well gives the database a plain indexed condition to start from (a unit's items in progress),
# so the light's subqueries run only for those rows.
LIGHT_STATES: dict[str, tuple[str, ...]] = {
    Light.RED: (ItemState.IN_PROGRESS, ItemState.CLOSE_REQUESTED),
    Light.YELLOW: (ItemState.IN_PROGRESS,),
    Light.GREEN: (ItemState.IN_PROGRESS, ItemState.CLOSE_REQUESTED),
    Light.CLOSED: (ItemState.CLOSED,),
    Light.GREY: tuple(
        s
        for s in ItemState.values
        if s not in (ItemState.IN_PROGRESS, ItemState.CLOSE_REQUESTED, ItemState.CLOSED)
    ),
}


def filter_light(queryset: ItemQuerySet, lights: list[str], at: datetime | None = None) -> ItemQuerySet:
    """Keep the items whose light is one of `lights`: a database query, not Python over rows."""
    t = Thresholds.at(at)
    conditions = light_conditions(t)
    wanted = Q(pk__in=[])
    states: set[str] = set()
    for name in lights:
        if name in conditions:
            wanted |= conditions[name]
            states.update(LIGHT_STATES[name])
    return queryset.filter(state__in=sorted(states)).annotate(**_helpers(t)).filter(wanted)


def light(item: Item, at: datetime | None = None) -> str:
    """The light of one item at a moment."""
    # `light` is an annotation the django-stubs plugin cannot see through with_light().
    return str(Item.objects.filter(pk=item.pk).with_light(at).values_list("light", flat=True).get())  # type: ignore[misc]


def with_red_facts(queryset: ItemQuerySet, t: Thresholds) -> ItemQuerySet:
    """Annotate what `red_since` needs: the report base and the earliest undone milestone date."""
    earliest = (
        Milestone.objects.filter(Q(done_at__isnull=True) | Q(done_at__gt=t.moment), item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(first=Min("due_date"))
        .values("first")
    )
    return queryset.annotate(**_helpers(t)).annotate(first_undone_milestone=Subquery(earliest))


def red_since(item: Any, t: Thresholds) -> date | None:
    """The first day of the item's current red spell, from an item annotated by `with_red_facts`."""
    if item.state == ItemState.CLOSE_REQUESTED:
        late = item.close_requested_on and item.close_requested_on > item.deadline
        return item.deadline + timedelta(days=1) if late else None
    if item.state != ItemState.IN_PROGRESS:
        return None
    starts = []
    if item.deadline < t.today:
        starts.append(item.deadline + timedelta(days=1))
    first = getattr(item, "first_undone_milestone", None)
    if first is not None and first < t.today:
        starts.append(first + timedelta(days=1))
    base = getattr(item, "report_base", None)
    if base is not None:
        due = base + timedelta(days=item.report_cycle)
        if due < t.report_red_before:
            starts.append(workcal.add_working_days(due, rules()["report_grace_working_days"] + 1))
    return min(starts) if starts else None


def rules_text() -> list[str]:
    """The rules in words, for the pages that show lights."""
    r = rules()
    return [
        str(
            _(
                "Red: the deadline or a milestone has passed undone, or a progress report is more than %(n)d working days late."
            )
            % {"n": r["report_grace_working_days"]}
        ),
        str(
            _(
                "Yellow: the deadline or a milestone is due within %(soon)d working days, or a report is up to %(n)d working days late."
            )
            % {"soon": r["due_soon_working_days"], "n": r["report_grace_working_days"]}
        ),
        str(_("Green: on track. Grey: not started, suspended or cancelled.")),
    ]
