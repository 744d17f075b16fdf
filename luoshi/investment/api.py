"""Investment attraction (招商引资) through the JSON API: the same services, selectors and scopes as the pages.

Reads go through the selectors (restricted to the person; projects annotated with `stale` and
`quiet_since`); every change goes through a service. A project outside the person's scope answers
404, an action they may see but not do answers 403, and a refused move answers 400 with the
service's errors by field (`reason`, `documents`, `contracted_amount`, `uscc`, `moved_on` …). Edits,
moves, losses and revivals say which version they read: If-Match (412 when stale) or a `version`
field (409 when stale); without either they answer 428.
"""

# No `from __future__ import annotations` here: django-ninja resolves the string annotations of a
# @paginate-wrapped view in its own module and fails on Query[...] (vitalik/django-ninja#1717).

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import field_validator

from luoshi.core.access import get_visible_or_404
from luoshi.core.apierrors import call_versioned, call_with_version, expected_version
from luoshi.core.apischemas import (
    Page,
    PatchIn,
    PersonRef,
    Ref,
    StoredFileOut,
    VersionForm,
    VersionIn,
    blank_to_none,
    etag,
)
from luoshi.core.audit import history_of
from luoshi.core.models import choice_label
from luoshi.core.uploads import file_response
from luoshi.org.models import Person, Role, Unit, Zone

from . import services
from .access import access_add_project, can_edit_project, can_set_targets
from .models import (
    STAGES,
    DocumentKind,
    FollowUp,
    FollowUpForm,
    MonthlyInvestment,
    Project,
    ProjectDocument,
    Source,
    Stage,
    StageMove,
    ZoneTarget,
)
from .selectors import (
    ProjectFilters,
    TargetRow,
    funnel,
    kanban,
    project_list,
    target_drilldown,
    targets,
)
from .stale import annotate_stale

router = Router(tags=["investment"])

METRICS = ("signed_amount", "started_count", "actual_investment", "big_projects")
Metric = Literal["signed_amount", "started_count", "actual_investment", "big_projects"]
FOLLOW_UPS_SHOWN = 20


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


# Shapes ------------------------------------------------------------------------------------------


class ProjectOut(Schema):
    """A project as the list and the kanban show it, with its stale state as of today."""

    id: int
    code: str
    name: str
    investor: str
    origin: str
    industry: str
    zone: Ref
    unit: Ref
    owner: PersonRef
    source: Source
    planned_investment: Decimal = Field(description="万元 (10k yuan)")
    contracted_amount: Decimal | None = Field(description="万元, recorded at signing")
    stage: Stage
    stage_label: str
    lead_on: datetime.date
    negotiating_on: datetime.date | None
    signed_on: datetime.date | None
    registered_on: datetime.date | None
    started_on: datetime.date | None
    operating_on: datetime.date | None
    lost_on: datetime.date | None
    stale: Literal["red", "yellow", ""] = Field(
        description="A lead or negotiation with no follow-up for N days is yellow, after 2N red"
    )
    quiet_since: datetime.date | None = Field(
        description="The later of the last follow-up and the day the current stage was reached"
    )
    version: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_stage_label(obj: Project) -> str:
        return choice_label(obj, "stage")


class StageDateOut(Schema):
    stage: Stage
    label: str
    reached_on: datetime.date | None


class MoveOut(Schema):
    """A move along the pipeline, a loss or a revival, with its date and reason."""

    id: int
    kind: Literal["move", "lost", "revive"]
    kind_label: str
    from_stage: str
    to_stage: str
    moved_on: datetime.date
    reason: str
    by: PersonRef
    created_at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj: StageMove) -> str:
        return choice_label(obj, "kind")


class DocumentOut(StoredFileOut):
    kind: DocumentKind
    kind_label: str
    move_id: int | None = Field(description="The move the document was evidence for")
    uploaded_by: PersonRef

    @staticmethod
    def resolve_kind_label(obj: ProjectDocument) -> str:
        return choice_label(obj, "kind")

    @staticmethod
    def resolve_url(obj: ProjectDocument) -> str:
        return reverse(
            "api:investment_document", kwargs={"project_id": obj.project_id, "document_id": obj.pk}
        )


