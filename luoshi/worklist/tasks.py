"""Periodic jobs of the implementation list."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import escalation_sweep


@db_periodic_task(crontab(minute="15", hour="*"))
def escalation_sweep_task() -> int:
    """Hourly; idempotent, so a missed or repeated run does no harm."""
    return escalation_sweep()
