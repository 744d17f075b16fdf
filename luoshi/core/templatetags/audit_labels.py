"""Audit rows in words: action codes, field names and stored values as the UI says them."""

from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from luoshi.core.models import AuditRecord

register = template.Library()

# The actions that services record; an action not listed here is shown as its code.
ACTION_LABELS: dict[str, Promise] = {
    "create": pgettext_lazy("audit action", "Created"),
    "update": pgettext_lazy("audit action", "Changed"),
    "delete": pgettext_lazy("audit action", "Deleted"),
    "deactivate": pgettext_lazy("audit action", "Deactivated"),
    "password_change": pgettext_lazy("audit action", "Password changed"),
    "oversight_set": pgettext_lazy("audit action", "Oversight set"),
    "revoke": pgettext_lazy("audit action", "Revoked"),
    "read": pgettext_lazy("audit action", "Read"),
    "notifications_read": pgettext_lazy("audit action", "All marked as read"),
    "publish": pgettext_lazy("audit action", "Published"),
    "claim": pgettext_lazy("audit action", "Claimed"),
    "decline": pgettext_lazy("audit action", "Declined"),
    "assign": pgettext_lazy("audit action", "Owner assigned"),
    "start": pgettext_lazy("audit action", "Started"),
    "report": pgettext_lazy("audit action", "Progress reported"),
    "close_out_submit": pgettext_lazy("audit action", "Close-out requested"),
    "close_out_approve": pgettext_lazy("audit action", "Closed out"),
    "close_out_return": pgettext_lazy("audit action", "Close-out returned"),
    "change_request": pgettext_lazy("audit action", "Change requested"),
    "change_approve": pgettext_lazy("audit action", "Change approved"),
    "change_reject": pgettext_lazy("audit action", "Change rejected"),
    "suspend": pgettext_lazy("audit action", "Suspended"),
    "cancel": pgettext_lazy("audit action", "Cancelled"),
    "resume": pgettext_lazy("audit action", "Resumed"),
    "milestones_plan": pgettext_lazy("audit action", "Milestones planned"),
    "milestone_done": pgettext_lazy("audit action", "Milestone done"),
    "milestone_undone": pgettext_lazy("audit action", "Milestone marked not done"),
    "acknowledge": pgettext_lazy("audit action", "Acknowledged"),
    "escalate": pgettext_lazy("audit action", "Escalated"),
    # The service desk
    "file": pgettext_lazy("audit action", "Request filed"),
    "dispatch": pgettext_lazy("audit action", "Dispatched"),
    "return": pgettext_lazy("audit action", "Returned for re-dispatch"),
    "wait": pgettext_lazy("audit action", "Waiting for the enterprise"),
    "resolve": pgettext_lazy("audit action", "Resolved"),
    "rate": pgettext_lazy("audit action", "Rated"),
    "reopen": pgettext_lazy("audit action", "Reopened after a low rating"),
    "close": pgettext_lazy("audit action", "Closed"),
    "escalate_to_item": pgettext_lazy("audit action", "Escalated to a list item"),
    "enterprise_member_set": pgettext_lazy("audit action", "Linked to an enterprise"),
    "create_from_project": pgettext_lazy("audit action", "Created at a project's registration"),
    # Investment
    "move": pgettext_lazy("audit action", "Stage moved"),
    "lost": pgettext_lazy("audit action", "Marked lost"),
    "revive": pgettext_lazy("audit action", "Revived"),
}


@register.filter
def action_label(code: str) -> str:
    """The words for an audit action code (the code itself when it has none)."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def _field(record: AuditRecord, name: str) -> models.Field | None:
    model = record.content_type.model_class()
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


@register.simple_tag
def field_label(record: AuditRecord, name: str) -> str:
    """The field's verbose name on the record's model (the stored name when the field is gone)."""
    field = _field(record, name)
    return str(field.verbose_name) if field is not None else name


@register.simple_tag
def field_value(record: AuditRecord, name: str, value: object) -> object:
    """A stored value as the UI shows it: choices by their label, booleans as yes or no."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    field = _field(record, name)
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    return value
