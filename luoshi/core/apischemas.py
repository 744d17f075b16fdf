"""Shapes the API routers share, and how they read what clients send.

References by id and name, a partial edit, the version a change is based on (and the ETag that
tells it), a period, page-numbered lists, and the two quirks of multipart forms (an empty field
means "not given"; a file list may be named `files[]`).
"""

# No `from __future__ import annotations` here: the routers' @paginate-wrapped views use these
# schemas, and django-ninja resolves string annotations in the wrong module (vitalik/django-ninja#1717).

import datetime
from typing import Any, ClassVar

from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination
from pydantic import field_validator, model_validator


class Ref(Schema):
    """A unit, zone or other named record, by id and name."""

    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str


class StoredFileOut(Schema):
    """An uploaded file's facts, as checked when it was stored (see core.models.StoredFile); `url`
    downloads it."""

    id: int
    original_name: str
    file_type: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    url: str


class PatchIn(Schema):
    """A partial edit: a field left out keeps its value; null is refused where the field cannot be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset({"version"})

    @model_validator(mode="after")
    def _no_null_where_required(self) -> "PatchIn":
        bad = sorted(n for n in self.model_fields_set if getattr(self, n) is None and n not in self.nullable)
        if bad:
            raise ValueError(f"cannot be null: {', '.join(bad)}")
        return self


class VersionIn(Schema):
    version: int | None = Field(None, description="The version you read, unless you send If-Match")


class Page(PageNumberPagination):
    """Lists a page at a time: `page` (from 1) and `page_size` (up to 200)."""

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=200)

    def paginate_queryset(self, queryset: Any, pagination: Any, **params: Any) -> Any:  # type: ignore[override]
        self.page_size = pagination.page_size
        return super().paginate_queryset(queryset, pagination, **params)


def etag(response: HttpResponse, obj: Any) -> None:
    """Tell the record's version as its ETag, for the client's If-Match."""
    response["ETag"] = f'"{obj.version}"'


def this_year() -> datetime.date:
    return timezone.localdate().replace(month=1, day=1)


class PeriodQuery(Schema):
    start: datetime.date | None = Field(None, description="Default: 1 January of this year")
    end: datetime.date | None = Field(None, description="Default: today")

    @model_validator(mode="after")
    def _ordered(self) -> "PeriodQuery":
        if self.start and self.end and self.start > self.end:
            raise ValueError("start is after end")
        return self

    def period(self) -> tuple[datetime.date, datetime.date]:
        return self.start or this_year(), self.end or timezone.localdate()


def blank_to_none(value: Any) -> Any:
    """Multipart forms send an empty field as ""; it means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


class VersionForm(VersionIn):
    """The version of a multipart form, where an empty field means "not given"."""

    _blank_version = field_validator("version", mode="before")(blank_to_none)


def uploaded_files(request: HttpRequest, files: list[UploadedFile] | None) -> list[DjangoUploadedFile]:
    """The files of a multipart form's `files` field."""
    # Browsers' form libraries often name a multi-file field "files[]"; accept both names.
    return [*(files or []), *request.FILES.getlist("files[]")]
