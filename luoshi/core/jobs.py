"""Background jobs: long imports and exports that run on Huey while the page shows their progress.

A capability registers a *runner* with `@job_runner("kind")`: a function `(job, progress) ->
JobOutcome` that does the work through the usual services. `job_start` records a `Job` and
queues it; the Huey task `job_run_task` (in `tasks.py`) calls `job_execute`, which runs the
runner under the creator's language and records the outcome.

Live progress is kept in the queue's own key-value storage (SQLite file, Redis, or memory in
tests), not in the database: an all-or-nothing import holds one database transaction for its
whole run, and on SQLite no other connection could write a progress row meanwhile. The job row
gets the final numbers when the run ends.

Jobs are the creator's alone: anyone else gets 404 for them (`Job.objects.visible_to`).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

from .models import Job, JobState

log = logging.getLogger("luoshi.jobs")

# Progress is written to the queue storage at most this often (seconds).
PROGRESS_INTERVAL = 0.5


@dataclass
class JobOutcome:
    """What a runner hands back: a file to download, a summary, or the report of why it failed."""

    ok: bool = True
    message: str = ""
    file_bytes: bytes | None = None
    file_name: str = ""
    result: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


class Progress:
    """Tells the page how far a job has got: `progress(done, total, stage)`, throttled."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done = 0
        self.total = job.total
        self.stage = ""
        self._written = 0.0

    def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        changed_stage = stage is not None and stage != self.stage
        if stage is not None:
            self.stage = stage
        now = time.monotonic()
        if changed_stage or now - self._written >= PROGRESS_INTERVAL or done == self.total:
            self._written = now
            live_progress_put(self.job.pk, self.done, self.total, self.stage)


Runner = Callable[[Job, Progress], JobOutcome]


def job_runner(kind: str) -> Callable[[Runner], Runner]:
    """Mark a function as the runner of a kind of job (only marked functions can be queued)."""

    def mark(fn: Runner) -> Runner:
        fn.job_kind = kind  # type: ignore[attr-defined]
        return fn

    return mark


def _progress_key(job_id: int) -> str:
    return f"luoshi:job:{job_id}:progress"


def live_progress_put(job_id: int, done: int, total: int, stage: str) -> None:
    try:
        HUEY.put(_progress_key(job_id), {"progress": done, "total": total, "stage": stage})
    except Exception:  # progress is a courtesy; the job must not fail because of it
        log.warning("could not record the progress of job %s", job_id, exc_info=True)


def live_progress(job: Job) -> dict[str, Any]:
    """The latest progress of a job: live while it runs, from the row once it has finished."""
    current: dict[str, Any] = {"progress": job.progress, "total": job.total, "stage": ""}
    if job.state == JobState.RUNNING:
        try:
            live = HUEY.get(_progress_key(job.pk), peek=True)
        except Exception:
            live = None
        if isinstance(live, dict):
            current.update(live)
    total = current["total"] or 0
    done = min(current["progress"] or 0, total) if total else 0
    percent = int(done * 100 / total) if total else 0
    if job.state == JobState.DONE:
        percent = 100
    return {**current, "progress": done, "percent": percent}


def job_start(
    *,
    actor: Any,
    kind: str,
    runner: Runner,
    params: dict[str, Any] | None = None,
    input_bytes: bytes | None = None,
    input_name: str = "",
    total: int = 0,
) -> Job:
    """Record a job for the actor and queue its runner. Call it outside a transaction.

    The caller has already checked that the actor may do what the job does; the runner's
    services check again when it runs.
    """
    if getattr(runner, "job_kind", None) != kind:
        raise ValueError(f"{runner!r} is not registered as the runner of {kind!r} jobs")
    params = {**(params or {}), "language": translation.get_language() or ""}
    job = Job.objects.create(
        kind=kind, params=params, created_by=actor, total=total, input_name=input_name[:200]
    )
    if input_bytes is not None:
        job.input_file.save(input_name or "input", ContentFile(input_bytes), save=False)
        job.save(update_fields=["input_file"])
    from .tasks import job_run_task

    job_run_task(job.pk, f"{runner.__module__}.{runner.__qualname__}")
    return job


def _finish(job: Job, outcome: JobOutcome, progress: Progress) -> None:
    job.state = JobState.DONE if outcome.ok else JobState.FAILED
    job.message = outcome.message
    job.result = outcome.result
    job.errors = outcome.errors or None
    job.total = progress.total
    job.progress = progress.total if outcome.ok else progress.done
    job.finished_at = timezone.now()
    if outcome.file_bytes is not None:
        job.result_file.save(outcome.file_name or "result", ContentFile(outcome.file_bytes), save=False)
        job.result_name = (outcome.file_name or "result")[:200]
    job.save()


def job_execute(job_id: int, runner_path: str) -> Job | None:
    """Run a queued job to its end; any failure is recorded on the job, never lost."""
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        # Queued inside a transaction that has not committed yet: let Huey retry shortly.
        raise LookupError(f"job {job_id} not found")
    if job.state != JobState.QUEUED:
        return job  # a duplicate delivery; the job already ran or is running
    runner: Runner = import_string(runner_path)
    if getattr(runner, "job_kind", None) != job.kind:
        raise ValueError(f"{runner_path} is not the runner of {job.kind!r} jobs")
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    job.state = JobState.RUNNING
    progress = Progress(job)
    language = job.params.get("language") or None
    with translation.override(language):
        try:
            outcome = runner(job, progress)
        except Exception:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            outcome = JobOutcome(
                ok=False, message=_("Something went wrong on the server. It has been logged.")
            )
        _finish(job, outcome, progress)
    try:
        HUEY.delete(_progress_key(job.pk))
    except Exception:
        log.warning("could not clear the progress of job %s", job.pk, exc_info=True)
    return job


# Jobs are kept a week, then deleted with their files; a job still "running" after this long was
# lost with its worker (a restart mid-run) and is marked failed so its page stops polling.
KEEP_FINISHED = datetime.timedelta(days=7)
LOST_AFTER = datetime.timedelta(hours=2)


def jobs_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Fail jobs lost with their worker and delete old ones with their files. Idempotent."""
    now = now or timezone.now()
    lost = Job.objects.filter(state=JobState.RUNNING, started_at__lt=now - LOST_AFTER).update(
        state=JobState.FAILED,
        finished_at=now,
        message=_("The job was interrupted before it finished. Start it again."),
    )
    old = list(Job.objects.filter(created_at__lt=now - KEEP_FINISHED).exclude(state=JobState.RUNNING))
    for job in old:
        for stored in (job.input_file, job.result_file):
            if stored:
                stored.delete(save=False)
        job.delete()
    return {"lost": lost, "deleted": len(old)}
