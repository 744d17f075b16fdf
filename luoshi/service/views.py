"""Pages of the enterprise service desk. Thin: forms collect input, services decide, selectors read.

Enterprise users reach the portal pages only, and only for their own enterprise: anything else
answers 404, whether it exists or not.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luoshi.core.access import get_visible_or_404, require
from luoshi.core.audit import history_of
from luoshi.core.forms import add_service_error
from luoshi.core.pages import Action, ActionButtons, period_context, query_without, run_form, staff_person
from luoshi.core.uploads import file_response
from luoshi.core.views import paginate
from luoshi.org.models import Person, Role, Unit

from . import selectors, services
from .access import can_manage_enterprises, handles, is_dispatcher, member_enterprise_id, speaks_for
from .filters import EnterpriseFilters, enterprise_filters_from_query, enterprise_list
from .forms import (
    LOW_RATING_RULE,
    ActionForm,
    CloseForm,
    ContactFormSet,
    DispatchForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    EscalateForm,
    NoInputForm,
    RateByLinkForm,
    RateForm,
    RatesForm,
    RequestFilterForm,
    RequestForm,
    ResolveForm,
    ResumeForm,
    ReturnForm,
    WaitForm,
)
from .models import (
    Channel,
    Enterprise,
    Pause,
    RequestAttachment,
    RequestState,
    ServiceRequest,
    serves_every_enterprise,
)
from .timeline import timeline

S = RequestState
PORTAL_PAGE_SIZE = 20


def _person(request: HttpRequest) -> Person:
    """The signed-in person: government staff, or an enterprise's own user."""
    person = cast(Person, request.user)
    if not (person.scope.internal or person.scope.enterprise):
        raise Http404
    return person


def _is_enterprise_user(person: Person) -> bool:
    return not person.scope.internal and person.scope.enterprise


def _open_pauses(requests: list[ServiceRequest]) -> dict[int, Pause]:
    """The pause still running on each waiting request (what the unit asked for), in one query."""
    waiting = [r.pk for r in requests if r.state == S.WAITING]
    if not waiting:
        return {}
    return {p.request_id: p for p in Pause.objects.filter(request_id__in=waiting, ended_at__isnull=True)}


# Home ----------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The enterprise portal for enterprise users; the queue summaries for the service centre and units."""
    person = _person(request)
    if _is_enterprise_user(person):
        return _portal(request, person)
    now = timezone.now()
    scope = person.scope
    context: dict[str, Any] = {"now": now, "is_dispatcher": is_dispatcher(person)}
    if is_dispatcher(person):
        queue = selectors.centre_queue(person=person).order_by()
        context["centre"] = queue.aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(response_due_at__lt=now)),
            returned=Count("pk", filter=~Q(return_reason="")),
        )
        context["centre_oldest"] = list(selectors.centre_queue(person=person)[:5])
        context["to_close"] = selectors.request_list(person=person, state=[S.RATED]).count()
    if scope.has_role(Role.STEWARD):
        context["my_enterprises"] = Enterprise.objects.filter(steward=person).count()
    context["can_file"] = is_dispatcher(person) or bool(context.get("my_enterprises"))
    if scope.own_unit_ids:
        queue = selectors.unit_queue(person=person)
        context["unit"] = queue.order_by().aggregate(
            total=Count("pk"),
            to_acknowledge=Count("pk", filter=Q(state=S.DISPATCHED)),
            in_hand=Count("pk", filter=Q(state=S.ACKNOWLEDGED)),
            waiting=Count("pk", filter=Q(state=S.WAITING)),
            overdue=Count("pk", filter=Q(due_at__lt=now) & ~Q(state=S.WAITING)),
            due_soon=Count(
                "pk",
                filter=Q(due_at__gte=now, due_at__lt=now + datetime.timedelta(hours=3)) & ~Q(state=S.WAITING),
            ),
        )
        context["unit_urgent"] = list(queue[:5])
    today = timezone.localdate()
    month = selectors.rates(person=person, start=today.replace(day=1), end=today)
    context["month_total"] = _total(month)
    context["month_start"] = today.replace(day=1)
    return render(request, "service/home.html", context)


