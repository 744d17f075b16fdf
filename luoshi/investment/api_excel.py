"""The project ledger's import and the project list's export through the API, as background jobs.

Both answer 202 with the job; poll `GET /api/jobs/{id}` until it is done (then fetch `result_url`)
or failed (then read its `errors`). Mounted before the investment router, so that these literal
paths are not taken for `/projects/{id}`.
"""

# No `from __future__ import annotations` here: django-ninja resolves the annotations of the views.

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Router
from ninja.files import UploadedFile

from luoshi.core.excel_views import export_api, import_api, template_download
from luoshi.core.spreadsheets import FileRejected, JobQueued

from .excel_views import PROJECTS

router = Router(tags=["investment"])


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
    return import_api(request, PROJECTS, file)


@router.get(
    "/projects/import/template",
    response={200: None},
    summary="The .xlsx template of a project ledger (title row, columns, an example, notes)",
)
def project_import_template(request: HttpRequest) -> HttpResponse:
    return template_download(request, excel=PROJECTS)


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
    return export_api(request, PROJECTS)
