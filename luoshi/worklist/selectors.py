"""Reads of the implementation list, restricted to the person and annotated with lights."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField as BooleanFieldType
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncDate

from luoshi.org.models import Person, Unit, Zone

from .lights import LIGHT_STATES, LIT_STATES, STATE_LIGHT, Light, filter_light
from .models import Directive, Escalation, Item, ItemQuerySet, ItemState

SORTS = {
    "deadline": ("deadline", "code"),
    "-deadline": ("-deadline", "-code"),
    "code": ("code",),
    "-code": ("-code",),
    "title": ("title", "code"),
    "unit": ("lead_unit__name", "deadline", "code"),
    "state": ("state", "deadline", "code"),
    "updated": ("-updated_at", "code"),
}


@dataclass
class ItemFilters:
    """The item list's filters, shared by the page, the API and the Excel export."""

    zone: Zone | None = None
    unit: Unit | None = None  # lead or supporting, with its sub-units
    lights: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    leader: Person | None = None
    owner: Person | None = None
    directive: Directive | None = None
    deadline_from: datetime.date | None = None
    deadline_to: datetime.date | None = None
    q: str = ""
    sort: str = "deadline"


# The records an item refers to, for the pages and exports that show them all.
ITEM_REFS = ("lead_unit", "zone", "owner", "leader", "unit_head", "directive")


def item_list(
    *, person: Person, filters: ItemFilters | None = None, at: datetime.datetime | None = None
) -> ItemQuerySet:
    """The items the person may see, filtered, sorted and annotated with `light` as of `at`.

    Callers add the related records they show (`ITEM_REFS`, or fewer).
    """
    f = filters or ItemFilters()
    if f.unit is not None and _sees_all_of(person, f.unit):
        # The person sees every item these units lead or support, drafts aside: testing the rest of
        # their reach as well only keeps the database from starting at the unit's items.
        items = Item.objects.exclude(state=ItemState.DRAFT)
    else:
        items = Item.objects.visible_to(person, gathered=gathers_items(person, by_unit=f.unit is not None))
    if f.zone is not None:
        items = items.filter(zone=f.zone)
    if f.unit is not None:
        items = items.filter(pk__in=unit_item_ids(f.unit, _states_wanted(f)))
    if f.states:
        items = items.filter(state__in=f.states)
    if f.leader is not None:
        items = items.filter(leader=f.leader)
    if f.owner is not None:
        items = items.filter(owner=f.owner)
    if f.directive is not None:
        items = items.filter(directive=f.directive)
    if f.deadline_from:
        items = items.filter(deadline__gte=f.deadline_from)
    if f.deadline_to:
        items = items.filter(deadline__lte=f.deadline_to)
    if f.q.strip():
        q = f.q.strip()
        items = items.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(description__icontains=q))
    items = filter_light(items, f.lights, at) if f.lights else items.with_light(at)
    return items.order_by(*SORTS.get(f.sort, SORTS["deadline"]))


def gathers_items(person: Person, *, by_unit: bool) -> bool:
    """Whether the database gathers the list's items whole before sorting them, rather than walking
    an index in the list's order: a unit's items come from a subquery of what it leads and
    supports, and the items of a person who does not see everything from the index of each part
    of their reach (`ItemQuerySet.visible_to`, gathered). Such a list reads its total with its
    page (`core.views.TotalWithPage`)."""
    return by_unit or not person.scope.everything


def _sees_all_of(person: Person, unit: Unit) -> bool:
    """Whether the unit and every unit below it are among the units whose items the person sees.

    A person's units are whole subtrees (those of their own units and of the units they oversee,
    `core.access.scope_of`), so a unit among them brings every unit below it.
    """
    scope = person.scope
    return not scope.everything and scope.internal and unit.pk in scope.unit_ids


def _states_wanted(f: ItemFilters) -> set[str] | None:
    """The states the filters allow (their states and those their lights imply); None: any."""
    states = set(f.states) if f.states else None
    if f.lights:
        implied = {state for name in f.lights for state in LIGHT_STATES.get(name, ())}
        states = implied if states is None else states & implied
    return states


def unit_item_ids(unit: Unit, states: set[str] | None = None) -> QuerySet[Any]:
    """The ids of the items in `states` led or supported by the unit or a unit below it, as one subquery.

    A UNION of two indexed lookups rather than "led OR supported": with the OR, both databases
    scan every item to test the supporting units; with the UNION they start from the unit's own
    items (by the lead unit, state and deadline index) and fetch only those.
    """
    units = Unit.objects.filter(path__startswith=unit.path).values("pk")
    led = Item.objects.filter(lead_unit_id__in=units)
    supported = Item.support_units.through.objects.filter(unit_id__in=units)
    if states is not None:
        led = led.filter(state__in=sorted(states))
        supported = supported.filter(item__state__in=sorted(states))
    return led.order_by().values("pk").union(supported.order_by().values("item_id"), all=True)


