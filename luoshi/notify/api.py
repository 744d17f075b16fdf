"""The inbox through the API."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from luoshi.core.access import get_visible_or_404

from .models import Notification
from .services import notification_mark_all_read, notification_mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    object_id: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


@router.get("", response=list[NotificationOut], summary="My notifications, newest first")
@paginate
def notifications(request: HttpRequest, unread: bool = False) -> Any:
    qs = Notification.objects.visible_to(request.user)
    return qs.unread() if unread else qs


@router.post("/{notification_id}/read", response=NotificationOut, summary="Mark one as read")
def notification_read(request: HttpRequest, notification_id: int) -> Any:
    notification = get_visible_or_404(Notification.objects.all(), request.user, pk=notification_id)  # type: ignore[arg-type]
    return notification_mark_read(actor=request.user, notification=notification)  # type: ignore[arg-type]


@router.post("/read-all", response=dict, summary="Mark all as read")
def notification_read_all(request: HttpRequest) -> Any:
    return {"marked": notification_mark_all_read(actor=request.user)}  # type: ignore[arg-type]
