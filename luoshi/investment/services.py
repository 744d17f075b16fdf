"""The only write path of investment: projects, pipeline moves with evidence, follow-ups, targets."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core.audit import audit_record, audit_record_many, snapshot
from luoshi.core.errors import DraftRejected
from luoshi.core.numbering import next_code, next_codes
from luoshi.core.uploads import store_uploads
from luoshi.core.versioning import update_versioned
from luoshi.notify.services import notification_post
from luoshi.org.models import Person, Position, Role, Unit, Zone

from .access import access_add_project, access_edit_project, access_set_targets
from .models import (
    STAGES,
    DocumentKind,
    FollowUp,
    MonthlyInvestment,
    Project,
    ProjectDocument,
    Stage,
    StageMove,
    StaleAlert,
    ZoneTarget,
)

# What each stage must be backed by (issue: the agreement for signed, the business licence and its
# USCC for registered, the construction permit or photos for started).
REQUIRED_EVIDENCE: dict[str, set[str]] = {
    Stage.SIGNED: {DocumentKind.AGREEMENT},
    Stage.REGISTERED: {DocumentKind.LICENCE},
    Stage.STARTED: {DocumentKind.PERMIT, DocumentKind.PHOTO},
}
PROJECT_FIELDS = {
    "name",
    "investor",
    "origin",
    "industry",
    "zone",
    "unit",
    "owner",
    "leader",
    "source",
    "planned_investment",
    "expected_output",
    "expected_jobs",
    "description",
}


def _rule_errors(project: Project, *, leader_is_leader: bool, owner_has_post: bool | None) -> dict[str, str]:
    """The project's own rules, given what the database says of its leader and its owner."""
    errors: dict[str, str] = {}
    if project.planned_investment is not None and project.planned_investment <= 0:
        errors["planned_investment"] = _("The planned investment must be more than zero.")
    if project.leader_id and not leader_is_leader:
        errors["leader"] = _("The leader in charge must hold a leader's post.")
    if owner_has_post is False:
        errors["owner"] = _("The person responsible must hold a post in a government unit.")
    return errors


def _validate(project: Project, *, owner_named: bool = True) -> None:
    project.full_clean(exclude=["code"])
    leader_is_leader = (
        not project.leader_id or project.leader.positions.filter(role=Role.LEADER).exists()  # type: ignore[union-attr]
    )
    # Checked when the owner is named, so a project whose owner has since left can still be edited.
    owner_has_post = (
        project.owner.is_active
        and project.owner.positions.filter(unit__isnull=False).exclude(role=Role.ENTERPRISE).exists()
        if owner_named
        else None
    )
    errors = _rule_errors(project, leader_is_leader=leader_is_leader, owner_has_post=owner_has_post)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def project_create(
    *,
    actor: Person,
    name: str,
    investor: str,
    origin: str,
    industry: str,
    zone: Zone,
    planned_investment: Decimal,
    owner: Person | None = None,
    unit: Unit | None = None,
    lead_on: datetime.date | None = None,
    **fields: Any,
) -> Project:
    """Record a lead. The actor answers for it unless another person responsible is named."""
    access_add_project(actor)
    if set(fields) - PROJECT_FIELDS:
        raise TypeError(f"project fields: {sorted(set(fields) - PROJECT_FIELDS)}")
    owner = owner or actor
    if unit is None:
        post = owner.positions.exclude(unit=None).select_related("unit").first()
        unit = post.unit if post else None
    if unit is None:
        raise ValidationError({"unit": _("Choose the unit responsible for the project.")})
    project = Project(
        name=name.strip(),
        investor=investor.strip(),
        origin=origin.strip(),
        industry=industry.strip(),
        zone=zone,
        planned_investment=planned_investment,
        owner=owner,
        unit=unit,
        lead_on=lead_on or timezone.localdate(),
        **fields,
    )
    _validate(project)
    project.code = next_code(f"ZS-{timezone.localdate().year}", 4)
    project.save()
    audit_record(actor=actor, obj=project, action="create")
    return project


