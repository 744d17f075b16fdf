"""Pages of investment attraction. Thin: forms collect input, services decide, selectors read.

The kanban's drag-and-drop dialog, the project page's move buttons and the plain move page all
use one form (`MoveForm`) and one endpoint (`project_action` with action "move"), so a move is
checked the same way wherever it starts.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.core.access import get_visible_or_404, require
from luoshi.core.audit import history_of
from luoshi.core.pages import next_url, query_without, run_form, staff_person
from luoshi.core.uploads import file_response
from luoshi.core.views import paginate
from luoshi.org.models import Person, Zone

from . import services
from .access import can_add_project, can_edit_project, can_set_targets
from .forms import (
    FollowUpAddForm,
    FunnelFilterForm,
    InvestmentForm,
    LostForm,
    MoveForm,
    ProjectActionForm,
    ProjectFilterForm,
    ProjectForm,
    ReviveForm,
    TargetForm,
)
from .models import STAGES, Project, ProjectDocument, Stage, StageMove
from .selectors import ProjectFilters, funnel, kanban, project_list, target_drilldown, targets
from .stale import annotate_stale, stale_days

STALE_SHOWN = 10
TARGET_METRICS = {
    "signed_amount": gettext_lazy("Signed amount"),
    "started_count": gettext_lazy("Projects started"),
    "actual_investment": gettext_lazy("Actual investment"),
    "big_projects": gettext_lazy("Projects above 100 million yuan"),
}
AMOUNT_METRICS = {"signed_amount", "actual_investment"}
TARGET_AXES = {
    "signed_amount": gettext_lazy("Signed amount (10k yuan)"),
    "started_count": gettext_lazy("Projects started"),
    "actual_investment": gettext_lazy("Actual investment (10k yuan)"),
    "big_projects": gettext_lazy("Projects above 100 million yuan"),
}


def _zone_param(request: HttpRequest, person: Person) -> Zone | None:
    """The zone named by ?zone=<id> (None for all zones); an unknown one is 404."""
    raw = request.GET.get("zone", "")
    if not raw:
        return None
    try:
        return get_visible_or_404(Zone.objects.all(), person, pk=int(raw))
    except ValueError:
        raise Http404 from None


# Overview ------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The pipeline at a glance, the projects waiting for a follow-up, and the way into each page."""
    person = staff_person(request)
    today = timezone.localdate()
    columns = kanban(person=person, per_column=0, today=today)
    stale = project_list(person=person, filters=ProjectFilters(stale="any"), today=today).order_by(
        "quiet_since", "pk"
    )
    by_zone = {
        row["zone_id"]: row
        for row in project_list(person=person, today=today)
        .order_by()
        .values("zone_id")
        .annotate(n=Count("pk"), amount=Sum("planned_investment"))
    }
    zones = [
        (zone, by_zone.get(zone.pk, {}).get("n", 0), by_zone.get(zone.pk, {}).get("amount") or Decimal(0))
        for zone in Zone.objects.visible_to(person).filter(is_active=True)
    ]
    context = {
        "columns": columns,
        "total_count": sum(c.count for c in columns),
        "total_amount": sum((c.amount for c in columns), Decimal(0)),
        "stale_rows": list(stale[:STALE_SHOWN]),
        "stale_total": stale.count(),
        "zones": zones,
        "today": today,
        "can_add": can_add_project(person),
        "stale_days": stale_days(),
    }
    return render(request, "investment/home.html", context)


# Kanban --------------------------------------------------------------------------------------------


# What a card on the board shows and what deciding whether the person may move it reads.
BOARD_CARD_FIELDS = (
    "name",
    "investor",
    "origin",
    "planned_investment",
    "stage",
    "version",
    "updated_at",
    "owner__name",
    "unit",
    "zone",
)


