"""The only write path of the implementation list: every transition checks, validates and audits."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import calendar as workcal
from luoshi.core.audit import audit_record, audit_record_many, snapshot
from luoshi.core.errors import Conflict, DraftRejected
from luoshi.core.numbering import next_code, next_codes
from luoshi.core.uploads import store_uploads
from luoshi.core.versioning import update_versioned
from luoshi.notify.services import Message, notification_post, notification_post_many
from luoshi.org.models import Person, Position, Role, Unit, Zone

from .access import (
    access_assign,
    access_claim,
    access_report,
    access_supervise,
    heads_lead_unit,
    is_supervisor,
)
from .models import (
    Attachment,
    AttachmentKind,
    ChangeKind,
    Directive,
    Escalation,
    Item,
    ItemState,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
)

S = ItemState

# Fields a supervisor may edit on an item, and until when.
EDITABLE_FIELDS = {
    "title",
    "description",
    "category",
    "zone",
    "lead_unit",
    "leader",
    "target_metric",
    "target_value",
    "target_unit",
    "target_text",
    "start_date",
    "deadline",
    "report_cycle",
    "directive",
}
CLOSED_STATES = {S.CLOSED, S.CANCELLED}


def _supervisors() -> list[Person]:
    return list(Person.objects.filter(positions__role=Role.SUPERVISOR, is_active=True).distinct())


def _heads_of(unit: Unit | None) -> list[Person]:
    if unit is None:
        return []
    return list(
        Person.objects.filter(positions__unit=unit, positions__role=Role.UNIT_HEAD, is_active=True).distinct()
    )


def _item_url(item: Item) -> str:
    return reverse("worklist:item_detail", args=[item.pk])


def _notify(recipients: Iterable[Person | None], kind: str, title: str, item: Item, body: str = "") -> None:
    """Tell people about an item once the transaction has committed."""
    people = [p for p in recipients if p is not None]
    url = _item_url(item)
    transaction.on_commit(
        lambda: notification_post(recipients=people, kind=kind, title=title, body=body, url=url, obj=item)
    )


def _audited_update(
    item: Item,
    *,
    actor: Person,
    action: str,
    expected_version: int | None,
    changes: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> Item:
    before = snapshot(item) if before is None else before
    update_versioned(item, expected_version=expected_version, changes=changes)
    audit_record(actor=actor, obj=item, action=action, before=before)
    return item


def _require_state(item: Item, allowed: Sequence[str], action: str) -> None:
    if item.state not in allowed:
        raise ValidationError(
            _("The item is “%(state)s”, so it cannot be %(action)s.")
            % {"state": item.get_state_display(), "action": action}
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    return reason


# Directives --------------------------------------------------------------------------------------


@transaction.atomic
def directive_create(
    *,
    actor: Person,
    title: str,
    source_kind: str,
    source_title: str,
    source_date: datetime.date,
    source_issuer: str,
    text: str = "",
    issuing_unit: Unit | None = None,
    due_date: datetime.date | None = None,
) -> Directive:
    """Record a directive with its source (meeting, document or leader instruction)."""
    access_supervise(actor)
    directive = Directive(
        title=title,
        text=text,
        source_kind=source_kind,
        source_title=source_title,
        source_date=source_date,
        source_issuer=source_issuer,
        issuing_unit=issuing_unit,
        due_date=due_date,
    )
    directive.full_clean()
    directive.save()
    audit_record(actor=actor, obj=directive, action="create")
    return directive


@transaction.atomic
def directive_update(
    *, actor: Person, directive: Directive, expected_version: int | None, changes: dict[str, Any]
) -> Directive:
    """Edit a directive's text, source or due date."""
    access_supervise(actor)
    before = snapshot(directive)
    for name, value in changes.items():
        setattr(directive, name, value)
    directive.full_clean()
    update_versioned(directive, expected_version=expected_version, changes=changes)
    audit_record(actor=actor, obj=directive, action="update", before=before)
    return directive


# Items -------------------------------------------------------------------------------------------


def _item_rule_errors(item: Item) -> dict[str, str]:
    """The item's own rules beyond its fields' (the leader's post is checked by the callers)."""
    errors: dict[str, str] = {}
    if not (item.target_text.strip() or item.target_value is not None):
        errors["target_text"] = _(
            "State the target result: a metric with a target value, or a qualitative result."
        )
    if item.target_value is not None and not item.target_metric.strip():
        errors["target_metric"] = _("Name the metric the target value measures.")
    if item.start_date and item.start_date > item.deadline:
        errors["start_date"] = _("The start date is after the deadline.")
    return errors


