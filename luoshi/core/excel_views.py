"""The Excel pages and API endpoints every list shares: the import, its template, the export.

An app describes its list once as an `ExcelList` and points its URLs and API routes at these
functions. Imports and exports run as background jobs (`luoshi.core.jobs`), whatever their size,
so there is one path: the import page shows the job's progress bar, polled by htmx, then its
result; an export goes to the job's page; the API answers 202 with the job.

The pages are for government staff: enterprise users get 404 for them, and only the people
`can_import` allows may import (403 for anyone else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from ninja import Status

from .access import require
from .jobs import JobOutcome, Progress, job_start, live_progress
from .models import Job
from .spreadsheets import WorkbookForm, job_queued, page_job, upload_refused, xlsx_response

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from luoshi.org.models import Person


class ExcelModule(Protocol):
    """What an app's `excel` module provides for its list (see luoshi/worklist/excel.py)."""

    MAX_UPLOAD_BYTES: int

    def run_import_job(self, job: Job, progress: Progress) -> JobOutcome: ...
    def run_export_job(self, job: Job, progress: Progress) -> JobOutcome: ...
    def general_rules(self) -> list[str]: ...
    def template_notes(self, zones: list[str]) -> list[tuple[str, bool, str]]: ...
    def import_template(self, *, actor: Person) -> bytes: ...


@dataclass(frozen=True)
class ExcelList:
    """How one list is imported from and exported to Excel: its app's part, declared once."""

    module: ExcelModule
    # The job kinds the module's runners are registered for.
    import_kind: str
    export_kind: str
    # Who may import, and the action a refusal is logged under.
    can_import: Callable[[Person], bool]
    import_action: str
    # The import page's heading, also the import job's title; the export job's title.
    import_title: str | Promise
    export_title: str | Promise
    # URL names: the import page, the template download, and the list the export is taken from.
    import_url: str
    template_url: str
    list_url: str
    # The list's filters of a query string, kept for the link back from the export's job page.
    list_query: Callable[[QueryDict], str]
    # The import page (it extends core/excel_import.html) and the template workbook's file name.
    page_template: str
    workbook_name: str
    form: type[WorkbookForm] = WorkbookForm

    def start_import(self, *, actor: Person, data: bytes, filename: str, **options: Any) -> Job:
        """Queue the import of a workbook the actor uploaded (checked already for type and size).

        `options` are the import's own choices (such as publishing at once), passed to the job.
        """
        require(self.can_import(actor), actor, self.import_action)
        return job_start(
            actor=actor,
            kind=self.import_kind,
            runner=self.module.run_import_job,
            params={**options, "title": str(self.import_title)},
            input_bytes=data,
            input_name=filename,
        )

    def start_export(self, *, actor: Person, query: QueryDict) -> Job:
        """Queue the export of the list as filtered by `query` (the list page's query string)."""
        query_string = self.list_query(query)
        back = reverse(self.list_url) + (f"?{query_string}" if query_string else "")
        return job_start(
            actor=actor,
            kind=self.export_kind,
            runner=self.module.run_export_job,
            params={
                "query": {name: query.getlist(name) for name in query},
                "title": str(self.export_title),
                "back_url": back,
            },
        )

    def import_page_url(self, job: Job) -> str:
        return f"{reverse(self.import_url)}?job={job.pk}"


def _staff(request: HttpRequest) -> Person:
    """Excel imports and exports are for government staff; enterprise users do not see them."""
    person = cast("Person", request.user)
    if not person.scope.internal:
        raise Http404
    return person


def _importer(request: HttpRequest, excel: ExcelList) -> Person:
    person = _staff(request)
    require(excel.can_import(person), person, excel.import_action)
    return person


@login_required
def import_page(request: HttpRequest, *, excel: ExcelList) -> HttpResponse:
    """Upload a workbook; the page then follows the import job to its summary or error report."""
    from luoshi.org.models import Zone  # core sits below org: imported when first needed

    person = _importer(request, excel)
    form = excel.form(request.POST or None, request.FILES or None)
    form.max_bytes = excel.module.MAX_UPLOAD_BYTES
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        options = {name: value for name, value in form.cleaned_data.items() if name != "file"}
        queued = excel.start_import(actor=person, data=upload.read(), filename=upload.name or "", **options)
        return redirect(excel.import_page_url(queued))
    job = page_job(request, person, excel.import_kind)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    context = {
        "excel": excel,
        "form": form,
        "job": job,
        "live": live_progress(job) if job else None,
        "rules": excel.module.general_rules(),
        "columns": [
            {"column": c, "required": r, "text": t} for c, r, t in excel.module.template_notes(zones)
        ],
    }
    return render(request, excel.page_template, context, status=400 if form.errors else 200)


@login_required
def template_download(request: HttpRequest, *, excel: ExcelList) -> HttpResponse:
    """The workbook to fill in: title row, column titles, an example row and the notes sheet."""
    person = _importer(request, excel)
    return xlsx_response(excel.module.import_template(actor=person), excel.workbook_name)


@login_required
def export_page(request: HttpRequest, *, excel: ExcelList) -> HttpResponse:
    """Export the list as filtered by the query string: queue the job, then follow it on its page."""
    job = excel.start_export(actor=_staff(request), query=request.GET)
    return redirect("job_detail", pk=job.pk)


def import_api(request: HttpRequest, excel: ExcelList, file: UploadedFile, **options: Any) -> Status:
    """400 for a file that is not an .xlsx workbook or too large; otherwise 202 with the import job."""
    person = _importer(request, excel)
    refused = upload_refused(file, max_bytes=excel.module.MAX_UPLOAD_BYTES)
    if refused is not None:
        return refused
    job = excel.start_import(actor=person, data=file.read(), filename=file.name or "", **options)
    return job_queued(request, job, excel.import_page_url(job))


def export_api(request: HttpRequest, excel: ExcelList) -> Status:
    """202 with the export job, whatever the size of the list."""
    job = excel.start_export(actor=_staff(request), query=request.GET)
    return job_queued(request, job, reverse("job_detail", args=[job.pk]))
