"""Every API error has one shape, {code, message, errors}; bad input is 4xx, never 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from luoshi.conftest import SmallOrg
from luoshi.org.models import Unit, Zone

Issue = Callable[..., dict[str, Any]]


def assert_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


def post(url: str, body: str | bytes, headers: dict[str, Any], **extra: Any) -> Any:
    return Client().post(url, body, content_type="application/json", **headers, **extra)


@pytest.fixture
def supervisor(org: SmallOrg, api_token: Issue) -> dict[str, Any]:
    return api_token(org.supervisor)


# Malformed bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[1, 2",
        "null",
        "[]",
        '"a string"',
        "42",
        b"\xff\xfe\x00garbage",
        '{"code": "x", "name": "X"',
    ],
    ids=["broken", "empty", "unclosed", "null", "list", "string", "number", "bytes", "truncated"],
)
def test_malformed_json_is_4xx_in_the_standard_shape(
    org: SmallOrg, supervisor: dict[str, Any], body: str | bytes
) -> None:
    response = post("/api/zones", body, supervisor)
    assert 400 <= response.status_code < 500, response.content.decode(errors="replace")[:500]
    assert_shape(response, response.status_code, response.json()["code"])
    assert not Zone.objects.filter(code="x").exists()


def test_malformed_json_in_an_edit_changes_nothing(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    response = Client().patch(
        f"/api/units/{org.team.pk}",
        '{"name": ',
        content_type="application/json",
        HTTP_IF_MATCH=f'"{org.team.version}"',
        **supervisor,
    )
    assert 400 <= response.status_code < 500
    assert_shape(response, response.status_code, response.json()["code"])
    assert Unit.objects.get(pk=org.team.pk).version == org.team.version


# Wrong types and out-of-range values: 422 invalid_input -----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"code": "x", "name": ["not", "a", "string"]},
        {"code": "x", "name": {"nested": True}},
        {"code": "x"},
        {"code": "x", "name": "X", "sort": "first"},
        {"code": "x", "name": "X", "sort": 1.5},
        {"code": "x" * 31, "name": "X"},
    ],
    ids=["list", "object", "missing", "text-for-int", "float-for-int", "too-long"],
)
def test_wrong_types_are_422_invalid_input(
    org: SmallOrg, supervisor: dict[str, Any], body: dict[str, Any]
) -> None:
    body_out = assert_shape(post("/api/zones", json.dumps(body), supervisor), 422, "invalid_input")
    assert isinstance(body_out["errors"], list) and body_out["errors"]
    for error in body_out["errors"]:
        assert set(error) == {"loc", "type", "msg"}
    assert not Zone.objects.filter(code__startswith="x").exists()


def test_error_names_the_field(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    body = assert_shape(
        post("/api/zones", json.dumps({"code": "x", "name": "X", "sort": "first"}), supervisor),
        422,
        "invalid_input",
    )
    assert any(e["loc"][-1] == "sort" for e in body["errors"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/units?page=0",
        "/api/units?page=abc",
        "/api/units?page_size=100000",
        "/api/units?include_inactive=maybe",
        "/api/people?unit_id=abc",
        "/api/audit?offset=-1",
    ],
)
def test_bad_query_parameters_are_422(org: SmallOrg, supervisor: dict[str, Any], url: str) -> None:
    assert_shape(Client().get(url, **supervisor), 422, "invalid_input")


def test_bad_path_parameter_is_a_4xx_in_the_standard_shape(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    for url in ("/api/units/abc", "/api/units/99999999999999999999999", "/api/nothing-here"):
        response = Client().get(url, **supervisor)
        assert response.status_code in (404, 422), url
        assert_shape(response, response.status_code, response.json()["code"])


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/zones", {"code": "big", "name": "大", "sort": 10**20}),
        ("/api/units", {"name": "大", "kind": "department", "parent_id": None, "sort": 2**63}),
        ("/api/units", {"name": "负", "kind": "department", "sort": -1}),
        ("/api/units", {"name": "大", "kind": "department", "parent_id": 10**30}),
    ],
    ids=["zone-sort-huge", "unit-sort-huge", "unit-sort-negative", "parent-huge"],
)
def test_out_of_range_numbers_are_4xx_not_500(
    org: SmallOrg, supervisor: dict[str, Any], url: str, body: dict[str, Any]
) -> None:
    response = post(url, json.dumps(body), supervisor)
    assert 400 <= response.status_code < 500, response.content.decode()[:500]
    assert_shape(response, response.status_code, response.json()["code"])


def test_text_with_a_nul_character_is_4xx_not_500(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    """PostgreSQL refuses NUL in text; the API must say so as bad input, on every database."""
    response = post("/api/zones", json.dumps({"code": "nul", "name": "湾\u0000北"}), supervisor)
    assert_shape(response, response.status_code, response.json()["code"])
    assert 400 <= response.status_code < 500
    assert not Zone.objects.filter(code="nul").exists()


# Validation inside a service: 400 invalid, with field errors ------------------------------------


def test_service_validation_is_400_with_field_errors(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    body = assert_shape(
        post("/api/zones", json.dumps({"code": org.zone_a.code, "name": "另一个名字"}), supervisor),
        400,
        "invalid",
    )
    assert list(body["errors"]) == ["code"]
    assert isinstance(body["errors"]["code"], list) and body["errors"]["code"][0]


def test_service_refusal_without_a_field_is_400_with_general_errors(
    org: SmallOrg, supervisor: dict[str, Any]
) -> None:
    response = Client().delete(
        f"/api/units/{org.bureau.pk}", HTTP_IF_MATCH=f'"{org.bureau.version}"', **supervisor
    )
    body = assert_shape(response, 400, "invalid")
    assert list(body["errors"]) == ["__all__"]
    assert Unit.objects.get(pk=org.bureau.pk).is_active


def test_unit_placed_under_its_own_subtree_is_400_on_parent(
    org: SmallOrg, supervisor: dict[str, Any]
) -> None:
    response = Client().patch(
        f"/api/units/{org.bureau.pk}",
        json.dumps({"parent_id": org.team.pk}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{org.bureau.version}"',
        **supervisor,
    )
    body = assert_shape(response, 400, "invalid")
    assert "parent" in body["errors"]
    assert Unit.objects.get(pk=org.bureau.pk).parent_id == org.committee.pk


def test_bad_if_match_is_400(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    response = Client().patch(
        f"/api/units/{org.team.pk}",
        json.dumps({"name": "改名"}),
        content_type="application/json",
        HTTP_IF_MATCH='"not-a-version"',
        **supervisor,
    )
    body = assert_shape(response, 400, "invalid")
    assert "If-Match" in body["errors"]


# Language of the messages -----------------------------------------------------------------------


def test_messages_default_to_chinese_and_follow_accept_language(
    org: SmallOrg, supervisor: dict[str, Any]
) -> None:
    url = "/api/units/999999"
    default = assert_shape(Client().get(url, **supervisor), 404, "not_found")
    english = assert_shape(Client().get(url, HTTP_ACCEPT_LANGUAGE="en", **supervisor), 404, "not_found")
    assert english["message"] == "Not found, or not visible to you."
    chinese = assert_shape(
        Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9", **supervisor), 404, "not_found"
    )
    # Without Accept-Language the answer is the Chinese one, whatever the translation says.
    assert default["message"] == chinese["message"]


@pytest.mark.parametrize(
    ("status", "code", "english"),
    [
        (401, "unauthenticated", "Log in, or send a valid API token."),
        (403, "forbidden", "You are not allowed to do this."),
        (422, "invalid_input", "The request is malformed or incomplete."),
        (
            428,
            "version_required",
            "Say which version you are changing: send the If-Match header or a version field.",
        ),
    ],
)
def test_each_error_speaks_english_on_request(
    org: SmallOrg, api_token: Issue, status: int, code: str, english: str
) -> None:
    headers = {
        401: {},
        403: api_token(org.staff),
        422: api_token(org.supervisor),
        428: api_token(org.supervisor),
    }[status]
    requests = {
        401: lambda **h: Client().get("/api/units", **h),
        403: lambda **h: post("/api/zones", json.dumps({"code": "x", "name": "X"}), h),
        422: lambda **h: post("/api/zones", json.dumps({"code": 1}), h),
        428: lambda **h: Client().patch(
            f"/api/units/{org.team.pk}", json.dumps({"name": "改名"}), content_type="application/json", **h
        ),
    }
    assert_shape(requests[status](**headers), status, code)
    body = assert_shape(requests[status](**headers, HTTP_ACCEPT_LANGUAGE="en"), status, code)
    assert body["message"] == english


def test_nul_character_in_a_search_is_never_a_500(org: SmallOrg, supervisor: dict[str, Any]) -> None:
    """SQLite searches for it; PostgreSQL refuses it, which is the client's bad input (400)."""
    response = Client().get("/api/people", {"q": "a\x00b"}, **supervisor)
    if connection.vendor == "postgresql":
        assert_shape(response, 400, "invalid_input")
    else:
        assert response.status_code == 200
