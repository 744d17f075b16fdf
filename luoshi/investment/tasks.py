"""Periodic jobs of investment."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import stale_sweep


@db_periodic_task(crontab(minute="30", hour="8"))
def stale_sweep_task() -> int:
    """Each morning; idempotent, so a missed or repeated run does no harm."""
    return stale_sweep()