class FollowUpOut(Schema):
    id: int
    date: datetime.date
    form: FollowUpForm
    form_label: str
    people_met: str
    outcome: str
    next_step: str
    author: PersonRef
    created_at: datetime.datetime

    @staticmethod
    def resolve_form_label(obj: FollowUp) -> str:
        return choice_label(obj, "form")


class InvestmentOut(Schema):
    month: datetime.date = Field(description="The first day of the month")
    amount: Decimal = Field(description="万元 (10k yuan)")


class EnterpriseLink(Schema):
    """The enterprise the project registered as, in the service desk (全生命周期服务)."""

    id: int
    name: str
    uscc: str


class ProjectDetailOut(ProjectOut):
    """The project page: its facts, stage timeline, moves, evidence, follow-ups and investment."""

    leader: PersonRef | None
    expected_output: Decimal | None
    expected_jobs: int | None
    description: str
    lost_reason: str
    enterprise: EnterpriseLink | None
    stages: list[StageDateOut]
    moves: list[MoveOut]
    documents: list[DocumentOut]
    follow_up_count: int
    follow_ups: list[FollowUpOut] = Field(
        description=f"The latest {FOLLOW_UPS_SHOWN}; every one at …/follow-ups"
    )
    investments: list[InvestmentOut]
    invested_total: Decimal
    can_edit: bool = Field(description="Whether you may edit, move and follow up this project")
    created_at: datetime.datetime

    @staticmethod
    def resolve_stages(obj: Project) -> list[dict[str, Any]]:
        return [{"stage": s, "label": str(Stage(s).label), "reached_on": obj.reached_on(s)} for s in STAGES]

    # `_detail` fetched these lists; they stand in for the related managers.
    @staticmethod
    def resolve_moves(obj: Project) -> list[StageMove]:
        return obj.moves_list  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_documents(obj: Project) -> list[ProjectDocument]:
        return obj.documents_list  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_follow_ups(obj: Project) -> list[FollowUp]:
        return obj.follow_ups_list  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_investments(obj: Project) -> list[MonthlyInvestment]:
        return obj.investments_list  # type: ignore[attr-defined, no-any-return]


def _detail(person: Person, project_id: int, response: HttpResponse, *, acted: bool = False) -> Project:
    """One project with everything its page shows, in a fixed number of queries.

    `acted`: the person has just changed it, so they get the answer even when the change (another
    zone, unit or owner) took it out of their sight.
    """
    projects = annotate_stale(
        Project.objects.select_related("zone", "unit", "owner", "leader", "enterprise"),
        timezone.localdate(),
    )
    project = projects.get(pk=project_id) if acted else get_visible_or_404(projects, person, pk=project_id)
    project.moves_list = list(project.moves.select_related("by"))  # type: ignore[attr-defined]
    project.documents_list = list(project.documents.select_related("uploaded_by"))  # type: ignore[attr-defined]
    follow_ups = project.follow_ups.select_related("author")
    project.follow_ups_list = list(follow_ups[:FOLLOW_UPS_SHOWN])  # type: ignore[attr-defined]
    shown = len(project.follow_ups_list)  # type: ignore[attr-defined]
    project.follow_up_count = shown if shown < FOLLOW_UPS_SHOWN else follow_ups.count()  # type: ignore[attr-defined]
    project.investments_list = list(project.investments.all())  # type: ignore[attr-defined]
    project.invested_total = sum((m.amount for m in project.investments_list), Decimal(0))  # type: ignore[attr-defined]
    project.can_edit = can_edit_project(person, project)  # type: ignore[attr-defined]
    etag(response, project)
    return project


def _visible_project(person: Person, project_id: int) -> Project:
    return get_visible_or_404(Project.objects.all(), person, pk=project_id)


# Projects ----------------------------------------------------------------------------------------


