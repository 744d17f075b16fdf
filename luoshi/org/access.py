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


# The roles a unit head hands out, and so the only people a unit head manages.
UNIT_HEAD_MANAGED_ROLES = frozenset({Role.STAFF, Role.STEWARD})


def can_change_person(actor: Person, target: Person) -> bool:
    """Supervisors change anyone; a unit head changes the staff and stewards of the units they head."""
    if can_manage_org(actor):
        return True
    heads = actor.scope.head_of_unit_ids
    posts = [(p.unit_id, p.role) for p in target.positions.all()]
    # Every post must lie in a unit the head runs and be one a unit head hands out: otherwise a
    # head could reset the password of a supervisor or leader who happens to be posted there.
    return bool(posts) and all(u in heads and role in UNIT_HEAD_MANAGED_ROLES for u, role in posts)


def access_manage_org(person: Person) -> None:
    require(can_manage_org(person), person, "manage_org")


def access_change_person(actor: Person, target: Person) -> None:
    require(can_change_person(actor, target), actor, "change_person", target)
