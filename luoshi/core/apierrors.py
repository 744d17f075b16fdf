"""One JSON shape for every API error: a machine code and a message in the request's language."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .errors import Conflict

log = logging.getLogger("luoshi.api")
security_log = logging.getLogger("luoshi.security")
T = TypeVar("T")


class PreconditionFailed(Conflict):
    """The If-Match header names a version that is no longer current (HTTP 412)."""

    code = "precondition_failed"


class PreconditionRequired(Exception):
    """An edit arrived without saying which version it read (HTTP 428)."""


def error_body(code: str, message: str, errors: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": errors}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest, status: int, code: str, message: str, errors: Any = None
    ) -> HttpResponse:
        return api.create_response(request, error_body(code, str(message), errors), status=status)

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "loc": [str(part) for part in e.get("loc", [])],
                "type": e.get("type", ""),
                "msg": e.get("msg", ""),
            }
            for e in exc.errors
        ]
        return respond(request, 422, "invalid_input", _("The request is malformed or incomplete."), errors)

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        message = "；".join(m for messages in errors.values() for m in messages)
        return respond(request, 400, "invalid", message, errors)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "not_found", _("Not found, or not visible to you."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, "forbidden", _("You are not allowed to do this."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        security_log.info(
            "api authentication refused: %s %s address=%s",
            request.method,
            request.path,
            request.META.get("REMOTE_ADDR", ""),
        )
        return respond(request, 401, "unauthenticated", _("Log in, or send a valid API token."))

    @api.exception_handler(PreconditionRequired)
    def precondition_required(request: HttpRequest, exc: PreconditionRequired) -> HttpResponse:
        return respond(
            request,
            428,
            "version_required",
            _("Say which version you are changing: send the If-Match header or a version field."),
        )

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        status = 412 if isinstance(exc, PreconditionFailed) else 409
        return respond(request, status, exc.code, str(exc))

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # The database refused a value the checks let through (a NUL character, a number out of
        # its column's range): bad input, not a server fault.
        log.info("API input refused by the database: %s", exc)
        return respond(request, 400, "invalid_input", _("The request is malformed or incomplete."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # ninja could not parse the body: not JSON, not UTF-8, or text with a NUL character.
            return respond(request, 400, "malformed_body", _("The request body is not valid JSON."))
        if exc.status_code == 403:
            # The only 403 ninja raises itself: a session request without a valid CSRF token.
            security_log.info(
                "api csrf refused: %s %s person=%s", request.method, request.path, request.user.pk
            )
            message = _("The request has no valid CSRF token. Reload the page and try again.")
            return respond(request, 403, "csrf_failed", message)
        codes = {400: "bad_request", 405: "method_not_allowed", 413: "too_large", 429: "too_many_requests"}
        return respond(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error", exc_info=exc)
        return respond(
            request, 500, "server_error", _("Something went wrong on the server. It has been logged.")
        )


def expected_version(request: HttpRequest, body_version: int | None) -> int:
    """The version an edit was based on: If-Match (412 when stale) or a body field (409 when stale)."""
    header = request.headers.get("If-Match")
    if header:
        raw = header.strip().removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise DjangoValidationError({"If-Match": [_("If-Match must be the record's version number.")]})
        return int(raw)
    if body_version is None:
        raise PreconditionRequired()
    return body_version


def call_versioned(request: HttpRequest, call: Callable[[], T]) -> T:
    """Run an edit; a stale version answers 412 when the client used If-Match, else 409."""
    try:
        return call()
    except Conflict as exc:
        if request.headers.get("If-Match") and not isinstance(exc, PreconditionFailed):
            raise PreconditionFailed(str(exc)) from exc
        raise


def call_with_version(
    request: HttpRequest, version: int | None, service: Callable[..., T], /, **arguments: Any
) -> T:
    """Run a service on a record the client read at a version, as the person making the request.

    The service gets `actor`, `expected_version` and the arguments. The version comes from If-Match
    (412 when stale) or the body's field (409 when stale); with neither the answer is 428. The first
    three parameters are positional-only, so a service may take an argument named `request`.
    """
    expected = expected_version(request, version)
    return call_versioned(
        request, lambda: service(actor=request.user, expected_version=expected, **arguments)
    )
