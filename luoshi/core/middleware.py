"""Request ids for the audit trail, and the lifetime of a session: 30 idle minutes, 12 hours at most."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .requestid import current_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LOGIN_AT_KEY = "luoshi_login_at"
RENEWED_AT_KEY = "luoshi_renewed_at"


class RequestIdMiddleware:
    """Tag each request with an id (kept from a proxy's X-Request-ID when it is well-formed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SessionLifetimeMiddleware:
    """End a session 12 hours after login however active it is, and renew its idle expiry.

    The idle expiry (`SESSION_COOKIE_AGE`) is pushed back when the session is saved. Saving it on
    every request would cost each page a write to the session table; it is saved when it was last
    renewed `SESSION_RENEW_SECONDS` ago or more, so the session ends between 29 and 30 idle
    minutes after the last request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            login_at = request.session.get(LOGIN_AT_KEY)
            if login_at is None or time.time() - float(login_at) > settings.SESSION_ABSOLUTE_LIMIT:
                logout(request)
                message = _("Your session has ended. Please log in again.")
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "unauthenticated", "message": message, "errors": None}, status=401
                    )
                messages.info(request, message)
                return redirect_to_login(request.get_full_path())
            now = time.time()
            if now - float(request.session.get(RENEWED_AT_KEY, 0)) >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_AT_KEY] = now
        return self.get_response(request)
