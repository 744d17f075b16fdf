"""The item list's query string, turned into the selector's `ItemFilters`.

The list page, the Excel export and the API read the same parameters, so a download holds
exactly the rows the list shows:

    q, zone, unit, light (repeatable), state (repeatable), leader, owner, directive,
    deadline_from, deadline_to (YYYY-MM-DD), sort

The API's names `zone_id`, `unit_id`, `leader_id`, `owner_id` and `directive_id` are accepted
too. As on the list page's form, a value that is malformed or names something the person may not
choose (a unit outside their scope, a person who holds no leader's post, a draft state for a
non-supervisor) is ignored rather than refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from luoshi.core.queryparams import filter_query_string, param_first, param_values
from luoshi.org.models import Person, Role, Unit, Zone

from .access import is_supervisor
from .lights import Light
from .models import Directive, Item, ItemState
from .selectors import SORTS, ItemFilters

PARAMS = (
    "q",
    "zone",
    "unit",
    "light",
    "state",
    "leader",
    "owner",
    "directive",
    "deadline_from",
    "deadline_to",
    "sort",
)


def _pk(params: Mapping[str, Any], name: str) -> int | None:
    raw = param_first(params, name)
    return int(raw) if raw.isdigit() else None


def _date(params: Mapping[str, Any], name: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(param_first(params, name))
    except ValueError:
        return None


def item_filters_from_query(params: Mapping[str, Any], *, person: Person) -> ItemFilters:
    """The filters a query string asks for, keeping only what the person may choose."""
    filters = ItemFilters(q=param_first(params, "q"))
    pk = _pk(params, "zone")
    if pk is not None:
        filters.zone = Zone.objects.visible_to(person).filter(is_active=True, pk=pk).first()
    pk = _pk(params, "unit")
    if pk is not None:
        filters.unit = Unit.objects.visible_to(person).filter(is_active=True, pk=pk).first()
    pk = _pk(params, "leader")
    if pk is not None:
        filters.leader = (
            Person.objects.filter(pk=pk, is_active=True, positions__role=Role.LEADER).distinct().first()
        )
    pk = _pk(params, "owner")
    if pk is not None:
        owners = Item.objects.visible_to(person).filter(owner_id=pk)
        filters.owner = Person.objects.filter(pk=pk).first() if owners.exists() else None
    pk = _pk(params, "directive")
    if pk is not None:
        filters.directive = Directive.objects.visible_to(person).filter(pk=pk).first()
    filters.lights = [v for v in dict.fromkeys(param_values(params, "light")) if v in Light.values]
    states = set(ItemState.values)
    if not is_supervisor(person):
        states.discard(ItemState.DRAFT)
    filters.states = [v for v in dict.fromkeys(param_values(params, "state")) if v in states]
    filters.deadline_from = _date(params, "deadline_from")
    filters.deadline_to = _date(params, "deadline_to")
    if filters.deadline_from and filters.deadline_to and filters.deadline_from > filters.deadline_to:
        filters.deadline_to = None  # the list page's form refuses the end of such a range
    sort = param_first(params, "sort")
    filters.sort = sort if sort in SORTS else "deadline"
    return filters


def item_query_string(params: Mapping[str, Any]) -> str:
    """Only the list's filter parameters of a query string, encoded."""
    return filter_query_string(params, PARAMS)
