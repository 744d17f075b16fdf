"""Pages every capability shares: the home page, health, the audit trail, the calendar and 建设中."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, QuerySet, Window
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import calendar as workcal
from .forms import CalendarDayForm, CalendarYearForm
from .models import AuditRecord, CalendarDay, CalendarYear
from .selectors import audit_list
from .services import calendar_day_delete, calendar_day_set, calendar_year_declare
from .tasks import heartbeat_age

PAGE_SIZE = 50


def paginate(
    request: HttpRequest, queryset: Any, per_page: int = PAGE_SIZE, *, gathered: bool = False
) -> Any:
    """One page of `queryset`; a page number out of range gives the last page, never an error.

    `gathered`: the database collects every matching row before it sorts them (the rows come
    from a subquery, not from an index in the list's order), so the page's own query also reads
    the total (`TotalWithPage`) instead of a COUNT gathering them all a second time.
    """
    paginator = TotalWithPage if gathered else Paginator
    return paginator(queryset, per_page).get_page(request.GET.get("page"))


class TotalWithPage(Paginator):
    """A paginator that reads the number of rows with the page, as COUNT(*) OVER () in its query.

    Only for querysets the database gathers whole before sorting: where it could instead walk an
    index in the list's order and stop after one page, the window makes it read every row.
    """

    def get_page(self, number: Any) -> Any:
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        if number < 1:
            return super().get_page(number)  # as Django's: the last page
        bottom = (number - 1) * self.per_page
        rows, total = rows_with_total(cast(QuerySet[Any], self.object_list), bottom, bottom + self.per_page)
        if total is None and number > 1:
            return super().get_page(number)  # past the end: counted, then the last page
        self.count = total or 0
        return Page(rows, number, self)


def rows_with_total(queryset: QuerySet[Any], start: int, stop: int) -> tuple[list[Any], int | None]:
    """Rows `start` to `stop` of the queryset and the number of all its rows, in one query
    (COUNT(*) OVER ()); the total is None when there is no row in the slice to carry it."""
    rows = list(queryset.annotate(total_rows=Window(Count("pk")))[start:stop])
    if not rows:
        return rows, None
    first = rows[0]
    return rows, first["total_rows"] if isinstance(first, dict) else first.total_rows


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from luoshi.notify.models import Notification

    person = request.user
    scope = person.scope  # type: ignore[union-attr]
    positions = list(person.positions.select_related("unit", "unit__zone"))  # type: ignore[union-attr]
    context = {
        "positions": positions,
        "scope": scope,
        "primary_role": _primary_role(positions, scope),
        "latest_notifications": Notification.objects.visible_to(person)[:5],
        "oversees": list(person.oversights.select_related("unit")) if scope.has_role("leader") else [],  # type: ignore[union-attr]
    }
    return render(request, "core/home.html", context)


def _primary_role(positions: list[Any], scope: Any) -> str:
    """The role the home page is laid out for, most senior first."""
    if any(p.role == "leader" and p.is_principal for p in positions):
        return "principal"
    for role in ("leader", "supervisor", "unit_head", "steward", "staff", "enterprise"):
        if scope.has_role(role):
            return role
    return "superuser" if scope.everything else "none"


@login_required
def under_construction(request: HttpRequest, capability: str) -> HttpResponse:
    labels = {key: (label, icon) for key, label, icon in settings.CAPABILITIES if ":" not in key}
    if capability not in labels or not request.user.scope.internal:  # type: ignore[union-attr]
        raise Http404
    label, icon = labels[capability]
    return render(request, "core/under_construction.html", {"label": label, "icon": icon})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Is the database reachable, and is the job queue reachable with a live consumer?"""
    report: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception as exc:  # any failure means down
        report["database"] = f"down: {exc.__class__.__name__}"
    try:
        age = heartbeat_age()
        if age is None:
            report["queue"] = "down: no heartbeat yet"
        elif age > settings.HEARTBEAT_MAX_AGE:
            report["queue"] = f"down: last heartbeat {int(age)} s ago"
        else:
            report["queue"] = "ok"
        report["heartbeat_age_seconds"] = None if age is None else round(age, 1)
    except Exception as exc:
        report["queue"] = f"down: {exc.__class__.__name__}"
    healthy = report["database"] == "ok" and report["queue"] == "ok"
    report["status"] = "ok" if healthy else "down"
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    records = audit_list(
        person=request.user,  # type: ignore[arg-type]
        model=request.GET.get("model") or None,
        object_id=request.GET.get("object_id") or None,
        action=request.GET.get("action") or None,
    )
    models = ContentType.objects.filter(
        pk__in=AuditRecord.objects.values("content_type").distinct()
    ).order_by("app_label", "model")
    return render(request, "core/audit_list.html", {"page": paginate(request, records), "models": models})


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    from luoshi.org.access import can_manage_org

    person = request.user
    if not person.scope.internal:  # type: ignore[union-attr]
        raise Http404
    can_edit = can_manage_org(person)  # type: ignore[arg-type]
    day_form = CalendarDayForm(request.POST or None, prefix="day")
    year_form = CalendarYearForm(request.POST or None, prefix="year")
    if request.method == "POST":
        try:
            if "day-date" in request.POST and day_form.is_valid():
                calendar_day_set(actor=person, **day_form.cleaned_data)  # type: ignore[arg-type]
                messages.success(request, _("The calendar day has been saved."))
                return redirect("calendar")
            if "year-year" in request.POST and year_form.is_valid():
                calendar_year_declare(actor=person, **year_form.cleaned_data)  # type: ignore[arg-type]
                messages.success(request, _("The year has been declared complete."))
                return redirect("calendar")
        except ValidationError as exc:
            (day_form if "day-date" in request.POST else year_form).add_error(None, exc)
    context = {
        "days": CalendarDay.objects.all(),
        "years": CalendarYear.objects.all(),
        "package_years": workcal.PACKAGE_YEARS,
        "unknown": workcal.unknown_years(),
        "can_edit": can_edit,
        "day_form": day_form,
        "year_form": year_form,
    }
    return render(request, "core/calendar.html", context)


@login_required
@require_POST
def calendar_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    day = CalendarDay.objects.filter(pk=pk).first()
    if day is None:
        raise Http404
    calendar_day_delete(actor=request.user, day=day)  # type: ignore[arg-type]
    messages.success(request, _("The calendar day has been removed."))
    return redirect("calendar")


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """A background job's progress, polled by htmx every second, then its download or error report.

    Only the job's creator may see it (404 for anyone else); `?download=1` gives the result file.
    """
    from .access import get_visible_or_404
    from .jobs import live_progress
    from .models import Job, JobState

    job = get_visible_or_404(Job.objects.all(), request.user, pk=pk)  # type: ignore[arg-type]
    if request.GET.get("download"):
        if job.state != JobState.DONE or not job.result_file:
            raise Http404
        return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
    context = {"job": job, "live": live_progress(job)}
    template = "core/partials/job_progress.html" if request.htmx else "core/job.html"  # type: ignore[attr-defined]
    return render(request, template, context)
