"""Dates and moments for the demo data, which is generated relative to today.

Each capability's demo creates its records through the services (so they carry an audit trail)
and then back-dates the times of the facts with `queryset.update`, so that the demo shows months
of history. These are the small helpers they share.
"""

from __future__ import annotations

import collections
import datetime
from collections.abc import Sequence

from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat

from luoshi.core import calendar as workcal
from luoshi.core.models import Counter


def wd(day: datetime.date, n: int) -> datetime.date:
    """The date `n` working days after `day` (before it when `n` is negative)."""
    return workcal.add_working_days(day, n)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """The moment `hour:minute` of `day` in the zone's time zone."""
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def recode_by_year(
    rows: Sequence[models.Model], *, prefix: str, width: int, dated: Sequence[datetime.date]
) -> None:
    """Give back-dated records the codes of the years their facts happened in.

    The services number a record in the year it is entered (`SR-2026-00001`), but a demo loaded
    early in a year also holds records that happened the year before. `rows` were created in
    date order (`dated[i]` is the date of `rows[i]`), so each year's codes are renumbered in
    order from where that year's counter stood before the demo, and the counters follow.
    """
    if not rows:
        return
    model = type(rows[0])
    manager = model._base_manager
    pks = [r.pk for r in rows]
    entered = collections.Counter(
        code.rsplit("-", 1)[0] for code in manager.filter(pk__in=pks).values_list("code", flat=True)
    )
    happened = {f"{prefix}-{d.year}" for d in dated}
    if set(entered) == happened:
        return  # every record was entered in the year it happened: nothing to renumber
    series_all = happened | set(entered)
    last = dict(Counter.objects.filter(series__in=series_all).values_list("series", "last"))
    # Where each year's numbering stood before the demo: its counter went up once per row entered.
    number = {s: last.get(s, 0) - entered.get(s, 0) for s in series_all}
    manager.filter(pk__in=pks).update(code=Concat(Value("TMP-"), Cast("pk", models.CharField())))
    for row, day in zip(rows, dated, strict=True):
        series = f"{prefix}-{day.year}"
        number[series] += 1
        row.code = f"{series}-{number[series]:0{width}d}"  # type: ignore[attr-defined]
    manager.bulk_update(rows, ["code"], batch_size=500)
    for series, value in number.items():
        Counter.objects.update_or_create(series=series, defaults={"last": value})