class ProjectQuery(Schema):
    """The project list's filters (the same as the list page's and the Excel export's)."""

    zone_id: int | None = None
    industry: str = Field("", description="Exact industry")
    stage: list[Stage] = Field([], description="Repeatable: stage=lead&stage=negotiating")
    origin: str = Field("", description="Exact country or region of origin")
    owner_id: int | None = Field(None, description="The person responsible (招商责任人)")
    amount_min: Decimal | None = Field(None, description="Planned investment at least (万元)")
    amount_max: Decimal | None = Field(None, description="Planned investment at most (万元)")
    stale: Literal["any", "yellow", "red"] | None = Field(
        None, description="any: yellow or red; yellow or red: that one only"
    )
    include_lost: bool = Field(False, description="Lost projects are left out unless this is true")
    q: str = Field("", description="Text in the code, name or investor")


def _projects(person: Person, query: ProjectQuery) -> QuerySet[Project]:
    """The selector's project list for the query's filters.

    A zone or person that does not exist simply matches nothing, so the answer never tells more
    than the list itself.
    """
    zone = Zone.objects.filter(pk=query.zone_id).first() if query.zone_id is not None else None
    owner = Person.objects.filter(pk=query.owner_id).first() if query.owner_id is not None else None
    if (query.zone_id is not None and zone is None) or (query.owner_id is not None and owner is None):
        return Project.objects.none()
    filters = ProjectFilters(
        zone=zone,
        industry=query.industry.strip(),
        stages=[str(s) for s in query.stage],
        origin=query.origin.strip(),
        owner=owner,
        amount_min=query.amount_min,
        amount_max=query.amount_max,
        stale=query.stale or "",
        include_lost=query.include_lost,
        q=query.q,
    )
    return project_list(person=person, filters=filters, today=timezone.localdate())


@router.get(
    "/projects",
    response=list[ProjectOut],
    summary="The project list, filtered, each with its stale state (newest change first)",
)
@paginate(Page)
def projects(request: HttpRequest, filters: Query[ProjectQuery]) -> Any:
    return _projects(_person(request), filters)


class ProjectIn(Schema):
    name: str = Field(..., max_length=200)
    investor: str = Field(..., max_length=200)
    origin: str = Field(..., max_length=50, description="Country or region of origin")
    industry: str = Field(..., max_length=50)
    zone_id: int
    planned_investment: Decimal = Field(..., max_digits=14, decimal_places=2, description="万元")
    source: Source = Source.VISIT
    owner_id: int | None = Field(None, description="The person responsible; you, if left out")
    unit_id: int | None = Field(None, description="The responsible unit; the owner's unit, if left out")
    leader_id: int | None = Field(None, description="The leader in charge (a leader)")
    expected_output: Decimal | None = Field(None, max_digits=14, decimal_places=2, description="万元 a year")
    expected_jobs: int | None = Field(None, ge=0)
    description: str = ""
    lead_on: datetime.date | None = Field(None, description="When the lead came in; today, if left out")


class ProjectPatch(PatchIn):
    nullable = frozenset({"version", "leader_id", "expected_output", "expected_jobs"})

    name: str | None = Field(None, max_length=200)
    investor: str | None = Field(None, max_length=200)
    origin: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=50)
    zone_id: int | None = None
    planned_investment: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    source: Source | None = None
    owner_id: int | None = None
    unit_id: int | None = None
    leader_id: int | None = None
    expected_output: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    expected_jobs: int | None = Field(None, ge=0)
    description: str | None = None
    version: int | None = None


