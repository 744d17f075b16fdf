"""Who may do what to directives and list items. Seeing is decided by `visible_to`."""

from __future__ import annotations

from luoshi.core.access import require
from luoshi.org.models import Person, Role

from .models import Item


def is_supervisor(person: Person) -> bool:
    """The supervision office owns the lists: create, publish, verify, approve changes."""
    return person.is_superuser or person.scope.has_role(Role.SUPERVISOR)


def heads_lead_unit(person: Person, item: Item) -> bool:
    return item.lead_unit_id is not None and item.lead_unit_id in person.scope.head_of_unit_ids


def can_claim(person: Person, item: Item) -> bool:
    return heads_lead_unit(person, item)


def can_report(person: Person, item: Item) -> bool:
    """The owner reports; the lead unit's head may report for them."""
    return item.owner_id == person.pk or heads_lead_unit(person, item)


def can_assign(person: Person, item: Item) -> bool:
    return is_supervisor(person) or heads_lead_unit(person, item)


def access_supervise(person: Person, item: Item | None = None) -> None:
    require(is_supervisor(person), person, "supervise", item)


def access_claim(person: Person, item: Item) -> None:
    require(can_claim(person, item), person, "claim", item)


def access_report(person: Person, item: Item) -> None:
    require(can_report(person, item), person, "report", item)


def access_assign(person: Person, item: Item) -> None:
    require(can_assign(person, item), person, "assign", item)
