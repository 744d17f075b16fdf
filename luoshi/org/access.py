"""Who may change the organisation. Seeing is decided by each model's `visible_to`."""

from __future__ import annotations

from luoshi.core.access import require

from .models import Person, Role, Unit


def can_manage_org(person: Person) -> bool:
    """The supervision office (and system administrators) maintain zones, units and oversight."""
    return person.is_superuser or person.scope.has_role(Role.SUPERVISOR)


def can_manage_people_in(person: Person, unit: Unit | None) -> bool:
    """Supervisors manage everyone; a unit head manages the people of the units they head."""
    if can_manage_org(person):
        return True
    return unit is not None and unit.pk in person.scope.head_of_unit_ids


def can_change_person(actor: Person, target: Person) -> bool:
    if can_manage_org(actor):
        return True
    heads = actor.scope.head_of_unit_ids
    unit_ids = {p.unit_id for p in target.positions.all()}
    # A unit head may edit people only when every post of theirs lies in units the head runs.
    return bool(unit_ids) and all(u in heads for u in unit_ids)


def access_manage_org(person: Person) -> None:
    require(can_manage_org(person), person, "manage_org")


def access_change_person(actor: Person, target: Person) -> None:
    require(can_change_person(actor, target), actor, "change_person", target)