def _portal(request: HttpRequest, person: Person) -> HttpResponse:
    """The enterprise's own page, laid out for a phone: what waits for them, then all their requests."""
    enterprise_id = member_enterprise_id(person)
    enterprise = (
        Enterprise.objects.select_related("zone", "steward").filter(pk=enterprise_id).first()
        if enterprise_id
        else None
    )
    requests = selectors.request_list(person=person)
    todo = list(requests.filter(state__in=[S.WAITING, S.RESOLVED]).order_by("received_at", "pk"))
    page = paginate(request, requests, per_page=PORTAL_PAGE_SIZE)
    pauses = _open_pauses(todo)
    for r in todo:
        r.open_pause = pauses.get(r.pk)  # type: ignore[attr-defined]
    context = {
        "enterprise": enterprise,
        "todo": todo,
        "page": page,
        "query": query_without(request, "page"),
        "now": timezone.now(),
    }
    return render(request, "service/portal.html", context)


# Filing --------------------------------------------------------------------------------------------


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """File a request: an enterprise user for their own enterprise, staff on an enterprise's behalf."""
    person = _person(request)
    own: Enterprise | None = None
    enterprises: QuerySet[Enterprise] | None = None
    if _is_enterprise_user(person):
        enterprise_id = member_enterprise_id(person)
        if enterprise_id is None:
            return render(request, "service/request_new.html", {"unlinked": True})
        own = Enterprise.objects.get(pk=enterprise_id)
    else:
        enterprises = Enterprise.objects.visible_to(person).filter(is_active=True)
        if not is_dispatcher(person):
            enterprises = enterprises.filter(steward=person)
        require(is_dispatcher(person) or enterprises.exists(), person, "file_request")
    initial = {"enterprise": request.GET.get("enterprise")} if enterprises is not None else {}
    form = RequestForm(request.POST or None, request.FILES or None, enterprises=enterprises, initial=initial)

    def file() -> ServiceRequest:
        data = form.cleaned_data
        return services.request_file(
            actor=person,
            enterprise=own or data["enterprise"],
            category=data["category"],
            title=data.get("title", ""),
            description=data.get("description", ""),
            channel=data.get("channel") or Channel.PORTAL,
            files=data.get("attachments") or [],
        )

    if request.method == "POST":
        saved, _status = run_form(request, form, file)
        if saved:
            messages.success(
                request,
                _("Your request %(code)s has been received. We respond by the end of the working day.")
                % {"code": saved.code}
                if own
                else _("Request %(code)s has been filed for %(enterprise)s.")
                % {"code": saved.code, "enterprise": saved.enterprise},
            )
            return redirect("service:request_detail", saved.pk)
    context = {"form": form, "own": own, "unlinked": False}
    return render(request, "service/request_new.html", context, status=400 if form.errors else 200)


# The request page ----------------------------------------------------------------------------------


def _v(data: dict[str, Any]) -> int | None:
    return cast(int | None, data.get("version"))


def _rate(p: Person, r: ServiceRequest, d: dict[str, Any]) -> object:
    return services.request_rate(actor=p, request=r, stars=d.get("stars"), comment=d.get("comment", ""))  # type: ignore[arg-type]