def _validate_item(item: Item) -> None:
    item.full_clean(exclude=["code", "support_units"])
    errors = _item_rule_errors(item)
    if item.leader_id and not item.leader.positions.filter(role=Role.LEADER).exists():  # type: ignore[union-attr]
        errors["leader"] = _("The leader in charge must hold a leader's post.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def item_create(
    *,
    actor: Person,
    title: str,
    deadline: datetime.date,
    directive: Directive | None = None,
    support_units: Sequence[Unit] = (),
    **fields: Any,
) -> Item:
    """Add a list item as a draft. The supervision office publishes it to a lead unit afterwards."""
    access_supervise(actor)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    item = Item(title=title, deadline=deadline, directive=directive, **fields)
    _validate_item(item)
    item.code = next_code(f"PW-{timezone.localdate().year}", 4)
    item.save()
    if support_units:
        item.support_units.set(support_units)
    audit_record(actor=actor, obj=item, action="create")
    return item


@dataclass(frozen=True)
class ItemDraft:
    """One new item for `item_create_many`: the arguments `item_create` takes."""

    title: str
    deadline: datetime.date
    directive: Directive | None = None
    support_units: Sequence[Unit] = ()
    fields: dict[str, Any] = dc_field(default_factory=dict)


_ITEM_REFERENCES = (("zone", Zone), ("lead_unit", Unit), ("leader", Person), ("directive", Directive))


@transaction.atomic
def item_create_many(*, actor: Person, drafts: Sequence[ItemDraft]) -> list[Item]:
    """Add many list items as drafts at once (the Excel import), all or none.

    The same checks as `item_create` and one audit record per item, but with bulk queries rather
    than a dozen queries per item. The first refused draft raises
    `DraftRejected` (a ValidationError naming its index) and nothing is written.
    """
    access_supervise(actor)
    items: list[Item] = []
    for draft in drafts:
        unknown = set(draft.fields) - EDITABLE_FIELDS
        if unknown:
            raise TypeError(f"unknown item fields: {sorted(unknown)}")
        items.append(
            Item(title=draft.title, deadline=draft.deadline, directive=draft.directive, **draft.fields)
        )
    # What full_clean would look up one item at a time: that the referenced rows exist.
    existing: dict[str, set[int]] = {}
    for name, model in _ITEM_REFERENCES:
        ids = {getattr(i, f"{name}_id") for i in items} - {None}
        existing[name] = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
    leader_ids = existing["leader"]
    with_post = set(
        Person.objects.filter(pk__in=leader_ids, positions__role=Role.LEADER).values_list("pk", flat=True)
    )
    exclude = ["code", "support_units", *(name for name, _model in _ITEM_REFERENCES)]
    for index, item in enumerate(items):
        try:
            item.full_clean(exclude=exclude)
            errors = _item_rule_errors(item)
            for name, _model in _ITEM_REFERENCES:
                value = getattr(item, f"{name}_id")
                if value is not None and value not in existing[name]:
                    errors[name] = _("The chosen record no longer exists.")
            if item.leader_id and item.leader_id in leader_ids and item.leader_id not in with_post:
                errors["leader"] = _("The leader in charge must hold a leader's post.")
            if errors:
                raise ValidationError(errors)
        except ValidationError as exc:
            raise DraftRejected(index, exc) from exc
    codes = next_codes(f"PW-{timezone.localdate().year}", 4, len(items))
    for item, code in zip(items, codes, strict=True):
        item.code = code
    Item.objects.bulk_create(items, batch_size=500)
    if any(item.pk is None for item in items):  # a database that returns no ids from bulk inserts
        by_code = dict(Item.objects.filter(code__in=codes).values_list("code", "pk"))
        for item in items:
            item.pk = by_code[item.code]
    through = Item.support_units.through
    links = [
        through(item_id=item.pk, unit_id=unit.pk)
        for item, draft in zip(items, drafts, strict=True)
        for unit in dict.fromkeys(draft.support_units)
    ]
    through.objects.bulk_create(links, batch_size=1000)
    audit_record_many(
        actor=actor,
        action="create",
        records=[
            (item, snapshot(item, m2m={"support_units": [u.pk for u in dict.fromkeys(draft.support_units)]}))
            for item, draft in zip(items, drafts, strict=True)
        ],
    )
    return items


