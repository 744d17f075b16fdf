"""What every page needs: navigation, the calendar banner and the unread count."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .calendar import unknown_years

ENTERPRISE_CAPABILITIES = {"service:home"}


def luoshi(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"capabilities": settings.CAPABILITIES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from luoshi.notify.models import Notification

        context["unread_count"] = Notification.objects.visible_to(user).unread().count()
        context["calendar_unknown_years"] = unknown_years() if user.scope.internal else []
        if not user.scope.internal:
            # Enterprise users (and people without a post) use the service desk only.
            context["capabilities"] = [c for c in settings.CAPABILITIES if c[0] in ENTERPRISE_CAPABILITIES]
    return context
