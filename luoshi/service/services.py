"""The only write path of the service desk: enterprises, requests through their life, ratings, SLA."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core.access import require
from luoshi.core.audit import audit_record, snapshot
from luoshi.core.numbering import next_code
from luoshi.core.uploads import store_uploads
from luoshi.core.versioning import update_versioned
from luoshi.notify.services import Message, notification_post, notification_post_many
from luoshi.org.models import Person, Position, Role, Unit, Zone

from . import sla
from .access import (
    access_dispatch,
    access_handle,
    access_manage_enterprises,
    access_speak_for,
    handles,
    is_dispatcher,
)
from .models import (
    Category,
    Contact,
    Enterprise,
    EnterpriseMember,
    Pause,
    Rating,
    RatingLink,
    RequestAttachment,
    RequestState,
    ServiceRequest,
    SlaAlert,
)
from .uscc import validate_uscc

S = RequestState
RATING_LINK_DAYS = 30
RATING_SALT = "luoshi.service.rating"
LOW_RATING = 3  # a rating of 3 stars or less reopens the request


def _require_state(request: ServiceRequest, allowed: Sequence[str], action: str) -> None:
    if request.state not in allowed:
        raise ValidationError(
            _("The request is “%(state)s”, so it cannot be %(action)s.")
            % {"state": request.get_state_display(), "action": action}
        )


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _request_url(request: ServiceRequest) -> str:
    return reverse("service:request_detail", args=[request.pk])


def _notify(
    people: Sequence[Person | None], kind: str, title: str, request: ServiceRequest, body: str = ""
) -> None:
    recipients = [p for p in people if p is not None]
    url = _request_url(request)
    transaction.on_commit(
        lambda: notification_post(
            recipients=recipients, kind=kind, title=title, body=body, url=url, obj=request
        )
    )


def _unit_people(unit: Unit | None, *roles: str) -> list[Person | None]:
    if unit is None:
        return []
    people = Person.objects.filter(positions__unit=unit, is_active=True)
    if roles:
        people = people.filter(positions__role__in=roles)
    return list(people.distinct())


def _enterprise_users(enterprise: Enterprise) -> list[Person]:
    return list(Person.objects.filter(enterprise_membership__enterprise=enterprise, is_active=True))


def _dispatchers() -> list[Person]:
    return list(
        Person.objects.filter(
            positions__role=Role.STEWARD, positions__unit__isnull=False, is_active=True
        ).distinct()
    )


def _update(
    request: ServiceRequest,
    *,
    actor: Person | None,
    action: str,
    expected_version: int | None,
    changes: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> ServiceRequest:
    before = snapshot(request)
    update_versioned(request, expected_version=expected_version, changes=changes)
    after = {**snapshot(request), **(extra or {})}
    audit_record(actor=actor, obj=request, action=action, before=before, after=after)
    return request


# Enterprises -------------------------------------------------------------------------------------

ENTERPRISE_FIELDS = {
    "name",
    "uscc",
    "zone",
    "industry",
    "stage",
    "steward",
    "address",
    "legal_representative",
}


def _validate_enterprise(enterprise: Enterprise) -> None:
    errors: dict[str, Any] = {}
    try:
        enterprise.uscc = validate_uscc(enterprise.uscc)
    except ValidationError as exc:
        errors["uscc"] = exc.messages
    if enterprise.steward_id and not enterprise.steward.positions.filter(role=Role.STEWARD).exists():  # type: ignore[union-attr]
        errors["steward"] = [_("The steward must hold an enterprise steward's post.")]
    try:
        enterprise.full_clean(exclude=["uscc"] if "uscc" in errors else None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def enterprise_create(
    *,
    actor: Person,
    name: str,
    uscc: str,
    zone: Zone,
    industry: str,
    stage: str = "operating",
    steward: Person | None = None,
    address: str = "",
    legal_representative: str = "",
    contacts: Sequence[dict[str, str]] = (),
) -> Enterprise:
    """Register an enterprise; its unified social credit code must pass the GB 32100 check."""
    access_manage_enterprises(actor)
    enterprise = Enterprise(
        name=name.strip(),
        uscc=uscc,
        zone=zone,
        industry=industry.strip(),
        stage=stage,
        steward=steward,
        address=address,
        legal_representative=legal_representative,
    )
    _validate_enterprise(enterprise)
    enterprise.save()
    for contact in contacts:
        Contact.objects.create(enterprise=enterprise, **contact)
    audit_record(
        actor=actor,
        obj=enterprise,
        action="create",
        after={**snapshot(enterprise), "contacts": list(contacts)},
    )
    return enterprise


@transaction.atomic
def enterprise_update(
    *, actor: Person, enterprise: Enterprise, expected_version: int | None, changes: dict[str, Any]
) -> Enterprise:
    """Edit an enterprise (its steward, stage, …)."""
    access_manage_enterprises(actor)
    if set(changes) - ENTERPRISE_FIELDS:
        raise TypeError(f"enterprise fields: {sorted(set(changes) - ENTERPRISE_FIELDS)}")
    before = snapshot(enterprise)
    for name, value in changes.items():
        setattr(enterprise, name, value)
    _validate_enterprise(enterprise)
    if "uscc" in changes:
        changes = {**changes, "uscc": enterprise.uscc}
    update_versioned(enterprise, expected_version=expected_version, changes=changes)
    audit_record(actor=actor, obj=enterprise, action="update", before=before)
    return enterprise


@transaction.atomic
def enterprise_contact_add(
    *, actor: Person, enterprise: Enterprise, name: str, phone: str, title: str = ""
) -> Contact:
    """Add a person at the enterprise whom the zone can call."""
    access_manage_enterprises(actor)
    contact = Contact(enterprise=enterprise, name=name.strip(), phone=phone.strip(), title=title.strip())
    contact.full_clean()
    before = [{"name": c.name, "title": c.title, "phone": c.phone} for c in enterprise.contacts.all()]
    contact.save()
    after = [*before, {"name": contact.name, "title": contact.title, "phone": contact.phone}]
    audit_record(
        actor=actor, obj=enterprise, action="update", before={"contacts": before}, after={"contacts": after}
    )
    return contact


@transaction.atomic
def enterprise_member_set(*, actor: Person, person: Person, enterprise: Enterprise) -> EnterpriseMember:
    """Link an enterprise user's login to their enterprise."""
    access_manage_enterprises(actor)
    if not person.positions.filter(role=Role.ENTERPRISE).exists():
        raise ValidationError(_("Only an enterprise user can act for an enterprise."))
    before = {"enterprise": getattr(getattr(person, "enterprise_membership", None), "enterprise_id", None)}
    member, _created = EnterpriseMember.objects.update_or_create(
        person=person, defaults={"enterprise": enterprise}
    )
    audit_record(
        actor=actor,
        obj=person,
        action="enterprise_member_set",
        before=before,
        after={"enterprise": enterprise.pk},
    )
    return member