def _project_changes(person: Person, data: dict[str, Any], project: Project | None) -> dict[str, Any]:
    """Turn the *_id fields into records the person may name (404 otherwise), as the form offers them:
    an active zone; a unit they see (or the project's own); a person they see, themselves or the
    present owner as the person responsible; any leader as the leader in charge."""
    out = dict(data)
    if "zone_id" in out:
        out["zone"] = get_visible_or_404(Zone.objects.filter(is_active=True), person, pk=out.pop("zone_id"))
    if "unit_id" in out:
        unit_id = out.pop("unit_id")
        if unit_id is not None:
            keep = Q(pk=project.unit_id) if project else Q(pk__in=[])
            units = Unit.objects.visible_to(person).filter(is_active=True).values("pk")
            out["unit"] = get_object_or_404(Unit.objects.filter(Q(pk__in=units) | keep), pk=unit_id)
    if "owner_id" in out:
        owner_id = out.pop("owner_id")
        if owner_id is not None:
            keep = Q(pk=project.owner_id) if project else Q(pk=person.pk)
            people = Person.objects.visible_to(person).values("pk")
            out["owner"] = get_object_or_404(Person.objects.filter(Q(pk__in=people) | keep), pk=owner_id)
    if "leader_id" in out:
        leader_id = out.pop("leader_id")
        leaders = Person.objects.filter(
            Q(pk__in=Person.objects.visible_to(person).values("pk")) | Q(positions__role=Role.LEADER)
        ).distinct()
        out["leader"] = get_object_or_404(leaders, pk=leader_id) if leader_id is not None else None
    return out


@router.post("/projects", response={201: ProjectDetailOut}, summary="Record a lead (线索)")
def project_add(request: HttpRequest, payload: ProjectIn, response: HttpResponse) -> Any:
    person = _person(request)
    access_add_project(person)
    fields = _project_changes(person, payload.dict(), None)
    project = services.project_create(actor=person, **fields)
    return Status(201, _detail(person, project.pk, response, acted=True))


@router.get(
    "/projects/{project_id}",
    response=ProjectDetailOut,
    summary="One project: stage dates, moves, evidence, follow-ups, investment (ETag = version)",
)
def project_get(request: HttpRequest, project_id: int, response: HttpResponse) -> Any:
    return _detail(_person(request), project_id, response)


@router.patch(
    "/projects/{project_id}",
    response=ProjectDetailOut,
    summary="Edit a project's facts, not its stage (If-Match or version required)",
)
def project_patch(
    request: HttpRequest, project_id: int, payload: ProjectPatch, response: HttpResponse
) -> Any:
    person = _person(request)
    project = _visible_project(person, project_id)
    changes = _project_changes(person, payload.dict(exclude_unset=True, exclude={"version"}), project)
    call_with_version(request, payload.version, services.project_update, project=project, changes=changes)
    return _detail(person, project.pk, response, acted=True)


class HistoryOut(Schema):
    at: datetime.datetime
    action: str
    actor: PersonRef | None
    before: Any
    after: Any


@router.get(
    "/projects/{project_id}/history",
    response=list[HistoryOut],
    summary="The project's audit trail (历史), oldest first",
)
def project_history(request: HttpRequest, project_id: int) -> Any:
    project = _visible_project(_person(request), project_id)
    return history_of(project).order_by("at", "id")


# Moves, losses, revivals -------------------------------------------------------------------------


class MoveForm(VersionForm):
    to_stage: Stage
    moved_on: datetime.date | None = Field(None, description="The date the stage was reached; today if empty")
    reason: str = Field("", description="Required when the move skips a stage")
    contracted_amount: Decimal | None = Field(
        None, max_digits=14, decimal_places=2, description="万元; required at signing"
    )
    uscc: str = Field(
        "", max_length=40, description="The licence's unified social credit code; at registration"
    )
    enterprise_name: str = Field(
        "", max_length=100, description="The enterprise's name if it is new; the investor's, if empty"
    )

    _blank = field_validator("moved_on", "contracted_amount", mode="before")(blank_to_none)


def _documents(request: HttpRequest) -> list[tuple[str, DjangoUploadedFile]]:
    """The evidence of a move: each file under the field named by its kind (`agreement[]` too)."""
    kinds = list(DocumentKind.values)
    unknown = sorted({name.removesuffix("[]") for name in request.FILES} - set(kinds))
    if unknown:
        raise ValidationError(
            {
                "documents": _("Name each file by its kind (%(kinds)s), not %(names)s.")
                % {"kinds": ", ".join(kinds), "names": ", ".join(unknown)}
            }
        )
    return [
        (kind, upload)
        for kind in kinds
        for upload in (*request.FILES.getlist(kind), *request.FILES.getlist(f"{kind}[]"))
    ]