ACTIONS: dict[str, Action[ServiceRequest, ActionForm]] = {
    "dispatch": Action(
        DispatchForm,
        lambda p, r, d: services.request_dispatch(actor=p, request=r, expected_version=_v(d), unit=d["unit"]),
        gettext_lazy("The request has been dispatched. The unit must respond today."),
    ),
    "return": Action(
        ReturnForm,
        lambda p, r, d: services.request_return(
            actor=p, request=r, expected_version=_v(d), reason=d.get("reason", "")
        ),
        gettext_lazy("The request has been returned to the service centre for re-dispatch."),
    ),
    "acknowledge": Action(
        NoInputForm,
        lambda p, r, d: services.request_acknowledge(actor=p, request=r, expected_version=_v(d)),
        gettext_lazy("You have acknowledged the request; the resolution clock has started."),
    ),
    "wait": Action(
        WaitForm,
        lambda p, r, d: services.request_wait(
            actor=p, request=r, expected_version=_v(d), needed=d.get("needed", "")
        ),
        gettext_lazy("The enterprise has been asked for more; the clock is paused."),
    ),
    "resume": Action(
        ResumeForm,
        lambda p, r, d: services.request_resume(
            actor=p,
            request=r,
            expected_version=_v(d),
            note=d.get("note", ""),
            files=d.get("attachments") or [],
        ),
        gettext_lazy("Sent. The unit carries on with the request."),
        multipart=True,
    ),
    "resolve": Action(
        ResolveForm,
        lambda p, r, d: services.request_resolve(
            actor=p,
            request=r,
            expected_version=_v(d),
            reply=d.get("reply", ""),
            files=d.get("attachments") or [],
        ),
        gettext_lazy("The request has been resolved; the enterprise has been asked to rate it."),
        multipart=True,
    ),
    "rate": Action(RateForm, _rate, gettext_lazy("Thank you for your rating.")),
    "close": Action(
        CloseForm,
        lambda p, r, d: services.request_close(
            actor=p, request=r, expected_version=_v(d), note=d.get("note", "")
        ),
        gettext_lazy("The request has been closed."),
    ),
    "escalate": Action(
        EscalateForm,
        lambda p, r, d: services.request_escalate_to_item(
            actor=p,
            request=r,
            deadline=d["deadline"],
            lead_unit=d.get("lead_unit"),
            title=d.get("title", ""),
        ),
        gettext_lazy("The request has been escalated to a list item; the two stay linked."),
    ),
}

ACTION_LABELS = {
    "dispatch": gettext_lazy("Dispatch to a unit"),
    "acknowledge": gettext_lazy("Acknowledge"),
    "resolve": gettext_lazy("Resolve with a reply"),
    "wait": gettext_lazy("Ask the enterprise for more"),
    "resume": gettext_lazy("Resume"),
    "rate": gettext_lazy("Rate the service"),
    "close": gettext_lazy("Close after the follow-up call"),
    "return": gettext_lazy("Return: not for our unit"),
    "escalate": gettext_lazy("Escalate to a list item"),
}
ACTION_ORDER = list(ACTION_LABELS)
BUTTONS = ActionButtons(
    labels=ACTION_LABELS,
    forward={"dispatch", "acknowledge", "resolve", "resume", "rate", "close"},
    stopping={"return"},
    no_input=NoInputForm,
)


def _steers(person: Person, sr: ServiceRequest) -> bool:
    """The service centre, or the enterprise's own steward: dispatches and closes."""
    return is_dispatcher(person) or sr.enterprise.steward_id == person.pk


def available_actions(person: Person, sr: ServiceRequest) -> list[str]:
    """The actions the request's page offers this person now. The services still decide each one."""
    from luoshi.worklist.access import is_supervisor

    enterprise_user = _is_enterprise_user(person) and member_enterprise_id(person) == sr.enterprise_id
    handler = handles(person, sr)
    state = sr.state
    offered = {
        "dispatch": _steers(person, sr) and state == S.RECEIVED,
        "acknowledge": handler and state == S.DISPATCHED,
        "resolve": handler and state == S.ACKNOWLEDGED,
        "wait": handler and state == S.ACKNOWLEDGED,
        "resume": (handler or enterprise_user) and state == S.WAITING,
        "rate": enterprise_user and state == S.RESOLVED,
        "close": _steers(person, sr) and state == S.RATED,
        "return": handler and state == S.DISPATCHED,
        "escalate": is_supervisor(person) and sr.item_id is None and state != S.CLOSED,
    }
    return [name for name in ACTION_ORDER if offered[name]]