# Requests ----------------------------------------------------------------------------------------


def _attach(request: ServiceRequest, actor: Person, files: Sequence[UploadedFile]) -> list[str]:
    """Store the files on the request; their names, for the audit record."""
    return [a.original_name for a in store_uploads(RequestAttachment, files, actor=actor, request=request)]


@transaction.atomic
def request_file(
    *,
    actor: Person,
    enterprise: Enterprise,
    category: Category,
    title: str,
    description: str,
    channel: str = "portal",
    files: Sequence[UploadedFile] = (),
) -> ServiceRequest:
    """An enterprise (or staff on its behalf) files a request. The same-day response clock starts."""
    access_speak_for(actor, enterprise)
    title = _require_text(title, "title", _("Give the request a short title."))
    description = _require_text(description, "description", _("Describe the problem or need."))
    now = timezone.now()
    request = ServiceRequest(
        enterprise=enterprise,
        category=category,
        title=title,
        description=description,
        channel=channel,
        filed_by=actor,
        received_at=now,
        response_due_at=sla.response_due(now),
    )
    request.full_clean(exclude=["code"])
    request.code = next_code(f"SR-{timezone.localdate(now).year}", 5)
    request.save()
    names = _attach(request, actor, files)
    audit_record(actor=actor, obj=request, action="file", after={**snapshot(request), "attachments": names})
    _notify(
        [enterprise.steward, *_dispatchers()],
        "request_received",
        _("New request from %(enterprise)s: %(title)s") % {"enterprise": enterprise, "title": title},
        request,
    )
    return request


