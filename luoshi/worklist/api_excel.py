"""Excel import and export of the implementation list through the API, as background jobs.

Both answer 202 with the job; poll `GET /api/jobs/{id}` until it is done (then fetch
`result_url`) or failed (then read its `errors`). Exports always go through a job, whatever
their size, so clients have one path.
"""

# No `from __future__ import annotations` here: django-ninja resolves the annotations of the views.

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router
from ninja.files import UploadedFile

from luoshi.core.excel_views import export_api, import_api
from luoshi.core.spreadsheets import FileRejected, JobQueued

from .excel_views import ITEMS

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
    return import_api(request, ITEMS, file, publish=publish)


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
    return export_api(request, ITEMS)