def _detail_queryset() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.select_related(
        "enterprise", "enterprise__zone", "enterprise__steward", "category", "unit", "item", "filed_by"
    )


def _get_request(person: Person, pk: int) -> ServiceRequest:
    return get_visible_or_404(_detail_queryset(), person, pk=pk)


def _opened(person: Person) -> tuple[str, ...]:
    """The actions shown open: on the phone, the enterprise's own steps."""
    return ("rate", "resume") if _is_enterprise_user(person) else ()


def _buttons(
    person: Person, forms: Mapping[str, BaseForm | None], bound: tuple[str, ActionForm] | None
) -> dict[str, Any]:
    """The request page's action buttons (`ActionButtons.context`), in the enterprise's own words
    for an enterprise user."""
    labels = {**ACTION_LABELS, "resume": gettext_lazy("Supply what was asked")}
    return BUTTONS.context(
        ACTIONS,
        forms,
        bound,
        labels=labels if _is_enterprise_user(person) else None,
        opened=_opened(person),
    )


def _request_page(
    request: HttpRequest,
    sr: ServiceRequest,
    *,
    bound: tuple[str, ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the request page; `bound` is an action form that was refused, shown with its errors."""
    person = cast(Person, request.user)
    tab = request.GET.get("tab", "overview")
    enterprise_user = _is_enterprise_user(person)
    # The other forms are fetched when their panel opens (`request_action_form`): the dispatch
    # and escalation forms each offer every unit.
    forms = BUTTONS.page_forms(
        ACTIONS,
        available_actions(person, sr),
        lambda name: ACTIONS[name].form(service_request=sr, person=person, prefix=name),
        opened=_opened(person),
    )
    context: dict[str, Any] = {
        "sr": sr,
        "object": sr,
        "tab": tab,
        "now": timezone.now(),
        "enterprise_user": enterprise_user,
        **_buttons(person, forms, bound),
        "low_rating_rule": LOW_RATING_RULE,
    }
    if tab == "history" and not enterprise_user:
        context["history"] = history_of(sr)
    else:
        context["tab"] = "overview"
        context["events"] = timeline(sr)
        context["attachments"] = list(sr.attachments.select_related("uploaded_by"))
        context["open_pause"] = (
            sr.pauses.filter(ended_at__isnull=True).first() if sr.state == S.WAITING else None
        )
        if sr.reopen_count and sr.state in (S.ACKNOWLEDGED, S.WAITING):
            # Back with the unit after a low rating: what the enterprise said comes first.
            context["reopened_by"] = sr.ratings.filter(stars__lte=services.LOW_RATING).first()
    return render(request, "service/request_detail.html", context, status=status)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    return _request_page(request, _get_request(person, pk))


@login_required
def request_action_form(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action's form, for its panel on the request page, fetched when the panel opens."""
    person = _person(request)
    sr = _get_request(person, pk)
    if action not in available_actions(person, sr):
        raise Http404
    form = ACTIONS[action].form(service_request=sr, person=person, prefix=action)
    (button,) = _buttons(person, {action: form}, None)["actions"]
    context = {"sr": sr, "a": button, "enterprise_user": _is_enterprise_user(person)}
    return render(request, "service/partials/action_form.html", context)


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Do one action on a request through its service; a refusal re-shows the page with the error."""
    person = _person(request)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    sr = _get_request(person, pk)
    form = spec.form(request.POST, request.FILES, service_request=sr, person=person, prefix=action)
    result, status = run_form(request, form, lambda: spec.run(person, sr, form.cleaned_data))
    if status != 200:
        # Nothing was written; show the request as it is now (someone else may have changed it).
        fresh = _get_request(person, pk)
        return _request_page(request, fresh, bound=None if status == 409 else (action, form), status=status)
    data = form.cleaned_data
    if action == "rate" and data.get("stars") is not None and data["stars"] <= services.LOW_RATING:
        messages.warning(
            request,
            _(
                "Thank you. Your request goes back to the unit with your comment, and its head and your steward are alerted."
            ),
        )
    elif action == "escalate" and result is not None:
        messages.success(request, str(spec.done) + f" {result.code}")
    else:
        messages.success(request, str(spec.done))
    return redirect("service:request_detail", sr.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A request's file, for people who can see the request; anyone else gets 404."""
    person = _person(request)
    return file_response(
        RequestAttachment.objects.filter(pk=pk, request__in=ServiceRequest.objects.visible_to(person)).first()
    )


# Lists and queues ----------------------------------------------------------------------------------


@login_required
def request_list_view(request: HttpRequest) -> HttpResponse:
    """Every request the person may see, filtered by state, unit, enterprise and text."""
    person = _person(request)
    units: QuerySet[Unit] | None = None
    if person.scope.internal:
        units = (
            Unit.objects.filter(is_active=True)
            if serves_every_enterprise(person)
            else Unit.objects.visible_to(person).filter(is_active=True)
        )
    form = RequestFilterForm(request.GET or None, units=units)
    values = form.values() if form.is_bound else {}
    enterprise = None
    if values.get("enterprise"):
        enterprise = Enterprise.objects.visible_to(person).filter(pk=values["enterprise"]).first()
        if enterprise is None:
            raise Http404
    requests = selectors.request_list(
        person=person,
        state=values.get("state") or None,
        unit=values.get("unit"),
        enterprise=enterprise,
        q=values.get("q") or "",
    )
    context = {
        "form": form,
        "page": paginate(request, requests),
        "query": query_without(request, "page"),
        "enterprise": enterprise,
        "now": timezone.now(),
        "enterprise_user": _is_enterprise_user(person),
        "without_enterprise": query_without(request, "enterprise", "page"),
    }
    template = "service/partials/request_results.html" if request.htmx else "service/request_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def centre_queue(request: HttpRequest) -> HttpResponse:
    """New and returned requests waiting for dispatch, oldest first, against their response promise."""
    person = staff_person(request)
    require(is_dispatcher(person), person, "dispatch")
    context = {
        "page": paginate(request, selectors.centre_queue(person=person)),
        "query": query_without(request, "page"),
        "now": timezone.now(),
    }
    return render(request, "service/centre_queue.html", context)


@login_required
def unit_queue(request: HttpRequest) -> HttpResponse:
    """The open requests of the person's units, the most urgent first, with their SLA countdowns."""
    person = staff_person(request)
    queue = selectors.unit_queue(person=person)
    page = paginate(request, queue)
    pauses = _open_pauses(list(page))
    for r in page:
        r.open_pause = pauses.get(r.pk)  # type: ignore[attr-defined]
    own_units = list(Unit.objects.filter(pk__in=person.scope.own_unit_ids).values_list("name", flat=True))
    context = {
        "page": page,
        "query": query_without(request, "page"),
        "now": timezone.now(),
        "own_units": own_units,
    }
    return render(request, "service/unit_queue.html", context)


# The three rates -----------------------------------------------------------------------------------

FIGURES = {
    "received": gettext_lazy("Received in the period"),
    "responded": gettext_lazy("Acknowledged on time"),
    "late_response": gettext_lazy("Not acknowledged on time"),
    "due": gettext_lazy("Resolution due in the period"),
    "resolved": gettext_lazy("Resolved on time"),
    "late_resolution": gettext_lazy("Not resolved on time"),
    "rated": gettext_lazy("Rated in the period"),
    "satisfied": gettext_lazy("Rated 4–5 stars"),
    "unsatisfied": gettext_lazy("Rated 1–3 stars"),
    "reopened": gettext_lazy("Reopened"),
}
# A “not …” figure is its whole less the part: received − responded, and so on.
COMPLEMENTS = {
    "late_response": ("received", "responded"),
    "late_resolution": ("due", "resolved"),
    "unsatisfied": ("rated", "satisfied"),
}


def _total(rows: list[selectors.Rates]) -> selectors.Rates:
    """All rows added up (the average stars weighted by the number rated)."""
    total = selectors.Rates(key="", label=_("All"))
    stars = 0.0
    for r in rows:
        for name in (
            "received",
            "responded_on_time",
            "due",
            "resolved_on_time",
            "rated",
            "satisfied",
            "resolved",
            "reopened",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        if r.stars_avg is not None:
            stars += float(r.stars_avg) * r.rated
    if total.rated:
        total.stars_avg = Decimal(str(stars / total.rated)).quantize(Decimal("0.01"))
    return total


@login_required
def rates_view(request: HttpRequest) -> HttpResponse:
    """The three rates per unit or zone for a month, quarter or year, each number drilling down."""
    person = staff_person(request)
    form = RatesForm(request.GET or None)
    by = form.by_value
    shown = period_context(form, by=by)
    start, end, base = shown["start"], shown["end"], shown["base"]
    rows = selectors.rates(person=person, start=start, end=end, by=by)
    drill: dict[str, Any] | None = None
    figure = request.GET.get("figure", "")
    if figure in FIGURES:
        key = request.GET.get("key", "")
        unit = None
        zone_id = None
        if key and key != "none":
            try:
                key_id = int(key)
            except ValueError:
                raise Http404 from None
            if by == "unit":
                unit = Unit.objects.filter(pk=key_id).first()
                if unit is None:
                    raise Http404
            else:
                zone_id = key_id

        def figure_rows(name: str) -> QuerySet[ServiceRequest]:
            found = selectors.rate_drilldown(
                person=person, start=start, end=end, figure=name, unit=unit, zone_id=zone_id
            )
            return found.filter(unit__isnull=True) if key == "none" and by == "unit" else found

        if figure in COMPLEMENTS:
            whole, part = COMPLEMENTS[figure]
            found = figure_rows(whole).exclude(pk__in=figure_rows(part).values("pk"))
        else:
            found = figure_rows(figure)
        label = next((r.label for r in rows if str(r.key if r.key is not None else "none") == key), "")
        drill = {
            "figure": figure,
            "figure_label": FIGURES[figure],
            "label": label,
            "key": key,
            "page": paginate(request, found.order_by("-received_at", "-pk")),
        }
    context = {
        **shown,
        "by": by,
        "rows": rows,
        "total": _total(rows),
        "by_query": {
            "unit": urlencode({**base, "by": "unit"}),
            "zone": urlencode({**base, "by": "zone"}),
        },
        "drill": drill,
        "drill_query": urlencode({**base, "figure": figure, "key": request.GET.get("key", "")}),
        "now": timezone.now(),
    }
    return render(request, "service/rates.html", context)


# Rating through the one-time link (no login) -------------------------------------------------------


def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page the one-time link opens: the request and its reply, and 1–5 stars. No login needed.

    A tampered, expired or used link shows the refusal on a page of its own (never a 500).
    """
    try:
        link = services.rating_link_check(token)
    except ValidationError as exc:
        return render(request, "service/rate_by_link.html", {"error": " ".join(exc.messages)}, status=400)
    sr = link.request
    if sr.state != S.RESOLVED:
        return render(
            request,
            "service/rate_by_link.html",
            {"error": _("This request is not waiting for a rating any more."), "sr": sr},
            status=400,
        )
    form = RateByLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rated = services.request_rate_by_link(
                token=token,
                stars=data.get("stars"),  # type: ignore[arg-type]
                comment=data.get("comment", ""),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_error(form, exc)
            else:
                return render(
                    request, "service/rate_by_link.html", {"error": " ".join(exc.messages)}, status=400
                )
        else:
            return render(
                request,
                "service/rate_by_link.html",
                {
                    "done": True,
                    "sr": rated,
                    "reopened": rated.state == S.ACKNOWLEDGED,
                    "stars": data["stars"],
                },
            )
    context = {"sr": sr, "form": form, "low_rating_rule": LOW_RATING_RULE}
    return render(request, "service/rate_by_link.html", context, status=400 if form.errors else 200)


# Enterprises ---------------------------------------------------------------------------------------


@login_required
def enterprise_list_view(request: HttpRequest) -> HttpResponse:
    person = staff_person(request)
    industries = list(
        Enterprise.objects.visible_to(person)
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()
    )
    # The form shows the filters; the export reads them from the query string the same way.
    form = EnterpriseFilterForm(request.GET or None, industries=industries)
    enterprises = enterprise_list(
        person=person, filters=enterprise_filters_from_query(request.GET, person=person)
    )
    context = {
        "form": form,
        "page": paginate(request, enterprises),
        "query": query_without(request, "page"),
        "can_manage": can_manage_enterprises(person),
        "title": _("Enterprises"),
        "mine": False,
    }
    return render(request, "service/enterprise_list.html", context)


@login_required
def my_enterprises(request: HttpRequest) -> HttpResponse:
    """The enterprises the person accompanies as their steward (店小二)."""
    person = staff_person(request)
    enterprises = enterprise_list(person=person, filters=EnterpriseFilters(steward=person))
    context = {
        "page": paginate(request, enterprises),
        "query": query_without(request, "page"),
        "can_manage": can_manage_enterprises(person),
        "title": _("My enterprises"),
        "mine": True,
    }
    return render(request, "service/enterprise_list.html", context)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    enterprise = get_visible_or_404(Enterprise.objects.select_related("zone", "steward"), person, pk=pk)
    internal = person.scope.internal
    # The audit trail is the administration's record; the enterprise sees its profile and requests.
    tab = request.GET.get("tab", "overview") if internal else "overview"
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "object": enterprise,
        "tab": tab,
        "internal": internal,
        "can_edit": can_manage_enterprises(person),
        "can_file": speaks_for(person, enterprise) if internal else True,
        "now": timezone.now(),
    }
    if tab == "history":
        context["history"] = history_of(enterprise)
    else:
        requests = selectors.request_list(person=person, enterprise=enterprise)
        context.update(
            contacts=list(enterprise.contacts.all()),
            members=list(
                Person.objects.filter(enterprise_membership__enterprise=enterprise).order_by("name")
            ),
            requests=list(requests[:10]),
            request_count=requests.count(),
            open_count=requests.filter(state__in=selectors.OPEN_STATES).count(),
            projects=_projects_of(person, enterprise) if internal else [],
        )
    return render(request, "service/enterprise_detail.html", context)


def _projects_of(person: Person, enterprise: Enterprise) -> list[Any]:
    """The investment projects linked to the enterprise that the person may see."""
    from luoshi.investment.models import Project

    return list(
        Project.objects.visible_to(person).filter(enterprise=enterprise).select_related("zone", "unit")
    )


@login_required
def enterprise_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or edit an enterprise (the service centre). A stale save is refused and changes nothing."""
    person = staff_person(request)
    enterprise = get_visible_or_404(Enterprise.objects.all(), person, pk=pk) if pk else None
    require(can_manage_enterprises(person), person, "manage_enterprises", enterprise)
    form = EnterpriseForm(request.POST or None, instance=enterprise)
    contacts = ContactFormSet(request.POST or None, prefix="contacts") if enterprise is None else None

    def save() -> Enterprise:
        if enterprise is None:
            people = [
                {k: c[k] for k in ("name", "title", "phone")}
                for c in (contacts.cleaned_data if contacts else [])
                if c.get("name")
            ]
            return services.enterprise_create(actor=person, contacts=people, **form.changes())
        return services.enterprise_update(
            actor=person,
            enterprise=enterprise,
            expected_version=form.cleaned_data.get("version"),
            changes=form.changes(),
        )

    if request.method == "POST" and (contacts is None or contacts.is_valid()):
        saved, _status = run_form(request, form, save)
        if saved:
            messages.success(request, _("Saved."))
            return redirect("service:enterprise_detail", saved.pk)
    status = 400 if form.errors or (contacts is not None and contacts.total_error_count()) else 200
    context = {"form": form, "object": enterprise, "contacts": contacts}
    return render(request, "service/enterprise_edit.html", context, status=status)
