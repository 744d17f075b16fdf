"""The enterprise list's query string, turned into `EnterpriseFilters`, and the list it selects.

The list page and the Excel export read the same parameters, so a download holds exactly the rows
the list shows:

    q, zone, industry, stage, steward

The API's names `zone_id` and `steward_id` are accepted too. As on the list page's form, a value
that is malformed or not among the form's choices (an inactive zone, an industry no visible
enterprise has, someone who is not a steward) is ignored rather than refused. `enterprise_list` is
the one selector of the page, the export and the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from luoshi.core.queryparams import filter_query_string, param_first
from luoshi.org.models import Person, Role, Zone

from .models import Enterprise, Stage, serves_every_enterprise
from .selectors import OPEN_STATES

PARAMS = ("q", "zone", "industry", "stage", "steward")


@dataclass
class EnterpriseFilters:
    """The enterprise list's filters, shared by the page, the API and the export."""

    q: str = ""
    zone: Zone | None = None
    industry: str = ""
    stage: str = ""
    steward: Person | None = None


def enterprise_filters_from_query(params: Mapping[str, Any], *, person: Person) -> EnterpriseFilters:
    """The filters a query string asks for, keeping only what the list page's form accepts."""
    filters = EnterpriseFilters(q=param_first(params, "q"))
    zone = param_first(params, "zone")
    if zone.isdigit():
        filters.zone = Zone.objects.filter(is_active=True, pk=int(zone)).first()
    industry = param_first(params, "industry")
    if industry and Enterprise.objects.visible_to(person).filter(industry=industry).exists():
        filters.industry = industry
    stage = param_first(params, "stage")
    filters.stage = stage if stage in Stage.values else ""
    steward = param_first(params, "steward")
    if steward.isdigit():
        filters.steward = (
            Person.objects.filter(pk=int(steward), is_active=True, positions__role=Role.STEWARD)
            .distinct()
            .first()
        )
    return filters


def enterprise_query_string(params: Mapping[str, Any]) -> str:
    """Only the list's filter parameters of a query string, encoded."""
    return filter_query_string(params, PARAMS)


def enterprise_list(*, person: Person, filters: EnterpriseFilters | None = None) -> QuerySet[Enterprise]:
    """The enterprises the person may see, filtered, by name, each with `total_requests` and
    `open_requests` counted over the requests the person may see."""
    f = filters or EnterpriseFilters()
    enterprises = Enterprise.objects.visible_to(person).select_related("zone", "steward")
    if f.zone is not None:
        enterprises = enterprises.filter(zone=f.zone)
    if f.industry:
        enterprises = enterprises.filter(industry=f.industry)
    if f.stage:
        enterprises = enterprises.filter(stage=f.stage)
    if f.steward is not None:
        enterprises = enterprises.filter(steward=f.steward)
    q = f.q.strip()
    if q:
        enterprises = enterprises.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    visible = Q() if serves_every_enterprise(person) else Q(requests__unit_id__in=person.scope.unit_ids)
    return enterprises.annotate(
        open_requests=Count("requests", filter=visible & Q(requests__state__in=OPEN_STATES)),
        total_requests=Count("requests", filter=visible),
    ).order_by("name", "pk")
