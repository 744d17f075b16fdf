"""Pages of the implementation list. Thin: forms collect input, services decide, selectors read."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luoshi.core.access import get_visible_or_404, require
from luoshi.core.audit import history_of
from luoshi.core.errors import Conflict
from luoshi.core.forms import add_service_error
from luoshi.core.pages import (
    Action,
    ActionButtons,
    next_url,
    period_context,
    query_without,
    run_form,
    staff_person,
)
from luoshi.core.uploads import file_response
from luoshi.core.views import paginate
from luoshi.org.models import Person, Unit, Zone

from . import services
from .access import can_assign, can_claim, can_report, heads_lead_unit, is_supervisor
from .forms import (
    AcknowledgeForm,
    ActionForm,
    AssignForm,
    ClaimForm,
    CloseOutForm,
    DecideChangeForm,
    DirectiveForm,
    ItemFilterForm,
    ItemForm,
    MilestoneForm,
    NoInputForm,
    PeriodForm,
    PlanForm,
    PublishForm,
    ReasonForm,
    ReportForm,
    RequestChangeForm,
    VerifyForm,
)
from .lights import Light, Thresholds, rules_text
from .models import (
    Attachment,
    AttachmentKind,
    ChangeKind,
    Directive,
    Escalation,
    Item,
    ItemQuerySet,
    ItemState,
    Milestone,
    ProgressReport,
)
from .selectors import (
    ItemFilters,
    coverage_warnings,
    escalation_list,
    gathers_items,
    item_get_detail,
    item_list,
    kept_condition,
    light_counts,
    promise_items,
    promise_rates,
)

S = ItemState
WARNINGS_SHOWN = 10


def table_rows(items: ItemQuerySet) -> QuerySet[Item, dict[str, Any]]:
    """The item table's columns (`worklist_tags.item_rows`), as rows rather than model instances:
    the item's own, its lead unit's and owner's names and the percent of its latest progress
    report. Reading no more than that keeps a list page cheap: joining the six records of
    `selectors.ITEM_REFS` took PostgreSQL 18 ms to plan, and building three model instances per
    row 2–3 ms of the page's CPU."""
    # `light` is an annotation the django-stubs plugin cannot see.
    return items.with_latest_report(latest_percent="percent").values(  # type: ignore[misc]
        "pk",
        "code",
        "title",
        "deadline",
        "state",
        "light",
        "latest_percent",
        lead_unit_name=F("lead_unit__name"),
        owner_name=F("owner__name"),
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# Home ----------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Lights at a glance, coverage warnings, and the way into each queue."""
    person = staff_person(request)
    counts = light_counts(item_list(person=person))
    warnings = coverage_warnings(person=person)
    warning_rows = {key: (list(qs[:WARNINGS_SHOWN]), qs.count()) for key, qs in warnings.items()}
    supervisor = is_supervisor(person)
    head_units = person.scope.head_of_unit_ids
    queues = {
        "mine": Item.objects.filter(owner=person).exclude(state__in=[S.CLOSED, S.CANCELLED]).count(),
        "claims": (
            Item.objects.filter(state=S.PUBLISHED, lead_unit_id__in=head_units).count()
            if head_units
            else None
        ),
        "verification": Item.objects.filter(state=S.CLOSE_REQUESTED).count() if supervisor else None,
        "escalations": escalation_list(person=person).filter(acknowledged_at__isnull=True).count(),
    }
    context = {
        "counts": [(light, label, counts.get(light, 0)) for light, label in Light.choices],
        "total": sum(counts.values()),
        "rules": rules_text(),
        "directives_without_items": warning_rows["directives_without_items"],
        "items_without_owner": warning_rows["items_without_owner"],
        "items_without_report": warning_rows["items_without_report"],
        "warning_total": sum(n for _rows, n in warning_rows.values()),
        "queues": queues,
        "is_supervisor": supervisor,
    }
    return render(request, "worklist/home.html", context)


# The item list ---------------------------------------------------------------------------------------


@login_required
def item_list_view(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    form = ItemFilterForm(request.GET or None, person=person)
    filters = form.filters() if form.is_bound else ItemFilters()
    items = table_rows(item_list(person=person, filters=filters))
    context = {
        "form": form,
        "page": paginate(request, items, gathered=gathers_items(person, by_unit=filters.unit is not None)),
        "query": query_without(request, "page"),
        "directive": filters.directive,
        "without_directive": query_without(request, "page", "directive"),
        "rules": rules_text(),
        "is_supervisor": is_supervisor(person),
    }
    template = "worklist/partials/item_results.html" if request.htmx else "worklist/item_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def item_filters_more(request: HttpRequest) -> HttpResponse:
    """The list's "More filters" panel, fetched when it first opens, with the list's current filters
    (the owners offered are the chosen unit's people)."""
    form = ItemFilterForm(request.GET or None, person=staff_person(request))
    return render(request, "worklist/partials/item_filters_more.html", {"form": form})


# The item page ---------------------------------------------------------------------------------------


def _v(data: dict[str, Any]) -> int | None:
    return cast(int | None, data.get("version"))


ACTIONS: dict[str, Action[Item, ActionForm]] = {
    "publish": Action(
        PublishForm,
        lambda p, i, d: services.item_publish(
            actor=p, item=i, expected_version=_v(d), lead_unit=d["lead_unit"]
        ),
        gettext_lazy("The item has been published to its lead unit for claiming."),
    ),
    "claim": Action(
        ClaimForm,
        lambda p, i, d: services.item_claim(actor=p, item=i, expected_version=_v(d), owner=d["owner"]),
        gettext_lazy("You have claimed the item."),
    ),
    "decline": Action(
        ReasonForm,
        lambda p, i, d: services.item_decline(actor=p, item=i, expected_version=_v(d), reason=d["reason"]),
        gettext_lazy("You have declined the item."),
    ),
    "assign": Action(
        AssignForm,
        lambda p, i, d: services.item_assign(
            actor=p, item=i, expected_version=_v(d), owner=d.get("owner"), leader=d.get("leader")
        ),
        gettext_lazy("The responsibility chain has been changed."),
    ),
    "start": Action(
        NoInputForm,
        lambda p, i, d: services.item_start(actor=p, item=i, expected_version=_v(d)),
        gettext_lazy("Work on the item has started."),
    ),
    "plan": Action(
        PlanForm,
        lambda p, i, d: services.milestones_plan(
            actor=p, item=i, template=d.get("template"), steps=d.get("steps")
        ),
        gettext_lazy("The milestones have been planned back from the deadline."),
    ),
    "report": Action(
        ReportForm,
        lambda p, i, d: services.report_submit(
            actor=p,
            item=i,
            done=d["done"],
            percent=d["percent"],
            problems=d.get("problems", ""),
            next_steps=d.get("next_steps", ""),
            files=d.get("evidence") or [],
        ),
        gettext_lazy("Your progress report has been saved."),
        multipart=True,
    ),
    "close_out": Action(
        CloseOutForm,
        lambda p, i, d: services.item_submit_close_out(
            actor=p,
            item=i,
            expected_version=_v(d),
            actual_value=d.get("actual_value"),
            actual_text=d.get("actual_text", ""),
            files=d.get("evidence") or [],
        ),
        gettext_lazy("The close-out has been submitted for verification."),
        multipart=True,
    ),
    "verify": Action(
        VerifyForm,
        lambda p, i, d: services.item_verify(
            actor=p, item=i, expected_version=_v(d), target_met=d.get("target_met")
        ),
        gettext_lazy("The item has been closed out."),
    ),
    "return": Action(
        ReasonForm,
        lambda p, i, d: services.item_return(actor=p, item=i, expected_version=_v(d), reason=d["reason"]),
        gettext_lazy("The close-out has been returned to the owner."),
    ),
    "request_change": Action(
        RequestChangeForm,
        lambda p, i, d: services.item_request_change(
            actor=p, item=i, expected_version=_v(d), kind=d["kind"], reason=d["reason"]
        ),
        gettext_lazy("Your request has been sent to the supervision office."),
    ),
    "decide_change": Action(
        DecideChangeForm,
        lambda p, i, d: services.item_decide_change(
            actor=p,
            item=i,
            expected_version=_v(d),
            approve=d["decision"] == "approve",
            note=d.get("note", ""),
        ),
        gettext_lazy("The request has been decided."),
    ),
    "suspend": Action(
        ReasonForm,
        lambda p, i, d: services.item_suspend(actor=p, item=i, expected_version=_v(d), reason=d["reason"]),
        gettext_lazy("The item has been suspended."),
    ),
    "cancel": Action(
        ReasonForm,
        lambda p, i, d: services.item_cancel(actor=p, item=i, expected_version=_v(d), reason=d["reason"]),
        gettext_lazy("The item has been cancelled."),
    ),
    "resume": Action(
        NoInputForm,
        lambda p, i, d: services.item_resume(actor=p, item=i, expected_version=_v(d)),
        gettext_lazy("The item has been resumed."),
    ),
}

ACTION_LABELS = {
    "publish": gettext_lazy("Publish"),
    "claim": gettext_lazy("Claim"),
    "decline": gettext_lazy("Decline"),
    "assign": gettext_lazy("Change owner or leader"),
    "start": gettext_lazy("Start work"),
    "plan": gettext_lazy("Plan milestones"),
    "report": gettext_lazy("Report progress"),
    "close_out": gettext_lazy("Submit close-out"),
    "verify": gettext_lazy("Verify and close out"),
    "return": gettext_lazy("Return close-out"),
    "request_change": gettext_lazy("Request suspension or cancellation"),
    "decide_change": gettext_lazy("Decide the request"),
    "suspend": gettext_lazy("Suspend"),
    "cancel": gettext_lazy("Cancel item"),
    "resume": gettext_lazy("Resume"),
}

# The order of the buttons on the page: what moves the item forward first.
ACTION_ORDER = list(ACTION_LABELS)
BUTTONS = ActionButtons(
    labels=ACTION_LABELS,
    forward={"publish", "claim", "start", "report", "close_out", "verify", "decide_change", "resume"},
    stopping={"decline", "return", "suspend", "cancel"},
    no_input=NoInputForm,
)


def available_actions(person: Person, item: Item) -> list[str]:
    """The actions the item's page offers this person now. The services still decide each one."""
    supervisor = is_supervisor(person)
    planner = supervisor or heads_lead_unit(person, item) or item.owner_id == person.pk
    reporter = can_report(person, item)
    state = item.state
    offered = {
        "publish": supervisor and state in (S.DRAFT, S.DECLINED),
        "claim": can_claim(person, item) and state == S.PUBLISHED,
        "decline": can_claim(person, item) and state == S.PUBLISHED,
        "assign": can_assign(person, item) and state in (S.CLAIMED, S.IN_PROGRESS, S.SUSPENDED),
        "start": planner and state == S.CLAIMED,
        "plan": planner and state in (S.DRAFT, S.PUBLISHED, S.DECLINED, S.CLAIMED, S.IN_PROGRESS),
        "report": reporter and state == S.IN_PROGRESS,
        "close_out": reporter and state == S.IN_PROGRESS,
        "verify": supervisor and state == S.CLOSE_REQUESTED,
        "return": supervisor and state == S.CLOSE_REQUESTED,
        "request_change": reporter
        and not item.requested_change
        and state in services.CANCELLABLE
        and not supervisor,
        "decide_change": supervisor and bool(item.requested_change),
        "suspend": supervisor and state in services.SUSPENDABLE,
        "cancel": supervisor and state in services.CANCELLABLE,
        "resume": supervisor and state == S.SUSPENDED,
    }
    return [name for name in ACTION_ORDER if offered[name]]


def _milestone_status(milestone: Milestone, t: Thresholds) -> str:
    if milestone.done_at and milestone.done_at <= t.moment:
        return "done"
    if milestone.due_date < t.today:
        return "overdue"
    if milestone.due_date <= t.due_soon:
        return "due_soon"
    return "upcoming"


def _item_page(
    request: HttpRequest,
    item: Item,
    *,
    bound: tuple[str, ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the item page; `bound` is an action form that was refused, shown with its errors."""
    person = cast(Person, request.user)
    tab = request.GET.get("tab", "overview")
    names = available_actions(person, item)
    # The other forms are fetched when their panel opens (`item_action_form`): built and rendered
    # here they were a third of the page's CPU.
    forms = BUTTONS.page_forms(
        ACTIONS, names, lambda name: ACTIONS[name].form(item=item, person=person, prefix=name)
    )
    t = Thresholds.at()
    context: dict[str, Any] = {
        "item": item,
        "object": item,
        "tab": tab,
        "rules": rules_text(),
        **BUTTONS.context(ACTIONS, forms, bound),
        "is_supervisor": is_supervisor(person),
    }
    if tab == "history":
        context["history"] = history_of(item)
    else:
        milestones = list(item.milestones.all())
        for m in milestones:
            m.status = _milestone_status(m, t)  # type: ignore[attr-defined]
        can_plan = "plan" in names or (
            item.state not in (S.CLOSED, S.CANCELLED)
            and (is_supervisor(person) or heads_lead_unit(person, item) or item.owner_id == person.pk)
        )
        escalations = list(item.escalations.select_related("acknowledged_by").prefetch_related("recipients"))
        for e in escalations:
            e.can_acknowledge = not e.acknowledged_at and any(  # type: ignore[attr-defined]
                r.pk == person.pk for r in e.recipients.all()
            )
        report_base = getattr(item, "report_base", None)
        context.update(
            milestones=milestones,
            can_edit_milestones=can_plan,
            can_complete_milestones=can_report(person, item) and item.state == S.IN_PROGRESS,
            reports=_reports_page(item, 1),
            close_out_files=item.attachments.filter(kind=AttachmentKind.CLOSE_OUT),
            escalations=escalations,
            support_units=item.support_units.all(),
            requested_by=item.requested_by if item.requested_change else None,
            next_report_due=(
                report_base + datetime.timedelta(days=item.report_cycle)
                if report_base and item.state == S.IN_PROGRESS
                else None
            ),
            today=t.today,
            change_kind=ChangeKind(item.requested_change).label if item.requested_change else "",
        )
    return render(request, "worklist/item_detail.html", context, status=status)


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = staff_person(request)
    return _item_page(request, item_get_detail(person=person, pk=pk))


@login_required
def item_action_form(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action's form, for its panel on the item page, fetched when the panel opens."""
    person = staff_person(request)
    item = item_get_detail(person=person, pk=pk)
    if action not in available_actions(person, item):
        raise Http404
    form = ACTIONS[action].form(item=item, person=person, prefix=action)
    (button,) = BUTTONS.context(ACTIONS, {action: form}, None)["actions"]
    return render(request, "worklist/partials/action_form.html", {"item": item, "a": button})


REPORTS_SHOWN = 10  # the newest reports on the item page; earlier ones are fetched on request


def _reports_page(item: Item, number: int | str | None) -> Page[ProgressReport]:
    """One page of the item's progress reports, newest first, with how many come after it (`earlier`)."""
    reports = item.reports.select_related("author").prefetch_related("attachments")
    page = Paginator(reports, REPORTS_SHOWN).get_page(number)
    page.earlier = page.paginator.count - page.end_index()  # type: ignore[attr-defined]
    return page


@login_required
def item_reports(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier progress reports of an item, for the item page's "show earlier reports" button."""
    item = get_visible_or_404(Item.objects.only("pk"), staff_person(request), pk=pk)
    context = {"item": item, "reports": _reports_page(item, request.GET.get("page"))}
    return render(request, "worklist/partials/reports.html", context)


@login_required
@require_POST
def item_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Do one action on an item through its service; a refusal re-shows the page with the error."""
    person = staff_person(request)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    item = item_get_detail(person=person, pk=pk)
    form = spec.form(request.POST, request.FILES, item=item, person=person, prefix=action)
    _result, status = run_form(request, form, lambda: spec.run(person, item, form.cleaned_data))
    if status != 200:
        # Nothing was written; show the item as it is now (someone else may have changed it).
        fresh = item_get_detail(person=person, pk=pk)
        return _item_page(request, fresh, bound=None if status == 409 else (action, form), status=status)
    messages.success(request, str(spec.done))
    return redirect("worklist:item_detail", item.pk)


@login_required
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or edit an item (supervisors). A stale save is refused and changes nothing."""
    person = staff_person(request)
    item = get_visible_or_404(Item.objects.all(), person, pk=pk) if pk else None
    require(is_supervisor(person), person, "supervise", item)
    initial = {"directive": request.GET.get("directive")} if item is None else None
    form = ItemForm(request.POST or None, instance=item, initial=initial)

    def save() -> Item:
        if item is None:
            return services.item_create(actor=person, support_units=form.support_units(), **form.changes())
        return services.item_update(
            actor=person,
            item=item,
            expected_version=form.cleaned_data.get("version"),
            changes=form.changes(),
            support_units=form.support_units(),
        )

    if request.method == "POST":
        saved, _status = run_form(request, form, save)
        if saved:
            messages.success(request, _("Saved."))
            return redirect("worklist:item_detail", saved.pk)
    status = 400 if form.errors else 200
    return render(request, "worklist/item_edit.html", {"form": form, "object": item}, status=status)


@login_required
@require_POST
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a milestone's title or date (op=save), or mark it done or not done (op=done/undo)."""
    person = staff_person(request)
    milestone = (
        Milestone.objects.filter(pk=pk, item__in=Item.objects.visible_to(person))
        .select_related("item")
        .first()
    )
    if milestone is None:
        raise Http404
    op = request.POST.get("op", "save")
    form = MilestoneForm(request.POST)
    try:
        if op in ("done", "undo"):
            services.milestone_complete(
                actor=person,
                milestone=milestone,
                expected_version=_int(request.POST.get("version")),
                done=op == "done",
            )
            messages.success(request, _("The milestone has been updated."))
        elif not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        else:
            data = form.cleaned_data
            services.milestone_update(
                actor=person,
                milestone=milestone,
                expected_version=data.get("version"),
                changes={"title": data["title"], "due_date": data["due_date"]},
            )
            messages.success(request, _("The milestone has been updated."))
    except Conflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("worklist:item_detail", args=[milestone.item_id]) + "#milestones")


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is handed out only to people who can see its item; anyone else gets 404."""
    person = staff_person(request)
    return file_response(Attachment.objects.filter(pk=pk, item__in=Item.objects.visible_to(person)).first())


# Queues --------------------------------------------------------------------------------------------


def _queue(
    request: HttpRequest,
    items: ItemQuerySet,
    *,
    title: str,
    intro: str,
    empty: str,
    show_all_toggle: bool = False,
) -> HttpResponse:
    context = {
        "page": paginate(request, table_rows(items)),
        "query": query_without(request, "page"),
        "title": title,
        "intro": intro,
        "empty": empty,
        "show_all_toggle": show_all_toggle,
        "show_all": request.GET.get("all") == "1",
        "rules": rules_text(),
    }
    return render(request, "worklist/queue.html", context)


@login_required
def my_items(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    items = item_list(person=person, filters=ItemFilters(owner=person))
    if request.GET.get("all") != "1":
        items = items.exclude(state__in=[S.CLOSED, S.CANCELLED])
    return _queue(
        request,
        items,
        title=_("My items"),
        intro=_(
            "Items you own: report progress on each one every cycle, and submit the close-out with evidence."
        ),
        empty=_("You own no open items."),
        show_all_toggle=True,
    )


@login_required
def claim_queue(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    heads = person.scope.head_of_unit_ids
    require(bool(heads) or is_supervisor(person), person, "claim_queue")
    items = item_list(person=person, filters=ItemFilters(states=[S.PUBLISHED]))
    if not is_supervisor(person) or heads:
        items = items.filter(lead_unit_id__in=heads)
    return _queue(
        request,
        items,
        title=_("Claim queue"),
        intro=_(
            "Items published to the units you head. Claim each one and name its owner, or decline it with a reason."
        ),
        empty=_("Nothing is waiting to be claimed."),
    )


@login_required
def verification_queue(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    require(is_supervisor(person), person, "verification_queue")
    items = item_list(person=person, filters=ItemFilters(states=[S.CLOSE_REQUESTED])).order_by(
        "close_requested_at", "code"
    )
    return _queue(
        request,
        items,
        title=_("Verification queue"),
        intro=_(
            "Close-outs submitted by owners. Check the result and the evidence, then close the item out or return it."
        ),
        empty=_("No close-out is waiting for verification."),
    )


@login_required
def escalation_list_view(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    show_all = request.GET.get("all") == "1"
    escalations = escalation_list(person=person).select_related("item__lead_unit", "item__owner")
    if not show_all:
        escalations = escalations.filter(acknowledged_at__isnull=True)
    page = paginate(request, escalations.prefetch_related("recipients"))
    rows = list(page)
    lights = dict(
        Item.objects.filter(pk__in=[e.item_id for e in rows]).with_light().values_list("pk", "light")  # type: ignore[misc]
    )
    for e in rows:
        e.light = lights.get(e.item_id)  # type: ignore[attr-defined]
        e.can_acknowledge = not e.acknowledged_at and any(r.pk == person.pk for r in e.recipients.all())  # type: ignore[attr-defined]
    context = {
        "page": page,
        "rows": rows,
        "show_all": show_all,
        "query": query_without(request, "page"),
        "rules": rules_text(),
    }
    return render(request, "worklist/escalations.html", context)


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    person = staff_person(request)
    visible = Item.objects.visible_to(person)
    escalation = (
        Escalation.objects.filter(Q(item__in=visible) | Q(recipients=person), pk=pk).distinct().first()
    )
    if escalation is None:
        raise Http404
    form = AcknowledgeForm(request.POST)
    plan = request.POST.get("recovery_plan", "")
    try:
        services.escalation_acknowledge(actor=person, escalation=escalation, recovery_plan=plan)
        messages.success(request, _("The escalation has been acknowledged with your recovery plan."))
    except ValidationError as exc:
        add_service_error(form, exc)
        messages.error(request, " ".join(exc.messages))
    return redirect(next_url(request, reverse("worklist:escalations")))


# Promise-keeping -----------------------------------------------------------------------------------

BY_FIELD = {"unit": "lead_unit_id", "person": "owner_id", "zone": "zone_id"}


def _promise_subject(person: Person, by: str, key: str) -> Unit | Person | Zone:
    """The unit, owner or zone a drill-down is about; one the person cannot see is 404."""
    model = {"unit": Unit, "person": Person, "zone": Zone}[by]
    try:
        return get_visible_or_404(model.objects.all(), person, pk=int(key))  # type: ignore[attr-defined, no-any-return]
    except ValueError:
        raise Http404 from None


@login_required
def promise_view(request: HttpRequest) -> HttpResponse:
    """Promise-keeping rates by unit, person and zone for a period, each drilling down to its items."""
    person = staff_person(request)
    # Deadlines run into next year, so next year is offered too.
    shown = period_context(PeriodForm(request.GET or None), years_ahead=1)
    start, end = shown["start"], shown["end"]
    rates = {by: promise_rates(person=person, start=start, end=end, by=by) for by in BY_FIELD}
    drill: dict[str, Any] | None = None
    by = request.GET.get("by", "")
    if by in BY_FIELD:
        items = promise_items(person=person, start=start, end=end).select_related(
            "lead_unit", "owner", "zone"
        )
        key = request.GET.get("key", "")
        label = ""
        if key:
            subject = _promise_subject(person, by, key)
            items = items.filter(**{BY_FIELD[by]: subject.pk})
            label = str(subject)
        kept = request.GET.get("kept")
        if kept in ("0", "1"):
            items = items.filter(kept=kept == "1")  # type: ignore[misc]
        drill = {
            "by": by,
            "label": label,
            "kept": kept,
            "items": items.order_by("deadline", "code"),
        }
    overall = promise_items(person=person, start=start, end=end).aggregate(
        due=Count("pk"), kept=Count("pk", filter=kept_condition())
    )
    context = {
        **shown,
        "sections": [
            ("unit", _("By lead unit"), rates["unit"]),
            ("person", _("By owner"), rates["person"]),
            ("zone", _("By zone"), rates["zone"]),
        ],
        "overall": overall,
        "overall_rate": (round(overall["kept"] * 100 / overall["due"], 1) if overall["due"] else None),
        "drill": drill,
    }
    return render(request, "worklist/promises.html", context)


# Directives ----------------------------------------------------------------------------------------


@login_required
def directive_list_view(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    directives = (
        Directive.objects.visible_to(person).select_related("issuing_unit").order_by("-source_date", "-id")
    )
    if not person.scope.everything:
        visible = Item.objects.visible_to(person).values("pk")
        directives = directives.annotate(n_items=Count("items", filter=Q(items__in=visible)))
    else:
        directives = directives.annotate(n_items=Count("items"))
    q = request.GET.get("q", "").strip()
    if q:
        directives = directives.filter(
            Q(title__icontains=q) | Q(source_title__icontains=q) | Q(text__icontains=q)
        )
    context = {
        "page": paginate(request, directives),
        "query": query_without(request, "page"),
        "q": q,
        "is_supervisor": is_supervisor(person),
    }
    return render(request, "worklist/directive_list.html", context)


@login_required
def directive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = staff_person(request)
    directive = get_visible_or_404(Directive.objects.select_related("issuing_unit"), person, pk=pk)
    tab = request.GET.get("tab", "overview")
    context: dict[str, Any] = {
        "object": directive,
        "directive": directive,
        "tab": tab,
        "is_supervisor": is_supervisor(person),
        "rules": rules_text(),
    }
    if tab == "history":
        context["history"] = history_of(directive)
    else:
        items = item_list(person=person, filters=ItemFilters(directive=directive))
        counts = light_counts(items)
        context.update(
            page=paginate(request, table_rows(items)),
            query=query_without(request, "page"),
            counts=[(light, label, counts.get(light, 0)) for light, label in Light.choices],
        )
    return render(request, "worklist/directive_detail.html", context)


@login_required
def directive_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = staff_person(request)
    directive = get_visible_or_404(Directive.objects.all(), person, pk=pk) if pk else None
    require(is_supervisor(person), person, "supervise", directive)
    form = DirectiveForm(request.POST or None, instance=directive)

    def save() -> Directive:
        if directive is None:
            return services.directive_create(actor=person, **form.changes())
        return services.directive_update(
            actor=person,
            directive=directive,
            expected_version=form.cleaned_data.get("version"),
            changes=form.changes(),
        )

    if request.method == "POST":
        saved, _status = run_form(request, form, save)
        if saved:
            messages.success(request, _("Saved."))
            return redirect("worklist:directive_detail", saved.pk)
    status = 400 if form.errors else 200
    return render(request, "worklist/directive_edit.html", {"form": form, "object": directive}, status=status)
