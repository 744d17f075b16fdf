"""The only write path for the organisation. Every function checks permission, validates, audits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core.access import require
from luoshi.core.audit import audit_record, snapshot
from luoshi.core.versioning import update_versioned

from .access import (
    UNIT_HEAD_MANAGED_ROLES,
    access_change_person,
    access_manage_org,
    can_manage_org,
    can_manage_people_in,
)
from .models import ApiToken, Oversight, Person, Position, Role, Unit, UnitKind, Zone

# Roles a unit head may hand out inside their own units; the rest belong to the supervision office.
UNIT_HEAD_GRANTABLE = UNIT_HEAD_MANAGED_ROLES


@dataclass(frozen=True)
class PositionSpec:
    """A post to give a person: a role in a unit."""

    unit: Unit | None
    role: str
    title: str = ""
    is_principal: bool = False


def _validated(obj: Model, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=True)


def _apply(
    obj: Model, *, actor: Person, action: str, expected_version: int | None, changes: dict[str, Any]
) -> None:
    """Validate `changes` on `obj`, write them under the version check and audit the change."""
    before = snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    _validated(obj)
    update_versioned(obj, expected_version=expected_version, changes=changes)
    audit_record(actor=actor, obj=obj, action=action, before=before)


# Zones -------------------------------------------------------------------------------------------


@transaction.atomic
def zone_create(
    *, actor: Person, code: str, name: str, positioning: str = "", industries: str = "", sort: int = 0
) -> Zone:
    """Add a zone (the supervision office maintains the seven zones)."""
    access_manage_org(actor)
    zone = Zone(code=code, name=name, positioning=positioning, industries=industries, sort=sort)
    _validated(zone)
    zone.save()
    audit_record(actor=actor, obj=zone, action="create")
    return zone


@transaction.atomic
def zone_update(*, actor: Person, zone: Zone, expected_version: int | None, changes: dict[str, Any]) -> Zone:
    """Edit a zone's name, positioning, industries or order."""
    access_manage_org(actor)
    _apply(zone, actor=actor, action="update", expected_version=expected_version, changes=changes)
    return zone


# Units -------------------------------------------------------------------------------------------


def _check_parent(unit: Unit, parent: Unit | None) -> None:
    if unit.kind == UnitKind.AUTHORITY:
        if parent is not None:
            raise ValidationError(
                {"parent": _("The New Area is the top of the tree and has no parent unit.")}
            )
        return
    if parent is None:
        raise ValidationError({"parent": _("Choose the parent unit.")})
    if unit.pk and parent.path.startswith(unit.path):
        raise ValidationError(
            {"parent": _("A unit cannot be placed under itself or one of its own sub-units.")}
        )
    if not parent.is_active:
        raise ValidationError({"parent": _("The parent unit has been deactivated.")})


@transaction.atomic
def unit_create(
    *,
    actor: Person,
    name: str,
    kind: str,
    parent: Unit | None,
    zone: Zone | None = None,
    short_name: str = "",
    phone: str = "",
    description: str = "",
    sort: int = 0,
) -> Unit:
    """Add a unit under `parent`."""
    access_manage_org(actor)
    unit = Unit(
        name=name,
        kind=kind,
        parent=parent,
        zone=zone,
        short_name=short_name,
        phone=phone,
        description=description,
        sort=sort,
    )
    _validated(unit, exclude=["path"])
    _check_parent(unit, parent)
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    audit_record(actor=actor, obj=unit, action="create")
    return unit


@transaction.atomic
def unit_update(*, actor: Person, unit: Unit, expected_version: int | None, changes: dict[str, Any]) -> Unit:
    """Edit a unit; moving it under another parent moves its whole subtree."""
    access_manage_org(actor)
    old_path = unit.path
    if "parent" in changes:
        _check_parent(unit, changes["parent"])
        parent = changes["parent"]
        changes = {**changes, "path": f"{parent.path if parent else '/'}{unit.pk}/"}
    _apply(unit, actor=actor, action="update", expected_version=expected_version, changes=changes)
    if unit.path != old_path:
        for below in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            Unit.objects.filter(pk=below.pk).update(path=unit.path + below.path[len(old_path) :])
    return unit


@transaction.atomic
def unit_deactivate(*, actor: Person, unit: Unit, expected_version: int | None) -> Unit:
    """Retire a unit. Its history stays; it must first be empty of active sub-units and people."""
    access_manage_org(actor)
    if unit.children.filter(is_active=True).exists():
        raise ValidationError(_("This unit still has active sub-units. Move or deactivate them first."))
    if Position.objects.filter(unit=unit, person__is_active=True).exists():
        raise ValidationError(_("People still hold posts in this unit. Move or deactivate them first."))
    _apply(
        unit,
        actor=actor,
        action="deactivate",
        expected_version=expected_version,
        changes={"is_active": False},
    )
    return unit


# People ------------------------------------------------------------------------------------------


def person_snapshot(person: Person) -> dict[str, Any]:
    """A person's fields plus their posts and oversight, so one audit row shows a whole change."""
    data = snapshot(person)
    data["positions"] = [
        {"unit": p.unit_id, "role": p.role, "title": p.title, "is_principal": p.is_principal}
        for p in person.positions.order_by("id")
    ]
    data["oversees"] = sorted(person.oversights.values_list("unit_id", flat=True))
    return data


