"""Template helpers of the service desk: state badges, SLA countdowns and stars.

A countdown is the stored promise (response_due_at / resolution_due_at) against now: green while
more than three hours are left, yellow within three hours, red once overdue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import RequestState

register = template.Library()

S = RequestState
DUE_SOON = datetime.timedelta(hours=3)

STATE_STYLE: dict[str, str] = {
    S.RECEIVED: "text-bg-info",
    S.DISPATCHED: "text-bg-light border border-primary text-primary",
    S.ACKNOWLEDGED: "text-bg-light border border-success text-success",
    S.WAITING: "text-bg-warning",
    S.RESOLVED: "text-bg-success",
    S.RATED: "text-bg-primary",
    S.CLOSED: "text-bg-secondary",
}


def duration_words(delta: datetime.timedelta) -> str:
    """A span in words, to the minute: “2 days 3 hours”, “5 hours 10 minutes”, “12 minutes”."""
    minutes = max(int(abs(delta.total_seconds()) // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    day_words = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hour_words = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minute_words = ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins}
    if days:
        return f"{day_words} {hour_words}" if hours else day_words
    if hours:
        return f"{hour_words} {minute_words}" if mins else hour_words
    return minute_words


def due_words(value: datetime.datetime | None, short: bool = False) -> str:
    """A due time as people say it: the end of a working day is “24:00” of that day, not “00:00”
    of the next one (the stored promise is the midnight that ends the day)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    date_format = "%m-%d" if short else "%Y-%m-%d"
    if local.hour == 0 and local.minute == 0:
        return (local - datetime.timedelta(minutes=1)).strftime(date_format) + " 24:00"
    return local.strftime(f"{date_format} %H:%M")


@register.filter
def due(value: datetime.datetime | None) -> str:
    """2026-03-03 24:00"""
    return due_words(value)


@register.filter
def due_short(value: datetime.datetime | None) -> str:
    """03-03 24:00"""
    return due_words(value, short=True)


@dataclass(frozen=True)
class Countdown:
    """How a promise stands: `level` is green, yellow, red, done (kept), late (kept late) or paused."""

    level: str
    text: str
    due_at: datetime.datetime | None


def countdown(
    due_at: datetime.datetime | None,
    now: datetime.datetime | None = None,
    done_at: datetime.datetime | None = None,
) -> Countdown | None:
    """The stored due time against now (or against when the step was done)."""
    if due_at is None:
        return None
    if done_at is not None:
        if done_at <= due_at:
            return Countdown("done", _("on time"), due_at)
        return Countdown("late", _("late by %(time)s") % {"time": duration_words(done_at - due_at)}, due_at)
    now = now or timezone.now()
    left = due_at - now
    if left < datetime.timedelta(0):
        return Countdown("red", _("overdue by %(time)s") % {"time": duration_words(left)}, due_at)
    level = "yellow" if left < DUE_SOON else "green"
    return Countdown(level, _("%(time)s left") % {"time": duration_words(left)}, due_at)


BADGE_STYLE = {
    "green": ("text-bg-success", "clock"),
    "yellow": ("text-bg-warning", "hourglass-split"),
    "red": ("text-bg-danger", "exclamation-triangle-fill"),
    "done": ("text-bg-light border border-success text-success", "check2"),
    "late": ("text-bg-light border border-danger text-danger", "check2"),
    "paused": ("text-bg-secondary", "pause-circle"),
}


def _badge(c: Countdown, label: str = "") -> SafeString:
    css, icon = BADGE_STYLE[c.level]
    title = _("Due %(due)s") % {"due": due_words(c.due_at)} if c.due_at else ""
    return format_html(
        '<span class="badge {} ls-sla" data-sla="{}" title="{}"><i class="bi bi-{} me-1"></i>{}{}</span>',
        css,
        c.level,
        title,
        icon,
        # A full-width colon (Chinese) carries its own space.
        (label if label.endswith("：") else f"{label} ") if label else "",
        c.text,
    )


@register.simple_tag
def sla_badge(
    due_at: datetime.datetime | None,
    now: datetime.datetime | None = None,
    done_at: datetime.datetime | None = None,
    label: str = "",
) -> SafeString:
    """A countdown badge for one promise; nothing when there is no promise yet."""
    c = countdown(due_at, now, done_at)
    return _badge(c, label) if c else format_html("")


@register.simple_tag
def request_sla(sr: Any, now: datetime.datetime | None = None) -> SafeString:
    """The countdown that matters in the request's state: the response before acknowledgement, then
    the resolution; paused while waiting for the enterprise; kept or late once resolved."""
    state = sr.state
    if state in (S.RECEIVED, S.DISPATCHED):
        return sla_badge(sr.response_due_at, now, label=_("Respond:"))
    if state == S.ACKNOWLEDGED:
        return sla_badge(sr.resolution_due_at, now, label=_("Resolve:"))
    if state == S.WAITING:
        return _badge(Countdown("paused", _("Clock paused"), None))
    if sr.resolved_at and sr.resolution_due_at:
        return sla_badge(sr.resolution_due_at, now, done_at=sr.resolved_at, label=_("Resolved"))
    return format_html("")


@register.simple_tag
def state_badge(state: str) -> SafeString:
    return format_html(
        '<span class="badge {}" data-state="{}">{}</span>',
        STATE_STYLE.get(state, "text-bg-light border"),
        state,
        S(state).label if state in S.values else state,
    )


@register.filter
def stars(n: int | None) -> str:
    """★★☆☆☆ for 2."""
    if not n:
        return ""
    n = max(1, min(int(n), 5))
    return "★" * n + "☆" * (5 - n)


@register.filter
def waited(since: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """How long ago, in words."""
    if since is None:
        return ""
    return duration_words((now or timezone.now()) - since)
