"""Writes to the working-day calendar table (audited like every other write)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import calendar as workcal
from .audit import audit_record, snapshot
from .models import CalendarDay, CalendarYear


def _access(actor: object) -> None:
    from luoshi.org.access import access_manage_org

    access_manage_org(actor)  # type: ignore[arg-type]


@transaction.atomic
def calendar_day_set(
    *, actor: object, date: datetime.date, is_working_day: bool, name: str = ""
) -> CalendarDay:
    """Add or change the override for one day: a holiday, or a make-up working day."""
    _access(actor)
    if not is_working_day and not name.strip():
        raise ValidationError({"name": _("Give the holiday a name, such as 春节.")})
    day = CalendarDay.objects.filter(date=date).first()
    before = snapshot(day) if day else None
    if day is None:
        day = CalendarDay.objects.create(date=date, is_working_day=is_working_day, name=name.strip())
    else:
        day.is_working_day, day.name, day.version = is_working_day, name.strip(), day.version + 1
        day.save()
    audit_record(actor=actor, obj=day, action="update" if before else "create", before=before)
    transaction.on_commit(workcal.invalidate)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: object, day: CalendarDay) -> None:
    """Remove an override; the day falls back to the package calendar."""
    _access(actor)
    before = snapshot(day)
    audit_record(actor=actor, obj=day, action="delete", before=before, after={})
    day.delete()
    transaction.on_commit(workcal.invalidate)


@transaction.atomic
def calendar_year_declare(*, actor: object, year: int, source: str = "") -> CalendarYear:
    """Declare that a year's holidays are all entered, so it no longer raises the unknown-year warning."""
    _access(actor)
    if CalendarYear.objects.filter(year=year).exists():
        raise ValidationError({"year": _("%(year)s has already been declared.") % {"year": year}})
    entry = CalendarYear.objects.create(year=year, source=source.strip())
    audit_record(actor=actor, obj=entry, action="create")
    transaction.on_commit(workcal.invalidate)
    return entry
