"""The Excel pages of the enterprise register: import (with its progress), the template, the export.

Imports and exports run as background jobs (`luoshi.core.jobs`), whatever their size, so there is
one path: the page shows the job's progress bar, polled by htmx, then its result.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from luoshi.core.access import require
from luoshi.core.jobs import job_start, live_progress
from luoshi.core.models import Job
from luoshi.core.spreadsheets import WorkbookForm, page_job, xlsx_response
from luoshi.org.models import Person, Zone

from . import excel
from .access import can_manage_enterprises
from .filters import enterprise_query_string

TEMPLATE_FILENAME = "企业名录导入模板.xlsx"
IMPORT_KIND = "service.enterprise_import"
EXPORT_KIND = "service.enterprise_export"


class ImportForm(WorkbookForm):
    max_bytes = excel.MAX_UPLOAD_BYTES


def _staff(request: HttpRequest) -> Person:
    """The register is for government staff; enterprise users do not see these pages."""
    person = cast(Person, request.user)
    if not person.scope.internal:
        raise Http404
    return person


def import_job_start(*, actor: Person, data: bytes, filename: str) -> Job:
    """Queue the import of a workbook the actor uploaded (checked already for type and size)."""
    require(can_manage_enterprises(actor), actor, "import_enterprises")
    return job_start(
        actor=actor,
        kind=IMPORT_KIND,
        runner=excel.run_import_job,
        params={"title": _("Import enterprises")},
        input_bytes=data,
        input_name=filename,
    )


def export_job_start(*, actor: Person, query: QueryDict) -> Job:
    """Queue the export of the enterprise list as filtered by `query` (the list page's query string)."""
    query_string = enterprise_query_string(query)
    back = reverse("service:enterprise_list") + (f"?{query_string}" if query_string else "")
    return job_start(
        actor=actor,
        kind=EXPORT_KIND,
        runner=excel.run_export_job,
        params={
            "query": {name: query.getlist(name) for name in query},
            "title": _("Export the enterprise list"),
            "back_url": back,
        },
    )


@login_required
def enterprise_import(request: HttpRequest) -> HttpResponse:
    """Upload a register of enterprises; the page then follows the job to its summary or error report."""
    person = _staff(request)
    require(can_manage_enterprises(person), person, "import_enterprises")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        queued = import_job_start(actor=person, data=upload.read(), filename=upload.name or "")
        return redirect(f"{reverse('service:enterprise_import')}?job={queued.pk}")
    job = page_job(request, person, IMPORT_KIND)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    context = {
        "form": form,
        "job": job,
        "live": live_progress(job) if job else None,
        "rules": excel.general_rules(),
        "columns": [{"column": c, "required": r, "text": t} for c, r, t in excel.template_notes(zones)],
    }
    return render(request, "service/enterprise_import.html", context, status=400 if form.errors else 200)


@login_required
def enterprise_import_template(request: HttpRequest) -> HttpResponse:
    """The workbook to fill in: title row, column titles, an example row and the notes sheet."""
    person = _staff(request)
    require(can_manage_enterprises(person), person, "import_enterprises")
    return xlsx_response(excel.import_template(actor=person), TEMPLATE_FILENAME)


@login_required
def enterprise_export(request: HttpRequest) -> HttpResponse:
    """Export the enterprise list as filtered by the query string: queue the job, then follow it."""
    person = _staff(request)
    job = export_job_start(actor=person, query=request.GET)
    return redirect("job_detail", pk=job.pk)
