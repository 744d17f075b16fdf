"""Readable, never-repeating codes such as PW-2026-0001."""

from __future__ import annotations

from django.db import transaction

from .models import Counter


def next_code(series: str, width: int) -> str:
    """The next code in `series` (the row is locked, so concurrent writers never share a number)."""
    with transaction.atomic():
        counter, _created = Counter.objects.select_for_update().get_or_create(series=series)
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{series}-{counter.last:0{width}d}"


def next_codes(series: str, width: int, count: int) -> list[str]:
    """`count` consecutive codes in `series`, reserved with one locked update (for bulk creation)."""
    if count <= 0:
        return []
    with transaction.atomic():
        counter, _created = Counter.objects.select_for_update().get_or_create(series=series)
        first = counter.last + 1
        counter.last += count
        counter.save(update_fields=["last"])
    return [f"{series}-{number:0{width}d}" for number in range(first, first + count)]