@login_required
def kanban_view(request: HttpRequest) -> HttpResponse:
    """The pipeline board of one zone (?zone=<id>) or of all zones; htmx asks for the board only."""
    person = staff_person(request)
    zone = _zone_param(request, person)
    today = timezone.localdate()
    columns = kanban(person=person, zone=zone, today=today, only=BOARD_CARD_FIELDS)
    for column in columns:
        for card in column.cards:
            card.can_move = card.stage != Stage.OPERATING and can_edit_project(person, card)  # type: ignore[attr-defined]
    context = {
        "columns": columns,
        "zone": zone,
        "zones": Zone.objects.visible_to(person).filter(is_active=True),
        "today": today,
        "stage_index": {s: i for i, s in enumerate(STAGES)},
        "can_add": can_add_project(person),
        "board_url": request.get_full_path(),
    }
    template = "investment/partials/board.html" if request.htmx else "investment/kanban.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# The project list ----------------------------------------------------------------------------------


@login_required
def project_list_view(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    form = ProjectFilterForm(request.GET or None, person=person)
    filters = form.filters() if form.is_bound else ProjectFilters()
    today = timezone.localdate()
    projects = project_list(person=person, filters=filters, today=today)
    context = {
        "form": form,
        "page": paginate(request, projects),
        "query": query_without(request, "page"),
        "today": today,
        "can_add": can_add_project(person),
    }
    template = "investment/partials/project_results.html" if request.htmx else "investment/project_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# The project page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing a person can do to a project from its page: the form and the service it calls."""

    form: type[ProjectActionForm]
    run: Callable[[Person, Project, ProjectActionForm], object]
    done: Any
    label: Any


def _v(form: ProjectActionForm) -> int | None:
    return cast(int | None, form.cleaned_data.get("version"))


def _move(person: Person, project: Project, form: ProjectActionForm) -> object:
    data = form.cleaned_data
    return services.project_move(
        actor=person,
        project=project,
        expected_version=_v(form),
        to_stage=data["to_stage"],
        moved_on=data.get("moved_on"),
        reason=data.get("reason") or "",
        documents=cast(MoveForm, form).documents(),
        contracted_amount=data.get("contracted_amount"),
        uscc=data.get("uscc") or "",
        enterprise_name=data.get("enterprise_name") or "",
    )


ACTIONS: dict[str, Action] = {
    "move": Action(
        MoveForm, _move, gettext_lazy("The project has moved to “%(stage)s”."), gettext_lazy("Move")
    ),
    "follow_up": Action(
        FollowUpAddForm,
        lambda p, project, f: services.follow_up_add(
            actor=p,
            project=project,
            date=f.cleaned_data["date"],
            form=f.cleaned_data["form"],
            people_met=f.cleaned_data["people_met"],
            outcome=f.cleaned_data["outcome"],
            next_step=f.cleaned_data.get("next_step") or "",
        ),
        gettext_lazy("The follow-up has been recorded."),
        gettext_lazy("Record a follow-up"),
    ),
    "investment": Action(
        InvestmentForm,
        lambda p, project, f: services.investment_record(
            actor=p, project=project, month=f.cleaned_data["month"], amount=f.cleaned_data["amount"]
        ),
        gettext_lazy("The month's investment has been recorded."),
        gettext_lazy("Record investment"),
    ),
    "lost": Action(
        LostForm,
        lambda p, project, f: services.project_mark_lost(
            actor=p,
            project=project,
            expected_version=_v(f),
            reason=f.cleaned_data.get("reason") or "",
            lost_on=f.cleaned_data.get("lost_on"),
        ),
        gettext_lazy("The project has been marked lost."),
        gettext_lazy("Mark lost"),
    ),
    "revive": Action(
        ReviveForm,
        lambda p, project, f: services.project_revive(
            actor=p, project=project, expected_version=_v(f), reason=f.cleaned_data.get("reason") or ""
        ),
        gettext_lazy("The project is being followed up again."),
        gettext_lazy("Revive"),
    ),
}


def _project(person: Person, pk: int, today: datetime.date) -> Project:
    """A project the person may see, with its stale state; anything else is 404."""
    queryset = annotate_stale(
        Project.objects.select_related("zone", "unit", "owner", "leader", "enterprise"), today
    )
    return get_visible_or_404(queryset, person, pk=pk)


def _later_stages(project: Project) -> list[tuple[str, str]]:
    here = STAGES.index(project.stage)
    return [(s, str(Stage(s).label)) for s in STAGES[here + 1 :]]


def _available(person: Person, project: Project) -> list[str]:
    """The actions the page offers this person now. The services still decide each one."""
    if not can_edit_project(person, project):
        return []
    lost = bool(project.lost_on)
    offered = {
        "move": not lost and project.stage != Stage.OPERATING,
        "follow_up": True,
        "investment": project.stage in (Stage.STARTED, Stage.OPERATING),
        "lost": not lost,
        "revive": lost,
    }
    return [name for name in ACTIONS if offered[name]]


def _timeline(project: Project, moves: list[StageMove]) -> list[dict[str, Any]]:
    """Each stage with the date it was reached, or the reason it was skipped; losses and revivals
    are listed under the stage the project was at."""
    here = STAGES.index(project.stage)
    reached_by: dict[str, StageMove] = {}
    skipped_by: dict[str, StageMove] = {}
    events: dict[str, list[StageMove]] = defaultdict(list)
    for step in moves:
        if step.kind == "move" and step.from_stage in STAGES and step.to_stage in STAGES:
            reached_by[step.to_stage] = step
            for stage in STAGES[STAGES.index(step.from_stage) + 1 : STAGES.index(step.to_stage)]:
                skipped_by[stage] = step
        elif step.kind in ("lost", "revive"):
            events[step.from_stage].append(step)
    entries = []
    for i, stage in enumerate(STAGES):
        date = project.reached_on(stage)
        if date and i <= here:
            status = "reached"
        elif i < here:
            status = "skipped"
        else:
            status = "ahead"
        entries.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "date": date if status == "reached" else None,
                "status": status,
                "current": i == here,
                "move": reached_by.get(stage),
                "skip": skipped_by.get(stage) if status == "skipped" else None,
                "events": events.get(stage, []),
            }
        )
    return entries


