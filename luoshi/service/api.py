"""The enterprise service desk (“五星级”服务) through the JSON API: the same services, scopes and SLA
times as the pages.

Reads go through `visible_to` and the selectors; every change goes through a service. An enterprise
user sees only their own enterprise and its requests: anything else answers 404, whether it exists
or not. Something the person may see but not do answers 403, and an illegal step answers 400 with
the service's message. Edits and transitions say which version they read: If-Match (412 when stale)
or a `version` field (409 when stale); without either they answer 428. The one-time rating link is
the only part that needs no login: the signed token is the credential.
"""

# No `from __future__ import annotations` here: django-ninja resolves the string annotations of a
# @paginate-wrapped view in its own module and fails on Query[...] (vitalik/django-ninja#1717).

import datetime
from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import field_validator

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
from luoshi.core.audit import history_of
from luoshi.core.errors import Conflict
from luoshi.core.models import choice_label
from luoshi.core.uploads import file_response
from luoshi.org.models import Person, Unit, Zone
from luoshi.worklist.models import Item

from . import services
from .access import access_manage_enterprises, member_enterprise_id
from .filters import EnterpriseFilters, enterprise_list
from .models import (
    Category,
    Channel,
    Enterprise,
    Pause,
    Rating,
    RatingLink,
    RequestAttachment,
    RequestState,
    ServiceRequest,
    Stage,
)
from .selectors import (
    centre_queue,
    rate_drilldown,
    rates,
    request_list,
    unit_queue,
)
from .timeline import note_of

router = Router(tags=["service"])
S = RequestState


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _one_of(choices: Any) -> Any:
    """The allowed values of a text field, for OpenAPI; the service checks them with its own message."""
    return {"enum": list(choices.values)}


# Enterprises -------------------------------------------------------------------------------------


class ContactOut(Schema):
    name: str
    title: str
    phone: str


class ContactIn(Schema):
    name: str = Field(..., max_length=50)
    title: str = Field("", max_length=50)
    phone: str = Field(..., max_length=30)


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str = Field(description="Unified social credit code (统一社会信用代码)")
    zone: Ref
    industry: str
    stage: str = Field(json_schema_extra=_one_of(Stage))
    stage_label: str
    steward: PersonRef | None
    address: str
    legal_representative: str
    is_active: bool
    version: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_stage_label(obj: Enterprise) -> str:
        return choice_label(obj, "stage")


class EnterpriseDetailOut(EnterpriseOut):
    contacts: list[ContactOut]
    members: list[PersonRef] = Field(description="The enterprise users who act for it")

    @staticmethod
    def resolve_contacts(obj: Enterprise) -> list[Any]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_members(obj: Enterprise) -> list[Person]:
        return [member.person for member in obj.members.all()]


class EnterpriseIn(Schema):
    name: str = Field(..., max_length=100)
    uscc: str = Field(..., max_length=40, description="Checked against GB 32100-2015")
    zone_id: int
    industry: str = Field(..., max_length=50)
    stage: str = Field(Stage.OPERATING.value, json_schema_extra=_one_of(Stage))
    steward_id: int | None = None
    address: str = Field("", max_length=200)
    legal_representative: str = Field("", max_length=50)
    contacts: list[ContactIn] = []


class EnterprisePatch(PatchIn):
    nullable = frozenset({"version", "steward_id"})

    name: str | None = Field(None, max_length=100)
    uscc: str | None = Field(None, max_length=40)
    zone_id: int | None = None
    industry: str | None = Field(None, max_length=50)
    stage: str | None = Field(None, json_schema_extra=_one_of(Stage))
    steward_id: int | None = None
    address: str | None = Field(None, max_length=200)
    legal_representative: str | None = Field(None, max_length=50)
    version: int | None = None


class EnterpriseQuery(Schema):
    zone_id: int | None = None
    industry: str = Field("", description="Exact industry")
    stage: str | None = Field(None, json_schema_extra=_one_of(Stage))
    steward_id: int | None = Field(None, description="A steward's enterprises (服务专员)")
    q: str = Field("", description="Text in the name or the code")