def _step(
    request: HttpRequest,
    project_id: int,
    version: int | None,
    response: HttpResponse,
    service: Callable[..., Any],
    **arguments: Any,
) -> Project:
    """Fetch the visible project, run the service with the version the client read, answer the project."""
    person = _person(request)
    project = _visible_project(person, project_id)
    call_with_version(request, version, service, project=project, **arguments)
    return _detail(person, project.pk, response, acted=True)


_STEP = "Needs If-Match or a version field; a refused step answers 400 with its errors by field."
_FILES = File[list[UploadedFile]]


@router.post(
    "/projects/{project_id}/move",
    response=ProjectDetailOut,
    summary="Move the project to a later stage, with its date and evidence (multipart)",
    description=(
        "Multipart form: to_stage, moved_on, reason, contracted_amount, uscc, enterprise_name, version, "
        "and the evidence as files named by their kind — `agreement`, `licence`, `permit`, `photo`, "
        "`other` (each repeatable; pdf, jpg, png, docx or xlsx up to 20 MB, checked by content). "
        "Signing needs an agreement and the contracted amount; registration a licence and the USCC, "
        "which links the project to its enterprise in the service desk (created if new); the start "
        "of construction a permit or a site photo. Skipping a stage needs a reason. " + _STEP
    ),
)
def project_move(
    request: HttpRequest,
    project_id: int,
    payload: Form[MoveForm],
    response: HttpResponse,
    agreement: _FILES = None,  # type: ignore[assignment]
    licence: _FILES = None,  # type: ignore[assignment]
    permit: _FILES = None,  # type: ignore[assignment]
    photo: _FILES = None,  # type: ignore[assignment]
    other: _FILES = None,  # type: ignore[assignment]
) -> Any:
    # The declared file fields document the form; the files are read by name, with their kind.
    return _step(
        request,
        project_id,
        payload.version,
        response,
        services.project_move,
        to_stage=payload.to_stage,
        moved_on=payload.moved_on,
        reason=payload.reason,
        documents=_documents(request),
        contracted_amount=payload.contracted_amount,
        uscc=payload.uscc,
        enterprise_name=payload.enterprise_name,
    )


class LostIn(VersionIn):
    reason: str
    lost_on: datetime.date | None = Field(None, description="Today, if left out")


class ReviveIn(VersionIn):
    reason: str = ""


@router.post(
    "/projects/{project_id}/lost",
    response=ProjectDetailOut,
    summary="Mark the project lost, with the reason",
    description=_STEP,
)
def project_lost(request: HttpRequest, project_id: int, payload: LostIn, response: HttpResponse) -> Any:
    return _step(
        request,
        project_id,
        payload.version,
        response,
        services.project_mark_lost,
        reason=payload.reason,
        lost_on=payload.lost_on,
    )


@router.post(
    "/projects/{project_id}/revive",
    response=ProjectDetailOut,
    summary="Bring a lost project back at the stage it had reached",
    description=_STEP,
)
def project_revive(request: HttpRequest, project_id: int, payload: ReviveIn, response: HttpResponse) -> Any:
    return _step(
        request, project_id, payload.version, response, services.project_revive, reason=payload.reason
    )


@router.get(
    "/projects/{project_id}/documents/{document_id}",
    response={200: None},
    url_name="investment_document",
    summary="Download one piece of evidence",
)
def document_download(request: HttpRequest, project_id: int, document_id: int) -> Any:
    project = _visible_project(_person(request), project_id)
    return file_response(ProjectDocument.objects.filter(pk=document_id, project=project).first())


# Follow-ups and investment -----------------------------------------------------------------------


class FollowUpIn(Schema):
    date: datetime.date
    form: FollowUpForm
    people_met: str = Field(..., max_length=200)
    outcome: str
    next_step: str = ""


@router.get(
    "/projects/{project_id}/follow-ups",
    response=list[FollowUpOut],
    summary="The project's follow-ups (跟进记录), newest first",
)
@paginate(Page)
def follow_ups(request: HttpRequest, project_id: int) -> Any:
    return _visible_project(_person(request), project_id).follow_ups.select_related("author")


