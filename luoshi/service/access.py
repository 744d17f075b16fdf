"""Who may act on enterprises and service requests. Seeing is decided by `visible_to`."""

from __future__ import annotations

from luoshi.core.access import require
from luoshi.org.models import Person, Role

from .models import Enterprise, EnterpriseMember, ServiceRequest


def is_dispatcher(person: Person) -> bool:
    """The service centre (stewards) and the supervision office dispatch requests to units."""
    return person.is_superuser or person.scope.has_role(Role.STEWARD, Role.SUPERVISOR)


def member_enterprise_id(person: Person) -> int | None:
    membership = (
        EnterpriseMember.objects.filter(person=person).values_list("enterprise_id", flat=True).first()
    )
    return membership


def speaks_for(person: Person, enterprise: Enterprise) -> bool:
    """The enterprise's own user, or staff filing on its behalf (its steward, the service centre)."""
    if person.scope.enterprise and member_enterprise_id(person) == enterprise.pk:
        return True
    return is_dispatcher(person) or enterprise.steward_id == person.pk


def handles(person: Person, request: ServiceRequest) -> bool:
    """A member of the unit the request was dispatched to (or of a unit above it)."""
    return request.unit_id is not None and request.unit_id in person.scope.unit_ids and person.scope.internal


def can_manage_enterprises(person: Person) -> bool:
    return is_dispatcher(person)


def access_dispatch(person: Person, request: ServiceRequest | None = None) -> None:
    require(is_dispatcher(person), person, "dispatch", request)


def access_handle(person: Person, request: ServiceRequest) -> None:
    require(handles(person, request), person, "handle", request)


def access_speak_for(person: Person, enterprise: Enterprise) -> None:
    require(speaks_for(person, enterprise), person, "file_request", enterprise)


def access_manage_enterprises(person: Person) -> None:
    require(can_manage_enterprises(person), person, "manage_enterprises")