def _check_positions(actor: Person, positions: list[PositionSpec]) -> None:
    if not positions:
        raise ValidationError({"positions": _("Give the person at least one post.")})
    seen = set()
    for spec in positions:
        if spec.role not in Role.values:
            raise ValidationError({"positions": _("Unknown role: %(role)s.") % {"role": spec.role}})
        if spec.role == Role.ENTERPRISE:
            if spec.unit is not None:
                raise ValidationError(
                    {"positions": _("An enterprise user holds no post in a government unit.")}
                )
        elif spec.unit is None:
            raise ValidationError({"positions": _("Choose the unit of each post.")})
        elif not spec.unit.is_active:
            raise ValidationError(
                {"positions": _("Unit %(unit)s has been deactivated.") % {"unit": spec.unit}}
            )
        if spec.is_principal and spec.role != Role.LEADER:
            raise ValidationError({"positions": _("Only a leader can be a principal leader.")})
        key = (spec.unit.pk if spec.unit else None, spec.role)
        if key in seen:
            raise ValidationError({"positions": _("The same post is listed twice.")})
        seen.add(key)
        if not can_manage_org(actor):
            require(
                spec.role in UNIT_HEAD_GRANTABLE and can_manage_people_in(actor, spec.unit),
                actor,
                "grant_position",
                spec,
            )


def _set_positions(person: Person, positions: list[PositionSpec]) -> None:
    person.positions.all().delete()
    Position.objects.bulk_create(
        Position(person=person, unit=s.unit, role=s.role, title=s.title, is_principal=s.is_principal)
        for s in positions
    )


@transaction.atomic
def person_create(
    *,
    actor: Person,
    username: str,
    name: str,
    positions: list[PositionSpec],
    password: str | None = None,
    email: str = "",
    phone: str = "",
) -> Person:
    """Add a person with their posts. Without a password they cannot log in until one is set."""
    _check_positions(actor, positions)
    person = Person(username=username, name=name, email=email, phone=phone)
    if password:
        validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    _validated(person, exclude=["password"])
    person.save()
    _set_positions(person, positions)
    audit_record(actor=actor, obj=person, action="create", after=person_snapshot(person))
    return person


@transaction.atomic
def person_update(
    *,
    actor: Person,
    person: Person,
    expected_version: int | None,
    changes: dict[str, Any],
    positions: list[PositionSpec] | None = None,
) -> Person:
    """Edit a person's details and, optionally, replace their posts."""
    access_change_person(actor, person)
    before = person_snapshot(person)
    for name, value in changes.items():
        setattr(person, name, value)
    _validated(person, exclude=["password"])
    if positions is not None:
        _check_positions(actor, positions)
    update_versioned(person, expected_version=expected_version, changes=changes)
    if positions is not None:
        _set_positions(person, positions)
    audit_record(actor=actor, obj=person, action="update", before=before, after=person_snapshot(person))
    return person


@transaction.atomic
def person_deactivate(*, actor: Person, person: Person, expected_version: int | None) -> Person:
    """Stop a person from logging in. Their records and history stay."""
    access_change_person(actor, person)
    if person.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    before = person_snapshot(person)
    update_versioned(person, expected_version=expected_version, changes={"is_active": False})
    ApiToken.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(actor=actor, obj=person, action="deactivate", before=before, after=person_snapshot(person))
    return person


@transaction.atomic
def person_set_password(*, actor: Person, person: Person, password: str) -> Person:
    """Set a password: a person's own change, or a reset by someone who manages them."""
    if actor.pk != person.pk:
        access_change_person(actor, person)
    validate_password(password, person)
    person.set_password(password)
    person.save(update_fields=["password"])
    # Only the fact is audited, never the hash.
    audit_record(actor=actor, obj=person, action="password_change", before=None, after={"password": "***"})
    return person


@transaction.atomic
def oversight_set(*, actor: Person, leader: Person, units: list[Unit]) -> Person:
    """Replace the set of units a leader in charge oversees."""
    access_manage_org(actor)
    if units and not leader.positions.filter(role=Role.LEADER).exists():
        raise ValidationError({"units": _("Only a leader can oversee units.")})
    before = person_snapshot(leader)
    Oversight.objects.filter(leader=leader).exclude(unit__in=units).delete()
    existing = set(Oversight.objects.filter(leader=leader).values_list("unit_id", flat=True))
    Oversight.objects.bulk_create(Oversight(leader=leader, unit=u) for u in units if u.pk not in existing)
    audit_record(
        actor=actor, obj=leader, action="oversight_set", before=before, after=person_snapshot(leader)
    )
    return leader


# API tokens --------------------------------------------------------------------------------------


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: Person, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token. The key is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as the program that will use it.")})
    key = "ls_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(person=actor, name=name[:50], prefix=key[:10], key_hash=token_hash(key))
    audit_record(actor=actor, obj=token, action="create", after={"name": token.name, "prefix": token.prefix})
    return token, key


@transaction.atomic
def token_revoke(*, actor: Person, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens."""
    require(token.person_id == actor.pk, actor, "revoke_token", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            obj=token,
            action="revoke",
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token
