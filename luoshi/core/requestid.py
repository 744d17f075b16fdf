"""The id of the request being served, carried into audit records and logs."""

from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
