"""Shared fixtures: a small organisation built through the services, and clients for each role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from luoshi.org import services
from luoshi.org.models import Person, Unit, Zone
from luoshi.testing import Api, As

PASSWORD = "correct-horse-battery"


@dataclass
class SmallOrg:
    """Two zones; the committee with an investment bureau (with a sub-team), a zone office and a service centre."""

    admin: Person
    zone_a: Zone
    zone_b: Zone
    authority: Unit
    committee: Unit
    bureau: Unit  # 招商局
    team: Unit  # a sub-unit of the bureau
    zone_office: Unit  # in zone_b
    service_centre: Unit
    principal: Person
    deputy: Person  # oversees the zone office
    supervisor: Person
    head: Person  # unit head of the bureau
    staff: Person  # staff of the bureau's team
    other_staff: Person  # staff of the zone office
    steward: Person
    enterprise: Person
    nobody: Person  # active, but holds no post


def make_person(actor: Person, username: str, unit: Unit | None, role: str, **extra: object) -> Person:
    return services.person_create(
        actor=actor,
        username=username,
        name=extra.pop("name", username.title()),  # type: ignore[arg-type]
        password=PASSWORD,
        positions=[services.PositionSpec(unit=unit, role=role, **extra)],  # type: ignore[arg-type]
    )


@pytest.fixture
def org(db: None) -> SmallOrg:
    admin = Person.objects.create_superuser("root", PASSWORD, name="管理员")
    zone_a = services.zone_create(actor=admin, code="wanbei", name="湾北核心区")
    zone_b = services.zone_create(actor=admin, code="shanhe", name="山河建材产业园")
    authority = services.unit_create(actor=admin, name="金普新区", kind="authority", parent=None)
    committee = services.unit_create(
        actor=admin, name="普湾经济区管理委员会", kind="committee", parent=authority
    )
    bureau = services.unit_create(actor=admin, name="招商局", kind="department", parent=committee)
    team = services.unit_create(actor=admin, name="招商一科", kind="department", parent=bureau)
    zone_office = services.unit_create(
        actor=admin, name="山河片区办", kind="zone_office", parent=committee, zone=zone_b
    )
    service_centre = services.unit_create(
        actor=admin, name="企业服务中心", kind="department", parent=committee
    )
    deputy = make_person(admin, "deputy", committee, "leader", title="副主任")
    services.oversight_set(actor=admin, leader=deputy, units=[zone_office])
    return SmallOrg(
        admin=admin,
        zone_a=zone_a,
        zone_b=zone_b,
        authority=authority,
        committee=committee,
        bureau=bureau,
        team=team,
        zone_office=zone_office,
        service_centre=service_centre,
        principal=make_person(admin, "principal", committee, "leader", is_principal=True),
        deputy=deputy,
        supervisor=make_person(admin, "supervisor", committee, "supervisor"),
        head=make_person(admin, "head", bureau, "unit_head"),
        staff=make_person(admin, "staff", team, "staff"),
        other_staff=make_person(admin, "other", zone_office, "staff"),
        steward=make_person(admin, "steward", service_centre, "steward"),
        enterprise=make_person(admin, "enterprise", None, "enterprise"),
        nobody=Person.objects.create_user("nobody", PASSWORD, name="无岗位"),
    )


def client_for(person: Person) -> Client:
    """A logged-in browser-like client (sessions, CSRF not enforced)."""
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def api_token() -> object:
    """Return a function that issues a token for a person and gives its Authorization header."""

    def issue(person: Person) -> dict[str, str]:
        _token, key = services.token_create(actor=person, name="tests")
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return issue


@pytest.fixture
def as_(api_token: Callable[[Person], dict[str, str]]) -> As:
    """Return a function that gives an API client speaking as a person, with their token."""
    return lambda person: Api(api_token(person))
