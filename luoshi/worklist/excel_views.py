"""The Excel pages of the implementation list: import (with its progress), the template, the export.

Imports and exports run as background jobs (`luoshi.core.jobs`), whatever their size, so there
is one path: the page shows the job's progress bar, polled by htmx, then its result.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.core.access import require
from luoshi.core.jobs import job_start, live_progress
from luoshi.core.models import Job
from luoshi.core.spreadsheets import WorkbookForm, page_job, xlsx_response
from luoshi.org.models import Person, Zone

from . import excel
from .access import is_supervisor
from .filters import item_query_string

TEMPLATE_FILENAME = "工程项目清单导入模板.xlsx"


class ImportForm(WorkbookForm):
    max_bytes = excel.MAX_UPLOAD_BYTES
    publish = forms.BooleanField(
        label=gettext_lazy("Publish the items to their lead units at once"),
        required=False,
        help_text=gettext_lazy("Otherwise they are created as drafts, to be checked and published later."),
    )


def _person(request: HttpRequest) -> Person:
    person = cast(Person, request.user)
    if not person.scope.internal:
        raise Http404
    return person


def import_job_start(*, actor: Person, data: bytes, filename: str, publish: bool) -> Job:
    """Queue the import of a workbook the actor uploaded (checked already for type and size)."""
    require(is_supervisor(actor), actor, "import_items")
    return job_start(
        actor=actor,
        kind="worklist.import",
        runner=excel.run_import_job,
        params={"publish": publish, "title": _("Import the project list")},
        input_bytes=data,
        input_name=filename,
    )


def export_job_start(*, actor: Person, query: QueryDict) -> Job:
    """Queue the export of the item list as filtered by `query` (the list page's query string)."""
    query_string = item_query_string(query)
    back = reverse("worklist:item_list") + (f"?{query_string}" if query_string else "")
    return job_start(
        actor=actor,
        kind="worklist.export",
        runner=excel.run_export_job,
        params={
            "query": {name: query.getlist(name) for name in query},
            "title": _("Export the item list"),
            "back_url": back,
        },
    )


@login_required
def item_import(request: HttpRequest) -> HttpResponse:
    """Upload a project list; the page then follows the import job to its summary or error report."""
    person = _person(request)
    require(is_supervisor(person), person, "import_items")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        queued = import_job_start(
            actor=person,
            data=upload.read(),
            filename=upload.name or "",
            publish=form.cleaned_data["publish"],
        )
        return redirect(f"{reverse('worklist:import')}?job={queued.pk}")
    job = page_job(request, person, "worklist.import")
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    context = {
        "form": form,
        "job": job,
        "live": live_progress(job) if job else None,
        "rules": excel.general_rules(),
        "columns": [{"column": c, "required": r, "text": t} for c, r, t in excel.template_notes(zones)],
    }
    return render(request, "worklist/import.html", context)


@login_required
def item_import_template(request: HttpRequest) -> HttpResponse:
    """The workbook to fill in: title row, column titles, an example row and the notes sheet."""
    person = _person(request)
    require(is_supervisor(person), person, "import_items")
    return xlsx_response(excel.import_template(actor=person), TEMPLATE_FILENAME)


@login_required
def item_export(request: HttpRequest) -> HttpResponse:
    """Export the list as filtered by the query string: queue the job, then follow it on its page."""
    person = _person(request)
    job = export_job_start(actor=person, query=request.GET)
    return redirect("job_detail", pk=job.pk)