@transaction.atomic
def item_update(
    *,
    actor: Person,
    item: Item,
    expected_version: int | None,
    changes: dict[str, Any],
    support_units: Sequence[Unit] | None = None,
) -> Item:
    """Edit an item's facts. Only the supervision office does this, and not after close-out."""
    access_supervise(actor, item)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    _require_state(item, [s for s in S.values if s not in CLOSED_STATES], _("edited"))
    before = snapshot(item)
    for name, value in changes.items():
        setattr(item, name, value)
    _validate_item(item)
    update_versioned(item, expected_version=expected_version, changes=changes)
    if support_units is not None:
        item.support_units.set(support_units)
    audit_record(actor=actor, obj=item, action="update", before=before)
    return item


@transaction.atomic
def item_publish(
    *, actor: Person, item: Item, expected_version: int | None, lead_unit: Unit | None = None
) -> Item:
    """Publish a draft (or a declined item) to its lead unit for claiming."""
    access_supervise(actor, item)
    _require_state(item, [S.DRAFT, S.DECLINED], _("published"))
    lead = lead_unit or item.lead_unit
    if lead is None:
        raise ValidationError({"lead_unit": _("Choose the lead unit to publish the item to.")})
    if not lead.is_active:
        raise ValidationError({"lead_unit": _("Unit %(unit)s has been deactivated.") % {"unit": lead}})
    _audited_update(
        item,
        actor=actor,
        action="publish",
        expected_version=expected_version,
        changes={
            "state": S.PUBLISHED,
            "lead_unit": lead,
            "published_at": timezone.now(),
            "state_reason": "",
        },
    )
    _notify(
        _heads_of(lead), "item_published", _("New item to claim: %(title)s") % {"title": item.title}, item
    )
    return item


@transaction.atomic
def item_publish_many(*, actor: Person, items: Sequence[Item]) -> list[Item]:
    """Publish many drafts to their lead units at once (the Excel import), all or none.

    For each item the checks, changes, audit record and notice of `item_publish`, at the version
    the caller holds, but in a few bulk queries rather than a handful per item. A refused item
    raises `DraftRejected` naming its index; an item changed meanwhile raises Conflict.
    """
    access_supervise(actor)
    for index, item in enumerate(items):
        try:
            _require_state(item, [S.DRAFT, S.DECLINED], _("published"))
            if item.lead_unit is None:
                raise ValidationError({"lead_unit": _("Choose the lead unit to publish the item to.")})
            if not item.lead_unit.is_active:
                raise ValidationError(
                    {"lead_unit": _("Unit %(unit)s has been deactivated.") % {"unit": item.lead_unit}}
                )
        except ValidationError as exc:
            raise DraftRejected(index, exc) from exc
    through = Item.support_units.through
    support: dict[int, list[int]] = {}
    for item_id, unit_id in through.objects.filter(item_id__in=[i.pk for i in items]).values_list(
        "item_id", "unit_id"
    ):
        support.setdefault(item_id, []).append(unit_id)
    befores = [snapshot(item, m2m={"support_units": support.get(item.pk, [])}) for item in items]
    now = timezone.now()
    changes = {"state": S.PUBLISHED, "published_at": now, "state_reason": ""}
    by_version: dict[int, list[int]] = {}
    for item in items:
        by_version.setdefault(item.version, []).append(item.pk)
    for version, pks in by_version.items():
        updated = Item.objects.filter(pk__in=pks, version=version).update(
            **changes, version=F("version") + 1, updated_at=now
        )
        if updated != len(pks):
            raise Conflict()
    for item in items:
        for name, value in changes.items():
            setattr(item, name, value)
        item.version += 1
        item.updated_at = now
    audit_record_many(
        actor=actor,
        action="publish",
        records=[(item, snapshot(item, m2m={"support_units": support.get(item.pk, [])})) for item in items],
        befores=befores,
    )
    heads: dict[int | None, dict[int, Person]] = {}
    lead_ids = {item.lead_unit_id for item in items}
    for position in Position.objects.filter(
        unit_id__in=lead_ids, role=Role.UNIT_HEAD, person__is_active=True
    ).select_related("person"):
        heads.setdefault(position.unit_id, {})[position.person_id] = position.person
    messages = [
        Message(
            recipients=list(heads.get(item.lead_unit_id, {}).values()),
            kind="item_published",
            title=_("New item to claim: %(title)s") % {"title": item.title},
            url=_item_url(item),
            obj=item,
        )
        for item in items
    ]
    transaction.on_commit(lambda: notification_post_many(messages))
    return list(items)


def _default_leader(unit: Unit) -> Person | None:
    """The leader in charge who oversees the unit (or a unit above it)."""
    ancestors = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
    return (
        Person.objects.filter(oversights__unit_id__in=ancestors, is_active=True, positions__role=Role.LEADER)
        .order_by("pk")
        .first()
    )


