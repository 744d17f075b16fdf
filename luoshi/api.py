"""The JSON API: one NinjaAPI that mounts each capability's router. OpenAPI at /api/openapi.json."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from luoshi.core.api import router as core_router
from luoshi.core.apierrors import error_body, install_error_handlers
from luoshi.investment.api import router as investment_router
from luoshi.investment.api_excel import router as investment_excel_router
from luoshi.notify.api import router as notify_router
from luoshi.org.api import router as org_router
from luoshi.org.api_import import router as org_import_router
from luoshi.org.models import ApiToken, Person
from luoshi.org.services import token_hash
from luoshi.service.api import router as service_router
from luoshi.service.api_excel import router as service_excel_router
from luoshi.worklist.api import router as worklist_router
from luoshi.worklist.api_excel import router as worklist_excel_router


def person_for_token(key: str) -> Person | None:
    """The active person behind a token that has not been revoked."""
    token = (
        ApiToken.objects.select_related("person")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True, person__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = person_for_token(token)
        if person is not None:
            request.user = person
        return person


class TokenHeader(APIKeyHeader):
    """`X-API-Token: <token>`, for clients that cannot set Authorization."""

    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        person = person_for_token(key) if key else None
        if person is not None:
            request.user = person
        return person


class BrowserSession(SessionAuth):
    """The pages' own calls: the session cookie plus the CSRF token.

    Without a logged-in session there is nothing to protect, so the CSRF check is skipped and the
    request simply is not authenticated (401), rather than refused with a CSRF error (403).
    """

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class JsonParser(Parser):
    """JSON bodies. Text with a NUL character is malformed input: PostgreSQL cannot store it."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        if _has_nul(data):
            raise ValueError("NUL character in the request body")
        return data


class LuoshiAPI(NinjaAPI):
    """The API, whose unknown addresses and unsupported methods also answer in the one error shape
    (ninja and Django would answer them in plain text or HTML)."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = self._json_method_not_allowed(url.callback)
        return [*urls, re_path(r"^.*$", csrf_exempt(self._no_such_endpoint))]

    def _no_such_endpoint(self, request: HttpRequest) -> HttpResponse:
        body = error_body("not_found", _("Not found, or not visible to you."))
        return self.create_response(request, body, status=404)

    def _json_method_not_allowed(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                body = error_body("method_not_allowed", _("This method is not allowed here."))
                answer = self.create_response(request, body, status=405)
                answer["Allow"] = response["Allow"]
                return answer
            return response

        return wrapped


api = LuoshiAPI(
    title="Luoshi API",
    version="1",
    description=(
        "落实 — the Puwan Economic Zone's work-implementation platform. Authenticate with a personal "
        "token (Authorization: Bearer …) or the browser session (with the CSRF token). Errors always "
        "have the shape {code, message, errors}; messages follow Accept-Language (Chinese by default)."
    ),
    auth=[BearerToken(), TokenHeader(), BrowserSession()],
    urls_namespace="api",
    parser=JsonParser(),
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", org_router)
api.add_router("/org", org_import_router)
api.add_router("/notifications", notify_router)
# The Excel routes first: /worklist/items/export must win over /worklist/items/{item_id}.
api.add_router("/worklist", worklist_excel_router)
api.add_router("/worklist", worklist_router)
# Likewise /service/enterprises/export and /investment/projects/export before their {id} routes.
api.add_router("/service", service_excel_router)
api.add_router("/service", service_router)
api.add_router("/investment", investment_excel_router)
api.add_router("/investment", investment_router)


@api.get("/me", tags=["org"], summary="The person behind this request")
def me(request: HttpRequest) -> dict[str, Any]:
    person: Person = request.user  # type: ignore[assignment]
    scope = person.scope
    return {
        "id": person.pk,
        "username": person.username,
        "name": person.name,
        "roles": sorted(scope.roles),
        "sees_everything": scope.everything,
    }