@transaction.atomic
def request_dispatch(
    *, actor: Person, request: ServiceRequest, expected_version: int | None, unit: Unit
) -> ServiceRequest:
    """The service centre or the steward sends the request to the unit that must handle it (派单)."""
    if not (is_dispatcher(actor) or request.enterprise.steward_id == actor.pk):
        access_dispatch(actor, request)
    _require_state(request, [S.RECEIVED], _("dispatched"))
    if not unit.is_active:
        raise ValidationError({"unit": _("Unit %(unit)s has been deactivated.") % {"unit": unit}})
    _update(
        request,
        actor=actor,
        action="dispatch",
        expected_version=expected_version,
        changes={"state": S.DISPATCHED, "unit": unit, "dispatched_at": timezone.now(), "return_reason": ""},
    )
    _notify(
        _unit_people(unit, Role.UNIT_HEAD, Role.STAFF),
        "request_dispatched",
        _("Respond today: %(title)s") % {"title": request.title},
        request,
    )
    return request


@transaction.atomic
def request_return(
    *, actor: Person, request: ServiceRequest, expected_version: int | None, reason: str
) -> ServiceRequest:
    """The unit returns a wrongly dispatched request, with a reason, for re-dispatch."""
    access_handle(actor, request)
    _require_state(request, [S.DISPATCHED], _("returned"))
    reason = _require_text(reason, "reason", _("Say why the request is not for your unit."))
    _update(
        request,
        actor=actor,
        action="return",
        expected_version=expected_version,
        changes={"state": S.RECEIVED, "unit": None, "dispatched_at": None, "return_reason": reason},
    )
    _notify(
        [request.enterprise.steward, *_dispatchers()],
        "request_returned",
        _("Returned for re-dispatch: %(title)s") % {"title": request.title},
        request,
        body=reason,
    )
    return request


@transaction.atomic
def request_acknowledge(
    *, actor: Person, request: ServiceRequest, expected_version: int | None
) -> ServiceRequest:
    """The unit acknowledges (响应); the resolution clock starts."""
    access_handle(actor, request)
    _require_state(request, [S.DISPATCHED], _("acknowledged"))
    now = timezone.now()
    _update(
        request,
        actor=actor,
        action="acknowledge",
        expected_version=expected_version,
        changes={
            "state": S.ACKNOWLEDGED,
            "acknowledged_at": now,
            "resolution_due_at": sla.resolution_due(now, request.category.resolution_days),
        },
    )
    _notify(
        _enterprise_users(request.enterprise),
        "request_acknowledged",
        _("%(unit)s is handling your request: %(title)s") % {"unit": request.unit, "title": request.title},
        request,
    )
    return request


def _clock_start(request: ServiceRequest) -> datetime.datetime:
    """When the current resolution clock started: the acknowledgement, or the last reopen."""
    reopened = (
        request.ratings.filter(stars__lte=LOW_RATING)
        .order_by("-rated_at")
        .values_list("rated_at", flat=True)
        .first()
    )
    return reopened or request.acknowledged_at  # type: ignore[return-value]


def _resolution_due_now(request: ServiceRequest) -> datetime.datetime:
    start = _clock_start(request)
    pauses = request.pauses.filter(started_at__gte=start).values_list("started_at", "ended_at")
    return sla.resolution_due(start, request.category.resolution_days, sla.paused_working_days(pauses))


@transaction.atomic
def request_wait(
    *, actor: Person, request: ServiceRequest, expected_version: int | None, needed: str
) -> ServiceRequest:
    """The unit asks the enterprise for more (等待企业补充); the resolution clock pauses."""
    access_handle(actor, request)
    _require_state(request, [S.ACKNOWLEDGED], _("paused"))
    needed = _require_text(needed, "needed", _("Say what the enterprise needs to provide."))
    now = timezone.now()
    Pause.objects.create(request=request, started_at=now, reason=needed)
    _update(
        request,
        actor=actor,
        action="wait",
        expected_version=expected_version,
        changes={"state": S.WAITING, "paused_at": now},
        extra={"needed": needed},
    )
    _notify(
        _enterprise_users(request.enterprise),
        "request_waiting",
        _("Please provide more for: %(title)s") % {"title": request.title},
        request,
        body=needed,
    )
    return request


