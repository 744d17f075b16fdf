"""Reads of the audit trail, restricted to what the person may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import AuditRecord

if TYPE_CHECKING:
    from luoshi.org.models import Person


def audit_list(
    *, person: Person, model: str | None = None, object_id: str | None = None, action: str | None = None
) -> QuerySet[AuditRecord]:
    """The whole trail for supervisors and principal leaders; everyone else sees their own actions."""
    records = AuditRecord.objects.select_related("actor", "content_type")
    if not person.scope.everything:
        records = records.filter(actor=person)
    if model:
        app_label, _, model_name = model.partition(".")
        records = records.filter(content_type__app_label=app_label, content_type__model=model_name)
    if object_id:
        records = records.filter(object_id=object_id)
    if action:
        records = records.filter(action=action)
    return records