@transaction.atomic
def project_update(
    *, actor: Person, project: Project, expected_version: int | None, changes: dict[str, Any]
) -> Project:
    """Edit a project's facts (not its stage: that is a move)."""
    access_edit_project(actor, project)
    if set(changes) - PROJECT_FIELDS:
        raise TypeError(f"project fields: {sorted(set(changes) - PROJECT_FIELDS)}")
    before = snapshot(project)
    for name, value in changes.items():
        setattr(project, name, value)
    _validate(project, owner_named="owner" in changes)
    update_versioned(project, expected_version=expected_version, changes=changes)
    audit_record(actor=actor, obj=project, action="update", before=before)
    return project


def _link_enterprise(actor: Person, project: Project, uscc: str, enterprise_name: str) -> Any:
    """Registration continues the enterprise's life cycle in the service desk: link or create it."""
    from luoshi.service.models import Enterprise
    from luoshi.service.models import Stage as LifeCycle
    from luoshi.service.uscc import validate_uscc

    try:
        code = validate_uscc(uscc)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.messages}) from None
    enterprise = Enterprise.objects.filter(uscc=code).first()
    if enterprise is None:
        name = (enterprise_name or project.investor).strip()
        longest = Enterprise._meta.get_field("name").max_length or 100
        if len(name) > longest:  # an investor's name may be longer than an enterprise's may be
            raise ValidationError(
                {
                    "enterprise_name": _("An enterprise's name may be at most %(max)s characters.")
                    % {"max": longest}
                }
            )
        if Enterprise.objects.filter(name=name).exists():
            raise ValidationError(
                {
                    "enterprise_name": _(
                        "An enterprise named %(name)s is already registered with another code."
                    )
                    % {"name": name}
                }
            )
        enterprise = Enterprise.objects.create(
            name=name, uscc=code, zone=project.zone, industry=project.industry, stage=LifeCycle.BUILDING
        )
        audit_record(
            actor=actor,
            obj=enterprise,
            action="create_from_project",
            after={**snapshot(enterprise), "project": project.pk},
        )
    return enterprise


@transaction.atomic
def project_move(
    *,
    actor: Person,
    project: Project,
    expected_version: int | None,
    to_stage: str,
    moved_on: datetime.date | None = None,
    reason: str = "",
    documents: Sequence[tuple[str, UploadedFile]] = (),
    contracted_amount: Decimal | None = None,
    uscc: str = "",
    enterprise_name: str = "",
) -> Project:
    """Move a project forward along the pipeline, with the date and the evidence the stage needs.

    Skipping a stage needs a reason. Signing needs the agreement and the contracted amount;
    registration the business licence and the USCC (which links or creates the enterprise);
    the start of construction the permit or site photos.
    """
    access_edit_project(actor, project)
    if project.lost_on:
        raise ValidationError(_("The project is marked lost. Revive it first."))
    if to_stage not in STAGES:
        raise ValidationError({"to_stage": _("Unknown stage.")})
    here, there = STAGES.index(project.stage), STAGES.index(to_stage)
    if there <= here:
        raise ValidationError(
            {
                "to_stage": _("A project only moves forward; it is already “%(stage)s”.")
                % {"stage": project.get_stage_display()}
            }
        )
    reason = reason.strip()
    errors: dict[str, Any] = {}
    if there > here + 1 and not reason:
        skipped = "、".join(str(Stage(s).label) for s in STAGES[here + 1 : there])
        errors["reason"] = _("Moving straight to “%(to)s” skips %(skipped)s: give the reason.") % {
            "to": Stage(to_stage).label,
            "skipped": skipped,
        }
    moved_on = moved_on or timezone.localdate()
    if moved_on > timezone.localdate():
        errors["moved_on"] = _("The date cannot be in the future.")
    previous = project.reached_on(project.stage)
    if previous and moved_on < previous:  # type: ignore[operator]
        errors["moved_on"] = _("The date is before the project reached its current stage (%(date)s).") % {
            "date": previous
        }
    needed = REQUIRED_EVIDENCE.get(to_stage)
    if needed and not needed & {kind for kind, _f in documents}:
        errors["documents"] = _("Attach the evidence: %(kinds)s.") % {
            "kinds": _(" or ").join(str(DocumentKind(k).label) for k in sorted(needed))
        }
    changes: dict[str, Any] = {"stage": to_stage, f"{to_stage}_on": moved_on}
    if to_stage == Stage.SIGNED or (there > STAGES.index(Stage.SIGNED) and project.contracted_amount is None):
        if contracted_amount is None or contracted_amount <= 0:
            errors["contracted_amount"] = _("Give the contracted amount (10k yuan).")
        else:
            changes["contracted_amount"] = contracted_amount
    if errors:
        raise ValidationError(errors)
    if there >= STAGES.index(Stage.REGISTERED) and project.enterprise_id is None:
        if not uscc.strip():
            raise ValidationError({"uscc": _("Give the unified social credit code on the business licence.")})
        changes["enterprise"] = _link_enterprise(actor, project, uscc, enterprise_name)
    before = snapshot(project)
    move = StageMove.objects.create(
        project=project,
        from_stage=project.stage,
        to_stage=to_stage,
        moved_on=moved_on,
        reason=reason,
        by=actor,
    )
    try:
        stored = store_uploads(
            ProjectDocument,
            [upload for _kind, upload in documents],
            actor=actor,
            each=[{"kind": kind} for kind, _upload in documents],
            project=project,
            move=move,
        )
    except ValidationError as exc:
        raise ValidationError({"documents": exc.messages}) from None
    names = [d.original_name for d in stored]
    update_versioned(project, expected_version=expected_version, changes=changes)
    audit_record(
        actor=actor,
        obj=project,
        action="move",
        before=before,
        after={**snapshot(project), "reason": reason, "documents": names},
    )
    return project


