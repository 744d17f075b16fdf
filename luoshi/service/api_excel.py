"""Excel import and export of the enterprise register through the API, as background jobs.

Both answer 202 with the job; poll `GET /api/jobs/{id}` until it is done (then fetch `result_url`)
or failed (then read its `errors`). Mounted before the service desk's router, so that these
literal paths are not taken for `/enterprises/{id}`.
"""

# No `from __future__ import annotations` here: django-ninja resolves the annotations of the views.

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Router
from ninja.files import UploadedFile

from luoshi.core.excel_views import export_api, import_api, template_download
from luoshi.core.spreadsheets import FileRejected, JobQueued

from .excel_views import ENTERPRISES

router = Router(tags=["service"])


@router.post(
    "/enterprises/import",
    response={202: JobQueued, 400: FileRejected},
    summary="Import enterprises (企业名录) from an .xlsx workbook, as a job",
    description=(
        "Multipart: `file` (.xlsx, at most 10 MB, checked by content), with the template's columns "
        "企业名称, 统一社会信用代码, 所属片区, 行业 (required), 发展阶段, 企业服务专员, 地址, 法定代表人, "
        "联系人, 联系电话. A code already registered updates that enterprise; any other creates one. "
        "A file that is not an .xlsx workbook or too large answers 400 at once; otherwise 202 with the "
        "job: poll `GET /api/jobs/{id}`. All rows or none: a failed job's `errors` name each bad row "
        "(as Excel numbers it), column and reason, and nothing is written. Only the service centre "
        "and the supervision office may import."
    ),
)
def enterprise_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    return import_api(request, ENTERPRISES, file)


@router.get(
    "/enterprises/import/template",
    response={200: None},
    summary="The .xlsx template for importing enterprises (title row, columns, an example, notes)",
)
def enterprise_import_template(request: HttpRequest) -> HttpResponse:
    return template_download(request, excel=ENTERPRISES)


@router.get(
    "/enterprises/export",
    response={202: JobQueued},
    summary="Export the filtered enterprise list to .xlsx, always as a job (poll it, then fetch result_url)",
    description=(
        "Takes the enterprise list's filters: q, zone, industry, stage, steward (zone_id and steward_id "
        "are accepted too). The workbook has the import's columns plus each enterprise's number of "
        "requests and of open requests. The answer is 202 with the job, whatever the size; poll "
        "`GET /api/jobs/{id}` and download its `result_url`."
    ),
)
def enterprise_export(request: HttpRequest) -> Any:
    return export_api(request, ENTERPRISES)