def _check_owner(item: Item, owner: Person) -> None:
    lead = item.lead_unit
    if (
        lead is None
        or not owner.is_active
        or not owner.positions.filter(unit__path__startswith=lead.path).exists()
    ):
        raise ValidationError({"owner": _("The owner must be an active member of the lead unit.")})


@transaction.atomic
def item_claim(*, actor: Person, item: Item, expected_version: int | None, owner: Person) -> Item:
    """The lead unit's head claims (认领) the item and names the owner; work starts once the chain is whole."""
    access_claim(actor, item)
    _require_state(item, [S.PUBLISHED], _("claimed"))
    _check_owner(item, owner)
    leader = item.leader or (_default_leader(item.lead_unit) if item.lead_unit else None)
    now = timezone.now()
    changes: dict[str, Any] = {
        "state": S.CLAIMED,
        "unit_head": actor,
        "owner": owner,
        "leader": leader,
        "claimed_at": now,
    }
    if leader is not None:
        changes.update(state=S.IN_PROGRESS, started_at=now)
    _audited_update(item, actor=actor, action="claim", expected_version=expected_version, changes=changes)
    _notify([owner], "item_assigned", _("You are the owner of %(title)s") % {"title": item.title}, item)
    if leader is None:
        _notify(
            _supervisors(),
            "item_chain_incomplete",
            _("%(title)s has no leader in charge yet; it cannot start.") % {"title": item.title},
            item,
        )
    return item


@transaction.atomic
def item_decline(*, actor: Person, item: Item, expected_version: int | None, reason: str) -> Item:
    """The lead unit's head declines the item with a reason; the supervision office re-publishes it."""
    access_claim(actor, item)
    _require_state(item, [S.PUBLISHED], _("declined"))
    reason = _require_reason(reason)
    _audited_update(
        item,
        actor=actor,
        action="decline",
        expected_version=expected_version,
        changes={"state": S.DECLINED, "state_reason": reason},
    )
    _notify(
        _supervisors(),
        "item_declined",
        _("%(unit)s declined %(title)s") % {"unit": item.lead_unit, "title": item.title},
        item,
        body=reason,
    )
    return item


@transaction.atomic
def item_assign(
    *,
    actor: Person,
    item: Item,
    expected_version: int | None,
    owner: Person | None = None,
    leader: Person | None = None,
) -> Item:
    """Change the chain: the head (or a supervisor) names a new owner; a supervisor names the leader."""
    access_assign(actor, item)
    _require_state(item, [S.CLAIMED, S.IN_PROGRESS, S.SUSPENDED], _("reassigned"))
    changes: dict[str, Any] = {}
    if owner is not None and owner.pk != item.owner_id:
        _check_owner(item, owner)
        changes["owner"] = owner
    if leader is not None and leader.pk != item.leader_id:
        access_supervise(actor, item)
        if not leader.positions.filter(role=Role.LEADER).exists():
            raise ValidationError({"leader": _("The leader in charge must hold a leader's post.")})
        changes["leader"] = leader
    if not changes:
        raise ValidationError(_("Nothing to change."))
    _audited_update(item, actor=actor, action="assign", expected_version=expected_version, changes=changes)
    if "owner" in changes:
        _notify([owner], "item_assigned", _("You are the owner of %(title)s") % {"title": item.title}, item)
    return item


@transaction.atomic
def item_start(*, actor: Person, item: Item, expected_version: int | None) -> Item:
    """Start a claimed item. It cannot start until its chain is complete."""
    if not (is_supervisor(actor) or heads_lead_unit(actor, item) or item.owner_id == actor.pk):
        access_supervise(actor, item)
    _require_state(item, [S.CLAIMED], _("started"))
    if not item.chain_complete:
        raise ValidationError(
            _(
                "The responsibility chain is incomplete: name the leader in charge, the lead-unit head and the owner first."
            )
        )
    return _audited_update(
        item,
        actor=actor,
        action="start",
        expected_version=expected_version,
        changes={"state": S.IN_PROGRESS, "started_at": timezone.now()},
    )


@transaction.atomic
def report_submit(
    *,
    actor: Person,
    item: Item,
    done: str,
    percent: int,
    problems: str = "",
    next_steps: str = "",
    files: Sequence[UploadedFile] = (),
) -> ProgressReport:
    """The owner reports progress with evidence."""
    access_report(actor, item)
    _require_state(item, [S.IN_PROGRESS], _("reported on"))
    errors = {}
    if not done.strip():
        errors["done"] = _("Say what was done.")
    if not 0 <= percent <= 100:
        errors["percent"] = _("Percent complete must be between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    report = ProgressReport.objects.create(
        item=item,
        author=actor,
        reported_at=now,
        reported_on=timezone.localdate(now),
        done=done.strip(),
        problems=problems.strip(),
        next_steps=next_steps.strip(),
        percent=percent,
    )
    attachments = store_uploads(
        Attachment, files, actor=actor, item=item, report=report, kind=AttachmentKind.REPORT
    )
    _refresh_facts(item)
    after = {**snapshot(report), "attachments": [a.original_name for a in attachments]}
    audit_record(actor=actor, obj=report, action="report", after=after)
    return report


