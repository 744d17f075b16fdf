"""The implementation list (落实清单) through the JSON API: the same services, scopes and lights as the pages.

Reads go through the selectors (restricted to the person, annotated with `light`); every change goes
through a service. Something outside the person's scope answers 404, something they may see but not
do answers 403, and an illegal transition answers 400 with the service's message. Edits and
transitions say which version they read: If-Match (412 when stale) or a `version` field (409 when
stale); without either they answer 428.
"""

# No `from __future__ import annotations` here: django-ninja resolves the string annotations of a
# @paginate-wrapped view in its own module and fails on Query[...] (vitalik/django-ninja#1717).

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import field_validator, model_validator

from luoshi.core.access import get_visible_or_404
from luoshi.core.apierrors import call_with_version
from luoshi.core.apischemas import (
    Page,
    PatchIn,
    PeriodQuery,
    PersonRef,
    Ref,
    StoredFileOut,
    VersionForm,
    VersionIn,
    blank_to_none,
    etag,
    uploaded_files,
)
from luoshi.core.models import choice_label
from luoshi.core.uploads import file_response
from luoshi.core.views import rows_with_total
from luoshi.org.models import Person, Unit, Zone

from . import lights, services
from .access import access_supervise
from .models import (
    Attachment,
    Category,
    ChangeKind,
    Directive,
    Escalation,
    Item,
    ItemQuerySet,
    ItemState,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
    ReportCycle,
    SourceKind,
)
from .selectors import (
    ITEM_REFS,
    SORTS,
    ItemFilters,
    coverage_warnings,
    escalation_list,
    gathers_items,
    item_get_detail,
    item_list,
    light_counts,
    promise_items,
    promise_rates,
)

router = Router(tags=["worklist"])


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


# Shared shapes -----------------------------------------------------------------------------------


class DirectiveRef(Schema):
    id: int
    title: str


class ItemRef(Schema):
    id: int
    code: str
    title: str


class ChainOut(Schema):
    """The responsibility chain (责任链): leader in charge → lead-unit head → owner."""

    leader: PersonRef | None
    unit_head: PersonRef | None
    owner: PersonRef | None
    complete: bool


class TargetOut(Schema):
    """The target result (目标成果): a metric with a value, or a qualitative result."""

    metric: str
    value: Decimal | None
    unit: str
    text: str


class AttachmentOut(StoredFileOut):
    kind: str
    report_id: int | None
    uploaded_by_id: int

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return reverse("api:worklist_attachment", kwargs={"item_id": obj.item_id, "attachment_id": obj.pk})


class ReportOut(Schema):
    id: int
    item_id: int
    author: PersonRef
    reported_at: datetime.datetime
    reported_on: datetime.date
    done: str
    problems: str
    next_steps: str
    percent: int
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: ProgressReport) -> list[Attachment]:
        return list(obj.attachments.all())


class MilestoneOut(Schema):
    id: int
    item_id: int
    title: str
    due_date: datetime.date
    done_at: datetime.datetime | None
    sort: int
    version: int


class ItemOut(Schema):
    """A list item as the list shows it, with its light as of now."""

    id: int
    code: str
    title: str
    category: Category
    state: ItemState
    state_label: str
    light: lights.Light
    light_label: str
    directive: DirectiveRef | None
    zone: Ref | None
    lead_unit: Ref | None
    chain: ChainOut
    target: TargetOut
    start_date: datetime.date | None
    deadline: datetime.date
    report_cycle: int
    latest_percent: int | None = None
    latest_report_on: datetime.date | None = None
    requested_change: str
    version: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_state_label(obj: Item) -> str:
        return choice_label(obj, "state")

    @staticmethod
    def resolve_light_label(obj: Item) -> str:
        return str(lights.Light(obj.light).label)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_chain(obj: Item) -> dict[str, Any]:
        return {
            "leader": obj.leader,
            "unit_head": obj.unit_head,
            "owner": obj.owner,
            "complete": obj.chain_complete,
        }

    @staticmethod
    def resolve_target(obj: Item) -> dict[str, Any]:
        return {
            "metric": obj.target_metric,
            "value": obj.target_value,
            "unit": obj.target_unit,
            "text": obj.target_text,
        }


