"""Reads of the organisation, restricted to what the person may see."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Person, Position, Unit, Zone


def zone_list(*, person: Person) -> QuerySet[Zone]:
    """Zones with the number of active units in each."""
    return Zone.objects.visible_to(person).annotate(
        unit_count=Count("units", filter=Q(units__is_active=True))
    )


def unit_list(*, person: Person, include_inactive: bool = False) -> QuerySet[Unit]:
    """Units in tree order, with their zone and head count."""
    units = Unit.objects.visible_to(person).select_related("zone", "parent")
    if not include_inactive:
        units = units.filter(is_active=True)
    return units.annotate(people_count=Count("positions", filter=Q(positions__person__is_active=True)))


def person_list(
    *,
    person: Person,
    q: str = "",
    unit: Unit | None = None,
    role: str = "",
    include_inactive: bool = False,
) -> QuerySet[Person]:
    """The person directory: search by name, username, phone or email; filter by unit subtree and role."""
    people = Person.objects.visible_to(person)
    if not include_inactive:
        people = people.filter(is_active=True)
    q = q.strip()
    if q:
        people = people.filter(
            Q(name__icontains=q) | Q(username__icontains=q) | Q(phone__icontains=q) | Q(email__icontains=q)
        )
    post_filter = Q()
    if unit is not None:
        post_filter &= Q(unit__path__startswith=unit.path)
    if role:
        post_filter &= Q(role=role)
    if unit is not None or role:
        people = people.filter(pk__in=Position.objects.filter(post_filter).values("person_id"))
    return people.order_by("name", "pk").prefetch_related(
        Prefetch("positions", queryset=Position.objects.select_related("unit").order_by("id"))
    )