@transaction.atomic
def item_submit_close_out(
    *,
    actor: Person,
    item: Item,
    expected_version: int | None,
    actual_value: Decimal | None = None,
    actual_text: str = "",
    files: Sequence[UploadedFile] = (),
) -> Item:
    """The owner submits the actual result with evidence; the item waits for verification."""
    access_report(actor, item)
    _require_state(item, [S.IN_PROGRESS], _("submitted for close-out"))
    if item.is_quantitative and actual_value is None:
        raise ValidationError(
            {"actual_value": _("Give the actual value of %(metric)s.") % {"metric": item.target_metric}}
        )
    if not actual_text.strip() and actual_value is None:
        raise ValidationError({"actual_text": _("Describe the result achieved.")})
    if not files and not item.attachments.exists():
        raise ValidationError({"files": _("Attach evidence of the result.")})
    before = snapshot(item)
    store_uploads(Attachment, files, actor=actor, item=item, kind=AttachmentKind.CLOSE_OUT)
    _audited_update(
        item,
        actor=actor,
        action="close_out_submit",
        expected_version=expected_version,
        before=before,
        changes={
            "state": S.CLOSE_REQUESTED,
            "close_requested_at": timezone.now(),
            "actual_value": actual_value,
            "actual_text": actual_text.strip(),
        },
    )
    _notify(
        _supervisors(),
        "item_close_requested",
        _("Verify the close-out of %(title)s") % {"title": item.title},
        item,
    )
    return item


@transaction.atomic
def item_verify(
    *, actor: Person, item: Item, expected_version: int | None, target_met: bool | None = None
) -> Item:
    """The supervision office approves the close-out (销号). A quantitative target is met by its numbers."""
    access_supervise(actor, item)
    _require_state(item, [S.CLOSE_REQUESTED], _("closed out"))
    if item.is_quantitative:
        met = item.actual_value is not None and item.actual_value >= item.target_value  # type: ignore[operator]
    elif target_met is None:
        raise ValidationError({"target_met": _("Say whether the qualitative target was met.")})
    else:
        met = target_met
    _audited_update(
        item,
        actor=actor,
        action="close_out_approve",
        expected_version=expected_version,
        changes={"state": S.CLOSED, "closed_at": timezone.now(), "target_met": met, "state_reason": ""},
    )
    _notify(
        [item.owner, item.unit_head],
        "item_closed",
        _("%(title)s has been closed out") % {"title": item.title},
        item,
    )
    return item


@transaction.atomic
def item_return(*, actor: Person, item: Item, expected_version: int | None, reason: str) -> Item:
    """The supervision office returns the close-out with a reason; work continues."""
    access_supervise(actor, item)
    _require_state(item, [S.CLOSE_REQUESTED], _("returned"))
    reason = _require_reason(reason)
    _audited_update(
        item,
        actor=actor,
        action="close_out_return",
        expected_version=expected_version,
        changes={"state": S.IN_PROGRESS, "close_requested_at": None, "state_reason": reason},
    )
    _notify(
        [item.owner, item.unit_head],
        "item_returned",
        _("The close-out of %(title)s was returned") % {"title": item.title},
        item,
        body=reason,
    )
    return item


SUSPENDABLE = [S.PUBLISHED, S.CLAIMED, S.IN_PROGRESS]
CANCELLABLE = [S.DRAFT, S.PUBLISHED, S.DECLINED, S.CLAIMED, S.IN_PROGRESS, S.SUSPENDED]


@transaction.atomic
def item_request_change(
    *, actor: Person, item: Item, expected_version: int | None, kind: str, reason: str
) -> Item:
    """The lead unit asks for suspension or cancellation, with a reason, for a supervisor to decide."""
    access_report(actor, item)
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": _("Choose suspension or cancellation.")})
    _require_state(item, SUSPENDABLE if kind == ChangeKind.SUSPEND else CANCELLABLE, _("changed this way"))
    if item.requested_change:
        raise ValidationError(_("A request is already waiting for a decision."))
    reason = _require_reason(reason)
    _audited_update(
        item,
        actor=actor,
        action="change_request",
        expected_version=expected_version,
        changes={"requested_change": kind, "requested_reason": reason, "requested_by": actor},
    )
    _notify(
        _supervisors(),
        "item_change_requested",
        _("%(kind)s requested for %(title)s") % {"kind": ChangeKind(kind).label, "title": item.title},
        item,
        body=reason,
    )
    return item


