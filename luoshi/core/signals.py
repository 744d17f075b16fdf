"""Security logging: every login success and failure, and the login time for the session ceiling."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .middleware import LOGIN_AT_KEY

log = logging.getLogger("luoshi.security")


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = time.time()
    log.info(
        "login success: person=%s address=%s", user.pk, request.META.get("REMOTE_ADDR") if request else ""
    )


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    log.warning(
        "login failure: username=%s address=%s",
        credentials.get("username", ""),
        request.META.get("REMOTE_ADDR") if request is not None else "",
    )
