"""What the API tests of every capability share: a client that speaks as one person with their token,
a small PDF to upload, and checks of the answers (the one error shape, a page of ids, If-Match).

The `as_` fixture in luoshi/conftest.py gives an `Api` for a person.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from luoshi.org.models import Person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """A client that speaks to the API as one person, with their Bearer token (or as nobody)."""

    def __init__(self, headers: dict[str, Any]) -> None:
        self.client = Client()
        self.headers = headers

    def get(self, url: str, params: Any = None, **extra: Any) -> Any:
        return self.client.get(url, params or {}, **self.headers, **extra)

    def post(self, url: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.post(
            url, json.dumps(body or {}), content_type="application/json", **self.headers, **extra
        )

    def patch(self, url: str, body: dict[str, Any], **extra: Any) -> Any:
        return self.client.patch(
            url, json.dumps(body), content_type="application/json", **self.headers, **extra
        )

    def put(self, url: str, body: dict[str, Any], **extra: Any) -> Any:
        return self.client.put(
            url, json.dumps(body), content_type="application/json", **self.headers, **extra
        )

    def multipart(self, url: str, data: dict[str, Any], **extra: Any) -> Any:
        return self.client.post(url, data, **self.headers, **extra)


As = Callable[[Person], Api]


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The answer has this status and the one error shape (with this code, when given)."""
    assert response.status_code == status, response.content.decode()[:800]
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["message"].strip()
    if code is not None:
        assert body["code"] == code
    return body


def ok(response: Any, status: int = 200) -> Any:
    """The answer's JSON, once it has this status."""
    assert response.status_code == status, response.content.decode()[:800]
    return response.json()


def ids(response: Any) -> set[int]:
    """The ids on a page of a list."""
    return {row["id"] for row in ok(response)["items"]}


def if_match(version: int) -> dict[str, str]:
    return {"HTTP_IF_MATCH": f'"{version}"'}
