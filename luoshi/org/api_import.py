"""The Excel import of units and people through the API: the same service as the import page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.core.spreadsheets import FileRejected

from . import importing
from .models import Person

router = Router(tags=["org"])


class ImportOut(Schema):
    created_units: int
    updated_units: int
    unchanged_units: int
    created_people: int
    updated_people: int
    unchanged_people: int


@router.post(
    "/import",
    response={200: ImportOut, 400: FileRejected},
    summary="Import units and people from an Excel workbook",
    description=(
        "Upload the workbook (multipart field `file`, .xlsx, at most 5 MB) with the sheets 单位 and 人员 "
        "of the template. All rows or none: any problem answers 400 with every problem listed by sheet, "
        "row (as Excel numbers it), column header and message, and nothing is changed. Only the "
        "supervision office may import."
    ),
)
def org_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    person: Person = request.user  # type: ignore[assignment]
    try:
        data = importing.read_upload(file, size=file.size)
        summary = importing.org_import(actor=person, data=data, filename=file.name or "")
    except importing.ImportRejected as exc:
        return Status(
            400,
            {"code": "import_rejected", "message": exc.message, "errors": [e.as_dict() for e in exc.errors]},
        )
    return summary.counts()
