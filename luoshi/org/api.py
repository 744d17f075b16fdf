"""The organisation API: zones, units, people, oversight. Same services and scopes as the pages."""

# No `from __future__ import annotations` here: django-ninja resolves the string annotations of a
# @paginate-wrapped view in its own module and fails on Query[...] (vitalik/django-ninja#1717).

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.core.access import get_visible_or_404
from luoshi.core.apierrors import call_versioned, expected_version
from luoshi.core.apischemas import Page
from luoshi.core.apischemas import etag as _etag

from . import services
from .models import Person, Position, Unit, Zone
from .selectors import person_list, unit_list, zone_list

router = Router(tags=["org"])


# Zones -------------------------------------------------------------------------------------------


class ZoneOut(Schema):
    id: int
    code: str
    name: str
    positioning: str
    industries: str
    sort: int
    is_active: bool
    version: int


class ZoneIn(Schema):
    code: str = Field(..., max_length=30)
    name: str = Field(..., max_length=50)
    positioning: str = ""
    industries: str = ""
    sort: int = 0


class ZonePatch(Schema):
    name: str | None = Field(None, max_length=50)
    positioning: str | None = None
    industries: str | None = None
    sort: int | None = None
    version: int | None = None


@router.get("/zones", response=list[ZoneOut], summary="List zones")
def zones(request: HttpRequest) -> Any:
    return zone_list(person=request.user)  # type: ignore[arg-type]


@router.post("/zones", response={201: ZoneOut}, summary="Add a zone")
def zone_add(request: HttpRequest, payload: ZoneIn) -> Any:
    return Status(201, services.zone_create(actor=request.user, **payload.dict()))  # type: ignore[arg-type]


@router.get("/zones/{zone_id}", response=ZoneOut, summary="One zone")
def zone_get(request: HttpRequest, zone_id: int, response: HttpResponse) -> Any:
    zone = get_visible_or_404(Zone.objects.all(), request.user, pk=zone_id)  # type: ignore[arg-type]
    _etag(response, zone)
    return zone


@router.patch("/zones/{zone_id}", response=ZoneOut, summary="Edit a zone (If-Match or version required)")
def zone_patch(request: HttpRequest, zone_id: int, payload: ZonePatch) -> Any:
    actor: Person = request.user  # type: ignore[assignment]
    zone = get_visible_or_404(Zone.objects.all(), actor, pk=zone_id)
    version = expected_version(request, payload.version)
    changes = payload.dict(exclude_unset=True, exclude={"version"})
    return call_versioned(
        request,
        lambda: services.zone_update(actor=actor, zone=zone, expected_version=version, changes=changes),
    )


# Units -------------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    zone_id: int | None
    phone: str
    description: str
    sort: int
    is_active: bool
    version: int


class UnitIn(Schema):
    name: str = Field(..., max_length=100)
    kind: str
    parent_id: int | None = None
    zone_id: int | None = None
    short_name: str = ""
    phone: str = ""
    description: str = ""
    sort: int = 0


class UnitPatch(Schema):
    name: str | None = Field(None, max_length=100)
    short_name: str | None = None
    kind: str | None = None
    parent_id: int | None = None
    zone_id: int | None = None
    phone: str | None = None
    description: str | None = None
    sort: int | None = None
    version: int | None = None


class UnitFilters(Schema):
    zone_id: int | None = None
    kind: str | None = None
    parent_id: int | None = None
    include_inactive: bool = False


def _resolve_unit_refs(person: Person, data: dict[str, Any]) -> dict[str, Any]:
    """Turn parent_id/zone_id into objects the person may see (404 otherwise)."""
    out = dict(data)
    if "parent_id" in out:
        pid = out.pop("parent_id")
        out["parent"] = get_visible_or_404(Unit.objects.all(), person, pk=pid) if pid else None
    if "zone_id" in out:
        zid = out.pop("zone_id")
        out["zone"] = get_visible_or_404(Zone.objects.all(), person, pk=zid) if zid else None
    return out


@router.get("/units", response=list[UnitOut], summary="List units in tree order")
@paginate(Page)
def units(request: HttpRequest, filters: Query[UnitFilters]) -> Any:
    qs = unit_list(person=request.user, include_inactive=filters.include_inactive)  # type: ignore[arg-type]
    if filters.zone_id:
        qs = qs.filter(zone_id=filters.zone_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent_id:
        qs = qs.filter(parent_id=filters.parent_id)
    return qs


@router.post("/units", response={201: UnitOut}, summary="Add a unit")
def unit_add(request: HttpRequest, payload: UnitIn) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    return Status(201, services.unit_create(actor=person, **_resolve_unit_refs(person, payload.dict())))


@router.get("/units/{unit_id}", response=UnitOut, summary="One unit")
def unit_get(request: HttpRequest, unit_id: int, response: HttpResponse) -> Any:
    unit = get_visible_or_404(Unit.objects.all(), request.user, pk=unit_id)  # type: ignore[arg-type]
    _etag(response, unit)
    return unit


@router.patch(
    "/units/{unit_id}", response=UnitOut, summary="Edit or move a unit (If-Match or version required)"
)
def unit_patch(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.all(), person, pk=unit_id)
    version = expected_version(request, payload.version)
    changes = _resolve_unit_refs(person, payload.dict(exclude_unset=True, exclude={"version"}))
    return call_versioned(
        request,
        lambda: services.unit_update(actor=person, unit=unit, expected_version=version, changes=changes),
    )


@router.delete("/units/{unit_id}", response=UnitOut, summary="Deactivate a unit (history is kept)")
def unit_delete(request: HttpRequest, unit_id: int, version: int | None = None) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.all(), person, pk=unit_id)
    expected = expected_version(request, version)
    return call_versioned(
        request, lambda: services.unit_deactivate(actor=person, unit=unit, expected_version=expected)
    )