def item_get_detail(*, person: Person, pk: int, at: datetime.datetime | None = None) -> Item:
    """One visible item with its light (404 otherwise)."""
    from luoshi.core.access import get_visible_or_404

    return get_visible_or_404(Item.objects.with_light(at).select_related(*ITEM_REFS), person, pk=pk)


def light_counts(items: QuerySet[Item]) -> dict[str, int]:
    """How many items show each light (from a queryset annotated with `light`).

    Outside the lit states the light follows from the state alone (`STATE_LIGHT`): those items,
    most of them closed, are counted by state, and only the lit ones have their facts compared.
    """
    counts = {str(light): 0 for light in Light.values}
    by_state = items.exclude(state__in=LIT_STATES).order_by().values_list("state").annotate(n=Count("pk"))
    for state, n in by_state:
        counts[STATE_LIGHT[state]] += n
    lit = items.filter(state__in=LIT_STATES).order_by().values_list("light").annotate(n=Count("pk"))  # type: ignore[misc]
    for light, n in lit:
        counts[light] += n
    return counts


# Promise-keeping (“说了”和“做了”零距离) -----------------------------------------------------------


def kept_condition() -> Q:
    """Closed by the deadline with the target met."""
    return Q(state=ItemState.CLOSED, target_met=True, closed_on__lte=F("deadline"))


def promise_items(*, person: Person, start: datetime.date, end: datetime.date) -> ItemQuerySet:
    """Items due in the period that the person may see, each annotated `kept` (True/False)."""
    return (
        Item.objects.visible_to(person)
        .filter(deadline__gte=start, deadline__lte=end)
        .exclude(state=ItemState.CANCELLED)
        .annotate(closed_on=TruncDate("closed_at"))
        .annotate(
            kept=Case(When(kept_condition(), then=True), default=False, output_field=BooleanFieldType())
        )
    )


@dataclass
class PromiseRate:
    """Promise-keeping of one unit, person or zone over a period."""

    key: Any
    label: str
    due: int
    kept: int

    @property
    def rate(self) -> Decimal | None:
        return None if not self.due else (Decimal(self.kept * 100) / self.due).quantize(Decimal("0.1"))


def promise_rates(*, person: Person, start: datetime.date, end: datetime.date, by: str) -> list[PromiseRate]:
    """Kept ÷ due per lead unit (`by="unit"`), owner (`"person"`) or zone (`"zone"`), best first."""
    group = {
        "unit": ("lead_unit_id", "lead_unit__name"),
        "person": ("owner_id", "owner__name"),
        "zone": ("zone_id", "zone__name"),
    }[by]
    rows = (
        promise_items(person=person, start=start, end=end)
        .filter(**{f"{group[0]}__isnull": False})
        .order_by()
        .values(*group)
        .annotate(due=Count("pk"), kept_n=Count("pk", filter=kept_condition()))
    )
    rates = [PromiseRate(key=r[group[0]], label=r[group[1]], due=r["due"], kept=r["kept_n"]) for r in rows]
    return sorted(rates, key=lambda r: (-(r.rate or 0), -r.due, r.label))


# Coverage warnings -------------------------------------------------------------------------------


def coverage_warnings(*, person: Person, at: datetime.datetime | None = None) -> dict[str, Any]:
    """Directives with no item, items with no owner, and items with no report this cycle."""
    from .lights import Thresholds, _facts, _report_due_before

    t = Thresholds.at(at)
    items = Item.objects.visible_to(person, gathered=True)
    directives = Directive.objects.visible_to(person) if person.scope.everything else Directive.objects.none()
    live = [ItemState.PUBLISHED, ItemState.CLAIMED, ItemState.IN_PROGRESS, ItemState.SUSPENDED]
    no_report = (
        items.filter(state=ItemState.IN_PROGRESS)
        .annotate(**_facts(t))
        .filter(_report_due_before(t.today + datetime.timedelta(days=1)) | Q(report_base__isnull=True))
    )
    return {
        # NOT EXISTS probes the items' directive index per directive; counting every directive's
        # items first took 100 ms for 4,000 directives and 200,000 items.
        "directives_without_items": directives.filter(~Exists(Item.objects.filter(directive=OuterRef("pk")))),
        "items_without_owner": items.filter(state__in=live, owner__isnull=True).select_related("lead_unit"),
        "items_without_report": no_report.select_related("lead_unit", "owner"),
    }


def escalation_list(*, person: Person) -> QuerySet[Escalation]:
    """Escalations addressed to the person (all of them for supervisors)."""
    escalations = Escalation.objects.select_related("item", "acknowledged_by")
    if person.scope.everything:
        return escalations
    return escalations.filter(recipients=person)
