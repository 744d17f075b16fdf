"""A service request's timeline: each step with who took it, what was said and the files it brought.

The audit trail holds every step; requests recorded without one (loaded in bulk) are told from
their fact times, pauses and ratings. The request page shows `timeline(sr)`; the API lists the
audit trail's steps with `note_of` each.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from luoshi.core.audit import history_of
from luoshi.core.models import AuditRecord
from luoshi.org.models import Unit

from . import services
from .models import Channel, Rating, RequestAttachment, ServiceRequest
from .templatetags.service_tags import due_words

# The field of a step's audit record that holds what was said with it.
NOTE_FIELDS = {
    "return": "return_reason",
    "wait": "needed",
    "resume": "note",
    "resolve": "reply",
    "rate": "comment",
    "reopen": "comment",
    "close": "note",
}


def note_of(record: AuditRecord) -> str:
    """What was said with a step: the reason, what was needed, the note, the reply or the comment."""
    return str((record.after or {}).get(NOTE_FIELDS.get(record.action, ""), "") or "")


@dataclass
class Event:
    """One step in a request's timeline."""

    at: datetime.datetime
    kind: str
    title: str
    who: str = ""
    text: str = ""
    files: list[Any] = field(default_factory=list)
    stars: int | None = None

    @property
    def icon(self) -> str:
        return " ".join(EVENT_ICON.get(self.kind, ("dot", "text-secondary")))


EVENT_ICON = {
    "file": ("inbox", "text-info"),
    "dispatch": ("send", "text-primary"),
    "return": ("arrow-return-left", "text-warning"),
    "acknowledge": ("hand-thumbs-up", "text-success"),
    "wait": ("pause-circle", "text-warning"),
    "resume": ("play-circle", "text-primary"),
    "resolve": ("check-circle-fill", "text-success"),
    "rate": ("star-fill", "text-warning"),
    "reopen": ("arrow-counterclockwise", "text-danger"),
    "close": ("lock-fill", "text-secondary"),
    "escalate_to_item": ("arrow-up-circle", "text-danger"),
}