# A ledger (台账) of projects ------------------------------------------------------------------------

# The reason recorded on every move of a project's history that came from a ledger, not from a move
# made in Luoshi with its evidence (a spreadsheet cannot carry the documents).
IMPORT_REASON = "台账导入"


def project_history_errors(
    *,
    stage: str,
    lead_on: datetime.date | None,
    reached: dict[str, datetime.date | None],
    contracted_amount: Decimal | None,
    uscc: str,
    today: datetime.date,
) -> dict[str, str]:
    """What is wrong with a project's history as a ledger states it, by field (empty if nothing).

    `reached` gives the date each stage after the lead was reached (None or absent: skipped). The
    rules are those of `project_move` that do not need documents: stages in order and dated, not
    in the future, the current stage's date given, the contracted amount once signed, a valid
    USCC once registered — and nothing recorded for a stage the project has not reached.
    """
    if stage not in STAGES:
        return {"stage": _("Unknown stage.")}
    errors: dict[str, str] = {}
    here = STAGES.index(stage)
    for later in STAGES[here + 1 :]:
        if reached.get(later):
            errors[f"{later}_on"] = _(
                "The project has not reached “%(stage)s”: leave this date empty or change the stage."
            ) % {"stage": Stage(later).label}
    if here and not reached.get(stage):
        errors[f"{stage}_on"] = _("Give the date the project reached “%(stage)s”.") % {
            "stage": Stage(stage).label
        }
    previous: str = Stage.LEAD
    previous_on = lead_on
    for step in STAGES[1 : here + 1]:
        on = reached.get(step)
        if not on:
            continue  # a skipped stage
        if on > today:
            errors[f"{step}_on"] = _("The date cannot be in the future.")
        elif previous_on and on < previous_on:
            errors[f"{step}_on"] = _("This date is before the date of “%(stage)s” (%(date)s).") % {
                "stage": Stage(previous).label,
                "date": previous_on,
            }
        previous, previous_on = step, on
    if here >= STAGES.index(Stage.SIGNED):
        if contracted_amount is None or contracted_amount <= 0:
            errors["contracted_amount"] = _("Give the contracted amount (10k yuan).")
    elif contracted_amount is not None:
        errors["contracted_amount"] = _("A contracted amount is recorded once the project has signed.")
    if here >= STAGES.index(Stage.REGISTERED):
        if not uscc.strip():
            errors["uscc"] = _("Give the unified social credit code on the business licence.")
        else:
            from luoshi.service.uscc import validate_uscc

            try:
                validate_uscc(uscc)
            except ValidationError as exc:
                errors["uscc"] = exc.messages[0]
    elif uscc.strip():
        errors["uscc"] = _("The credit code is recorded once the project has registered.")
    return errors


