"""The Excel import pages of units and people."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from luoshi.core.access import require
from luoshi.core.spreadsheets import xlsx_response

from . import importing
from .access import can_manage_org
from .models import Person, Zone

TEMPLATE_FILENAME = "单位人员导入模板.xlsx"


def _columns() -> list[dict[str, Any]]:
    """The columns of both sheets with whether they are required and what they accept, for the page."""
    notes = importing.template_notes(list(Zone.objects.filter(is_active=True).values_list("name", flat=True)))
    return [{"sheet": s, "column": c, "required": r, "text": t} for s, c, r, t in notes]


@login_required
def org_import(request: HttpRequest) -> HttpResponse:
    """Upload a workbook of units and people; show the summary, or every problem and change nothing."""
    person: Person = request.user  # type: ignore[assignment]
    require(can_manage_org(person), person, "import_org")
    context: dict[str, Any] = {
        "rules": importing.general_rules(),
        "columns": _columns(),
        "max_mb": importing.MAX_UPLOAD_BYTES // (1024 * 1024),
        "sheets": (importing.SHEET_UNITS, importing.SHEET_PEOPLE),
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise importing.ImportRejected(
                    [importing.RowError("", None, "", _("Choose an Excel file to upload."))]
                )
            data = importing.read_upload(upload, size=upload.size)
            summary = importing.org_import(actor=person, data=data, filename=upload.name or "")
        except importing.ImportRejected as exc:
            context.update(rejected=exc, errors=exc.errors, filename=getattr(upload, "name", ""))
        else:
            context.update(summary=summary, filename=upload.name)
    return render(request, "org/import.html", context)


@login_required
def org_import_template(request: HttpRequest) -> HttpResponse:
    """The import workbook to fill in: both sheets with headers and an example row, and the notes."""
    person: Person = request.user  # type: ignore[assignment]
    require(can_manage_org(person), person, "import_org")
    return xlsx_response(importing.import_template(actor=person), TEMPLATE_FILENAME)