def _apply_change(item: Item, kind: str, reason: str) -> dict[str, Any]:
    now = timezone.now()
    if kind == ChangeKind.SUSPEND:
        _require_state(item, SUSPENDABLE, _("suspended"))
        return {"state": S.SUSPENDED, "suspended_at": now, "state_reason": reason}
    _require_state(item, CANCELLABLE, _("cancelled"))
    return {"state": S.CANCELLED, "cancelled_at": now, "state_reason": reason}


@transaction.atomic
def item_decide_change(
    *, actor: Person, item: Item, expected_version: int | None, approve: bool, note: str = ""
) -> Item:
    """A supervisor approves or rejects the pending suspension or cancellation request."""
    access_supervise(actor, item)
    if not item.requested_change:
        raise ValidationError(_("There is no request waiting for a decision."))
    requester = item.requested_by
    clear = {"requested_change": "", "requested_reason": "", "requested_by": None}
    changes = {
        **clear,
        **(_apply_change(item, item.requested_change, item.requested_reason) if approve else {}),
    }
    if not approve:
        _require_reason(note)
    _audited_update(
        item,
        actor=actor,
        action="change_approve" if approve else "change_reject",
        expected_version=expected_version,
        changes=changes,
    )
    title = (
        _("Your request on %(title)s was approved")
        if approve
        else _("Your request on %(title)s was rejected")
    )
    _notify([requester], "item_change_decided", title % {"title": item.title}, item, body=note)
    return item


@transaction.atomic
def item_suspend(*, actor: Person, item: Item, expected_version: int | None, reason: str) -> Item:
    """A supervisor suspends an item directly, with a reason."""
    access_supervise(actor, item)
    reason = _require_reason(reason)
    return _audited_update(
        item,
        actor=actor,
        action="suspend",
        expected_version=expected_version,
        changes={**_apply_change(item, ChangeKind.SUSPEND, reason), "requested_change": ""},
    )


@transaction.atomic
def item_cancel(*, actor: Person, item: Item, expected_version: int | None, reason: str) -> Item:
    """A supervisor cancels an item directly, with a reason."""
    access_supervise(actor, item)
    reason = _require_reason(reason)
    return _audited_update(
        item,
        actor=actor,
        action="cancel",
        expected_version=expected_version,
        changes={**_apply_change(item, ChangeKind.CANCEL, reason), "requested_change": ""},
    )


@transaction.atomic
def item_resume(*, actor: Person, item: Item, expected_version: int | None) -> Item:
    """A supervisor resumes a suspended item: back to work if its chain is whole, else to claimed."""
    access_supervise(actor, item)
    _require_state(item, [S.SUSPENDED], _("resumed"))
    if item.started_at:
        state = S.IN_PROGRESS
    elif item.claimed_at:
        state = S.CLAIMED
    else:
        state = S.PUBLISHED
    return _audited_update(
        item,
        actor=actor,
        action="resume",
        expected_version=expected_version,
        changes={"state": state, "suspended_at": None, "state_reason": ""},
    )


# Milestones --------------------------------------------------------------------------------------


def schedule_backwards(
    deadline: datetime.date, steps: Sequence[dict[str, Any]]
) -> list[tuple[str, datetime.date]]:
    """Due dates `offset` working days before the deadline (倒排工期); never on a holiday."""
    planned = []
    for step in steps:
        offset = int(step["offset"])
        if offset < 0:
            raise ValidationError(
                {"steps": _("An offset counts working days before the deadline and cannot be negative.")}
            )
        day = (
            workcal.add_working_days(deadline, -offset)
            if offset
            else workcal.add_working_days(deadline + datetime.timedelta(days=1), -1)
        )
        planned.append((str(step["title"]), day))
    return planned


def _can_plan(actor: Person, item: Item) -> bool:
    return is_supervisor(actor) or heads_lead_unit(actor, item) or item.owner_id == actor.pk