@router.post(
    "/projects/{project_id}/follow-ups",
    response={201: FollowUpOut},
    summary="Log a contact with the investor",
)
def follow_up_add(request: HttpRequest, project_id: int, payload: FollowUpIn) -> Any:
    person = _person(request)
    project = _visible_project(person, project_id)
    follow_up = services.follow_up_add(actor=person, project=project, **payload.dict())
    return Status(201, FollowUp.objects.select_related("author").get(pk=follow_up.pk))


class InvestmentIn(Schema):
    month: datetime.date = Field(..., description="Any day of the month")
    amount: Decimal = Field(..., max_digits=14, decimal_places=2, description="万元 actually invested")


@router.get(
    "/projects/{project_id}/investments",
    response=list[InvestmentOut],
    summary="The amount actually invested, month by month",
)
def investments(request: HttpRequest, project_id: int) -> Any:
    return _visible_project(_person(request), project_id).investments.all()


@router.post(
    "/projects/{project_id}/investments",
    response={200: InvestmentOut, 201: InvestmentOut},
    summary="Record (201) or correct (200) a month's actual investment (started or operating projects)",
)
def investment_record(request: HttpRequest, project_id: int, payload: InvestmentIn) -> Any:
    person = _person(request)
    project = _visible_project(person, project_id)
    existed = MonthlyInvestment.objects.filter(project=project, month=payload.month.replace(day=1)).exists()
    row = services.investment_record(
        actor=person, project=project, month=payload.month, amount=payload.amount
    )
    return Status(200 if existed else 201, row)


# The kanban and the funnel -----------------------------------------------------------------------


def _zone_or_404(person: Person, zone_id: int | None) -> Zone | None:
    return get_visible_or_404(Zone.objects.all(), person, pk=zone_id) if zone_id is not None else None


class ColumnOut(Schema):
    stage: Stage
    label: str
    count: int
    amount: Decimal = Field(description="Total planned investment of the column (万元)")
    cards: list[ProjectOut] = Field(description="The most recently changed projects of the column")


class KanbanOut(Schema):
    zone: Ref | None
    count: int
    amount: Decimal
    columns: list[ColumnOut]


class KanbanQuery(Schema):
    zone_id: int | None = Field(None, description="One zone; every zone you see, if left out")
    per_column: int = Field(30, ge=0, le=200, description="Cards per column")


@router.get(
    "/kanban",
    response=KanbanOut,
    summary="The pipeline board: a column per stage with its count, total amount and cards",
    description="Lost projects are left out. Move a card with POST /investment/projects/{id}/move.",
)
def kanban_board(request: HttpRequest, query: Query[KanbanQuery]) -> Any:
    person = _person(request)
    zone = _zone_or_404(person, query.zone_id)
    columns = kanban(person=person, zone=zone, per_column=query.per_column, today=timezone.localdate())
    return {
        "zone": zone,
        "count": sum(c.count for c in columns),
        "amount": sum((c.amount for c in columns), Decimal(0)),
        "columns": columns,
    }


class StepOut(Schema):
    stage: Stage
    label: str
    reached: int = Field(description="Projects that reached this stage")
    conversion: Decimal | None = Field(description="Percent of the previous stage's projects that reached it")
    median_days: float | None = Field(description="Median days spent in this stage before moving on")


class FunnelOut(Schema):
    zone: Ref | None
    since: datetime.date | None
    steps: list[StepOut]


class FunnelQuery(Schema):
    zone_id: int | None = Field(None, description="One zone; every zone you see, if left out")
    since: datetime.date | None = Field(None, description="Only projects whose lead came in on or after")


@router.get(
    "/funnel",
    response=FunnelOut,
    summary="The funnel: projects reaching each stage, the conversion and the median days in each",
)
def funnel_steps(request: HttpRequest, query: Query[FunnelQuery]) -> Any:
    person = _person(request)
    zone = _zone_or_404(person, query.zone_id)
    return {"zone": zone, "since": query.since, "steps": funnel(person=person, zone=zone, since=query.since)}


