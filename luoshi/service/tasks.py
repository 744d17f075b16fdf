"""Periodic jobs of the service desk."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import sla_sweep


@db_periodic_task(crontab(minute="*/10"))
def sla_sweep_task() -> int:
    """Every ten minutes; idempotent, so a missed or repeated run does no harm."""
    return sla_sweep()