@transaction.atomic
def milestones_plan(
    *,
    actor: Person,
    item: Item,
    template: MilestoneTemplate | None = None,
    steps: Sequence[dict[str, Any]] | None = None,
) -> list[Milestone]:
    """Plan the item's milestones backwards from its deadline, from a template or given steps."""
    if not _can_plan(actor, item):
        access_supervise(actor, item)
    _require_state(item, [S.DRAFT, S.PUBLISHED, S.DECLINED, S.CLAIMED, S.IN_PROGRESS], _("planned"))
    chosen = list(steps if steps is not None else (template.steps if template else []))
    if not chosen:
        raise ValidationError(_("Choose a template or give at least one step."))
    planned = schedule_backwards(item.deadline, chosen)
    if item.start_date and any(day < item.start_date for _t, day in planned):
        raise ValidationError(
            _("Some milestones would fall before the item's start date. Shorten the offsets.")
        )
    before = {"milestones": [snapshot(m) for m in item.milestones.all()]}
    existing = item.milestones.count()
    created = Milestone.objects.bulk_create(
        Milestone(item=item, title=title, due_date=day, sort=existing + i)
        for i, (title, day) in enumerate(planned)
    )
    _refresh_facts(item)
    after = {"milestones": [snapshot(m) for m in item.milestones.all()]}
    audit_record(actor=actor, obj=item, action="milestones_plan", before=before, after=after)
    return created


def _refresh_facts(item: Item) -> None:
    """Keep the facts the lights read (next milestone due, last report) in step after a change.

    The item's row is locked first, so a change to another of its milestones committed meanwhile
    is part of the recomputation rather than overwritten by it. FOR NO KEY UPDATE does not wait
    for the key-share locks that inserting a milestone or a report takes on the item.
    """
    rows = Item.objects.filter(pk=item.pk)
    rows.select_for_update(no_key=True).values_list("pk").get()
    rows.refresh_facts()
    item.refresh_from_db(fields=["next_milestone_due", "last_report_on"])


@transaction.atomic
def milestone_update(
    *, actor: Person, milestone: Milestone, expected_version: int | None, changes: dict[str, Any]
) -> Milestone:
    """The owner adjusts a milestone's title or date; the change is audited."""
    item = milestone.item
    if not _can_plan(actor, item):
        access_supervise(actor, item)
    _require_state(item, [s for s in S.values if s not in CLOSED_STATES], _("re-planned"))
    allowed = {"title", "due_date"}
    if set(changes) - allowed:
        raise TypeError(f"milestone fields: {sorted(set(changes) - allowed)}")
    if "due_date" in changes:
        day = changes["due_date"]
        if day > item.deadline:
            raise ValidationError({"due_date": _("A milestone cannot be due after the item's deadline.")})
        if not workcal.is_working_day(day):
            raise ValidationError({"due_date": _("%(day)s is not a working day.") % {"day": day}})
    before = snapshot(milestone)
    update_versioned(milestone, expected_version=expected_version, changes=changes)
    _refresh_facts(item)
    audit_record(actor=actor, obj=milestone, action="update", before=before)
    return milestone


@transaction.atomic
def milestone_complete(
    *, actor: Person, milestone: Milestone, expected_version: int | None, done: bool = True
) -> Milestone:
    """Mark a milestone done (or not done again)."""
    item = milestone.item
    access_report(actor, item)
    _require_state(item, [S.IN_PROGRESS], _("updated"))
    before = snapshot(milestone)
    update_versioned(
        milestone, expected_version=expected_version, changes={"done_at": timezone.now() if done else None}
    )
    _refresh_facts(item)
    audit_record(
        actor=actor, obj=milestone, action="milestone_done" if done else "milestone_undone", before=before
    )
    return milestone


# Escalations -------------------------------------------------------------------------------------


@transaction.atomic
def escalation_acknowledge(*, actor: Person, escalation: Escalation, recovery_plan: str) -> Escalation:
    """A recipient acknowledges an escalation with a recovery plan."""
    from luoshi.core.access import require

    require(escalation.recipients.filter(pk=actor.pk).exists(), actor, "acknowledge", escalation)
    if escalation.acknowledged_at:
        raise ValidationError(_("This escalation has already been acknowledged."))
    plan = (recovery_plan or "").strip()
    if not plan:
        raise ValidationError({"recovery_plan": _("Describe the recovery plan.")})
    before = snapshot(escalation)
    escalation.acknowledged_by, escalation.acknowledged_at, escalation.recovery_plan = (
        actor,
        timezone.now(),
        plan,
    )
    escalation.save(update_fields=["acknowledged_by", "acknowledged_at", "recovery_plan"])
    audit_record(actor=actor, obj=escalation, action="acknowledge", before=before)
    return escalation


ESCALATION_STEPS = (
    (Escalation.Level.OWNER, 1),
    (Escalation.Level.LEADER, 3),
    (Escalation.Level.PRINCIPAL, 7),
)


