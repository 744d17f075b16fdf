"""The working-day calendar (工作日): Chinese public holidays, make-up working days (调休) and overrides.

Days come from the `chinese-calendar` package, and the `CalendarDay` table adds or overrides them.
A year that neither knows falls back to Monday-to-Friday, but never silently: an
`UnknownCalendarYear` warning is raised, the year is remembered, and the UI banner and
`manage.py check` report it until an administrator enters the year's schedule.
"""

from __future__ import annotations

import threading
import time as _time
import warnings
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _

_HORIZON_DAYS = 60  # how far ahead the banner and the system check look for an unknown year
_CACHE_SECONDS = 60  # other processes see an edited override within this time

_lock = threading.Lock()
_overrides: dict[date, bool] | None = None
_declared_years: frozenset[int] = frozenset()
_loaded_at = 0.0
_gaps_seen: set[int] = set()


class UnknownCalendarYear(UserWarning):
    """A computation reached a year whose holidays nobody has entered."""


def _package_years() -> range:
    known = chinese_calendar.holidays.keys() | chinese_calendar.workdays.keys()
    return range(min(known).year, max(known).year + 1)


PACKAGE_YEARS = _package_years()


def invalidate() -> None:
    """Forget the cached overrides (called after an administrator edits the table)."""
    global _overrides
    with _lock:
        _overrides = None


def _load() -> tuple[dict[date, bool], frozenset[int]]:
    global _overrides, _declared_years, _loaded_at
    with _lock:
        if _overrides is None or _time.monotonic() - _loaded_at > _CACHE_SECONDS:
            from .models import CalendarDay, CalendarYear

            _overrides = dict(CalendarDay.objects.values_list("date", "is_working_day"))
            _declared_years = frozenset(CalendarYear.objects.values_list("year", flat=True))
            _loaded_at = _time.monotonic()
        return _overrides, _declared_years


def year_is_known(year: int) -> bool:
    return year in PACKAGE_YEARS or year in _load()[1]


def is_working_day(day: date) -> bool:
    """True on working days, including make-up Saturdays and Sundays (调休)."""
    overrides, declared = _load()
    if day in overrides:
        return overrides[day]
    if day.year in PACKAGE_YEARS:
        return bool(chinese_calendar.is_workday(day))
    if day.year not in declared:
        _warn_unknown(day.year)
    return day.weekday() < 5


def _warn_unknown(year: int) -> None:
    if year not in _gaps_seen:
        _gaps_seen.add(year)
    warnings.warn(
        _(
            "The working-day calendar has no holiday schedule for %(year)s; "
            "dates in that year are estimated as Monday to Friday."
        )
        % {"year": year},
        UnknownCalendarYear,
        stacklevel=3,
    )


def _as_date(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment


def next_working_day(day: date) -> date:
    """The first working day on or after `day`."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date | datetime, n: int) -> date:
    """The date `n` working days after `start` (before it when `n` is negative).

    Counting starts from the day after `start`, so `add_working_days(friday, 1)` is the next
    working day, and `add_working_days(d, 0)` is `d` itself.
    """
    day = _as_date(start)
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def end_of_working_day(moment: datetime) -> datetime:
    """The end (midnight) of the working day `moment` falls in, or of the next working day."""
    day = next_working_day(_as_date(moment))
    tz = timezone.get_current_timezone()
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is earlier."""
    a, b = _as_date(start), _as_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a + timedelta(days=1)
    while day <= b:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return sign * count


def unknown_years(today: date | None = None) -> list[int]:
    """Years the calendar cannot answer for: those computations reached, and the coming ones."""
    today = today or timezone.localdate()
    ahead = {today.year, (today + timedelta(days=_HORIZON_DAYS)).year}
    return sorted(y for y in ahead | _gaps_seen if not year_is_known(y))
