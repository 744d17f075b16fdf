"""Stale projects: a lead or a negotiation with no follow-up for N days shows yellow, after 2N red.

Derived from the facts at a moment, in SQL, so lists can filter on it. N is set per stage in the
settings LUOSHI_STALE_DAYS (30 days by default); stages not listed never go stale.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from .models import FollowUp, ProjectQuerySet, Stage

DEFAULT_STALE_DAYS = {Stage.LEAD: 30, Stage.NEGOTIATING: 30}


def stale_days() -> dict[str, int]:
    return {**DEFAULT_STALE_DAYS, **getattr(settings, "LUOSHI_STALE_DAYS", {})}


def _quiet_since(today: datetime.date) -> Any:
    """The later of the last follow-up (up to today) and the day the current stage was reached."""
    last = (
        FollowUp.objects.filter(project=OuterRef("pk"), date__lte=today).order_by("-date").values("date")[:1]
    )
    entered = Case(*(When(stage=s, then=F(f"{s}_on")) for s in Stage.values), output_field=models.DateField())
    return Greatest(Coalesce(Subquery(last), entered), entered, output_field=models.DateField())


def _quiet_before(today: datetime.date, periods: int) -> Case:
    """The date a project of its stage must have been quiet since, to be `periods` times N days quiet.

    One comparison with a date chosen by the stage, so the `quiet_since` expression (a subquery)
    appears once per condition in the SQL rather than once per stage. A stage that never goes stale
    gets the first day there is, so the comparison stays false.
    """
    return Case(
        *(
            When(stage=stage, then=Value(today - datetime.timedelta(days=periods * days)))
            for stage, days in stale_days().items()
        ),
        default=Value(datetime.date.min),
        output_field=models.DateField(),
    )


def stale_conditions(today: datetime.date) -> dict[str, Q]:
    """Conditions over a queryset annotated with `quiet_since`."""
    red = Q(quiet_since__lt=_quiet_before(today, 2))
    yellow = Q(quiet_since__lt=_quiet_before(today, 1), quiet_since__gte=_quiet_before(today, 2))
    live = Q(lost_on__isnull=True)
    return {"red": live & red, "yellow": live & yellow}


def annotate_stale(queryset: ProjectQuerySet, today: datetime.date) -> ProjectQuerySet:
    """Annotate `quiet_since` and `stale` ("red", "yellow" or "")."""
    conditions = stale_conditions(today)
    return queryset.annotate(quiet_since=_quiet_since(today)).annotate(
        stale=Case(
            When(conditions["red"], then=Value("red")),
            When(conditions["yellow"], then=Value("yellow")),
            default=Value(""),
            output_field=models.CharField(),
        )
    )
