"""The inbox page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from luoshi.core.access import get_visible_or_404
from luoshi.core.views import paginate

from .models import Notification
from .services import notification_mark_all_read, notification_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.visible_to(request.user)
    if request.GET.get("unread") == "1":
        notifications = notifications.unread()
    return render(request, "notify/inbox.html", {"page": paginate(request, notifications)})


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark as read and follow the link to the record."""
    notification = get_visible_or_404(Notification.objects.all(), request.user, pk=pk)  # type: ignore[arg-type]
    notification_mark_read(actor=request.user, notification=notification)  # type: ignore[arg-type]
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notify:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    return redirect("notify:inbox")
