"""The audit trail (read-only) and the working-day calendar through the API."""

# No `from __future__ import annotations` here: django-ninja resolves the string annotations of a
# @paginate-wrapped view in its own module and fails on Query[...] (vitalik/django-ninja#1717).

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from . import calendar as workcal
from .models import AuditRecord, CalendarDay
from .selectors import audit_list
from .services import calendar_day_delete, calendar_day_set

router = Router()


class AuditOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None
    request_id: str
    model: str
    object_id: str
    object_repr: str
    action: str
    before: Any
    after: Any

    @staticmethod
    def resolve_model(obj: AuditRecord) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class AuditFilters(Schema):
    model: str | None = Field(None, description="app_label.model, e.g. org.unit")
    object_id: str | None = None
    action: str | None = None


@router.get("/audit", response=list[AuditOut], tags=["audit"], summary="The audit trail (read-only)")
@paginate
def audit(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    return audit_list(person=request.user, **filters.dict())  # type: ignore[arg-type]


@router.get("/audit/{record_id}", response=AuditOut, tags=["audit"], summary="One audit record")
def audit_get(request: HttpRequest, record_id: int) -> Any:
    records = audit_list(person=request.user)  # type: ignore[arg-type]
    try:
        return records.get(pk=record_id)
    except AuditRecord.DoesNotExist:
        from django.http import Http404

        raise Http404 from None


class CalendarDayOut(Schema):
    id: int
    date: datetime.date
    is_working_day: bool
    name: str


class CalendarDayIn(Schema):
    date: datetime.date
    is_working_day: bool
    name: str = ""


class WorkingDayAnswer(Schema):
    date: datetime.date
    is_working_day: bool
    year_known: bool


class AddWorkingDaysAnswer(Schema):
    start: datetime.date
    days: int
    result: datetime.date
    years_known: bool


@router.get("/calendar/days", response=list[CalendarDayOut], tags=["calendar"], summary="Calendar overrides")
def calendar_days(request: HttpRequest) -> Any:
    return CalendarDay.objects.all()


@router.put("/calendar/days", response=CalendarDayOut, tags=["calendar"], summary="Add or change an override")
def calendar_day_put(request: HttpRequest, payload: CalendarDayIn) -> Any:
    return calendar_day_set(actor=request.user, **payload.dict())


@router.delete("/calendar/days/{day}", response={204: None}, tags=["calendar"], summary="Remove an override")
def calendar_day_remove(request: HttpRequest, day: datetime.date) -> Any:
    from django.shortcuts import get_object_or_404

    calendar_day_delete(actor=request.user, day=get_object_or_404(CalendarDay, date=day))
    return Status(204, None)


@router.get(
    "/calendar/is-working-day",
    response=WorkingDayAnswer,
    tags=["calendar"],
    summary="Is a date a working day?",
)
def calendar_is_working_day(request: HttpRequest, date: datetime.date) -> Any:
    return {
        "date": date,
        "is_working_day": workcal.is_working_day(date),
        "year_known": workcal.year_is_known(date.year),
    }


@router.get(
    "/calendar/add-working-days",
    response=AddWorkingDaysAnswer,
    tags=["calendar"],
    summary="The date N working days after (or before) a date",
)
def calendar_add(
    request: HttpRequest, start: datetime.date, days: int = Query(..., ge=-3650, le=3650)
) -> Any:
    result = workcal.add_working_days(start, days)
    known = all(workcal.year_is_known(y) for y in range(min(start, result).year, max(start, result).year + 1))
    return {"start": start, "days": days, "result": result, "years_known": known}


class JobOut(Schema):
    """A background job: its state and progress, then its result (a file to fetch) or its error report."""

    id: int
    kind: str
    state: str = Field(..., description="queued, running, done or failed")
    progress: int
    total: int
    percent: int
    stage: str
    message: str
    result: Any = Field(None, description="A summary, for jobs that produce no file")
    result_url: str | None = Field(None, description="Where to GET the result file, once done")
    errors: list[dict[str, Any]] | None = Field(
        None, description="The error report: [{sheet, row, column, message}]"
    )
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


def _job_out(request: HttpRequest, job: Any) -> dict[str, Any]:
    from django.urls import reverse

    from .jobs import live_progress

    live = live_progress(job)
    result_url = None
    if job.state == "done" and job.result_file:
        result_url = request.build_absolute_uri(reverse("api:job_result", args=[job.pk]))
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "progress": live["progress"],
        "total": live["total"],
        "percent": live["percent"],
        "stage": live["stage"] or "",
        "message": job.message,
        "result": job.result,
        "result_url": result_url,
        "errors": job.errors,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.get(
    "/jobs/{job_id}",
    response=JobOut,
    tags=["jobs"],
    summary="A background job (import or export): state, progress, result URL or error report",
    description="Poll it (once a second is plenty) until `state` is done or failed. Only its creator sees it.",
)
def job_get(request: HttpRequest, job_id: int) -> Any:
    from .access import get_visible_or_404
    from .models import Job

    return _job_out(request, get_visible_or_404(Job.objects.all(), request.user, pk=job_id))  # type: ignore[arg-type]


@router.get(
    "/jobs/{job_id}/result",
    response={200: None},
    url_name="job_result",
    tags=["jobs"],
    summary="The result file of a finished job",
)
def job_result(request: HttpRequest, job_id: int) -> Any:
    from django.http import FileResponse, Http404

    from .access import get_visible_or_404
    from .models import Job, JobState

    job = get_visible_or_404(Job.objects.all(), request.user, pk=job_id)  # type: ignore[arg-type]
    if job.state != JobState.DONE or not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
