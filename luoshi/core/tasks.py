"""Infrastructure jobs: the heartbeat that shows the Huey consumer is alive."""

from __future__ import annotations

import time

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup, periodic_task

HEARTBEAT_KEY = "luoshi:heartbeat"


def heartbeat_beat() -> float:
    """Record that a consumer ran just now (kept in the queue's own storage)."""
    now = time.time()
    HUEY.put(HEARTBEAT_KEY, now)
    return now


@periodic_task(crontab(minute="*"))
def heartbeat() -> float:
    return heartbeat_beat()


@on_startup()
def heartbeat_on_startup() -> None:
    heartbeat_beat()


def heartbeat_age() -> float | None:
    """Seconds since the last heartbeat, or None if the consumer never beat. Raises if storage is down."""
    value = HUEY.get(HEARTBEAT_KEY, peek=True)
    return None if value is None else max(0.0, time.time() - float(value))


@db_task(retries=3, retry_delay=2)
def job_run_task(job_id: int, runner_path: str) -> None:
    """Run one background job (see `luoshi.core.jobs`); thin on purpose."""
    from .jobs import job_execute

    job_execute(job_id, runner_path)


@db_periodic_task(crontab(minute="40", hour="*"))
def jobs_sweep_task() -> dict[str, int]:
    """Hourly: fail jobs lost with their worker, delete week-old ones."""
    from .jobs import jobs_sweep

    return jobs_sweep()
