"""Uploaded files: checked (the type read from the content, not trusted from the name), stored as
`StoredFile` rows, and handed back for download.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from .models import StoredFile

if TYPE_CHECKING:
    from luoshi.org.models import Person

F = TypeVar("F", bound=StoredFile)

MB = 1024 * 1024
EVIDENCE_TYPES = ("pdf", "jpg", "png", "docx", "xlsx")
EVIDENCE_MAX_BYTES = 20 * MB

_ALIASES = {"jpeg": "jpg"}


def detected_type(upload: UploadedFile) -> str | None:
    """The file's real type by its leading bytes (OOXML documents by their zip contents)."""
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None and head.startswith(b"PK"):
        # Large OOXML files may list their parts after the first 64 KiB.
        kind = filetype.guess(upload.read())
        upload.seek(0)
    return kind.extension if kind else None


def validate_upload(
    upload: UploadedFile, *, allowed: Iterable[str] = EVIDENCE_TYPES, max_bytes: int = EVIDENCE_MAX_BYTES
) -> str:
    """Refuse an empty, oversized or wrongly typed file with a clear message; return its type."""
    allowed = tuple(allowed)
    name = upload.name or ""
    if not upload.size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size).1f MB; files may be at most %(max)d MB.")
            % {"name": name, "size": upload.size / MB, "max": max_bytes // MB}
        )
    kind = detected_type(upload)
    claimed = (
        _ALIASES.get(name.rsplit(".", 1)[-1].lower(), name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    )
    if kind not in allowed:
        raise ValidationError(
            _("“%(name)s” is not an accepted file. Accepted types: %(types)s.")
            % {"name": name, "types": ", ".join(allowed)}
        )
    if claimed and claimed != kind:
        raise ValidationError(
            _("“%(name)s” is named .%(claimed)s but its content is %(kind)s. Rename or re-save it.")
            % {"name": name, "claimed": claimed, "kind": kind}
        )
    return kind


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def store_uploads(
    model: type[F],
    files: Sequence[UploadedFile],
    *,
    actor: Person,
    each: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> list[F]:
    """Check every file, then store each as a `model` row with `fields` (and its own `each[i]`).

    No file is written unless all of them pass; the caller's transaction takes the rows back if
    a later step fails.
    """
    types = [validate_upload(upload) for upload in files]
    extra: Sequence[Mapping[str, Any]] = each or [{}] * len(files)
    return [
        model._default_manager.create(
            file=upload,
            original_name=(upload.name or "")[:200],
            file_type=file_type,
            size=upload.size or 0,
            sha256=sha256_of(upload),
            uploaded_by=actor,
            **fields,
            **own,
        )
        for upload, file_type, own in zip(files, types, extra, strict=True)
    ]


def file_response(stored: StoredFile | None) -> FileResponse:
    """The stored file as a download under its original name; 404 if there is none or it is gone.

    The caller finds `stored` among what the person may see, so out of scope is 404 too.
    """
    if stored is None:
        raise Http404
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=stored.original_name)