# Targets -----------------------------------------------------------------------------------------


class TargetValues(Schema):
    signed_amount: Decimal = Field(description="万元")
    started_count: int
    actual_investment: Decimal = Field(description="万元")
    big_projects: int = Field(description="Projects above 1 亿元")


class TargetOut(TargetValues):
    version: int


class TargetPercents(Schema):
    signed_amount: Decimal | None
    started_count: Decimal | None
    actual_investment: Decimal | None
    big_projects: Decimal | None


class TargetSeries(Schema):
    signed_amount: list[Decimal]
    started_count: list[int]
    actual_investment: list[Decimal]
    big_projects: list[int]


class TargetRowOut(Schema):
    """A zone's year: its targets, the actual figures, the percent reached and the monthly series."""

    zone: Ref
    target: TargetOut | None
    actual: TargetValues
    percent: TargetPercents = Field(description="Actual as a percent of the target; null without a target")
    monthly: TargetSeries = Field(
        description="Cumulative actual figures at the end of each month, January first"
    )

    @staticmethod
    def resolve_actual(obj: TargetRow) -> dict[str, Any]:
        return {m: getattr(obj, m) for m in METRICS}

    @staticmethod
    def resolve_percent(obj: TargetRow) -> dict[str, Any]:
        return {m: obj.percent(m) for m in METRICS}


class TargetsOut(Schema):
    year: int
    can_set: bool = Field(description="Whether you may set targets (leaders and the supervision office)")
    rows: list[TargetRowOut]


class YearQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="This year, if left out")


def _targets(person: Person, year: int) -> dict[str, Any]:
    return {"year": year, "can_set": can_set_targets(person), "rows": targets(person=person, year=year)}


@router.get(
    "/targets",
    response=TargetsOut,
    summary="Each zone's progress against its year's targets, with monthly cumulative series",
)
def targets_list(request: HttpRequest, query: Query[YearQuery]) -> Any:
    return _targets(_person(request), query.year or timezone.localdate().year)


class TargetIn(TargetValues):
    signed_amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2, description="万元")
    started_count: int = Field(..., ge=0)
    actual_investment: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2, description="万元")
    big_projects: int = Field(..., ge=0, description="Projects above 1 亿元")
    version: int | None = Field(None, description="The version you read, when changing targets already set")


@router.put(
    "/targets/{zone_id}/{year}",
    response=TargetRowOut,
    summary="Set a zone's targets for a year (leaders and the supervision office)",
    description=(
        "Setting targets for the first time needs no version; changing them needs If-Match or a "
        "version field (412/409 when stale, 428 without)."
    ),
)
def target_put(request: HttpRequest, zone_id: int, year: int, payload: TargetIn) -> Any:
    person = _person(request)
    zone = get_visible_or_404(Zone.objects.filter(is_active=True), person, pk=zone_id)
    if not 2000 <= year <= 2100:
        raise Http404
    existing = ZoneTarget.objects.filter(zone=zone, year=year).first()
    version = expected_version(request, payload.version) if existing else None
    values = payload.dict(exclude={"version"})
    call_versioned(
        request,
        lambda: services.target_set(actor=person, zone=zone, year=year, expected_version=version, **values),
    )
    return next(row for row in targets(person=person, year=year) if row.zone.pk == zone.pk)


class DrilldownQuery(Schema):
    zone_id: int
    year: int | None = Field(None, ge=2000, le=2100, description="This year, if left out")
    metric: Metric


@router.get(
    "/targets/drilldown",
    response=list[ProjectOut],
    summary="The projects behind one zone's figure for a target",
)
@paginate(Page)
def targets_drilldown(request: HttpRequest, query: Query[DrilldownQuery]) -> Any:
    person = _person(request)
    zone = get_visible_or_404(Zone.objects.all(), person, pk=query.zone_id)
    year = query.year or timezone.localdate().year
    rows = target_drilldown(person=person, zone=zone, year=year, metric=query.metric)
    return annotate_stale(rows.select_related("zone"), timezone.localdate()).order_by("code")