# People ------------------------------------------------------------------------------------------


class PositionOut(Schema):
    unit_id: int | None
    unit_name: str | None = Field(None, alias="unit.name")
    role: str
    title: str
    is_principal: bool


class PersonOut(Schema):
    id: int
    username: str
    name: str
    email: str
    phone: str
    is_active: bool
    version: int
    positions: list[PositionOut]


class PositionIn(Schema):
    unit_id: int | None = None
    role: str
    title: str = ""
    is_principal: bool = False


class PersonIn(Schema):
    username: str = Field(..., max_length=50)
    name: str = Field(..., max_length=50)
    email: str = ""
    phone: str = ""
    password: str | None = None
    positions: list[PositionIn]


class PersonPatch(Schema):
    name: str | None = Field(None, max_length=50)
    email: str | None = None
    phone: str | None = None
    positions: list[PositionIn] | None = None
    version: int | None = None


class PersonFilters(Schema):
    q: str = ""
    unit_id: int | None = None
    role: str = ""
    include_inactive: bool = False


class OversightIn(Schema):
    unit_ids: list[int]


def _specs(person: Person, positions: list[PositionIn]) -> list[services.PositionSpec]:
    # Only units the person may see: a post in any other unit is 404, as if the unit did not exist.
    visible = Unit.objects.visible_to(person)
    units = {u.pk: u for u in visible.filter(pk__in=[p.unit_id for p in positions if p.unit_id])}
    specs = []
    for p in positions:
        unit = None
        if p.unit_id is not None:
            unit = units.get(p.unit_id)
            if unit is None:
                from django.http import Http404

                raise Http404
        specs.append(
            services.PositionSpec(unit=unit, role=p.role, title=p.title, is_principal=p.is_principal)
        )
    return specs


def _person_with_posts(person: Person, pk: int) -> Person:
    return get_visible_or_404(
        Person.objects.prefetch_related(
            Prefetch("positions", queryset=Position.objects.select_related("unit"))
        ),
        person,
        pk=pk,
    )


@router.get("/people", response=list[PersonOut], summary="Search the person directory")
@paginate(Page)
def people(request: HttpRequest, filters: Query[PersonFilters]) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.all(), person, pk=filters.unit_id) if filters.unit_id else None
    return person_list(
        person=person, q=filters.q, unit=unit, role=filters.role, include_inactive=filters.include_inactive
    )


@router.post("/people", response={201: PersonOut}, summary="Add a person with their posts")
def person_add(request: HttpRequest, payload: PersonIn) -> Any:
    actor: Person = request.user  # type: ignore[assignment]
    created = services.person_create(
        actor=actor,
        username=payload.username,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        password=payload.password,
        positions=_specs(actor, payload.positions),
    )
    return Status(201, _person_with_posts(actor, created.pk))


@router.get("/people/{person_id}", response=PersonOut, summary="One person")
def person_get(request: HttpRequest, person_id: int, response: HttpResponse) -> Any:
    target = _person_with_posts(request.user, person_id)  # type: ignore[arg-type]
    _etag(response, target)
    return target


@router.patch(
    "/people/{person_id}", response=PersonOut, summary="Edit a person (If-Match or version required)"
)
def person_patch(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=person_id)
    version = expected_version(request, payload.version)
    changes = payload.dict(exclude_unset=True, exclude={"version", "positions"})
    specs = _specs(actor, payload.positions) if payload.positions is not None else None
    call_versioned(
        request,
        lambda: services.person_update(
            actor=actor, person=target, expected_version=version, changes=changes, positions=specs
        ),
    )
    return _person_with_posts(actor, target.pk)


@router.delete("/people/{person_id}", response=PersonOut, summary="Deactivate a person (history is kept)")
def person_delete(request: HttpRequest, person_id: int, version: int | None = None) -> Any:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=person_id)
    expected = expected_version(request, version)
    call_versioned(
        request, lambda: services.person_deactivate(actor=actor, person=target, expected_version=expected)
    )
    return _person_with_posts(actor, target.pk)


@router.put("/people/{person_id}/oversight", response=list[int], summary="Set the units a leader oversees")
def person_oversight(request: HttpRequest, person_id: int, payload: OversightIn) -> Any:
    actor: Person = request.user  # type: ignore[assignment]
    leader = get_visible_or_404(Person.objects.all(), actor, pk=person_id)
    units = list(Unit.objects.visible_to(actor).filter(pk__in=payload.unit_ids))
    if len(units) != len(set(payload.unit_ids)):
        from django.http import Http404

        raise Http404
    services.oversight_set(actor=actor, leader=leader, units=units)
    return sorted(leader.oversights.values_list("unit_id", flat=True))
