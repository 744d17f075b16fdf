"""Reads of the organisation, restricted to what the person may see."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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
    # A correlated subquery rather than a GROUP BY over every post: a page of 50 units counts the
    # posts of those 50 only, and the paginator's COUNT does not join the posts at all. The few
    # inactive people are excluded as one hashed set instead of a lookup per post.
    inactive = Person.objects.filter(is_active=False).values("pk")
    posts = (
        Position.objects.filter(unit=OuterRef("pk"))
        .exclude(person__in=inactive)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return units.annotate(people_count=Coalesce(Subquery(posts, output_field=IntegerField()), 0))


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
        # Case only matters when the search has cased letters. Chinese characters and digits have
        # none, and PostgreSQL's UPPER() on every row made such a search four times slower.
        match = "icontains" if q.lower() != q.upper() else "contains"
        people = people.filter(
            Q(**{f"name__{match}": q})
            | Q(**{f"username__{match}": q})
            | Q(**{f"phone__{match}": q})
            | Q(**{f"email__{match}": q})
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
