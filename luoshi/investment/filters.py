"""The project list's query string, turned into the selector's `ProjectFilters`.

The list page, the Excel export and the API read the same parameters, so a download holds exactly
the rows the list shows:

    q, zone, industry, stage (repeatable), origin, owner, amount_min, amount_max (万元), stale
    (any, yellow or red), include_lost

The API's names `zone_id` and `owner_id` are accepted too. As on the list page's form
(`forms.ProjectFilterForm`), a value that is malformed or not among the form's choices (a zone
outside the person's scope, an owner of no project they see, an unknown stage) is ignored rather
than refused, and so is an amount range whose end is below its start.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from luoshi.org.models import Person, Zone

from .models import Project, Stage
from .selectors import ProjectFilters

PARAMS = (
    "q",
    "zone",
    "industry",
    "stage",
    "origin",
    "owner",
    "amount_min",
    "amount_max",
    "stale",
    "include_lost",
)
STALE_VALUES = ("any", "yellow", "red")


def _values(params: Mapping[str, Any], name: str) -> list[str]:
    if isinstance(params, QueryDict):
        values = params.getlist(name) + params.getlist(f"{name}_id")
    else:
        raw = [params.get(name), params.get(f"{name}_id")]
        values = [v for r in raw for v in (r if isinstance(r, list | tuple) else [r])]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _first(params: Mapping[str, Any], name: str) -> str:
    values = _values(params, name)
    return values[0] if values else ""


def _amount(params: Mapping[str, Any], name: str) -> Decimal | None:
    try:
        value = Decimal(_first(params, name))
    except decimal.InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def project_filters_from_query(params: Mapping[str, Any], *, person: Person) -> ProjectFilters:
    """The filters a query string asks for, keeping only what the list page's form accepts."""
    visible = Project.objects.visible_to(person)
    filters = ProjectFilters(q=_first(params, "q"))
    zone = _first(params, "zone")
    if zone.isdigit():
        filters.zone = Zone.objects.visible_to(person).filter(is_active=True, pk=int(zone)).first()
    industry = _first(params, "industry")
    if industry and visible.filter(industry=industry).exists():
        filters.industry = industry
    origin = _first(params, "origin")
    if origin and visible.filter(origin=origin).exists():
        filters.origin = origin
    stages = _values(params, "stage")
    if all(s in Stage.values for s in stages):  # one unknown stage voids the field, as on the form
        filters.stages = list(dict.fromkeys(stages))
    owner = _first(params, "owner")
    if owner.isdigit():
        filters.owner = Person.objects.filter(pk=int(owner), pk__in=visible.values("owner_id")).first()
    filters.amount_min = _amount(params, "amount_min")
    filters.amount_max = _amount(params, "amount_max")
    if (
        filters.amount_min is not None
        and filters.amount_max is not None
        and filters.amount_min > filters.amount_max
    ):
        filters.amount_max = None  # the form refuses the end of such a range
    stale = _first(params, "stale")
    filters.stale = stale if stale in STALE_VALUES else ""
    # As a checkbox reads it: present and not "false" means on.
    filters.include_lost = _first(params, "include_lost").lower() not in ("", "false")
    return filters


def project_query_string(params: Mapping[str, Any]) -> str:
    """Only the filter parameters of a query string (no page number, no stray keys), encoded."""
    query = QueryDict(mutable=True)
    for name in PARAMS:
        for value in _values(params, name):
            query.appendlist(name, value)
    return query.urlencode()