class EnterpriseMemberIn(Schema):
    person_id: int = Field(..., description="An enterprise user's login")


def _enterprises(person: Person) -> QuerySet[Enterprise]:
    return Enterprise.objects.visible_to(person).select_related("zone", "steward")


def _enterprise_detail(person: Person, enterprise_id: int, response: HttpResponse) -> Enterprise:
    enterprise = get_visible_or_404(
        _enterprises(person).prefetch_related("contacts", "members__person"), person, pk=enterprise_id
    )
    etag(response, enterprise)
    return enterprise


def _enterprise_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Turn zone_id and steward_id into records (404 when there is none). Only the service centre
    gets here, and it may name any zone and any steward; the service checks the steward's post."""
    out = dict(data)
    if "zone_id" in out:
        out["zone"] = get_object_or_404(Zone, pk=out.pop("zone_id"))
    if "steward_id" in out:
        steward_id = out.pop("steward_id")
        out["steward"] = get_object_or_404(Person, pk=steward_id) if steward_id else None
    return out


@router.get("/enterprises", response=list[EnterpriseOut], summary="Enterprises you may see")
@paginate(Page)
def enterprises(request: HttpRequest, filters: Query[EnterpriseQuery]) -> Any:
    # A zone or person that does not exist matches nothing (the list page would ignore it).
    zone = Zone.objects.filter(pk=filters.zone_id).first() if filters.zone_id is not None else None
    steward = Person.objects.filter(pk=filters.steward_id).first() if filters.steward_id is not None else None
    if (filters.zone_id is not None and zone is None) or (filters.steward_id is not None and steward is None):
        return Enterprise.objects.none()
    chosen = EnterpriseFilters(
        q=filters.q, zone=zone, industry=filters.industry.strip(), stage=filters.stage or "", steward=steward
    )
    return enterprise_list(person=_person(request), filters=chosen)


@router.post(
    "/enterprises",
    response={201: EnterpriseDetailOut},
    summary="Register an enterprise (the service centre)",
    description="An invalid unified social credit code answers 400 and says what is wrong under errors.uscc.",
)
def enterprise_add(request: HttpRequest, payload: EnterpriseIn, response: HttpResponse) -> Any:
    person = _person(request)
    access_manage_enterprises(person)
    data = _enterprise_changes(payload.dict())
    data["contacts"] = [contact.dict() for contact in payload.contacts]
    enterprise = services.enterprise_create(actor=person, **data)
    return Status(201, _enterprise_detail(person, enterprise.pk, response))


@router.get(
    "/enterprises/{int:enterprise_id}",
    response=EnterpriseDetailOut,
    summary="One enterprise with its contacts (ETag = version)",
)
def enterprise_get(request: HttpRequest, enterprise_id: int, response: HttpResponse) -> Any:
    return _enterprise_detail(_person(request), enterprise_id, response)


@router.patch(
    "/enterprises/{int:enterprise_id}",
    response=EnterpriseDetailOut,
    summary="Edit an enterprise (the service centre; If-Match or version required)",
)
def enterprise_patch(
    request: HttpRequest, enterprise_id: int, payload: EnterprisePatch, response: HttpResponse
) -> Any:
    person = _person(request)
    enterprise = get_visible_or_404(Enterprise.objects.all(), person, pk=enterprise_id)
    access_manage_enterprises(person)
    changes = _enterprise_changes(payload.dict(exclude_unset=True, exclude={"version"}))
    call_with_version(
        request, payload.version, services.enterprise_update, enterprise=enterprise, changes=changes
    )
    return _enterprise_detail(person, enterprise.pk, response)


