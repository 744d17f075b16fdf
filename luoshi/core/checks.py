"""System checks: the working-day calendar must know every year the system is computing in."""

from __future__ import annotations

from typing import Any

from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def calendar_years_known(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    from .calendar import unknown_years

    try:
        years = unknown_years()
    except DatabaseError:  # not migrated yet: nothing to check against
        return []
    return [
        Warning(
            f"The working-day calendar has no holiday schedule for {year}.",
            hint=(
                "Enter that year's public holidays and make-up working days under 工作日历 (/calendar/), "
                "then declare the year complete, or upgrade the chinesecalendar package."
            ),
            id="luoshi.W001",
        )
        for year in years
    ]
