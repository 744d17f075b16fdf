"""Optimistic locking: an edit names the version it read, and a stale one is a `Conflict`."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.utils import timezone

from .errors import Conflict


def update_versioned(obj: Model, *, expected_version: int | None, changes: dict[str, Any]) -> None:
    """Write `changes` only if nobody changed `obj` since `expected_version`.

    The check and the write are one UPDATE ... WHERE version = n, so two concurrent edits
    cannot both win, on SQLite and PostgreSQL alike. `expected_version=None` means the
    caller holds the row it just read inside this transaction.
    """
    current: int = obj.version  # type: ignore[attr-defined]
    if expected_version is not None and expected_version != current:
        raise Conflict()
    model = type(obj)
    values = {**changes, "version": F("version") + 1}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    updated = model._base_manager.filter(pk=obj.pk, version=current).update(**values)
    if not updated:
        raise Conflict()
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.version = current + 1  # type: ignore[attr-defined]