@router.post(
    "/enterprises/{int:enterprise_id}/members",
    response=EnterpriseDetailOut,
    summary="Link an enterprise user's login to this enterprise (the service centre)",
)
def enterprise_member_add(
    request: HttpRequest, enterprise_id: int, payload: EnterpriseMemberIn, response: HttpResponse
) -> Any:
    person = _person(request)
    enterprise = get_visible_or_404(Enterprise.objects.all(), person, pk=enterprise_id)
    access_manage_enterprises(person)
    member = get_object_or_404(Person, pk=payload.person_id)
    services.enterprise_member_set(actor=person, person=member, enterprise=enterprise)
    return _enterprise_detail(person, enterprise.pk, response)


# Categories --------------------------------------------------------------------------------------


class ServiceCategoryOut(Schema):
    id: int
    name: str
    resolution_days: int = Field(description="Working days to resolve, from acknowledgement")
    default_unit: Ref | None


@router.get("/categories", response=list[ServiceCategoryOut], summary="Request categories")
def categories(request: HttpRequest) -> Any:
    return Category.objects.select_related("default_unit")


# Requests ----------------------------------------------------------------------------------------


def current_due(sr: ServiceRequest) -> datetime.datetime | None:
    """The due time of the clock that runs now: the response before acknowledgement, then the
    resolution (which stands still while waiting for the enterprise); none once resolved."""
    if sr.state in (S.RECEIVED, S.DISPATCHED):
        return sr.response_due_at
    if sr.state in (S.ACKNOWLEDGED, S.WAITING):
        return sr.resolution_due_at
    return None


class ServiceRequestOut(Schema):
    """A request as the lists and queues show it, with the clock that runs now."""

    id: int
    code: str
    title: str
    state: RequestState
    state_label: str
    channel: str = Field(json_schema_extra=_one_of(Channel))
    channel_label: str
    enterprise: Ref
    category: Ref
    unit: Ref | None
    received_at: datetime.datetime
    response_due_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    resolution_due_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    due_at: datetime.datetime | None = Field(
        description="When the running clock is due: the response, then the resolution; null once resolved"
    )
    paused: bool = Field(description="Waiting for the enterprise: the resolution clock stands still")
    overdue: bool = Field(description="The running clock is past due (never while paused)")
    stars: int | None
    reopen_count: int
    escalated: bool = Field(description="Escalated to an implementation-list item")
    version: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_state_label(obj: ServiceRequest) -> str:
        return choice_label(obj, "state")

    @staticmethod
    def resolve_channel_label(obj: ServiceRequest) -> str:
        return choice_label(obj, "channel")

    @staticmethod
    def resolve_escalated(obj: ServiceRequest) -> bool:
        return obj.item_id is not None

    @staticmethod
    def resolve_due_at(obj: ServiceRequest) -> datetime.datetime | None:
        return current_due(obj)

    @staticmethod
    def resolve_paused(obj: ServiceRequest) -> bool:
        return obj.state == S.WAITING

    @staticmethod
    def resolve_overdue(obj: ServiceRequest) -> bool:
        due = current_due(obj)
        return obj.state != S.WAITING and due is not None and timezone.now() > due


class PauseOut(Schema):
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    reason: str = Field(description="What the enterprise was asked to provide")


class ServiceRatingOut(Schema):
    stars: int
    comment: str
    rated_at: datetime.datetime
    via: str = Field(json_schema_extra=_one_of(Rating.Via))
    unit: Ref | None = Field(description="The unit that was rated")
    by: PersonRef | None = Field(description="Null when rated through the one-time link")


class ServiceAttachmentOut(StoredFileOut):
    uploaded_by: PersonRef

    @staticmethod
    def resolve_url(obj: RequestAttachment) -> str:
        return reverse(
            "api:service_attachment", kwargs={"request_id": obj.request_id, "attachment_id": obj.pk}
        )


class LinkedItemOut(Schema):
    """The implementation-list item the request was escalated to."""

    id: int
    code: str
    title: str
    state: str
    deadline: datetime.date
    light: str


class TimelineEntry(Schema):
    at: datetime.datetime
    action: str = Field(
        description="file, dispatch, return, acknowledge, wait, resume, resolve, rate, reopen, close, "
        "escalate_to_item"
    )
    actor: PersonRef | None = Field(description="Null for a rating through the one-time link")
    note: str = Field(description="The reason, reply, comment or note given with the step")


