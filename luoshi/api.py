"""The JSON API: one NinjaAPI that mounts each capability's router. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from luoshi.core.api import router as core_router
from luoshi.core.apierrors import install_error_handlers
from luoshi.notify.api import router as notify_router
from luoshi.org.api import router as org_router
from luoshi.org.api_import import router as org_import_router
from luoshi.org.models import ApiToken, Person
from luoshi.org.services import token_hash


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


api = NinjaAPI(
    title="Luoshi API",
    version="1",
    description=(
        "落实 — the Puwan Economic Zone's work-implementation platform. Authenticate with a personal "
        "token (Authorization: Bearer …) or the browser session (with the CSRF token). Errors always "
        "have the shape {code, message, errors}; messages follow Accept-Language (Chinese by default)."
    ),
    auth=[BearerToken(), TokenHeader(), django_auth],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", org_router)
api.add_router("/org", org_import_router)
api.add_router("/notifications", notify_router)


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
