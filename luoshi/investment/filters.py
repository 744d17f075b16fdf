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

from luoshi.core.queryparams import filter_query_string, param_first, param_values
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


def _amount(params: Mapping[str, Any], name: str) -> Decimal | None:
    try:
        value = Decimal(param_first(params, name))
    except decimal.InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def project_filters_from_query(params: Mapping[str, Any], *, person: Person) -> ProjectFilters:
    """The filters a query string asks for, keeping only what the list page's form accepts."""
    visible = Project.objects.visible_to(person)
    filters = ProjectFilters(q=param_first(params, "q"))
    zone = param_first(params, "zone")
    if zone.isdigit():
        filters.zone = Zone.objects.visible_to(person).filter(is_active=True, pk=int(zone)).first()
    industry = param_first(params, "industry")
    if industry and visible.filter(industry=industry).exists():
        filters.industry = industry
    origin = param_first(params, "origin")
    if origin and visible.filter(origin=origin).exists():
        filters.origin = origin
    stages = param_values(params, "stage")
    if all(s in Stage.values for s in stages):  # one unknown stage voids the field, as on the form
        filters.stages = list(dict.fromkeys(stages))
    owner = param_first(params, "owner")
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
    stale = param_first(params, "stale")
    filters.stale = stale if stale in STALE_VALUES else ""
    # As a checkbox reads it: present and not "false" means on.
    filters.include_lost = param_first(params, "include_lost").lower() not in ("", "false")
    return filters


def project_query_string(params: Mapping[str, Any]) -> str:
    """Only the list's filter parameters of a query string, encoded."""
    return filter_query_string(params, PARAMS)