class ServiceRequestDetailOut(ServiceRequestOut):
    """The request page: the facts' times, pauses, ratings, attachments, the linked item and the timeline."""

    description: str
    filed_by: PersonRef
    dispatched_at: datetime.datetime | None
    paused_at: datetime.datetime | None
    first_resolved_at: datetime.datetime | None
    rated_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    reply: str
    return_reason: str
    pauses: list[PauseOut]
    ratings: list[ServiceRatingOut]
    attachments: list[ServiceAttachmentOut]
    item: LinkedItemOut | None = Field(description="The linked list item, when you may see it")
    timeline: list[TimelineEntry]

    @staticmethod
    def resolve_pauses(obj: ServiceRequest) -> list[Pause]:
        return list(obj.pauses.all())

    @staticmethod
    def resolve_ratings(obj: ServiceRequest) -> list[Rating]:
        return list(obj.ratings.all())

    @staticmethod
    def resolve_attachments(obj: ServiceRequest) -> list[RequestAttachment]:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_item(obj: ServiceRequest) -> Item | None:
        return obj.visible_item  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_timeline(obj: ServiceRequest) -> list[dict[str, Any]]:
        return obj.timeline  # type: ignore[attr-defined, no-any-return]


class ResolvedOut(ServiceRequestDetailOut):
    rating_link: str = Field(description="The page where the enterprise rates, once, within 30 days")
    rating_api: str = Field(description="The same link in the API (GET to read, POST to rate)")


class RequestQuery(Schema):
    """The request list's filters."""

    state: list[RequestState] = Field([], description="Repeatable: state=received&state=dispatched")
    unit_id: int | None = Field(None, description="The handling unit, including its sub-units")
    enterprise_id: int | None = None
    q: str = Field("", description="Text in the code, the title or the enterprise's name")


def _requests(person: Person, query: RequestQuery) -> QuerySet[ServiceRequest]:
    """The selector's list for the query's filters; an id the person cannot see matches nothing."""
    unit = enterprise = None
    if query.unit_id is not None:
        unit = Unit.objects.filter(pk=query.unit_id).first()
        if unit is None:
            return ServiceRequest.objects.none()
    if query.enterprise_id is not None:
        enterprise = Enterprise.objects.filter(pk=query.enterprise_id).first()
        if enterprise is None:
            return ServiceRequest.objects.none()
    return request_list(
        person=person, state=[str(s) for s in query.state], unit=unit, enterprise=enterprise, q=query.q
    )


def _visible_request(person: Person, request_id: int) -> ServiceRequest:
    return get_visible_or_404(
        ServiceRequest.objects.select_related("enterprise", "category", "unit"), person, pk=request_id
    )


def _request_detail(
    person: Person, request_id: int, response: HttpResponse, *, acted: bool = False
) -> ServiceRequest:
    """One visible request with everything its page shows, in a fixed number of queries.

    `acted`: the person has just changed it, so they get the answer even when the change took it
    out of their sight (a unit returning a request no longer sees it).
    """
    requests = ServiceRequest.objects.select_related(
        "enterprise", "category", "unit", "filed_by"
    ).prefetch_related(
        "pauses",
        Prefetch("ratings", queryset=Rating.objects.select_related("unit", "by").order_by("rated_at", "id")),
        Prefetch("attachments", queryset=RequestAttachment.objects.select_related("uploaded_by")),
    )
    sr = requests.get(pk=request_id) if acted else get_visible_or_404(requests, person, pk=request_id)
    sr.visible_item = (  # type: ignore[attr-defined]
        Item.objects.visible_to(person).with_light().filter(pk=sr.item_id).first() if sr.item_id else None
    )
    sr.timeline = [  # type: ignore[attr-defined]
        {
            "at": record.at,
            "action": record.action,
            "actor": record.actor,
            "note": note_of(record),
        }
        for record in history_of(sr).order_by("at", "id")
    ]
    etag(response, sr)
    return sr