def _principals() -> list[Person]:
    return list(
        Person.objects.filter(
            positions__role=Role.LEADER, positions__is_principal=True, is_active=True
        ).distinct()
    )


def escalation_sweep(*, at: datetime.datetime | None = None, chunk: int = 2000) -> int:
    """Escalate red items up the chain (倒逼): after 1 working day red to the owner and unit head,
    after 3 to the leader in charge, after 7 to the principal leaders.

    Idempotent: an escalation is recorded once per item, level and red spell, so a second run
    creates nothing. Returns how many escalations were created.

    The red items are found in one query, then handled `chunk` at a time, each chunk's new
    escalations written in bulk (escalations, recipients, audit rows and, once committed, the
    inbox entries): the first sweep over a large list creates thousands at once.
    """
    from .lights import Thresholds, filter_light, red_since

    t = Thresholds.at(at)
    principals = _principals()
    supervisors = _supervisors()
    running = Item.objects.filter(state=S.IN_PROGRESS)
    red_ids = list(filter_light(running, ["red"], at).order_by("pk").values_list("pk", flat=True))
    red_days = _WorkingDaysUntil(t.today)
    created = 0
    for start in range(0, len(red_ids), chunk):
        ids = red_ids[start : start + chunk]
        # Checked again, with the facts red_since reads, in case the item changed meanwhile.
        batch = filter_light(running.filter(pk__in=ids), ["red"], at)
        batch = batch.select_related("owner", "unit_head", "leader").order_by("pk")
        done = set(Escalation.objects.filter(item_id__in=ids).values_list("item_id", "level", "red_since"))
        due: list[_Due] = []
        for item in batch:
            since = red_since(item, t)
            if since is None:
                continue
            days = red_days(since)
            for level, after in ESCALATION_STEPS:
                if days < after or (item.pk, level, since) in done:
                    continue
                chain: dict[int, list[Person | None]] = {
                    Escalation.Level.OWNER: [item.owner, item.unit_head],
                    Escalation.Level.LEADER: [item.leader],
                    Escalation.Level.PRINCIPAL: list(principals),
                }
                people = [p for p in chain[level] if p is not None] or supervisors
                due.append(_Due(item, level, since, days, people))
        if due:
            with transaction.atomic():
                _escalate_many(due, t.moment)
            created += len(due)
    return created


class _WorkingDaysUntil:
    """`working_days_between(day, end)` for many days, walking the calendar back from `end` once.

    A sweep meets items red since months or years ago; counting each one day by day cost seconds.
    """

    def __init__(self, end: datetime.date) -> None:
        self.end = end
        self.day = end  # how far back the walk has come
        self.count = 0  # working days after self.day up to and including end
        self.counts = {end: 0}

    def __call__(self, start: datetime.date) -> int:
        if start > self.end:
            return workcal.working_days_between(start, self.end)
        while self.day > start:
            if workcal.is_working_day(self.day):
                self.count += 1
            self.day -= datetime.timedelta(days=1)
            self.counts[self.day] = self.count
        return self.counts[start]


@dataclass
class _Due:
    """An escalation the sweep is about to record."""

    item: Item
    level: int
    since: datetime.date
    days: int
    people: list[Person]


def _escalate_many(due: list[_Due], at: datetime.datetime) -> list[Escalation]:
    """Record escalations with their recipients and audit rows in bulk; tell the recipients on commit."""
    escalations = Escalation.objects.bulk_create(
        Escalation(item=d.item, level=d.level, red_since=d.since, created_at=at) for d in due
    )
    through = Escalation.recipients.through
    recipients = [
        through(escalation_id=escalation.pk, person_id=pk)
        for escalation, d in zip(escalations, due, strict=True)
        for pk in dict.fromkeys(p.pk for p in d.people)
    ]
    through.objects.bulk_create(recipients, batch_size=1000)
    audit_record_many(
        actor=None,
        action="escalate",
        records=[
            (
                escalation,
                {
                    **snapshot(escalation, m2m={"recipients": [p.pk for p in d.people]}),
                    "recipients": [p.pk for p in d.people],
                    "red_working_days": d.days,
                },
            )
            for escalation, d in zip(escalations, due, strict=True)
        ],
    )
    messages = [
        Message(
            recipients=d.people,
            kind="item_escalated",
            title=_("Escalation: %(title)s has been red for %(days)d working days")
            % {"title": d.item.title, "days": d.days},
            body=d.item.code,
            url=_item_url(d.item),
            obj=d.item,
        )
        for d in due
    ]
    transaction.on_commit(lambda: notification_post_many(messages))
    return escalations