@dataclass(frozen=True)
class ProjectDraft:
    """One project of a ledger for `project_create_many`: what `project_create` takes, the stage it
    has reached with the date of each stage (its history), and what signing and registration need."""

    name: str
    investor: str
    origin: str
    industry: str
    zone: Zone
    planned_investment: Decimal
    owner: Person
    lead_on: datetime.date
    stage: str = Stage.LEAD
    reached: dict[str, datetime.date | None] = dc_field(default_factory=dict)
    contracted_amount: Decimal | None = None
    uscc: str = ""
    enterprise_name: str = ""
    fields: dict[str, Any] = dc_field(default_factory=dict)  # unit, leader, source, expected_output…


_PROJECT_REFERENCES = (("zone", Zone), ("unit", Unit), ("owner", Person), ("leader", Person))


@transaction.atomic
def project_create_many(
    *, actor: Person, drafts: Sequence[ProjectDraft], today: datetime.date | None = None
) -> list[Project]:
    """Record the projects of an existing ledger (台账), each at the stage it has reached, all or none.

    Each project gets the checks of `project_create`, and its history those of `project_move` that
    a spreadsheet can meet (`project_history_errors`); moving a project needs the right to edit it.
    Registration links or creates the enterprise as a move does. Evidence documents cannot come from
    a spreadsheet, so each move of the history is recorded with the reason “台账导入”. One audit
    record per project (and one per enterprise created), with bulk queries rather than a dozen per
    project. The first refused draft raises `DraftRejected` naming its index; nothing is written.
    """
    access_add_project(actor)
    today = today or timezone.localdate()
    owner_ids = {d.owner.pk for d in drafts}
    owners_units: dict[int, Unit] = {}
    # The owner's first post in a government unit answers for the project, as in `project_create`.
    for post in (
        Position.objects.filter(person_id__in=owner_ids, unit__isnull=False)
        .exclude(role=Role.ENTERPRISE)
        .order_by("person_id", "id")
        .select_related("unit")
    ):
        if post.unit is not None:
            owners_units.setdefault(post.person_id, post.unit)
    projects: list[Project] = []
    for index, draft in enumerate(drafts):
        unknown = set(draft.fields) - PROJECT_FIELDS
        if unknown:
            raise TypeError(f"project fields: {sorted(unknown)}")
        fields = dict(draft.fields)
        unit = fields.pop("unit", None) or owners_units.get(draft.owner.pk)
        if unit is None:
            raise DraftRejected(
                index, ValidationError({"unit": _("Choose the unit responsible for the project.")})
            )
        dates = {f"{s}_on": draft.reached.get(s) if s != Stage.LEAD else draft.lead_on for s in STAGES}
        projects.append(
            Project(
                name=draft.name.strip(),
                investor=draft.investor.strip(),
                origin=draft.origin.strip(),
                industry=draft.industry.strip(),
                zone=draft.zone,
                planned_investment=draft.planned_investment,
                owner=draft.owner,
                unit=unit,
                stage=draft.stage,
                contracted_amount=draft.contracted_amount,
                **dates,
                **fields,
            )
        )
    # What full_clean and `_validate` would look up one project at a time, in one query each.
    existing: dict[str, set[int]] = {}
    for name, model in _PROJECT_REFERENCES:
        ids = {getattr(p, f"{name}_id") for p in projects} - {None}
        existing[name] = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
    leaders = set(
        Position.objects.filter(person_id__in=existing["leader"], role=Role.LEADER).values_list(
            "person_id", flat=True
        )
    )
    active_owners = set(
        Person.objects.filter(pk__in=owners_units, is_active=True).values_list("pk", flat=True)
    )
    exclude = ["code", *(name for name, _model in _PROJECT_REFERENCES), "enterprise"]
    for index, (project, draft) in enumerate(zip(projects, drafts, strict=True)):
        try:
            project.full_clean(exclude=exclude)
            errors: dict[str, Any] = _rule_errors(
                project,
                leader_is_leader=project.leader_id in leaders,
                owner_has_post=project.owner_id in active_owners,
            )
            for name, _model in _PROJECT_REFERENCES:
                value = getattr(project, f"{name}_id")
                if value is not None and value not in existing[name]:
                    errors[name] = _("The chosen record no longer exists.")
            errors.update(
                project_history_errors(
                    stage=draft.stage,
                    lead_on=draft.lead_on,
                    reached=draft.reached,
                    contracted_amount=draft.contracted_amount,
                    uscc=draft.uscc,
                    today=today,
                )
            )
            if errors:
                raise ValidationError(errors)
        except ValidationError as exc:
            raise DraftRejected(index, exc) from exc
        if project.stage != Stage.LEAD:
            access_edit_project(actor, project)
    codes = next_codes(f"ZS-{timezone.localdate().year}", 4, len(projects))
    for project, code in zip(projects, codes, strict=True):
        project.code = code
    Project.objects.bulk_create(projects, batch_size=500)
    if any(p.pk is None for p in projects):  # a database that returns no ids from bulk inserts
        by_code = dict(Project.objects.filter(code__in=codes).values_list("code", "pk"))
        for project in projects:
            project.pk = by_code[project.code]
    registered = STAGES.index(Stage.REGISTERED)
    linked = []
    for index, (project, draft) in enumerate(zip(projects, drafts, strict=True)):
        if STAGES.index(project.stage) >= registered:
            try:
                project.enterprise = _link_enterprise(actor, project, draft.uscc, draft.enterprise_name)
            except ValidationError as exc:
                raise DraftRejected(index, exc) from exc
            linked.append(project)
    Project.objects.bulk_update(linked, ["enterprise"], batch_size=500)
    moves = []
    for project, draft in zip(projects, drafts, strict=True):
        previous: str = Stage.LEAD
        for step in STAGES[1 : STAGES.index(project.stage) + 1]:
            on = draft.reached.get(step)
            if on is None:
                continue  # skipped in the ledger: the next move records the skip, with the same reason
            moves.append(
                StageMove(
                    project=project,
                    from_stage=previous,
                    to_stage=step,
                    moved_on=on,
                    reason=IMPORT_REASON,
                    by=actor,
                )
            )
            previous = step
    StageMove.objects.bulk_create(moves, batch_size=500)
    audit_record_many(
        actor=actor,
        action="create",
        records=[(project, {**snapshot(project), "reason": IMPORT_REASON}) for project in projects],
    )
    return projects