class ItemDetailOut(ItemOut):
    """The item page: the chain, the target, milestones, the latest report, evidence and the facts' times."""

    description: str
    support_units: list[Ref]
    milestones: list[MilestoneOut]
    latest_report: ReportOut | None
    attachments: list[AttachmentOut]
    actual_value: Decimal | None
    actual_text: str
    target_met: bool | None
    state_reason: str
    requested_reason: str
    requested_by: PersonRef | None
    published_at: datetime.datetime | None
    claimed_at: datetime.datetime | None
    started_at: datetime.datetime | None
    close_requested_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    suspended_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None

    @staticmethod
    def resolve_support_units(obj: Item) -> list[Unit]:
        return list(obj.support_units.all())

    @staticmethod
    def resolve_milestones(obj: Item) -> list[Milestone]:
        return list(obj.milestones.all())

    @staticmethod
    def resolve_attachments(obj: Item) -> list[Attachment]:
        return list(obj.attachments.all())


def _with_latest_report(items: ItemQuerySet) -> ItemQuerySet:
    """The records and the latest report's percent and date the list shows, in the items' own query."""
    return items.select_related(*ITEM_REFS).with_latest_report(
        latest_percent="percent", latest_report_on="reported_on"
    )


def _detail(person: Person, item_id: int) -> Item:
    """One visible item with everything its page shows, in a fixed number of queries."""
    item = item_get_detail(person=person, pk=item_id)
    prefetch_related_objects(
        [item],
        "support_units",
        "milestones",
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
        "requested_by",
    )
    report = (
        item.reports.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")))
        .first()
    )
    item.latest_report = report  # type: ignore[attr-defined]
    item.latest_percent = report.percent if report else None  # type: ignore[attr-defined]
    item.latest_report_on = report.reported_on if report else None  # type: ignore[attr-defined]
    return item


def _visible_item(person: Person, item_id: int) -> Item:
    return get_visible_or_404(Item.objects.select_related("lead_unit"), person, pk=item_id)


def _detail_answer(person: Person, item_id: int, response: HttpResponse) -> Item:
    item = _detail(person, item_id)
    etag(response, item)
    return item


# Directives --------------------------------------------------------------------------------------


class DirectiveOut(Schema):
    id: int
    title: str
    text: str
    source_kind: SourceKind
    source_title: str
    source_date: datetime.date
    source_issuer: str
    issuing_unit: Ref | None
    due_date: datetime.date | None
    item_count: int = Field(0, description="Items of the directive that you can see")
    version: int


class DirectiveDetailOut(DirectiveOut):
    items: list[ItemOut] = Field(description="The directive's items that you can see")

    @staticmethod
    def resolve_items(obj: Directive) -> list[Item]:
        return obj.items_list  # type: ignore[attr-defined, no-any-return]


class DirectiveIn(Schema):
    title: str = Field(..., max_length=200)
    text: str = ""
    source_kind: SourceKind
    source_title: str = Field(..., max_length=200)
    source_date: datetime.date
    source_issuer: str = Field(..., max_length=100)
    issuing_unit_id: int | None = None
    due_date: datetime.date | None = None


class DirectivePatch(PatchIn):
    nullable = frozenset({"version", "issuing_unit_id", "due_date"})

    title: str | None = Field(None, max_length=200)
    text: str | None = None
    source_kind: SourceKind | None = None
    source_title: str | None = Field(None, max_length=200)
    source_date: datetime.date | None = None
    source_issuer: str | None = Field(None, max_length=100)
    issuing_unit_id: int | None = None
    due_date: datetime.date | None = None
    version: int | None = None


class DirectiveQuery(Schema):
    q: str = Field("", description="Text in the title or the source title")
    source_kind: SourceKind | None = None


def _directives(person: Person) -> Any:
    visible_items = Item.objects.visible_to(person).values("pk")
    return (
        Directive.objects.visible_to(person)
        .select_related("issuing_unit")
        .annotate(item_count=Count("items", filter=Q(items__in=visible_items), distinct=True))
    )


