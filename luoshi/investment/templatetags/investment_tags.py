"""Template helpers of investment attraction: amounts in 万元/亿元, stage and stale badges."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import STAGES, Stage

register = template.Library()

YI = Decimal(10000)  # 1 亿元 = 10,000 万元

STAGE_STYLE = {
    Stage.LEAD: "text-bg-light border",
    Stage.NEGOTIATING: "text-bg-info",
    Stage.SIGNED: "text-bg-primary",
    Stage.REGISTERED: "text-bg-light border border-primary text-primary",
    Stage.STARTED: "text-bg-warning",
    Stage.OPERATING: "text-bg-success",
}


def _grouped(value: Decimal, places: int) -> str:
    """Thousands separators, at most `places` decimals, no trailing zeros: 12,500 / 1.25 / 0.5."""
    text = f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def wan(value: Any) -> str:
    """An amount held in 万元, written as people read it: 8,500 万元 below 1 亿, 1.25 亿元 from it."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if abs(amount) >= YI:
        return _("%(amount)s hundred million yuan") % {"amount": _grouped(amount / YI, 2)}
    return _("%(amount)s 10k yuan") % {"amount": _grouped(amount, 2)}


@register.filter
def wan_exact(value: Any) -> str:
    """The amount in 万元 with every digit, for a tooltip or a table cell."""
    if value is None or value == "":
        return "—"
    try:
        return _("%(amount)s 10k yuan") % {"amount": _grouped(Decimal(value), 2)}
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.simple_tag
def stage_badge(stage: str) -> SafeString:
    if stage not in STAGES:
        return SafeString("")
    return format_html(
        '<span class="badge {}" data-stage="{}">{}</span>',
        STAGE_STYLE.get(Stage(stage), "text-bg-light border"),
        stage,
        Stage(stage).label,
    )


@register.simple_tag
def stale_badge(project: Any, today: datetime.date) -> SafeString:
    """Yellow or red, with the days since the last contact; nothing for a project that is not stale."""
    stale = getattr(project, "stale", "")
    quiet_since = getattr(project, "quiet_since", None)
    if not stale or quiet_since is None:
        return SafeString("")
    days = (today - quiet_since).days
    text = ngettext("Quiet for %(days)s day", "Quiet for %(days)s days", days) % {"days": days}
    title = _("No follow-up since %(date)s") % {"date": quiet_since.isoformat()}
    css = "text-bg-danger" if stale == "red" else "text-bg-warning"
    return format_html(
        '<span class="badge {}" data-stale="{}" data-testid="stale-badge" title="{}">'
        '<i class="bi bi-hourglass-split me-1"></i>{}</span>',
        css,
        stale,
        title,
        text,
    )


@register.filter
def percent_class(percent: Decimal | None) -> str:
    """The colour of a progress bar against a year target."""
    if percent is None:
        return "bg-secondary"
    if percent >= 100:
        return "bg-success"
    return "bg-primary" if percent >= 50 else "bg-warning"


@register.filter
def bar_width(percent: Decimal | None) -> str:
    """A progress bar's width: the percent, capped at 100."""
    if percent is None:
        return "0"
    return str(min(int(percent), 100))


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or None: for dictionaries keyed by a loop variable."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
