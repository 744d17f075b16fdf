"""Load the demo data through the services, so it carries an audit trail like real data.

Loading is idempotent: a second run finds the demo organisation in place and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction

from luoshi.org import services as org
from luoshi.org.models import Person, Role, Unit, Zone

from . import org as data

SYSTEM_USERNAME = "admin"


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]]  # (role label, username, password)


def system_actor() -> Person:
    """The administrator account that the demo loader (and the first setup) act as."""
    admin = Person.objects.filter(username=SYSTEM_USERNAME).first()
    if admin is None:
        admin = Person.objects.create_superuser(SYSTEM_USERNAME, None, name="系统管理员")
    return admin


@transaction.atomic
def load_demo(*, seed: int = 2021) -> DemoResult:
    """Load each capability's demo data that is not there yet."""
    from .investment import load_investment
    from .service import load_service
    from .worklist import load_worklist

    logins = [(label, username, data.DEMO_PASSWORD) for username, _n, label, *_rest in data.DEMO_LOGINS]
    actor = system_actor()
    rng = random.Random(seed)
    created = False
    if not Zone.objects.exists():
        _load_org(actor, rng)
        created = True
    created = load_worklist(actor=actor, rng=rng) or created
    created = load_service(actor=actor, rng=rng) or created
    created = load_investment(actor=actor, rng=rng) or created
    return DemoResult(created=created, logins=logins)


def _load_org(actor: Person, rng: random.Random) -> None:
    zones = {}
    for sort, (code, name, positioning, industries) in enumerate(data.ZONES, start=1):
        zones[code] = org.zone_create(
            actor=actor, code=code, name=name, positioning=positioning, industries=industries, sort=sort
        )
    authority = org.unit_create(actor=actor, name=data.AUTHORITY, kind="authority", parent=None)
    committee = org.unit_create(
        actor=actor, name=data.COMMITTEE, kind="committee", parent=authority, short_name="管委会"
    )
    units: dict[str, Unit] = {data.COMMITTEE: committee}
    for sort, (name, short, kind, zone_code) in enumerate(data.UNITS, start=1):
        units[name] = org.unit_create(
            actor=actor,
            name=name,
            short_name=short,
            kind=kind,
            parent=committee,
            zone=zones[zone_code] if zone_code else None,
            sort=sort,
            phone=f"0411-8765{sort:04d}",
        )

    for username, name, _label, unit_name, role, title, principal in data.DEMO_LOGINS:
        org.person_create(
            actor=actor,
            username=username,
            name=name,
            password=data.DEMO_PASSWORD,
            email=f"{username}@puwan.example.cn",
            positions=[
                org.PositionSpec(
                    unit=units[unit_name] if unit_name else None,
                    role=role,
                    title=title,
                    is_principal=principal,
                )
            ],
        )
    deputy = Person.objects.get(username="deputy")
    org.oversight_set(actor=actor, leader=deputy, units=[units[n] for n in data.DEPUTY_OVERSEES])
    for username, name, title, overseen in data.OTHER_LEADERS:
        leader = org.person_create(
            actor=actor,
            username=username,
            name=name,
            password=data.DEMO_PASSWORD,
            positions=[org.PositionSpec(unit=committee, role=Role.LEADER, title=title)],
        )
        org.oversight_set(actor=actor, leader=leader, units=[units[n] for n in overseen])

    # A head and a few staff for every other unit, with names that read like a real roster.
    used = {name for _u, name, *_rest in data.DEMO_LOGINS}
    serial = 0
    for unit in units.values():
        if unit == committee:
            continue
        has_head = unit.name == "招商局"  # the demo login `head` heads it
        for index in range(rng.randint(3, 6)):
            name = _unique_name(rng, used)
            serial += 1
            role = Role.UNIT_HEAD if index == 0 and not has_head else Role.STAFF
            if unit.name == "企业服务中心" and role == Role.STAFF:
                role = Role.STEWARD
            title = {"unit_head": "负责人", "staff": "科员", "steward": "企业服务专员"}[role]
            org.person_create(
                actor=actor,
                username=f"u{serial:04d}",
                name=name,
                phone=f"138{rng.randint(10000000, 99999999)}",
                positions=[org.PositionSpec(unit=unit, role=role, title=title)],
            )


def _unique_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(data.SURNAMES) + "".join(rng.choice(data.GIVEN) for _ in range(rng.randint(1, 2)))
        if name not in used:
            used.add(name)
            return name