def _directive_changes(person: Person, data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if "issuing_unit_id" in out:
        unit_id = out.pop("issuing_unit_id")
        out["issuing_unit"] = get_visible_or_404(Unit.objects.all(), person, pk=unit_id) if unit_id else None
    return out


def _directive_detail(person: Person, directive_id: int, response: HttpResponse) -> Directive:
    directive = get_visible_or_404(_directives(person), person, pk=directive_id)
    directive.items_list = list(  # type: ignore[attr-defined]
        _with_latest_report(item_list(person=person, filters=ItemFilters(directive=directive)))
    )
    etag(response, directive)
    return directive


@router.get("/directives", response=list[DirectiveOut], summary="List directives")
@paginate(Page)
def directives(request: HttpRequest, filters: Query[DirectiveQuery]) -> Any:
    qs = _directives(_person(request))
    if filters.q.strip():
        q = filters.q.strip()
        qs = qs.filter(Q(title__icontains=q) | Q(source_title__icontains=q))
    if filters.source_kind:
        qs = qs.filter(source_kind=filters.source_kind)
    return qs


@router.post("/directives", response={201: DirectiveDetailOut}, summary="Record a directive (supervisors)")
def directive_add(request: HttpRequest, payload: DirectiveIn, response: HttpResponse) -> Any:
    person = _person(request)
    access_supervise(person)
    directive = services.directive_create(actor=person, **_directive_changes(person, payload.dict()))
    return Status(201, _directive_detail(person, directive.pk, response))


@router.get(
    "/directives/{directive_id}",
    response=DirectiveDetailOut,
    summary="One directive with its items (ETag = version)",
)
def directive_get(request: HttpRequest, directive_id: int, response: HttpResponse) -> Any:
    return _directive_detail(_person(request), directive_id, response)


@router.patch(
    "/directives/{directive_id}",
    response=DirectiveDetailOut,
    summary="Edit a directive (If-Match or version required)",
)
def directive_patch(
    request: HttpRequest, directive_id: int, payload: DirectivePatch, response: HttpResponse
) -> Any:
    person = _person(request)
    directive = get_visible_or_404(Directive.objects.all(), person, pk=directive_id)
    changes = _directive_changes(person, payload.dict(exclude_unset=True, exclude={"version"}))
    call_with_version(
        request, payload.version, services.directive_update, directive=directive, changes=changes
    )
    return _directive_detail(person, directive.pk, response)


# Items -------------------------------------------------------------------------------------------


class ItemQuery(Schema):
    """The item list's filters (the same as the list page's)."""

    zone_id: int | None = None
    unit_id: int | None = Field(None, description="Lead or supporting unit, including its sub-units")
    light: list[lights.Light] = Field([], description="Repeatable: light=red&light=yellow")
    state: list[ItemState] = Field([], description="Repeatable: state=published&state=claimed")
    leader_id: int | None = None
    owner_id: int | None = None
    directive_id: int | None = None
    deadline_from: datetime.date | None = None
    deadline_to: datetime.date | None = None
    q: str = Field("", description="Text in the code, title or description")
    sort: str = Field("deadline", description="One of: " + ", ".join(SORTS))

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(f"sort must be one of: {', '.join(SORTS)}")
        return value


def _items(person: Person, query: ItemQuery) -> ItemQuerySet:
    """The selector's item list for the query's filters.

    A filter narrows what the person can see; an id they cannot see (or that does not exist) simply
    matches nothing more, so the answer never tells whether it exists.
    """
    refs: dict[str, Any] = {}
    for name, model, value in (
        ("zone", Zone, query.zone_id),
        ("unit", Unit, query.unit_id),
        ("leader", Person, query.leader_id),
        ("owner", Person, query.owner_id),
        ("directive", Directive, query.directive_id),
    ):
        if value is None:
            continue
        refs[name] = model._default_manager.filter(pk=value).first()
        if refs[name] is None:
            return item_list(person=person).none()
    filters = ItemFilters(
        lights=[str(v) for v in query.light],
        states=[str(v) for v in query.state],
        deadline_from=query.deadline_from,
        deadline_to=query.deadline_to,
        q=query.q,
        sort=query.sort,
        **refs,
    )
    return item_list(person=person, filters=filters)


class ItemPage(Page):
    """Pages of the item list: the page's ids and lights first, then those items with the records
    they refer to. Joined to the list's own query, the six records cost PostgreSQL 14 ms of
    planning for a unit's list, more than reading it. As on the list page, a list whose items the
    database gathers whole reads its total with the page (`selectors.gathers_items`).
    """

    def paginate_queryset(self, queryset: Any, pagination: Any, **params: Any) -> Any:  # type: ignore[override]
        size = pagination.page_size
        start = (pagination.page - 1) * size
        keys = queryset.values("pk", "light")
        count: int | None
        if gathers_items(params["request"].user, by_unit=params["filters"].unit_id is not None):
            rows, count = rows_with_total(keys, start, start + size)
            if count is None:
                count = queryset.count() if start else 0
        else:
            rows, count = list(keys[start : start + size]), queryset.count()
        found = _with_latest_report(Item.objects.all()).in_bulk([row["pk"] for row in rows])
        page = []
        for row in rows:
            if row["pk"] in found:  # unless deleted between the two queries
                item = found[row["pk"]]
                item.light = row["light"]  # type: ignore[attr-defined]
                page.append(item)
        return {self.items_attribute: page, "count": count}


@router.get(
    "/items",
    response=list[ItemOut],
    summary="The item list, filtered and sorted, each with its light",
)
@paginate(ItemPage)
def items(request: HttpRequest, filters: Query[ItemQuery]) -> Any:
    return _items(_person(request), filters)


@router.get(
    "/items/light-counts",
    response=dict[str, int],
    summary="How many of the filtered items show each light",
)
def items_light_counts(request: HttpRequest, filters: Query[ItemQuery]) -> Any:
    return light_counts(_items(_person(request), filters))


class ItemIn(Schema):
    title: str = Field(..., max_length=200)
    deadline: datetime.date
    directive_id: int | None = None
    description: str = ""
    category: Category = Category.PROJECT
    zone_id: int | None = None
    lead_unit_id: int | None = None
    support_unit_ids: list[int] = []
    leader_id: int | None = None
    target_metric: str = Field("", max_length=100)
    target_value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    target_unit: str = Field("", max_length=20)
    target_text: str = ""
    start_date: datetime.date | None = None
    report_cycle: ReportCycle = ReportCycle.WEEKLY


class ItemPatch(PatchIn):
    nullable = frozenset(
        {"version", "directive_id", "zone_id", "lead_unit_id", "leader_id", "target_value", "start_date"}
    )

    title: str | None = Field(None, max_length=200)
    deadline: datetime.date | None = None
    directive_id: int | None = None
    description: str | None = None
    category: Category | None = None
    zone_id: int | None = None
    lead_unit_id: int | None = None
    support_unit_ids: list[int] | None = None
    leader_id: int | None = None
    target_metric: str | None = Field(None, max_length=100)
    target_value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    target_unit: str | None = Field(None, max_length=20)
    target_text: str | None = None
    start_date: datetime.date | None = None
    report_cycle: ReportCycle | None = None
    version: int | None = None


_ITEM_REFS: tuple[tuple[str, Any], ...] = (
    ("directive", Directive),
    ("zone", Zone),
    ("lead_unit", Unit),
    ("leader", Person),
)


def _item_changes(person: Person, data: dict[str, Any]) -> tuple[dict[str, Any], list[Unit] | None]:
    """Turn the *_id fields into objects the person may see (404 otherwise)."""
    out = dict(data)
    for name, model in _ITEM_REFS:
        key = f"{name}_id"
        if key in out:
            pk = out.pop(key)
            out[name] = get_visible_or_404(model._default_manager.all(), person, pk=pk) if pk else None
    support: list[Unit] | None = None
    if "support_unit_ids" in out:
        ids = set(out.pop("support_unit_ids") or [])
        support = list(Unit.objects.visible_to(person).filter(pk__in=ids))
        if len(support) != len(ids):
            raise Http404
    return out, support


@router.post("/items", response={201: ItemDetailOut}, summary="Add a list item as a draft (supervisors)")
def item_add(request: HttpRequest, payload: ItemIn, response: HttpResponse) -> Any:
    person = _person(request)
    access_supervise(person)
    fields, support = _item_changes(person, payload.dict())
    item = services.item_create(actor=person, support_units=support or (), **fields)
    return Status(201, _detail_answer(person, item.pk, response))


@router.get(
    "/items/{item_id}",
    response=ItemDetailOut,
    summary="One item: chain, target, milestones, latest report, evidence (ETag = version)",
)
def item_get(request: HttpRequest, item_id: int, response: HttpResponse) -> Any:
    return _detail_answer(_person(request), item_id, response)


@router.patch(
    "/items/{item_id}",
    response=ItemDetailOut,
    summary="Edit an item's facts (supervisors; If-Match or version required)",
)
def item_patch(request: HttpRequest, item_id: int, payload: ItemPatch, response: HttpResponse) -> Any:
    person = _person(request)
    item = _visible_item(person, item_id)
    changes, support = _item_changes(person, payload.dict(exclude_unset=True, exclude={"version"}))
    call_with_version(
        request, payload.version, services.item_update, item=item, changes=changes, support_units=support
    )
    return _detail_answer(person, item.pk, response)


# Transitions -------------------------------------------------------------------------------------


class PublishIn(VersionIn):
    lead_unit_id: int | None = Field(None, description="Publish to this unit instead of the item's lead unit")


class ClaimIn(VersionIn):
    owner_id: int = Field(..., description="The owner, an active member of the lead unit")


class ReasonIn(VersionIn):
    reason: str


class AssignIn(VersionIn):
    owner_id: int | None = None
    leader_id: int | None = Field(None, description="Supervisors only")


class VerifyIn(VersionIn):
    target_met: bool | None = Field(
        None, description="For a qualitative target; a quantitative one is judged by its numbers"
    )


class ChangeRequestIn(VersionIn):
    kind: ChangeKind
    reason: str


class ChangeDecisionIn(VersionIn):
    approve: bool
    note: str = Field("", description="Required when the request is rejected")


class CloseOutForm(VersionForm):
    actual_value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    actual_text: str = ""

    _blank = field_validator("actual_value", mode="before")(blank_to_none)


def _transition(
    request: HttpRequest,
    item_id: int,
    version: int | None,
    response: HttpResponse,
    service: Callable[..., Any],
    **arguments: Any,
) -> Item:
    """Fetch the visible item, run the service with the version the client read, answer the new item."""
    person = _person(request)
    item = _visible_item(person, item_id)
    call_with_version(request, version, service, item=item, **arguments)
    return _detail_answer(person, item.pk, response)


def _visible_person(actor: Person, pk: int | None) -> Person | None:
    return get_visible_or_404(Person.objects.all(), actor, pk=pk) if pk is not None else None


_TRANSITION = "Needs If-Match or a version field; an illegal transition answers 400."


@router.post(
    "/items/{item_id}/publish",
    response=ItemDetailOut,
    summary="Publish a draft or declined item to its lead unit (supervisors)",
    description=_TRANSITION,
)
def item_publish(request: HttpRequest, item_id: int, payload: PublishIn, response: HttpResponse) -> Any:
    lead = (
        get_visible_or_404(Unit.objects.all(), _person(request), pk=payload.lead_unit_id)
        if payload.lead_unit_id
        else None
    )
    return _transition(request, item_id, payload.version, response, services.item_publish, lead_unit=lead)


@router.post(
    "/items/{item_id}/claim",
    response=ItemDetailOut,
    summary="Claim (认领) the item and name the owner (the lead unit's head)",
    description=_TRANSITION,
)
def item_claim(request: HttpRequest, item_id: int, payload: ClaimIn, response: HttpResponse) -> Any:
    owner = _visible_person(_person(request), payload.owner_id)
    return _transition(request, item_id, payload.version, response, services.item_claim, owner=owner)


@router.post(
    "/items/{item_id}/decline",
    response=ItemDetailOut,
    summary="Decline the item with a reason (the lead unit's head)",
    description=_TRANSITION,
)
def item_decline(request: HttpRequest, item_id: int, payload: ReasonIn, response: HttpResponse) -> Any:
    return _transition(
        request, item_id, payload.version, response, services.item_decline, reason=payload.reason
    )


@router.post(
    "/items/{item_id}/assign",
    response=ItemDetailOut,
    summary="Name a new owner (head or supervisor) or leader in charge (supervisor)",
    description=_TRANSITION,
)
def item_assign(request: HttpRequest, item_id: int, payload: AssignIn, response: HttpResponse) -> Any:
    person = _person(request)
    return _transition(
        request,
        item_id,
        payload.version,
        response,
        services.item_assign,
        owner=_visible_person(person, payload.owner_id),
        leader=_visible_person(person, payload.leader_id),
    )


@router.post(
    "/items/{item_id}/start",
    response=ItemDetailOut,
    summary="Start a claimed item whose chain is complete",
    description=_TRANSITION,
)
def item_start(request: HttpRequest, item_id: int, payload: VersionIn, response: HttpResponse) -> Any:
    return _transition(request, item_id, payload.version, response, services.item_start)


@router.post(
    "/items/{item_id}/close-out",
    response=ItemDetailOut,
    summary="Submit the close-out: the actual result with evidence (multipart; the owner)",
    description=(
        "Multipart form: actual_value, actual_text, version, and the evidence as `files` (repeatable; "
        "pdf, jpg, png, docx or xlsx up to 20 MB, checked by content). Evidence is required unless the "
        "item already has some. A bad file answers 400 and nothing is saved. " + _TRANSITION
    ),
)
def item_close_out(
    request: HttpRequest,
    item_id: int,
    payload: Form[CloseOutForm],
    response: HttpResponse,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    return _transition(
        request,
        item_id,
        payload.version,
        response,
        services.item_submit_close_out,
        actual_value=payload.actual_value,
        actual_text=payload.actual_text,
        files=uploaded_files(request, files),
    )


@router.post(
    "/items/{item_id}/verify",
    response=ItemDetailOut,
    summary="Approve the close-out (销号) (supervisors)",
    description=_TRANSITION,
)
def item_verify(request: HttpRequest, item_id: int, payload: VerifyIn, response: HttpResponse) -> Any:
    return _transition(
        request, item_id, payload.version, response, services.item_verify, target_met=payload.target_met
    )


@router.post(
    "/items/{item_id}/return",
    response=ItemDetailOut,
    summary="Return the close-out with a reason (supervisors)",
    description=_TRANSITION,
)
def item_return(request: HttpRequest, item_id: int, payload: ReasonIn, response: HttpResponse) -> Any:
    return _transition(
        request, item_id, payload.version, response, services.item_return, reason=payload.reason
    )


@router.post(
    "/items/{item_id}/request-change",
    response=ItemDetailOut,
    summary="Ask for suspension or cancellation, with a reason (the lead unit)",
    description=_TRANSITION,
)
def item_request_change(
    request: HttpRequest, item_id: int, payload: ChangeRequestIn, response: HttpResponse
) -> Any:
    return _transition(
        request,
        item_id,
        payload.version,
        response,
        services.item_request_change,
        kind=payload.kind,
        reason=payload.reason,
    )


@router.post(
    "/items/{item_id}/decide-change",
    response=ItemDetailOut,
    summary="Approve or reject the pending suspension or cancellation request (supervisors)",
    description=_TRANSITION,
)
def item_decide_change(
    request: HttpRequest, item_id: int, payload: ChangeDecisionIn, response: HttpResponse
) -> Any:
    return _transition(
        request,
        item_id,
        payload.version,
        response,
        services.item_decide_change,
        approve=payload.approve,
        note=payload.note,
    )


@router.post(
    "/items/{item_id}/suspend",
    response=ItemDetailOut,
    summary="Suspend the item with a reason (supervisors)",
    description=_TRANSITION,
)
def item_suspend(request: HttpRequest, item_id: int, payload: ReasonIn, response: HttpResponse) -> Any:
    return _transition(
        request, item_id, payload.version, response, services.item_suspend, reason=payload.reason
    )


@router.post(
    "/items/{item_id}/cancel",
    response=ItemDetailOut,
    summary="Cancel the item with a reason (supervisors)",
    description=_TRANSITION,
)
def item_cancel(request: HttpRequest, item_id: int, payload: ReasonIn, response: HttpResponse) -> Any:
    return _transition(
        request, item_id, payload.version, response, services.item_cancel, reason=payload.reason
    )


@router.post(
    "/items/{item_id}/resume",
    response=ItemDetailOut,
    summary="Resume a suspended item (supervisors)",
    description=_TRANSITION,
)
def item_resume(request: HttpRequest, item_id: int, payload: VersionIn, response: HttpResponse) -> Any:
    return _transition(request, item_id, payload.version, response, services.item_resume)


# Milestones --------------------------------------------------------------------------------------


class TemplateOut(Schema):
    id: int
    name: str
    steps: list[dict[str, Any]]


class StepIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    offset: int = Field(..., ge=-3650, le=3650, description="Working days before the deadline")


class PlanIn(Schema):
    template_id: int | None = None
    steps: list[StepIn] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "PlanIn":
        if self.template_id is not None and self.steps is not None:
            raise ValueError("give template_id or steps, not both")
        return self


class MilestonePatch(PatchIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    due_date: datetime.date | None = None
    version: int | None = None


class MilestoneCompleteIn(VersionIn):
    done: bool = Field(True, description="false marks it not done again")


def _visible_milestone(person: Person, milestone_id: int) -> Milestone:
    milestones = Milestone.objects.select_related("item", "item__lead_unit").filter(
        item__in=Item.objects.visible_to(person).values("pk")
    )
    return get_object_or_404(milestones, pk=milestone_id)


@router.get(
    "/milestone-templates",
    response=list[TemplateOut],
    summary="Milestone templates for backward scheduling (倒排工期)",
)
def milestone_templates(request: HttpRequest) -> Any:
    return MilestoneTemplate.objects.all()


@router.post(
    "/items/{item_id}/milestones/plan",
    response={201: list[MilestoneOut]},
    summary="Plan milestones backwards from the deadline on working days, from a template or steps",
)
def milestones_plan(request: HttpRequest, item_id: int, payload: PlanIn) -> Any:
    person = _person(request)
    item = _visible_item(person, item_id)
    template = (
        get_object_or_404(MilestoneTemplate, pk=payload.template_id)
        if payload.template_id is not None
        else None
    )
    steps = [s.dict() for s in payload.steps] if payload.steps is not None else None
    services.milestones_plan(actor=person, item=item, template=template, steps=steps)
    return Status(201, list(item.milestones.all()))


@router.patch(
    "/milestones/{milestone_id}",
    response=MilestoneOut,
    summary="Move or rename a milestone (If-Match or version required)",
)
def milestone_patch(
    request: HttpRequest, milestone_id: int, payload: MilestonePatch, response: HttpResponse
) -> Any:
    person = _person(request)
    milestone = _visible_milestone(person, milestone_id)
    changes = payload.dict(exclude_unset=True, exclude={"version"})
    call_with_version(
        request, payload.version, services.milestone_update, milestone=milestone, changes=changes
    )
    etag(response, milestone)
    return milestone


@router.post(
    "/milestones/{milestone_id}/complete",
    response=MilestoneOut,
    summary="Mark a milestone done, or not done again (If-Match or version required)",
)
def milestone_complete(
    request: HttpRequest, milestone_id: int, payload: MilestoneCompleteIn, response: HttpResponse
) -> Any:
    milestone = _visible_milestone(_person(request), milestone_id)
    call_with_version(
        request, payload.version, services.milestone_complete, milestone=milestone, done=payload.done
    )
    etag(response, milestone)
    return milestone


# Progress reports and evidence -------------------------------------------------------------------


class ReportForm(Schema):
    done: str
    percent: int = Field(..., description="0 to 100")
    problems: str = ""
    next_steps: str = ""


@router.get("/items/{item_id}/reports", response=list[ReportOut], summary="The item's progress reports")
@paginate(Page)
def reports(request: HttpRequest, item_id: int) -> Any:
    item = _visible_item(_person(request), item_id)
    return item.reports.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id"))
    )


@router.post(
    "/items/{item_id}/reports",
    response={201: ReportOut},
    summary="Report progress with evidence (multipart; the owner or the lead unit's head)",
    description=(
        "Multipart form: done, percent, problems, next_steps, and the evidence as `files` (repeatable; "
        "pdf, jpg, png, docx or xlsx up to 20 MB, checked by content, not by name). A bad file answers "
        "400 and nothing is saved."
    ),
)
def report_add(
    request: HttpRequest,
    item_id: int,
    payload: Form[ReportForm],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    person = _person(request)
    item = _visible_item(person, item_id)
    report = services.report_submit(
        actor=person,
        item=item,
        done=payload.done,
        percent=payload.percent,
        problems=payload.problems,
        next_steps=payload.next_steps,
        files=uploaded_files(request, files),
    )
    created = (
        ProgressReport.objects.select_related("author").prefetch_related("attachments").get(pk=report.pk)
    )
    return Status(201, created)


@router.get(
    "/items/{item_id}/attachments/{attachment_id}",
    response={200: None},
    url_name="worklist_attachment",
    summary="Download one piece of evidence",
)
def attachment_download(request: HttpRequest, item_id: int, attachment_id: int) -> Any:
    item = _visible_item(_person(request), item_id)
    return file_response(Attachment.objects.filter(pk=attachment_id, item=item).first())


# Escalations -------------------------------------------------------------------------------------


class EscalationOut(Schema):
    id: int
    item: ItemRef
    level: int
    level_label: str
    red_since: datetime.date
    created_at: datetime.datetime
    recipients: list[PersonRef]
    acknowledged_by: PersonRef | None
    acknowledged_at: datetime.datetime | None
    recovery_plan: str

    @staticmethod
    def resolve_level_label(obj: Escalation) -> str:
        return choice_label(obj, "level")

    @staticmethod
    def resolve_recipients(obj: Escalation) -> list[Person]:
        return list(obj.recipients.all())


class EscalationQuery(Schema):
    open: bool | None = Field(None, description="true: not yet acknowledged; false: acknowledged")


class AcknowledgeIn(Schema):
    recovery_plan: str


def _escalations(person: Person) -> Any:
    return escalation_list(person=person).prefetch_related("recipients")


@router.get(
    "/escalations",
    response=list[EscalationOut],
    summary="Escalations addressed to you (all of them for supervisors)",
)
@paginate(Page)
def escalations(request: HttpRequest, filters: Query[EscalationQuery]) -> Any:
    qs = _escalations(_person(request))
    if filters.open is not None:
        qs = qs.filter(acknowledged_at__isnull=filters.open)
    return qs


@router.post(
    "/escalations/{escalation_id}/acknowledge",
    response=EscalationOut,
    summary="Acknowledge an escalation with a recovery plan (its recipients)",
)
def escalation_acknowledge(request: HttpRequest, escalation_id: int, payload: AcknowledgeIn) -> Any:
    person = _person(request)
    escalation = get_object_or_404(_escalations(person), pk=escalation_id)
    services.escalation_acknowledge(actor=person, escalation=escalation, recovery_plan=payload.recovery_plan)
    return _escalations(person).get(pk=escalation.pk)


# Promise-keeping (“说了”和“做了”零距离) -----------------------------------------------------------


class PromiseQuery(PeriodQuery):
    by: Literal["unit", "person", "zone"] = "unit"


class PromiseItemsQuery(PeriodQuery):
    unit_id: int | None = Field(None, description="The lead unit (as in by=unit)")
    person_id: int | None = Field(None, description="The owner (as in by=person)")
    zone_id: int | None = None

    @model_validator(mode="after")
    def _one_group(self) -> "PromiseItemsQuery":
        given = [v for v in (self.unit_id, self.person_id, self.zone_id) if v is not None]
        if len(given) > 1:
            raise ValueError("give at most one of unit_id, person_id, zone_id")
        return self


class PromiseRow(Schema):
    key: int
    label: str
    due: int
    kept: int
    rate: float | None = Field(description="Percent kept, one decimal; null when nothing was due")


class ItemBrief(Schema):
    """An item in a warning or a drill-down: what it is, when it is due and who answers for it."""

    id: int
    code: str
    title: str
    state: ItemState
    deadline: datetime.date
    lead_unit: Ref | None
    owner: PersonRef | None


class PromiseItemOut(ItemBrief):
    zone: Ref | None
    closed_at: datetime.datetime | None
    target_met: bool | None
    kept: bool


@router.get(
    "/promise-keeping",
    response=list[PromiseRow],
    summary="Promise-keeping rate (kept ÷ due) per unit, person or zone over a period",
    description="Kept: closed by the deadline with the target met. Due: items whose deadline is in the period.",
)
def promise_keeping(request: HttpRequest, filters: Query[PromiseQuery]) -> Any:
    start, end = filters.period()
    return promise_rates(person=_person(request), start=start, end=end, by=filters.by)


@router.get(
    "/promise-keeping/items",
    response=list[PromiseItemOut],
    summary="The items behind a promise-keeping figure, each kept or not",
)
@paginate(Page)
def promise_keeping_items(request: HttpRequest, filters: Query[PromiseItemsQuery]) -> Any:
    start, end = filters.period()
    qs = promise_items(person=_person(request), start=start, end=end)
    if filters.unit_id is not None:
        qs = qs.filter(lead_unit_id=filters.unit_id)
    if filters.person_id is not None:
        qs = qs.filter(owner_id=filters.person_id)
    if filters.zone_id is not None:
        qs = qs.filter(zone_id=filters.zone_id)
    return qs.select_related("lead_unit", "owner", "zone").order_by("deadline", "code")


# Coverage warnings and the light rules -----------------------------------------------------------


class CoverageOut(Schema):
    directives_without_items: list[DirectiveRef]
    items_without_owner: list[ItemBrief]
    items_without_report: list[ItemBrief]
    counts: dict[str, int]


@router.get(
    "/coverage",
    response=CoverageOut,
    summary="Coverage warnings: directives with no item, items with no owner, items with no report this cycle",
)
def coverage(request: HttpRequest, limit: int = Query(200, ge=1, le=1000)) -> Any:
    warnings = coverage_warnings(person=_person(request))
    return {
        **{name: list(qs[:limit]) for name, qs in warnings.items()},
        "counts": {name: qs.count() for name, qs in warnings.items()},
    }


class LightOut(Schema):
    value: str
    label: str


class LightRulesOut(Schema):
    rules_text: list[str]
    due_soon_working_days: int
    report_grace_working_days: int
    lights: list[LightOut]


@router.get("/light-rules", response=LightRulesOut, summary="How the lights are derived (红黄绿灯)")
def light_rules(request: HttpRequest) -> Any:
    return {
        "rules_text": lights.rules_text(),
        **lights.rules(),
        "lights": [{"value": value, "label": str(label)} for value, label in lights.Light.choices],
    }
