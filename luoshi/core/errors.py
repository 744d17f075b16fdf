"""Errors that services raise and that pages and the API turn into clear, translated answers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The record changed since the caller read it: a stale edit is refused, never merged silently."""

    code = "conflict"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "This record was changed by someone else after you opened it. "
                "Reload it to see the latest version, then make your change again."
            )
        )


class DraftRejected(ValidationError):
    """One of many drafts given to a bulk service (an import) was refused; `index` says which one."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)
        self.index = index
