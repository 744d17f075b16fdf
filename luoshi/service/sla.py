"""Service-level times on real working days (事不过夜).

- Response is due by the end of the working day the request arrived on; a request arriving on a
  non-working day is due by the end of the next working day.
- Resolution is due N working days (set per category) after the clock starts — at
  acknowledgement, or at a reopen — extended by the working days spent waiting for the enterprise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from luoshi.core import calendar as workcal


def response_due(received_at: datetime.datetime) -> datetime.datetime:
    """The end of the working day the request arrived on (or of the next working day)."""
    return workcal.end_of_working_day(received_at)


def paused_working_days(
    pauses: Iterable[tuple[datetime.datetime, datetime.datetime | None]], now: datetime.datetime | None = None
) -> int:
    """Working days the clock stood still: for each pause, the working days after it began, up to its end."""
    now = now or timezone.now()
    return sum(workcal.working_days_between(start, end or now) for start, end in pauses)


def resolution_due(clock_started: datetime.datetime, days: int, paused_days: int = 0) -> datetime.datetime:
    """The end of the working day `days` (+ paused days) working days after the clock started."""
    start = workcal.next_working_day(timezone.localdate(clock_started))
    last_day = workcal.add_working_days(start, days + paused_days)
    return workcal.end_of_working_day(
        datetime.datetime.combine(last_day, datetime.time(12), tzinfo=timezone.get_current_timezone())
    )
