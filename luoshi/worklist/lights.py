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
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core import calendar as workcal

from .models import Item, ItemState, ReportCycle, first_undone_due, last_report_on

if TYPE_CHECKING:
    from .models import ItemQuerySet


class Light(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")
    GREY = "grey", _("Not started")
    CLOSED = "closed", _("Closed")


# The due date of a milestone that does not exist: later than any deadline, never due soon.
NEVER = date.max

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
    present: bool  # no moment was given: it is now, and the facts kept on the items hold

    @classmethod
    def at(cls, moment: datetime | None = None) -> Thresholds:
        present = moment is None
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
            present=present,
        )


def _facts(t: Thresholds) -> dict[str, Any]:
    """The facts the conditions compare, as annotations on the items.

    - `first_undone_due`: the earliest due date of a milestone not done at the moment (`NEVER` if
      there is none);
    - `report_base`: the date the next report is counted from: the last report by the moment, or
      the start;
    - `close_requested_on`: the date the close-out was submitted.

    For the present moment the first two are columns of the item, which the services keep in step
    with every change to its milestones and reports (`ItemQuerySet.refresh_facts`), so the light is
    a comparison of the item's own columns. For a moment in the past they are read from the
    milestones' and reports' times, by the same definitions.
    """
    if t.present:
        first_undone: Any = F("next_milestone_due")
        last_report: Any = F("last_report_on")
    else:
        first_undone, last_report = first_undone_due(t.moment), last_report_on(t.moment)
    return {
        "first_undone_due": Coalesce(first_undone, Value(NEVER), output_field=models.DateField()),
        "report_base": Coalesce(last_report, TruncDate("started_at"), output_field=models.DateField()),
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


def _rule_parts(t: Thresholds) -> tuple[Q, Q, Q]:
    """What makes an item in progress red, what makes it yellow, and a close-out submitted late."""
    red_facts = (
        Q(deadline__lt=t.today) | Q(first_undone_due__lt=t.today) | _report_due_before(t.report_red_before)
    )
    yellow_facts = (
        Q(deadline__lte=t.due_soon)
        | Q(first_undone_due__lte=t.due_soon)
        | _report_due_before(t.report_late_before)
    )
    late_submission = Q(close_requested_on__gt=F("deadline"))
    return red_facts, yellow_facts, late_submission


RUNNING = Q(state=ItemState.IN_PROGRESS)
SUBMITTED = Q(state=ItemState.CLOSE_REQUESTED)


def light_conditions(t: Thresholds) -> dict[str, Q]:
    """The condition for each light, mutually exclusive, over a queryset annotated with `_facts`:
    each light's own condition and the negations of those before it in `annotate_light`."""
    red_facts, yellow_facts, late_submission = _rule_parts(t)
    return {
        Light.RED: (RUNNING & red_facts) | (SUBMITTED & late_submission),
        Light.YELLOW: RUNNING & ~red_facts & yellow_facts,
        Light.GREEN: (RUNNING & ~red_facts & ~yellow_facts) | (SUBMITTED & ~late_submission),
        Light.CLOSED: Q(state=ItemState.CLOSED),
        Light.GREY: ~Q(state__in=[ItemState.IN_PROGRESS, ItemState.CLOSE_REQUESTED, ItemState.CLOSED]),
    }


def annotate_light(queryset: ItemQuerySet, at: datetime | None = None) -> ItemQuerySet:
    """Annotate `light` on every item, as of `at` (now by default).

    The same rules as `light_conditions`, as a CASE that gives the first light whose condition
    holds: each condition after red needs no negations of those before it, which makes the
    expression a third as long to build, compile and evaluate.
    """
    return _with_light(queryset, Thresholds.at(at))


def _with_light(queryset: ItemQuerySet, t: Thresholds) -> ItemQuerySet:
    red_facts, yellow_facts, late_submission = _rule_parts(t)
    return queryset.annotate(**_facts(t)).annotate(
        light=Case(
            When((RUNNING & red_facts) | (SUBMITTED & late_submission), then=Value(str(Light.RED))),
            When(RUNNING & yellow_facts, then=Value(str(Light.YELLOW))),
            When(RUNNING | SUBMITTED, then=Value(str(Light.GREEN))),
            When(state=ItemState.CLOSED, then=Value(str(Light.CLOSED))),
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


# The states a lit (red, yellow or green) item can be in, and the light of an item in any other
# state, which follows from the state alone.
LIT_STATES = tuple(
    sorted({s for light in (Light.RED, Light.YELLOW, Light.GREEN) for s in LIGHT_STATES[light]})
)
STATE_LIGHT: dict[str, str] = {
    state: str(light) for light in (Light.CLOSED, Light.GREY) for state in LIGHT_STATES[light]
}


def filter_light(queryset: ItemQuerySet, lights: list[str], at: datetime | None = None) -> ItemQuerySet:
    """Keep the items whose light is one of `lights`, annotated with it: a database query, not
    Python over rows."""
    t = Thresholds.at(at)
    conditions = light_conditions(t)
    wanted = Q(pk__in=[])
    states: set[str] = set()
    for name in lights:
        if name in conditions:
            wanted |= conditions[name]
            states.update(LIGHT_STATES[name])
    return _with_light(queryset.filter(state__in=sorted(states)), t).filter(wanted)


def light(item: Item, at: datetime | None = None) -> str:
    """The light of one item at a moment."""
    # `light` is an annotation the django-stubs plugin cannot see through with_light().
    return str(Item.objects.filter(pk=item.pk).with_light(at).values_list("light", flat=True).get())  # type: ignore[misc]


def red_since(item: Any, t: Thresholds) -> date | None:
    """The first day of the item's current red spell, from an item annotated with `_facts` (by `filter_light`)."""
    if item.state == ItemState.CLOSE_REQUESTED:
        late = item.close_requested_on and item.close_requested_on > item.deadline
        return item.deadline + timedelta(days=1) if late else None
    if item.state != ItemState.IN_PROGRESS:
        return None
    starts = []
    if item.deadline < t.today:
        starts.append(item.deadline + timedelta(days=1))
    if item.first_undone_due < t.today:
        starts.append(item.first_undone_due + timedelta(days=1))
    base = item.report_base
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
