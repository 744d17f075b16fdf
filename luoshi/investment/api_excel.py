"""The project ledger's import and the project list's export through the API, as background jobs.

Both answer 202 with the job; poll `GET /api/jobs/{id}` until it is done (then fetch `result_url`)
or failed (then read its `errors`). Mounted before the investment router, so that these literal
paths are not taken for `/projects/{id}`.
"""

# No `from __future__ import annotations` here: django-ninja resolves the annotations of the views.

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Router
from ninja.files import UploadedFile

from luoshi.core.access import require
from luoshi.core.spreadsheets import FileRejected, JobQueued, job_queued, upload_refused, xlsx_response
from luoshi.org.models import Person

from . import excel
from .access import can_import_projects
from .excel_views import TEMPLATE_FILENAME, export_job_start, import_job_start

router = Router(tags=["investment"])


def _person(request: HttpRequest) -> Person:
    person: Person = request.user  # type: ignore[assignment]
    if not person.scope.internal:
        raise Http404
    return person


@router.post(
    "/projects/import",
    response={202: JobQueued, 400: FileRejected},
    summary="Import a project ledger (招商项目台账) from an .xlsx workbook, as a job",
    description=(
        "Multipart: `file` (.xlsx, at most 10 MB, checked by content), with the template's columns "
        "(项目名称, 投资方, 投资方国别/地区, 所属行业, 所属片区, 计划投资额（万元）, 招商责任人, 当前阶段 and "
        "线索日期 required; the date of each stage reached, 签约金额 once signed, 统一社会信用代码 once "
        "registered). Every row becomes a new project at its stage; each move is recorded as imported "
        "from the ledger (台账导入). A file that is not an .xlsx workbook or too large answers 400 at once; "
        "otherwise 202 with the job: poll `GET /api/jobs/{id}`. All rows or none: a failed job's "
        "`errors` name each bad row (as Excel numbers it), column and reason, and nothing is written. "
        "Only the supervision office may import."
    ),
)
def project_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    person = _person(request)
    require(can_import_projects(person), person, "import_projects")
    refused = upload_refused(file, max_bytes=excel.MAX_UPLOAD_BYTES)
    if refused is not None:
        return refused
    job = import_job_start(actor=person, data=file.read(), filename=file.name or "")
    return job_queued(request, job, f"{reverse('investment:project_import')}?job={job.pk}")


@router.get(
    "/projects/import/template",
    response={200: None},
    summary="The .xlsx template of a project ledger (title row, columns, an example, notes)",
)
def project_import_template(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    require(can_import_projects(person), person, "import_projects")
    return xlsx_response(excel.import_template(actor=person), TEMPLATE_FILENAME)


@router.get(
    "/projects/export",
    response={202: JobQueued},
    summary="Export the filtered project list to .xlsx, always as a job (poll it, then fetch result_url)",
    description=(
        "Takes the project list's filters: q, zone, industry, stage (repeatable), origin, owner, "
        "amount_min, amount_max, stale (any, yellow, red), include_lost (zone_id and owner_id are "
        "accepted too). The workbook has the ledger's columns plus the code, the responsible unit, "
        "the stale state and the last follow-up. The answer is 202 with the job, whatever the size; "
        "poll `GET /api/jobs/{id}` and download its `result_url`."
    ),
)
def project_export(request: HttpRequest) -> Any:
    person = _person(request)
    job = export_job_start(actor=person, query=request.GET)
    return job_queued(request, job, reverse("job_detail", args=[job.pk]))
