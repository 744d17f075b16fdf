"""Excel import and export of the implementation list through the API, as background jobs.

Both answer 202 with the job; poll `GET /api/jobs/{id}` until it is done (then fetch
`result_url`) or failed (then read its `errors`). Exports always go through a job, whatever
their size, so clients have one path.
"""

# No `from __future__ import annotations` here: django-ninja resolves the annotations of the views.

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from luoshi.core.access import require
from luoshi.core.spreadsheets import FileRejected, JobQueued, job_queued, upload_refused
from luoshi.org.models import Person

from . import excel
from .access import is_supervisor
from .excel_views import export_job_start, import_job_start

router = Router(tags=["worklist"])


@router.post(
    "/import",
    response={202: JobQueued, 400: FileRejected},
    summary="Import the project list (工程项目清单) from an .xlsx workbook, as a job",
    description=(
        "Multipart: `file` (.xlsx, at most 10 MB, checked by content) and `publish` (true to publish "
        "every item to its lead unit at once; otherwise drafts). A file that is not an .xlsx workbook "
        "or too large answers 400 at once. Otherwise the answer is 202 with the job: poll "
        "`GET /api/jobs/{id}`. All rows or none: a failed job's `errors` name each bad row (as Excel "
        "numbers it), column and reason, and nothing is written. Only the supervision office may import."
    ),
)
def item_import(request: HttpRequest, file: File[UploadedFile], publish: Form[bool] = False) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    require(is_supervisor(person), person, "import_items")
    refused = upload_refused(file, max_bytes=excel.MAX_UPLOAD_BYTES)
    if refused is not None:
        return refused
    job = import_job_start(actor=person, data=file.read(), filename=file.name or "", publish=publish)
    return job_queued(request, job, f"{reverse('worklist:import')}?job={job.pk}")


@router.get(
    "/items/export",
    response={202: JobQueued},
    summary="Export the filtered item list to .xlsx, always as a job (poll it, then fetch result_url)",
    description=(
        "Takes the item list's filters: q, zone, unit, light, state (both repeatable), leader, owner, "
        "directive, deadline_from, deadline_to, sort (zone_id, unit_id … are accepted too). The "
        "workbook has the import's columns plus code, state, light (as of the request) and the latest "
        "progress. The answer is 202 with the job, whatever the size; poll `GET /api/jobs/{id}` and "
        "download its `result_url`."
    ),
)
def item_export(request: HttpRequest) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    if not person.scope.internal:
        raise Http404
    job = export_job_start(actor=person, query=request.GET)
    return job_queued(request, job, reverse("job_detail", args=[job.pk]))
