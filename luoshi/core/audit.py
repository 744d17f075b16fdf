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


def snapshot(obj: models.Model, *, m2m: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The record's own field values, many-to-many as sorted id lists, ready for JSON.

    `m2m` gives many-to-many ids the caller already knows (a bulk creation), saving a query each.
    """
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIPPED:
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m_field in obj._meta.many_to_many:
            if m2m_field.name in ("groups", "user_permissions"):
                continue
            if m2m is not None and m2m_field.name in m2m:
                data[m2m_field.name] = sorted(m2m[m2m_field.name])
            else:
                data[m2m_field.name] = sorted(getattr(obj, m2m_field.name).values_list("pk", flat=True))
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


def audit_record_many(
    *,
    actor: Any,
    action: str,
    records: list[tuple[models.Model, dict[str, Any]]],
    befores: list[dict[str, Any]] | None = None,
) -> list[AuditRecord]:
    """Append one audit row per (object, after-snapshot) in a single insert, e.g. for a bulk creation.

    `befores`, for a bulk change, gives each object's snapshot before it, in the same order.
    """
    if not records:
        return []
    if befores is not None and len(befores) != len(records):
        raise ValueError("befores must give one snapshot per record")
    at = timezone.now()
    request_id = current_request_id.get()
    content_type = ContentType.objects.get_for_model(records[0][0], for_concrete_model=True)
    rows = [
        AuditRecord(
            at=at,
            actor=actor if getattr(actor, "pk", None) else None,
            request_id=request_id,
            content_type=content_type,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action=action,
            before=befores[index] if befores is not None else None,
            after=after,
        )
        for index, (obj, after) in enumerate(records)
    ]
    return AuditRecord.objects.bulk_create(rows, batch_size=500)


def history_of(obj: models.Model) -> models.QuerySet[AuditRecord]:
    """The audit rows of one record, newest first."""
    return AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True), object_id=str(obj.pk)
    ).select_related("actor")
