"""The Excel pages of investment: the ledger import (with its progress), its template, the export.

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
from .access import can_import_projects
from .filters import project_query_string

TEMPLATE_FILENAME = "招商项目台账导入模板.xlsx"
IMPORT_KIND = "investment.project_import"
EXPORT_KIND = "investment.project_export"


class ImportForm(WorkbookForm):
    max_bytes = excel.MAX_UPLOAD_BYTES


def _person(request: HttpRequest) -> Person:
    """Investment is for people holding a post in a government unit."""
    person = cast(Person, request.user)
    if not person.scope.internal:
        raise Http404
    return person


def import_job_start(*, actor: Person, data: bytes, filename: str) -> Job:
    """Queue the import of a ledger the actor uploaded (checked already for type and size)."""
    require(can_import_projects(actor), actor, "import_projects")
    return job_start(
        actor=actor,
        kind=IMPORT_KIND,
        runner=excel.run_import_job,
        params={"title": _("Import a project ledger")},
        input_bytes=data,
        input_name=filename,
    )


def export_job_start(*, actor: Person, query: QueryDict) -> Job:
    """Queue the export of the project list as filtered by `query` (the list page's query string)."""
    query_string = project_query_string(query)
    back = reverse("investment:project_list") + (f"?{query_string}" if query_string else "")
    return job_start(
        actor=actor,
        kind=EXPORT_KIND,
        runner=excel.run_export_job,
        params={
            "query": {name: query.getlist(name) for name in query},
            "title": _("Export the project list"),
            "back_url": back,
        },
    )


@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    """Upload a project ledger; the page then follows the job to its summary or error report."""
    person = _person(request)
    require(can_import_projects(person), person, "import_projects")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        queued = import_job_start(actor=person, data=upload.read(), filename=upload.name or "")
        return redirect(f"{reverse('investment:project_import')}?job={queued.pk}")
    job = page_job(request, person, IMPORT_KIND)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    context = {
        "form": form,
        "job": job,
        "live": live_progress(job) if job else None,
        "rules": excel.general_rules(),
        "columns": [{"column": c, "required": r, "text": t} for c, r, t in excel.template_notes(zones)],
    }
    return render(request, "investment/project_import.html", context, status=400 if form.errors else 200)


@login_required
def project_import_template(request: HttpRequest) -> HttpResponse:
    """The ledger to fill in: title row, column titles, an example row and the notes sheet."""
    person = _person(request)
    require(can_import_projects(person), person, "import_projects")
    return xlsx_response(excel.import_template(actor=person), TEMPLATE_FILENAME)


@login_required
def project_export(request: HttpRequest) -> HttpResponse:
    """Export the project list as filtered by the query string: queue the job, then follow it."""
    person = _person(request)
    job = export_job_start(actor=person, query=request.GET)
    return redirect("job_detail", pk=job.pk)