def _project_page(
    request: HttpRequest,
    project: Project,
    *,
    bound: tuple[str, ProjectActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the project page; `bound` is an action form that was refused, shown with its errors."""
    person = cast(Person, request.user)
    today = timezone.localdate()
    tab = request.GET.get("tab", "overview")
    names = _available(person, project)
    forms: dict[str, ProjectActionForm] = {}
    for name in names:
        if name != "move":
            forms[name] = ACTIONS[name].form(project=project, prefix=name)
    failed = bound[0] if bound else None
    if bound is not None:
        forms[bound[0]] = bound[1]
    context: dict[str, Any] = {
        "project": project,
        "object": project,
        "tab": tab,
        "today": today,
        "can_edit": can_edit_project(person, project),
        "actions": names,
        "forms": forms,
        "labels": {name: ACTIONS[name].label for name in ACTIONS},
        "failed": failed,
        "failed_form": bound[1] if bound else None,
        "later_stages": _later_stages(project) if "move" in names else [],
        "quiet_days": (today - project.quiet_since).days if project.quiet_since else None,  # type: ignore[attr-defined]
        "stale_threshold": stale_days().get(project.stage),
    }
    if tab == "history":
        context["history"] = history_of(project)
    else:
        moves = list(project.moves.select_related("by").prefetch_related("documents"))
        investments = list(project.investments.all())
        context.update(
            timeline=_timeline(project, moves),
            follow_ups=project.follow_ups.select_related("author"),
            documents=project.documents.select_related("uploaded_by", "move"),
            investments=investments,
            invested_total=sum((row.amount for row in investments), Decimal(0)),
        )
    return render(request, "investment/project_detail.html", context, status=status)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = staff_person(request)
    return _project_page(request, _project(person, pk, timezone.localdate()))


def _move_form_page(
    request: HttpRequest, project: Project, form: MoveForm, *, status: int = 200
) -> HttpResponse:
    """The move form: as the kanban dialog's content (htmx) or as a page of its own."""
    context = {
        "project": project,
        "form": form,
        "to_stage": form.target_stage,
        "to_label": Stage(form.target_stage).label,
        "from_label": Stage(project.stage).label,
        "next": request.GET.get("next") or request.POST.get("next") or "",
    }
    template = "investment/partials/move_form.html" if request.htmx else "investment/project_move.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _move_form(request: HttpRequest, project: Project, data: Any = None, files: Any = None) -> MoveForm:
    source = data if data is not None else request.GET
    to_stage = source.get("move-to_stage") or source.get("to") or ""
    if to_stage not in STAGES or STAGES.index(to_stage) <= STAGES.index(project.stage):
        raise Http404
    initial: dict[str, Any] = {}
    version = request.GET.get("version", "")
    if version.isdigit():
        initial["version"] = int(version)  # the version the board showed: a stale board is a conflict
    return MoveForm(data, files, project=project, to_stage=to_stage, prefix="move", initial=initial)


@login_required
def project_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Do one action on a project through its service.

    GET (move only) gives the move form for `?to=<stage>`: the kanban dialog's content for htmx,
    a page otherwise. POST runs the service. For htmx a success answers JSON and a refusal the
    form with the service's message (400, or 409 when someone else changed the project first);
    without htmx a success redirects to the project and a refusal re-shows the form.
    """
    person = staff_person(request)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    project = _project(person, pk, timezone.localdate())
    require(can_edit_project(person, project), person, "edit_project", project)
    if request.method == "GET":
        if action != "move":
            return redirect("investment:project_detail", project.pk)
        return _move_form_page(request, project, _move_form(request, project))
    if request.method != "POST":
        return HttpResponse(status=405)

    if action == "move":
        form: ProjectActionForm = _move_form(request, project, request.POST, request.FILES)
    else:
        form = spec.form(request.POST, request.FILES, project=project, prefix=action)
    # The kanban's dialog shows a refused move in the form itself, without a message for later.
    in_dialog = action == "move" and request.htmx  # type: ignore[attr-defined]
    _result, status = run_form(
        request, form, lambda: spec.run(person, project, form), announce_conflict=not in_dialog
    )
    if status != 200:
        if action == "move":
            return _move_form_page(request, project, cast(MoveForm, form), status=status)
        # Nothing was written; show the project as it is now (someone else may have changed it).
        fresh = _project(person, pk, timezone.localdate())
        return _project_page(request, fresh, bound=None if status == 409 else (action, form), status=status)
    if action == "move":
        done = str(spec.done) % {"stage": Stage(form.cleaned_data["to_stage"]).label}
    else:
        done = str(spec.done)
    if request.htmx:  # type: ignore[attr-defined]
        if request.POST.get("announce"):  # the page reloads after this answer: show it there
            messages.success(request, done)
        return JsonResponse({"ok": True, "message": done, "project": project.pk})
    messages.success(request, done)
    return redirect(next_url(request, reverse("investment:project_detail", args=[project.pk])))


@login_required
def project_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record a lead, or edit a project's facts. A stale save is refused and changes nothing."""
    person = staff_person(request)
    project = get_visible_or_404(Project.objects.all(), person, pk=pk) if pk else None
    if project is None:
        require(can_add_project(person), person, "add_project")
    else:
        require(can_edit_project(person, project), person, "edit_project", project)
    form = ProjectForm(request.POST or None, instance=project, person=person)

    def save() -> Project:
        data = form.cleaned_data
        if project is None:
            return services.project_create(actor=person, lead_on=data.get("lead_on"), **form.changes())
        return services.project_update(
            actor=person, project=project, expected_version=data.get("version"), changes=form.changes()
        )

    if request.method == "POST":
        saved, _status = run_form(request, form, save)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("investment:project_detail", saved.pk)
    status = 400 if form.errors else 200
    return render(request, "investment/project_edit.html", {"form": form, "object": project}, status=status)


@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is handed out only to people who can see its project; anyone else gets 404."""
    person = staff_person(request)
    return file_response(
        ProjectDocument.objects.filter(pk=pk, project__in=Project.objects.visible_to(person)).first()
    )


# The funnel ----------------------------------------------------------------------------------------


@login_required
def funnel_view(request: HttpRequest) -> HttpResponse:
    """Projects reaching each stage, the conversion between stages, the median days in each."""
    person = staff_person(request)
    form = FunnelFilterForm(request.GET or None, person=person)
    data = form.cleaned_data if form.is_valid() else {}
    steps = funnel(person=person, zone=data.get("zone"), since=data.get("since"))
    chart = {
        "stages": [s.label for s in steps],
        "reached": [s.reached for s in steps],
        "conversion": [float(s.conversion) if s.conversion is not None else None for s in steps],
        "median": [s.median_days for s in steps],
        "labels": {
            "reached": _("Projects reached"),
            "median": _("Median days in stage"),
            "days": _("days"),
            "conversion": _("from the previous stage"),
        },
    }
    context = {"form": form, "steps": steps, "chart": chart, "zone": data.get("zone")}
    return render(request, "investment/funnel.html", context)


# Targets -------------------------------------------------------------------------------------------


def _year(request: HttpRequest, today: datetime.date) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    try:
        year = int(raw)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


def _number(value: Any) -> float | int:
    return float(value) if isinstance(value, Decimal) else int(value or 0)


@login_required
def targets_view(request: HttpRequest) -> HttpResponse:
    """Each zone's year against its targets, the projects behind each figure, and setting targets."""
    person = staff_person(request)
    today = timezone.localdate()
    year = _year(request, today)
    may_set = can_set_targets(person)
    failed: TargetForm | None = None
    status = 200
    if request.method == "POST":
        require(may_set, person, "set_targets")
        form = TargetForm(request.POST)
        _result, status = run_form(
            request,
            form,
            lambda: services.target_set(
                actor=person,
                zone=form.cleaned_data["zone"],
                year=form.cleaned_data["year"],
                expected_version=form.cleaned_data.get("version"),
                **form.values(),  # type: ignore[arg-type]
            ),
        )
        if status == 200:
            messages.success(
                request,
                _("The targets of %(zone)s for %(year)s have been saved.")
                % {"zone": form.cleaned_data["zone"].name, "year": form.cleaned_data["year"]},
            )
            return redirect(
                reverse("investment:targets") + "?" + urlencode({"year": form.cleaned_data["year"]})
            )
        # Someone else set them first (409): show the targets as they are now, with the message.
        if status == 400:
            failed = form
    rows = targets(person=person, year=year)
    # Months still to come this year are left off the lines instead of drawn flat.
    months = 12 if year < today.year else (today.month if year == today.year else 0)
    charts = []
    for row in rows:
        t = row.target
        row.cells = [  # type: ignore[attr-defined]
            {
                "metric": metric,
                "label": label,
                "actual": getattr(row, metric),
                "target": getattr(t, metric) if t else None,
                "percent": row.percent(metric),
                "amount": metric in AMOUNT_METRICS,
            }
            for metric, label in TARGET_METRICS.items()
        ]
        if may_set:
            prefix = f"t{row.zone.pk}"
            if failed is not None and failed.data.get("zone") == str(row.zone.pk):
                row.form = failed  # type: ignore[attr-defined]
            else:
                initial: dict[str, Any] = {"zone": row.zone.pk, "year": year}
                if t:
                    initial["version"] = t.version
                    initial.update(
                        {
                            m: getattr(t, m)
                            for m in ("signed_amount", "started_count", "actual_investment", "big_projects")
                        }
                    )
                row.form = TargetForm(initial=initial, auto_id=f"id_{prefix}_%s")  # type: ignore[attr-defined]
        charts.append(
            {
                "zone": row.zone.pk,
                "series": {
                    metric: [_number(v) for v in row.monthly.get(metric, [])[:months]]
                    for metric in TARGET_METRICS
                },
                "targets": {
                    metric: (_number(getattr(t, metric)) if t else None) for metric in TARGET_METRICS
                },
            }
        )
    drill = None
    metric = request.GET.get("metric", "")
    if metric in TARGET_METRICS and request.GET.get("zone"):
        zone = _zone_param(request, person)
        assert zone is not None
        drill = {
            "zone": zone,
            "metric": metric,
            "label": TARGET_METRICS[metric],
            "projects": target_drilldown(person=person, zone=zone, year=year, metric=metric).select_related(
                "zone"
            ),
        }
    context = {
        "year": year,
        "years": sorted({*range(today.year - 3, today.year + 2), year}),
        "rows": rows,
        "charts": charts,
        "chart_labels": {
            "months": [str(m) for m in range(1, 13)],
            "month": _("Month"),
            "axis": {m: str(label) for m, label in TARGET_AXES.items()},
            "actual": _("Actual, cumulative"),
            "target": _("Year target"),
            "pace": _("Even pace to target"),
        },
        "metrics": TARGET_METRICS,
        "may_set": may_set,
        "drill": drill,
        "today": today,
    }
    return render(request, "investment/targets.html", context, status=status)