@transaction.atomic
def request_resume(
    *,
    actor: Person,
    request: ServiceRequest,
    expected_version: int | None,
    note: str = "",
    files: Sequence[UploadedFile] = (),
) -> ServiceRequest:
    """The enterprise supplies what was asked (or the unit resumes); the clock runs again, extended."""
    if not (handles(actor, request) or (actor.scope.enterprise and _speaks_for_request(actor, request))):
        raise PermissionDenied
    _require_state(request, [S.WAITING], _("resumed"))
    now = timezone.now()
    request.pauses.filter(ended_at__isnull=True).update(ended_at=now)
    names = _attach(request, actor, files)
    _update(
        request,
        actor=actor,
        action="resume",
        expected_version=expected_version,
        changes={
            "state": S.ACKNOWLEDGED,
            "paused_at": None,
            "resolution_due_at": _resolution_due_now(request),
        },
        extra={"note": note.strip(), "attachments": names},
    )
    _notify(
        _unit_people(request.unit, Role.UNIT_HEAD, Role.STAFF),
        "request_resumed",
        _("The enterprise replied: %(title)s") % {"title": request.title},
        request,
        body=note,
    )
    return request


def _speaks_for_request(person: Person, request: ServiceRequest) -> bool:
    return EnterpriseMember.objects.filter(person=person, enterprise_id=request.enterprise_id).exists()


def rating_token(link: RatingLink) -> str:
    return signing.dumps({"r": link.request_id, "n": link.nonce}, salt=RATING_SALT, compress=True)


@transaction.atomic
def request_resolve(
    *,
    actor: Person,
    request: ServiceRequest,
    expected_version: int | None,
    reply: str,
    files: Sequence[UploadedFile] = (),
) -> tuple[ServiceRequest, str]:
    """The unit resolves the request (办结) with a reply; the enterprise gets a one-time rating link."""
    access_handle(actor, request)
    _require_state(request, [S.ACKNOWLEDGED], _("resolved"))
    reply = _require_text(reply, "reply", _("Write the reply to the enterprise."))
    now = timezone.now()
    names = _attach(request, actor, files)
    changes = {"state": S.RESOLVED, "resolved_at": now, "reply": reply}
    if request.first_resolved_at is None:
        changes["first_resolved_at"] = now
    _update(
        request,
        actor=actor,
        action="resolve",
        expected_version=expected_version,
        changes=changes,
        extra={"attachments": names},
    )
    link = RatingLink.objects.create(request=request, nonce=secrets.token_hex(16), created_at=now)
    token = rating_token(link)
    path = reverse("service:rate_by_link", args=[token])
    _notify(
        _enterprise_users(request.enterprise),
        "request_resolved",
        _("Resolved: %(title)s. Please rate the service.") % {"title": request.title},
        request,
        body=_("Rate it here (valid for %(days)d days, once): %(path)s")
        % {"days": RATING_LINK_DAYS, "path": path},
    )
    return request, token


def _rate(
    request: ServiceRequest, *, actor: Person | None, stars: int, comment: str, via: str
) -> ServiceRequest:
    _require_state(request, [S.RESOLVED], _("rated"))
    if stars not in range(1, 6):
        raise ValidationError({"stars": _("Give 1 to 5 stars.")})
    comment = (comment or "").strip()
    if stars <= LOW_RATING and not comment:
        raise ValidationError(
            {"comment": _("Tell us what was not satisfactory, so the unit can put it right.")}
        )
    now = timezone.now()
    Rating.objects.create(
        request=request, stars=stars, comment=comment, rated_at=now, unit=request.unit, via=via, by=actor
    )
    if stars > LOW_RATING:
        return _update(
            request,
            actor=actor,
            action="rate",
            expected_version=None,
            changes={"state": S.RATED, "rated_at": now, "stars": stars},
            extra={"comment": comment},
        )
    # 从企业不满意的地方改起: a low rating sends the request back to the unit with a new clock.
    due = sla.resolution_due(now, request.category.resolution_days)
    _update(
        request,
        actor=actor,
        action="reopen",
        expected_version=None,
        changes={
            "state": S.ACKNOWLEDGED,
            "rated_at": now,
            "stars": stars,
            "resolved_at": None,
            "reopen_count": request.reopen_count + 1,
            "resolution_due_at": due,
        },
        extra={"comment": comment},
    )
    _notify(
        [*_unit_people(request.unit, Role.UNIT_HEAD), request.enterprise.steward],
        "request_reopened",
        _("Reopened after a %(stars)d-star rating: %(title)s") % {"stars": stars, "title": request.title},
        request,
        body=comment,
    )
    return request