@transaction.atomic
def project_mark_lost(
    *,
    actor: Person,
    project: Project,
    expected_version: int | None,
    reason: str,
    lost_on: datetime.date | None = None,
) -> Project:
    """Record that a project was lost, and why. It can be revived later."""
    access_edit_project(actor, project)
    if project.lost_on:
        raise ValidationError(_("The project is already marked lost."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason the project was lost.")})
    lost_on = lost_on or timezone.localdate()
    StageMove.objects.create(
        project=project,
        from_stage=project.stage,
        to_stage=project.stage,
        kind="lost",
        moved_on=lost_on,
        reason=reason,
        by=actor,
    )
    before = snapshot(project)
    update_versioned(
        project, expected_version=expected_version, changes={"lost_on": lost_on, "lost_reason": reason}
    )
    audit_record(actor=actor, obj=project, action="lost", before=before)
    return project


@transaction.atomic
def project_revive(
    *, actor: Person, project: Project, expected_version: int | None, reason: str = ""
) -> Project:
    """Bring a lost project back into the pipeline at the stage it had reached."""
    access_edit_project(actor, project)
    if not project.lost_on:
        raise ValidationError(_("The project is not marked lost."))
    StageMove.objects.create(
        project=project,
        from_stage=project.stage,
        to_stage=project.stage,
        kind="revive",
        moved_on=timezone.localdate(),
        reason=reason.strip(),
        by=actor,
    )
    before = snapshot(project)
    update_versioned(project, expected_version=expected_version, changes={"lost_on": None, "lost_reason": ""})
    audit_record(actor=actor, obj=project, action="revive", before=before)
    return project


@transaction.atomic
def follow_up_add(
    *,
    actor: Person,
    project: Project,
    date: datetime.date,
    form: str,
    people_met: str,
    outcome: str,
    next_step: str = "",
) -> FollowUp:
    """Log a contact with the investor."""
    access_edit_project(actor, project)
    follow_up = FollowUp(
        project=project,
        date=date,
        form=form,
        people_met=people_met.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        author=actor,
    )
    follow_up.full_clean()
    if date > timezone.localdate():
        raise ValidationError({"date": _("The date cannot be in the future.")})
    follow_up.save()
    audit_record(actor=actor, obj=follow_up, action="create")
    return follow_up


@transaction.atomic
def investment_record(
    *, actor: Person, project: Project, month: datetime.date, amount: Decimal
) -> MonthlyInvestment:
    """Record (or correct) the amount actually invested in a month by a started or operating project."""
    access_edit_project(actor, project)
    if project.stage not in (Stage.STARTED, Stage.OPERATING):
        raise ValidationError(_("Actual investment is recorded once construction has started."))
    month = month.replace(day=1)
    if amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    if project.started_on and month < project.started_on.replace(day=1):
        raise ValidationError({"month": _("The month is before construction started.")})
    row = MonthlyInvestment.objects.filter(project=project, month=month).first()
    before = snapshot(row) if row else None
    row, _created = MonthlyInvestment.objects.update_or_create(
        project=project, month=month, defaults={"amount": amount}
    )
    audit_record(actor=actor, obj=row, action="update" if before else "create", before=before)
    return row


@transaction.atomic
def target_set(
    *,
    actor: Person,
    zone: Zone,
    year: int,
    signed_amount: Decimal,
    started_count: int,
    actual_investment: Decimal,
    big_projects: int,
    expected_version: int | None = None,
) -> ZoneTarget:
    """Set (or change) a zone's investment targets for a year.

    A change may name the version it was based on (`expected_version`); a stale one is a conflict.
    """
    access_set_targets(actor)
    values: dict[str, Any] = {
        "signed_amount": signed_amount,
        "started_count": started_count,
        "actual_investment": actual_investment,
        "big_projects": big_projects,
    }
    if any(v is None or v < 0 for v in values.values()):
        raise ValidationError(_("Targets cannot be negative."))
    target = ZoneTarget.objects.filter(zone=zone, year=year).first()
    before = snapshot(target) if target else None
    if target is None:
        target = ZoneTarget.objects.create(zone=zone, year=year, **values)
    else:
        update_versioned(target, expected_version=expected_version, changes=values)
    audit_record(actor=actor, obj=target, action="update" if before else "create", before=before)
    return target


def stale_sweep(*, today: datetime.date | None = None) -> int:
    """Tell the person responsible about each project that has gone red-stale (once per quiet spell)."""
    from .stale import annotate_stale

    today = today or timezone.localdate()
    red = annotate_stale(Project.objects.all(), today).filter(stale="red").select_related("owner")  # type: ignore[misc]
    sent = 0
    project: Any
    for project in red.iterator(chunk_size=2000):
        with transaction.atomic():
            _row, created = StaleAlert.objects.get_or_create(
                project=project, quiet_since=project.quiet_since, defaults={"sent_at": timezone.now()}
            )
            if not created:
                continue
            people = [project.owner]
            url = reverse("investment:project_detail", args=[project.pk])
            title = _("No follow-up since %(date)s: %(name)s") % {
                "date": project.quiet_since,
                "name": project.name,
            }
            transaction.on_commit(
                lambda p=people, t=title, u=url, o=project: notification_post(  # type: ignore[misc]
                    recipients=p, kind="project_stale", title=t, url=u, obj=o
                )
            )
            sent += 1
    return sent
