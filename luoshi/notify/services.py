"""Posting to and reading the in-app inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from luoshi.core.access import require
from luoshi.core.audit import audit_record
from luoshi.org.models import Person

from .models import Notification


def notification_post(
    *,
    recipients: Iterable[Person],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    obj: Model | None = None,
) -> list[Notification]:
    """Put one notification in each recipient's inbox.

    Other services call this from `transaction.on_commit`, so nobody is told about a change
    that was rolled back. The calling service's audit row already records the cause.
    """
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    object_id = str(obj.pk) if obj is not None else ""
    unique = {p.pk: p for p in recipients if p is not None and p.is_active}
    return Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=kind,
            title=title[:200],
            body=body,
            url=url,
            content_type=content_type,
            object_id=object_id,
        )
        for person in unique.values()
    )


@dataclass(frozen=True)
class Message:
    """One notification to post to several people, for `notification_post_many`."""

    recipients: Sequence[Person]
    kind: str
    title: str
    body: str = ""
    url: str = ""
    obj: Model | None = None


def notification_post_many(messages: Iterable[Message]) -> list[Notification]:
    """`notification_post` for many messages in one insert (a sweep that escalates thousands of items)."""
    rows = []
    for message in messages:
        obj = message.obj
        content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
        unique = {p.pk: p for p in message.recipients if p is not None and p.is_active}
        rows += [
            Notification(
                recipient=person,
                kind=message.kind,
                title=message.title[:200],
                body=message.body,
                url=message.url,
                content_type=content_type,
                object_id=str(obj.pk) if obj is not None else "",
            )
            for person in unique.values()
        ]
    return Notification.objects.bulk_create(rows, batch_size=1000)


@transaction.atomic
def notification_mark_read(*, actor: Person, notification: Notification) -> Notification:
    """Mark one of the actor's notifications as read."""
    require(notification.recipient_id == actor.pk, actor, "read_notification", notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(
            actor=actor,
            obj=notification,
            action="read",
            before={"read_at": None},
            after={"read_at": notification.read_at.isoformat()},
        )
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Person) -> int:
    """Mark every unread notification of the actor as read; returns how many."""
    now = timezone.now()
    ids = list(Notification.objects.visible_to(actor).unread().values_list("pk", flat=True))
    if ids:
        Notification.objects.filter(pk__in=ids).update(read_at=now)
        audit_record(
            actor=actor,
            obj=actor,
            action="notifications_read",
            before=None,
            after={"notifications": ids, "read_at": now.isoformat()},
        )
    return len(ids)
