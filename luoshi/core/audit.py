"""The audit trail: snapshots of records and the one function that writes an audit row."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from .models import AuditRecord
from .requestid import current_request_id

_SKIPPED = {"password", "created_at", "updated_at", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The record's own field values, many-to-many as sorted id lists, ready for JSON."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIPPED:
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            if m2m.name in ("groups", "user_permissions"):
                continue
            data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit row. `after` defaults to a fresh snapshot of `obj`."""
    return AuditRecord.objects.create(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        request_id=current_request_id.get(),
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        before=before,
        after=snapshot(obj) if after is None else after,
    )


def history_of(obj: models.Model) -> models.QuerySet[AuditRecord]:
    """The audit rows of one record, newest first."""
    return AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True), object_id=str(obj.pk)
    ).select_related("actor")
