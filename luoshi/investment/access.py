"""Who may act on investment projects and targets. Seeing is decided by `visible_to`."""

from __future__ import annotations

from luoshi.core.access import require
from luoshi.org.models import Person, Role

from .models import Project


def can_edit_project(person: Person, project: Project) -> bool:
    """The person responsible, people of the responsible unit or its zone, and supervisors."""
    scope = person.scope
    return (
        person.is_superuser
        or scope.has_role(Role.SUPERVISOR)
        or project.owner_id == person.pk
        or (scope.internal and (project.unit_id in scope.unit_ids or project.zone_id in scope.zone_ids))
    )


def can_add_project(person: Person) -> bool:
    """Anyone holding a government post may record a project (they answer for it)."""
    return person.is_superuser or person.scope.internal


def can_set_targets(person: Person) -> bool:
    """Targets are set by leaders and the supervision office."""
    return person.is_superuser or person.scope.has_role(Role.LEADER, Role.SUPERVISOR)


def can_import_projects(person: Person) -> bool:
    """A ledger creates projects for many people and zones at once: the supervision office imports it."""
    return person.is_superuser or person.scope.has_role(Role.SUPERVISOR)


def access_edit_project(person: Person, project: Project) -> None:
    require(can_edit_project(person, project), person, "edit_project", project)


def access_add_project(person: Person) -> None:
    require(can_add_project(person), person, "add_project")


def access_set_targets(person: Person) -> None:
    require(can_set_targets(person), person, "set_targets")


def access_import_projects(person: Person) -> None:
    require(can_import_projects(person), person, "import_projects")