class RequestFileForm(Schema):
    enterprise_id: int | None = Field(None, description="Default: the enterprise you act for")
    category_id: int
    title: str = Field(..., max_length=200)
    description: str
    channel: str = Field(Channel.PORTAL.value, json_schema_extra=_one_of(Channel))

    _blank = field_validator("enterprise_id", mode="before")(blank_to_none)


_FILES = (
    "Attach files as `files` (repeatable; pdf, jpg, png, docx or xlsx up to 20 MB, checked by content, "
    "not by name). A bad file answers 400 and nothing is saved."
)


@router.get("/requests", response=list[ServiceRequestOut], summary="Requests you may see, newest first")
@paginate(Page)
def requests(request: HttpRequest, filters: Query[RequestQuery]) -> Any:
    return _requests(_person(request), filters)


@router.post(
    "/requests",
    response={201: ServiceRequestDetailOut},
    summary="File a request (multipart; the enterprise, or staff on its behalf)",
    description="Multipart form: enterprise_id, category_id, title, description, channel. " + _FILES,
)
def request_add(
    request: HttpRequest,
    payload: Form[RequestFileForm],
    response: HttpResponse,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    person = _person(request)
    enterprise_id = payload.enterprise_id or member_enterprise_id(person)
    if enterprise_id is None:
        raise ValidationError({"enterprise_id": [_("Choose the enterprise the request is for.")]})
    enterprise = get_visible_or_404(Enterprise.objects.all(), person, pk=enterprise_id)
    sr = services.request_file(
        actor=person,
        enterprise=enterprise,
        category=get_object_or_404(Category, pk=payload.category_id),
        title=payload.title,
        description=payload.description,
        channel=payload.channel,
        files=uploaded_files(request, files),
    )
    return Status(201, _request_detail(person, sr.pk, response))


@router.get(
    "/requests/{int:request_id}",
    response=ServiceRequestDetailOut,
    summary="One request: SLA times, pauses, ratings, attachments, reopen count, linked item (ETag = version)",
)
def request_get(request: HttpRequest, request_id: int, response: HttpResponse) -> Any:
    return _request_detail(_person(request), request_id, response)


@router.get(
    "/requests/{int:request_id}/attachments/{int:attachment_id}",
    response={200: None},
    url_name="service_attachment",
    summary="Download a request's attachment",
)
def attachment_download(request: HttpRequest, request_id: int, attachment_id: int) -> Any:
    sr = _visible_request(_person(request), request_id)
    return file_response(RequestAttachment.objects.filter(pk=attachment_id, request=sr).first())


# Transitions -------------------------------------------------------------------------------------


class RequestDispatchIn(VersionIn):
    unit_id: int = Field(..., description="The unit that must handle it")


class RequestReturnIn(VersionIn):
    reason: str = Field(..., description="Why the request is not for your unit")


class RequestWaitIn(VersionIn):
    needed: str = Field(..., description="What the enterprise needs to provide (等待企业补充)")


class RequestResumeForm(VersionForm):
    note: str = ""


class RequestResolveForm(VersionForm):
    reply: str


class RequestRateIn(VersionIn):
    stars: int = Field(..., description="1 to 5; 3 or less reopens the request and needs a comment")
    comment: str = ""


class RequestCloseIn(VersionIn):
    note: str = Field("", description="What the follow-up call (回访) found")


class RequestEscalateIn(VersionIn):
    deadline: datetime.date
    lead_unit_id: int | None = Field(None, description="Default: the unit handling the request")
    title: str = Field("", max_length=200, description="Default: the request's title")


_STEP = "Needs If-Match or a version field; an illegal step answers 400 and changes nothing."


def _step(
    request: HttpRequest,
    request_id: int,
    version: int | None,
    response: HttpResponse,
    service: Callable[..., Any],
    **arguments: Any,
) -> ServiceRequest:
    """Fetch the visible request, run the service with the version the client read, answer the request."""
    person = _person(request)
    sr = _visible_request(person, request_id)
    call_with_version(request, version, service, request=sr, **arguments)
    return _request_detail(person, sr.pk, response, acted=True)


def _at_version(service: Callable[..., Any]) -> Callable[..., Any]:
    """For the services that take no version: refuse a stale one here. The service's own write is
    conditional on the version just read, so no change can slip in between."""

    def checked(*, request: ServiceRequest, expected_version: int, **arguments: Any) -> Any:
        if request.version != expected_version:
            raise Conflict()
        return service(request=request, **arguments)

    return checked


@router.post(
    "/requests/{int:request_id}/dispatch",
    response=ServiceRequestDetailOut,
    summary="Dispatch (派单) to the unit that must handle it (the service centre or the steward)",
    description=_STEP,
)
def request_dispatch(
    request: HttpRequest, request_id: int, payload: RequestDispatchIn, response: HttpResponse
) -> Any:
    unit = get_object_or_404(Unit, pk=payload.unit_id)
    return _step(request, request_id, payload.version, response, services.request_dispatch, unit=unit)


@router.post(
    "/requests/{int:request_id}/return",
    response=ServiceRequestDetailOut,
    summary="Return a wrongly dispatched request, with a reason, for re-dispatch (the unit)",
    description=_STEP,
)
def request_return(
    request: HttpRequest, request_id: int, payload: RequestReturnIn, response: HttpResponse
) -> Any:
    return _step(
        request, request_id, payload.version, response, services.request_return, reason=payload.reason
    )


@router.post(
    "/requests/{int:request_id}/acknowledge",
    response=ServiceRequestDetailOut,
    summary="Acknowledge (响应) the request; the resolution clock starts (the unit)",
    description=_STEP,
)
def request_acknowledge(
    request: HttpRequest, request_id: int, payload: VersionIn, response: HttpResponse
) -> Any:
    return _step(request, request_id, payload.version, response, services.request_acknowledge)


@router.post(
    "/requests/{int:request_id}/wait",
    response=ServiceRequestDetailOut,
    summary="Ask the enterprise for more (等待企业补充); the resolution clock pauses (the unit)",
    description=_STEP,
)
def request_wait(
    request: HttpRequest, request_id: int, payload: RequestWaitIn, response: HttpResponse
) -> Any:
    return _step(request, request_id, payload.version, response, services.request_wait, needed=payload.needed)


@router.post(
    "/requests/{int:request_id}/resume",
    response=ServiceRequestDetailOut,
    summary="Supply what was asked (the enterprise) or resume (the unit); the clock runs again, extended",
    description="Multipart form: note, version. " + _FILES + " " + _STEP,
)
def request_resume(
    request: HttpRequest,
    request_id: int,
    payload: Form[RequestResumeForm],
    response: HttpResponse,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    return _step(
        request,
        request_id,
        payload.version,
        response,
        services.request_resume,
        note=payload.note,
        files=uploaded_files(request, files),
    )


@router.post(
    "/requests/{int:request_id}/resolve",
    response=ResolvedOut,
    summary="Resolve (办结) with a reply (the unit); answers the enterprise's one-time rating link",
    description="Multipart form: reply, version. " + _FILES + " " + _STEP,
)
def request_resolve(
    request: HttpRequest,
    request_id: int,
    payload: Form[RequestResolveForm],
    response: HttpResponse,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    tokens: list[str] = []

    def resolve(**arguments: Any) -> ServiceRequest:
        resolved, token = services.request_resolve(**arguments)
        tokens.append(token)
        return resolved

    sr = _step(
        request,
        request_id,
        payload.version,
        response,
        resolve,
        reply=payload.reply,
        files=uploaded_files(request, files),
    )
    sr.rating_link = reverse("service:rate_by_link", args=[tokens[0]])  # type: ignore[attr-defined]
    sr.rating_api = reverse("api:service_rating_link", kwargs={"token": tokens[0]})  # type: ignore[attr-defined]
    return sr


@router.post(
    "/requests/{int:request_id}/rate",
    response=ServiceRequestDetailOut,
    summary="Rate the resolution with 1–5 stars (the enterprise user); 3 or less reopens it",
    description=_STEP,
)
def request_rate(
    request: HttpRequest, request_id: int, payload: RequestRateIn, response: HttpResponse
) -> Any:
    return _step(
        request,
        request_id,
        payload.version,
        response,
        _at_version(services.request_rate),
        stars=payload.stars,
        comment=payload.comment,
    )


@router.post(
    "/requests/{int:request_id}/close",
    response=ServiceRequestDetailOut,
    summary="Close a rated request after the follow-up call (the service centre or the steward)",
    description=_STEP,
)
def request_close(
    request: HttpRequest, request_id: int, payload: RequestCloseIn, response: HttpResponse
) -> Any:
    return _step(request, request_id, payload.version, response, services.request_close, note=payload.note)


@router.post(
    "/requests/{int:request_id}/escalate",
    response=ServiceRequestDetailOut,
    summary="Escalate to an implementation-list item when the problem needs a project (supervisors)",
    description="The new item is a draft for the supervision office to publish; the two stay linked. "
    + _STEP,
)
def request_escalate(
    request: HttpRequest, request_id: int, payload: RequestEscalateIn, response: HttpResponse
) -> Any:
    lead = (
        get_visible_or_404(Unit.objects.all(), _person(request), pk=payload.lead_unit_id)
        if payload.lead_unit_id
        else None
    )
    return _step(
        request,
        request_id,
        payload.version,
        response,
        _at_version(services.request_escalate_to_item),
        deadline=payload.deadline,
        lead_unit=lead,
        title=payload.title,
    )


# The one-time rating link (no login) -------------------------------------------------------------


LINK_ERRORS = ("expired", "invalid", "used")


class RatingLinkOut(Schema):
    code: str = Field(description="The request's code")
    title: str
    enterprise: str
    unit: str | None
    reply: str
    resolved_at: datetime.datetime | None
    expires_at: datetime.datetime
    can_rate: bool = Field(description="False when the request is no longer waiting for a rating")


class RatingLinkIn(Schema):
    stars: int = Field(..., description="1 to 5; 3 or less reopens the request and needs a comment")
    comment: str = ""


class RatingLinkAnswer(Schema):
    code: str
    title: str
    state: RequestState
    state_label: str
    stars: int
    reopened: bool = Field(description="The rating was 3 stars or less: the unit handles it again")


class RatingLinkError(Schema):
    code: Literal["expired", "invalid", "used"]
    message: str
    errors: Any = None


def _link_error(exc: ValidationError) -> Status | None:
    """A refusal of the link itself (not of the rating) as its own 400, or None."""
    if hasattr(exc, "error_dict") or exc.code not in LINK_ERRORS:
        return None
    return Status(400, {"code": exc.code, "message": " ".join(exc.messages), "errors": None})


@router.get(
    "/rating-links/{token}",
    auth=None,
    response={200: RatingLinkOut, 400: RatingLinkError},
    url_name="service_rating_link",
    summary="What a one-time rating link rates (no login)",
    description="An expired, tampered or used link answers 400 with code expired, invalid or used.",
)
def rating_link_get(request: HttpRequest, token: str) -> Any:
    try:
        link: RatingLink = services.rating_link_check(token)
    except ValidationError as exc:
        refusal = _link_error(exc)
        if refusal is None:
            raise
        return refusal
    sr = ServiceRequest.objects.select_related("enterprise", "unit").get(pk=link.request_id)
    return {
        "code": sr.code,
        "title": sr.title,
        "enterprise": sr.enterprise.name,
        "unit": sr.unit.name if sr.unit else None,
        "reply": sr.reply,
        "resolved_at": sr.resolved_at,
        "expires_at": link.created_at + datetime.timedelta(days=services.RATING_LINK_DAYS),
        "can_rate": sr.state == S.RESOLVED,
    }


@router.post(
    "/rating-links/{token}",
    auth=None,
    response={200: RatingLinkAnswer, 400: RatingLinkError},
    summary="Rate through a one-time link (no login): valid 30 days, usable once",
    description=(
        "An expired, tampered or used link answers 400 with code expired, invalid or used; a bad rating "
        "answers 400 with code invalid and the field under errors."
    ),
)
def rating_link_rate(request: HttpRequest, token: str, payload: RatingLinkIn) -> Any:
    try:
        sr = services.request_rate_by_link(token=token, stars=payload.stars, comment=payload.comment)
    except ValidationError as exc:
        refusal = _link_error(exc)
        if refusal is None:
            raise
        return refusal
    return {
        "code": sr.code,
        "title": sr.title,
        "state": sr.state,
        "state_label": choice_label(sr, "state"),
        "stars": payload.stars,
        "reopened": sr.state == S.ACKNOWLEDGED,
    }


# Queues ------------------------------------------------------------------------------------------


@router.get(
    "/queues/centre",
    response=list[ServiceRequestOut],
    summary="The service centre's queue: new and returned requests to dispatch, oldest first",
)
@paginate(Page)
def queue_centre(request: HttpRequest) -> Any:
    return centre_queue(person=_person(request))


@router.get(
    "/queues/unit",
    response=list[ServiceRequestOut],
    summary="Your units' open requests, the soonest due first (SLA countdowns)",
)
@paginate(Page)
def queue_unit(request: HttpRequest) -> Any:
    return unit_queue(person=_person(request))


# The three rates (三率) ---------------------------------------------------------------------------


class RatesQuery(PeriodQuery):
    by: Literal["unit", "zone"] = "unit"


class DrilldownQuery(PeriodQuery):
    figure: Literal["received", "responded", "due", "resolved", "rated", "satisfied", "reopened"]
    unit_id: int | None = Field(None, description="As in by=unit")
    zone_id: int | None = Field(None, description="As in by=zone")


class ServiceRatesRow(Schema):
    key: int | None = Field(description="The unit or zone id; null for requests not yet dispatched")
    label: str
    received: int
    responded_on_time: int
    due: int
    resolved_on_time: int
    rated: int
    satisfied: int
    resolved: int
    reopened: int
    response_rate: float | None = Field(description="Percent, one decimal; null when nothing counts")
    resolution_rate: float | None
    satisfaction_rate: float | None
    reopen_rate: float | None
    stars_avg: float | None


_RATES = (
    "Response rate = acknowledged on time (by the end of the working day of arrival) ÷ received in the "
    "period. Resolution rate = resolved on time ÷ resolution due in the period. Satisfaction rate = "
    "rated 4–5 stars ÷ rated in the period. Reopen rate = reopened ÷ first resolved in the period. "
    "Best first. Drill down with figure = received, responded, due, resolved, rated, satisfied or "
    "reopened."
)


@router.get(
    "/rates",
    response=list[ServiceRatesRow],
    summary="The three rates (三率) per unit or zone over a period, best first",
    description=_RATES,
)
def rates_list(request: HttpRequest, filters: Query[RatesQuery]) -> Any:
    start, end = filters.period()
    return rates(person=_person(request), start=start, end=end, by=filters.by)


@router.get(
    "/rates/drilldown",
    response=list[ServiceRequestOut],
    summary="The requests behind one number of the rates",
    description=_RATES,
)
@paginate(Page)
def rates_drilldown(request: HttpRequest, filters: Query[DrilldownQuery]) -> Any:
    start, end = filters.period()
    unit = None
    if filters.unit_id is not None:
        unit = Unit.objects.filter(pk=filters.unit_id).first()
        if unit is None:
            return ServiceRequest.objects.none()
    return rate_drilldown(
        person=_person(request),
        start=start,
        end=end,
        figure=filters.figure,
        unit=unit,
        zone_id=filters.zone_id,
    ).order_by("received_at", "pk")