@transaction.atomic
def request_rate(*, actor: Person, request: ServiceRequest, stars: int, comment: str = "") -> ServiceRequest:
    """The enterprise user rates the resolution with 1–5 stars; 3 or less reopens the request."""
    require(actor.scope.enterprise and _speaks_for_request(actor, request), actor, "rate", request)
    return _rate(request, actor=actor, stars=stars, comment=comment, via=Rating.Via.PORTAL)


def rating_link_check(token: str) -> RatingLink:
    """The unused, untampered, unexpired link a token names; otherwise a clear refusal."""
    try:
        data = signing.loads(token, salt=RATING_SALT, max_age=datetime.timedelta(days=RATING_LINK_DAYS))
    except signing.SignatureExpired:
        raise ValidationError(
            _("This rating link has expired (links are valid for %(days)d days).")
            % {"days": RATING_LINK_DAYS},
            code="expired",
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This rating link is not valid."), code="invalid") from None
    link = (
        RatingLink.objects.select_related("request")
        .filter(nonce=data.get("n"), request_id=data.get("r"))
        .first()
    )
    if link is None:
        raise ValidationError(_("This rating link is not valid."), code="invalid")
    if link.used_at is not None:
        raise ValidationError(_("This rating link has already been used."), code="used")
    return link


@transaction.atomic
def request_rate_by_link(*, token: str, stars: int, comment: str = "") -> ServiceRequest:
    """Rate through a one-time signed link (no login): valid 30 days, usable once."""
    link = rating_link_check(token)
    link = RatingLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise ValidationError(_("This rating link has already been used."), code="used")
    request = ServiceRequest.objects.get(pk=link.request_id)
    request = _rate(request, actor=None, stars=stars, comment=comment, via=Rating.Via.LINK)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return request


@transaction.atomic
def request_close(
    *, actor: Person, request: ServiceRequest, expected_version: int | None, note: str = ""
) -> ServiceRequest:
    """After the follow-up call (回访) the service centre or the steward closes a rated request."""
    if request.enterprise.steward_id != actor.pk:
        access_dispatch(actor, request)
    _require_state(request, [S.RATED], _("closed"))
    return _update(
        request,
        actor=actor,
        action="close",
        expected_version=expected_version,
        changes={"state": S.CLOSED, "closed_at": timezone.now()},
        extra={"note": note.strip()},
    )


@transaction.atomic
def request_escalate_to_item(
    *,
    actor: Person,
    request: ServiceRequest,
    deadline: datetime.date,
    lead_unit: Unit | None = None,
    title: str = "",
) -> Any:
    """Turn a request that needs a project into an implementation-list item; the two stay linked."""
    from luoshi.worklist import services as worklist

    if request.item is not None:
        raise ValidationError(
            _("This request is already linked to list item %(code)s.") % {"code": request.item.code}
        )
    item = worklist.item_create(
        actor=actor,
        title=title.strip() or request.title,
        deadline=deadline,
        category="service",
        zone=request.enterprise.zone,
        lead_unit=lead_unit or request.unit,
        description=f"{request.code} {request.enterprise}：{request.description}",
        target_text=_("Solve the problem raised by %(enterprise)s") % {"enterprise": request.enterprise},
    )
    _update(request, actor=actor, action="escalate_to_item", expected_version=None, changes={"item": item})
    return item


# SLA sweep ---------------------------------------------------------------------------------------

REMINDER_BEFORE = {"response": datetime.timedelta(hours=3), "resolution": datetime.timedelta(days=1)}


def sla_sweep(*, at: datetime.datetime | None = None, chunk: int = 2000) -> int:
    """Remind before each due time and alert after a breach, once each (idempotent).

    - A reminder goes to the handling unit (its head and staff), who can still act in time.
    - A breach goes up to the unit's head and to the enterprise's steward (as a reopen does); an
      undispatched request's breach goes to its steward, or to the dispatchers if it has none.
    Work is done in batches: per batch one insert records the alerts (the unique constraint keeps
    each one single even if two sweeps overlap), one query finds the ones this sweep recorded, and
    one insert posts their notifications after commit. Over all open requests it takes seconds.
    Returns how many alerts were sent.
    """
    at = at or timezone.now()
    K = SlaAlert.Kind
    # (kind, open states, due field, due after, due at or before)
    plans = [
        (K.RESPONSE_REMINDER, [S.DISPATCHED], "response_due_at", at, at + REMINDER_BEFORE["response"]),
        (K.RESPONSE_BREACH, [S.RECEIVED, S.DISPATCHED], "response_due_at", None, at),
        (
            K.RESOLUTION_REMINDER,
            [S.ACKNOWLEDGED],
            "resolution_due_at",
            at,
            at + REMINDER_BEFORE["resolution"],
        ),
        (K.RESOLUTION_BREACH, [S.ACKNOWLEDGED], "resolution_due_at", None, at),
    ]
    recipients = _SweepRecipients()
    sent = 0
    for kind, states, due_field, after, before in plans:
        open_requests = ServiceRequest.objects.filter(state__in=states, **{f"{due_field}__lte": before})
        if after is not None:
            open_requests = open_requests.filter(**{f"{due_field}__gt": after})
        already = SlaAlert.objects.filter(request=OuterRef("pk"), kind=kind, due_at=OuterRef(due_field))
        open_requests = open_requests.exclude(Exists(already)).select_related("enterprise__steward")
        last = 0
        while True:
            batch = list(open_requests.filter(pk__gt=last).order_by("pk")[:chunk])
            if not batch:
                break
            last = batch[-1].pk
            with transaction.atomic():
                sent += _alert_batch(batch, kind, due_field, at, recipients)
    return sent


class _SweepRecipients:
    """The people of each unit, looked up once per sweep for the units its batches reach."""

    def __init__(self) -> None:
        self._units: dict[int, dict[str, list[Person]]] = {}
        self._dispatchers: list[Person] | None = None

    def load(self, unit_ids: set[int]) -> None:
        missing = unit_ids - self._units.keys()
        for unit_id in missing:
            self._units[unit_id] = {Role.UNIT_HEAD: [], Role.STAFF: []}
        for post in Position.objects.filter(
            unit_id__in=missing, role__in=[Role.UNIT_HEAD, Role.STAFF], person__is_active=True
        ).select_related("person"):
            self._units[post.unit_id][post.role].append(post.person)  # type: ignore[index]

    def of(self, unit_id: int, *roles: str) -> list[Person]:
        return [person for role in roles for person in self._units[unit_id][role]]

    def dispatchers(self) -> list[Person]:
        if self._dispatchers is None:
            self._dispatchers = _dispatchers()
        return self._dispatchers


def _alert_batch(
    batch: list[ServiceRequest],
    kind: str,
    due_field: str,
    at: datetime.datetime,
    recipients: _SweepRecipients,
) -> int:
    K = SlaAlert.Kind
    SlaAlert.objects.bulk_create(
        [SlaAlert(request=r, kind=kind, due_at=getattr(r, due_field), sent_at=at) for r in batch],
        ignore_conflicts=True,
    )
    # A sweep overlapping this one (each stamps its alerts with its own moment) may have recorded
    # some of them first: those are its to send.
    recorded = set(
        SlaAlert.objects.filter(request__in=[r.pk for r in batch], kind=kind, sent_at=at).values_list(
            "request_id", "due_at"
        )
    )
    batch = [r for r in batch if (r.pk, getattr(r, due_field)) in recorded]
    recipients.load({r.unit_id for r in batch if r.unit_id is not None})
    messages = []
    for request in batch:
        steward = request.enterprise.steward
        people: list[Person]
        if request.unit_id is None:
            people = [steward] if steward is not None else recipients.dispatchers()
        elif kind in (K.RESPONSE_BREACH, K.RESOLUTION_BREACH):
            people = recipients.of(request.unit_id, Role.UNIT_HEAD) + ([steward] if steward else [])
        else:
            people = recipients.of(request.unit_id, Role.UNIT_HEAD, Role.STAFF)
        due = timezone.localtime(getattr(request, due_field)).strftime("%Y-%m-%d %H:%M")
        messages.append(
            Message(
                recipients=people,
                kind=kind,
                title=f"{K(kind).label}: {request.title}",
                body=_("Due %(due)s") % {"due": due},
                url=_request_url(request),
                obj=request,
            )
        )
    transaction.on_commit(lambda: notification_post_many(messages))
    return len(batch)