def _when(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def timeline(sr: ServiceRequest) -> list[Event]:
    """The request's life, oldest first.

    The audit trail holds every step with what was said (the reason, what was needed, the reply,
    the comment); the attachments are matched to the step that uploaded them. Requests recorded
    without a trail (loaded in bulk) are told from their fact times, Pause rows and Rating rows.
    """
    records = list(history_of(sr).order_by("at", "id"))
    attachments = list(sr.attachments.select_related("uploaded_by"))
    if not any(r.action == "file" for r in records):
        return _timeline_from_facts(sr, attachments)
    unit_ids = {
        value
        for r in records
        for value in ((r.after or {}).get("unit"), (r.before or {}).get("unit"))
        if isinstance(value, int)
    }
    units: dict[Any, str] = (
        dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    )
    unused = list(attachments)

    def files_of(names: list[str], actor_id: int | None) -> list[Any]:
        found = []
        for name in names or []:
            match = next(
                (a for a in unused if a.original_name == name[:200] and a.uploaded_by_id == actor_id), None
            )
            if match is not None:
                unused.remove(match)
                found.append(match)
        return found

    events: list[Event] = []
    for r in records:
        after, before = r.after or {}, r.before or {}
        who = r.actor.name if r.actor else ""
        action = r.action
        if action == "file":
            channel = Channel(after["channel"]).label if after.get("channel") in Channel.values else ""
            events.append(
                Event(
                    r.at,
                    action,
                    _("Received"),
                    who,
                    _("Through: %(channel)s") % {"channel": channel} if channel else "",
                    files_of(after.get("attachments", []), r.actor_id),
                )
            )
        elif action == "dispatch":
            unit = units.get(after.get("unit"), "—")
            events.append(Event(r.at, action, _("Dispatched to %(unit)s") % {"unit": unit}, who))
        elif action == "return":
            unit = units.get(before.get("unit"), "")
            title = _("Returned by %(unit)s") % {"unit": unit} if unit else _("Returned for re-dispatch")
            events.append(Event(r.at, action, title, who, note_of(r)))
        elif action == "acknowledge":
            due = _when(after.get("resolution_due_at"))
            text = _("Resolution due %(due)s") % {"due": due_words(due)} if due else ""
            events.append(Event(r.at, action, _("Acknowledged by the unit"), who, text))
        elif action == "wait":
            events.append(Event(r.at, action, _("Waiting for the enterprise"), who, note_of(r)))
        elif action == "resume":
            events.append(
                Event(
                    r.at,
                    action,
                    _("Supplied; the clock runs again"),
                    who,
                    note_of(r),
                    files_of(after.get("attachments", []), r.actor_id),
                )
            )
        elif action == "resolve":
            events.append(
                Event(
                    r.at,
                    action,
                    _("Resolved"),
                    who,
                    note_of(r),
                    files_of(after.get("attachments", []), r.actor_id),
                )
            )
        elif action in ("rate", "reopen"):
            stars = after.get("stars")
            who = who or _("through the one-time link")
            title = (
                _("Rated %(stars)s stars") % {"stars": stars}
                if action == "rate"
                else _("Rated %(stars)s stars: reopened and sent back to the unit") % {"stars": stars}
            )
            events.append(Event(r.at, action, title, who, note_of(r), stars=stars))
        elif action == "close":
            events.append(Event(r.at, action, _("Closed after the follow-up call"), who, note_of(r)))
        elif action == "escalate_to_item":
            code = sr.item.code if sr.item else ""
            events.append(Event(r.at, action, _("Escalated to list item %(code)s") % {"code": code}, who))
    for leftover in unused:  # uploaded without a recorded step: still part of the story
        events.append(
            Event(leftover.uploaded_at, "resume", _("File added"), leftover.uploaded_by.name, "", [leftover])
        )
    return sorted(events, key=lambda e: e.at)


def _timeline_from_facts(sr: ServiceRequest, attachments: list[RequestAttachment]) -> list[Event]:
    """The timeline of a request without an audit trail, from its fact times and rows."""
    events = [Event(sr.received_at, "file", _("Received"), sr.filed_by.name, "", [])]
    if sr.dispatched_at:
        unit = sr.unit.name if sr.unit else "—"
        events.append(Event(sr.dispatched_at, "dispatch", _("Dispatched to %(unit)s") % {"unit": unit}))
    if sr.acknowledged_at:
        events.append(Event(sr.acknowledged_at, "acknowledge", _("Acknowledged by the unit")))
    for p in sr.pauses.all():
        events.append(Event(p.started_at, "wait", _("Waiting for the enterprise"), "", p.reason))
        if p.ended_at:
            events.append(Event(p.ended_at, "resume", _("Supplied; the clock runs again")))
    if sr.resolved_at:
        events.append(Event(sr.resolved_at, "resolve", _("Resolved"), "", sr.reply))
    for rating in sr.ratings.all():
        kind = "reopen" if rating.stars <= services.LOW_RATING else "rate"
        title = (
            _("Rated %(stars)s stars") % {"stars": rating.stars}
            if kind == "rate"
            else _("Rated %(stars)s stars: reopened and sent back to the unit") % {"stars": rating.stars}
        )
        who = "" if rating.via == Rating.Via.PORTAL else _("through the one-time link")
        events.append(Event(rating.rated_at, kind, title, who, rating.comment, stars=rating.stars))
    if sr.closed_at:
        events.append(Event(sr.closed_at, "close", _("Closed after the follow-up call")))
    for a in attachments:
        events.append(Event(a.uploaded_at, "resume", _("File added"), a.uploaded_by.name, "", [a]))
    return sorted(events, key=lambda e: e.at)
