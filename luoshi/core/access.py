"""Access in one place: what a person may see (their scope) and the checks every view and API use.

Access is denied by default. Something outside a person's scope answers 404 so that its existence
does not leak; something they may see but not do answers 403.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from luoshi.org.models import Person

log = logging.getLogger("luoshi.security")

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """The reach of one person, derived from their positions and oversight."""

    everything: bool = False
    internal: bool = False  # holds a post in a government unit
    enterprise: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    own_unit_ids: frozenset[int] = field(default_factory=frozenset)  # units they hold a post in
    head_of_unit_ids: frozenset[int] = field(default_factory=frozenset)  # subtrees they head
    unit_ids: frozenset[int] = field(default_factory=frozenset)  # all they may see: whole subtrees
    zone_ids: frozenset[int] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def scope_of(person: Person) -> Scope:
    """Compute a person's scope in a fixed, small number of queries."""
    from django.db.models import Exists, F, OuterRef, Q
    from django.db.models.lookups import StartsWith

    from luoshi.org.models import Oversight, Role, Unit

    if not person.is_authenticated or not person.is_active:
        return Scope()
    positions = list(person.positions.select_related("unit"))
    roles = frozenset(p.role for p in positions)
    everything = person.is_superuser or any(
        p.role == Role.SUPERVISOR or (p.role == Role.LEADER and p.is_principal) for p in positions
    )
    internal_positions = [p for p in positions if p.role != Role.ENTERPRISE and p.unit_id]
    internal = everything or bool(internal_positions)
    if everything:
        return Scope(
            everything=True,
            internal=True,
            enterprise=Role.ENTERPRISE in roles,
            roles=roles,
            own_unit_ids=frozenset(p.unit_id for p in internal_positions if p.unit_id),
        )
    own = {p.unit for p in internal_positions if p.unit}
    headed = [p.unit.path for p in internal_positions if p.unit and p.role == Role.UNIT_HEAD]
    # One query for every unit in reach: the subtrees of the person's own units and of the units
    # they oversee (an overseen unit's path is a prefix of the path of every unit below it). The
    # overseen subtrees are an uncorrelated subquery, which the database runs once as a semi-join;
    # an EXISTS beside the OR ran once per unit.
    overseen = Exists(Oversight.objects.filter(StartsWith(OuterRef("path"), F("unit__path")), leader=person))
    reach = Q(pk__in=Unit.objects.filter(overseen).values("pk"))
    for unit in own:
        reach |= Q(path__startswith=unit.path)
    rows = list(Unit.objects.filter(reach).order_by().values_list("pk", "path", "zone_id"))
    visible = frozenset(pk for pk, _path, _zone in rows)
    zone_ids = frozenset(zone for _pk, _path, zone in rows if zone)
    head_of = frozenset(pk for pk, path, _zone in rows if any(path.startswith(h) for h in headed))
    return Scope(
        internal=internal,
        enterprise=Role.ENTERPRISE in roles,
        roles=roles,
        own_unit_ids=frozenset(u.pk for u in own),
        head_of_unit_ids=head_of,
        unit_ids=visible,
        zone_ids=zone_ids,
    )


def get_visible_or_404(queryset: QuerySet[M], person: Person, **lookup: object) -> M:
    """Fetch one object the person may see; anything else is 404, whether it exists or not."""
    try:
        return queryset.visible_to(person).get(**lookup)  # type: ignore[attr-defined, no-any-return]
    except (queryset.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        log.info(
            "access denied (not visible): person=%s model=%s lookup=%s",
            getattr(person, "pk", None),
            queryset.model._meta.label,
            lookup,
        )
        raise Http404(_("Not found, or not visible to you.")) from None


def deny(person: Person, action: str, obj: object | None = None) -> PermissionDenied:
    """Log an access denial and build the error that answers 403."""
    log.info("access denied: person=%s action=%s object=%r", getattr(person, "pk", None), action, obj)
    return PermissionDenied(_("You are not allowed to do this."))


def require(allowed: bool, person: Person, action: str, obj: object | None = None) -> None:
    """Raise 403 (and log it) unless `allowed`."""
    if not allowed:
        raise deny(person, action, obj)
