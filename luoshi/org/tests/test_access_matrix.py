"""The access matrix: {anonymous, no role, out of scope, seen but not allowed, allowed} × {view, add,
change, delete} over zones, units and people, through the pages and through the API.

Out of scope (or no post at all) answers 404 so that existence does not leak; seen but not allowed
answers 403; anonymous is sent to the login page (pages) or gets 401 (API).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from luoshi.conftest import SmallOrg, client_for
from luoshi.org import services
from luoshi.org.models import Person, Unit, Zone

WHO = ["anonymous", "nobody", "out_of_scope", "seen_not_allowed", "allowed"]

# Who plays each part, per kind of object. The target objects are made in `world` below.
ACTORS: dict[str, dict[str, Any]] = {
    # Every government user sees the zones; only the supervision office maintains them.
    "zone": {
        "nobody": "nobody",
        "out_of_scope": "enterprise",
        "seen_not_allowed": "staff",
        "allowed": "supervisor",
    },
    # The target unit sits under the bureau: its head sees it, the team's staff do not.
    "unit": {
        "nobody": "nobody",
        "out_of_scope": "staff",
        "seen_not_allowed": "head",
        "allowed": "supervisor",
    },
    # The target person is the team's staff member: the bureau head manages them, the deputy
    # (a leader in charge posted in the committee) sees them, the zone office's staff do not.
    "person": {
        "nobody": "nobody",
        "out_of_scope": "other_staff",
        "seen_not_allowed": "deputy",
        "allowed": "head",
    },
}


def expected_page(who: str, action: str) -> int | str:
    """The answer a page gives; "login" is a redirect to the login page."""
    if who == "anonymous":
        return "login"
    if action == "add":
        # Adding has no object to hide: anyone but the allowed gets 403.
        return 200 if who == "allowed" else 403
    if who in ("nobody", "out_of_scope"):
        return 404
    if who == "seen_not_allowed":
        return 200 if action == "view" else 403
    return 200


def expected_api(kind: str, who: str, action: str) -> int:
    if who == "anonymous":
        return 401
    if action == "add":
        if who in ("nobody", "out_of_scope") and kind != "zone":
            return 404  # the parent unit, or the unit of the post, is out of their view
        return 201 if who == "allowed" else 403
    if who in ("nobody", "out_of_scope"):
        return 404
    if who == "seen_not_allowed":
        return 200 if action == "view" else 403
    return 200


@pytest.fixture
def world(org: SmallOrg) -> dict[str, Any]:
    """The target of each kind: a zone, an empty unit under the bureau, the team's staff member."""
    section = services.unit_create(actor=org.admin, name="招商二科", kind="department", parent=org.bureau)
    return {"zone": org.zone_a, "unit": section, "person": org.staff}


def who_is(org: SmallOrg, kind: str, who: str) -> Person | None:
    return None if who == "anonymous" else getattr(org, ACTORS[kind][who])


def page_client(person: Person | None) -> Client:
    return Client() if person is None else client_for(person)


def reload(obj: Any) -> Any:
    return type(obj)._base_manager.get(pk=obj.pk)


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def assert_error_shape(response: Any, code: str) -> None:
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


# Pages ------------------------------------------------------------------------------------------


def page_change_data(kind: str, obj: Any, org: SmallOrg) -> dict[str, Any]:
    if kind == "zone":
        return {"code": obj.code, "name": "湾北核心区（新）", "sort": 0, "version": obj.version}
    if kind == "unit":
        return {
            "name": "招商二科（新）",
            "kind": "department",
            "parent": org.bureau.pk,
            "sort": 0,
            "version": obj.version,
        }
    return {
        "username": obj.username,
        "name": "改过的名字",
        "version": obj.version,
        **positions_formset([(org.team.pk, "staff")], existing=1),
    }


def positions_formset(posts: list[tuple[int, str]], existing: int = 0) -> dict[str, Any]:
    """The posts formset as the browser sends it; `existing` is the number of posts already held."""
    data: dict[str, Any] = {
        "pos-TOTAL_FORMS": len(posts),
        "pos-INITIAL_FORMS": existing,
        "pos-MIN_NUM_FORMS": 0,
        "pos-MAX_NUM_FORMS": 1000,
    }
    for i, (unit_id, role) in enumerate(posts):
        data[f"pos-{i}-unit"] = unit_id
        data[f"pos-{i}-role"] = role
    return data


def page_add_data(kind: str, org: SmallOrg) -> dict[str, Any]:
    if kind == "zone":
        return {"code": "songmu", "name": "松木岛化工园区", "sort": 3}
    if kind == "unit":
        return {"name": "招商三科", "kind": "department", "parent": org.bureau.pk, "sort": 0}
    return {"username": "newstaff", "name": "新同事", **positions_formset([(org.team.pk, "staff")])}


def added(kind: str) -> bool:
    model, lookup = {
        "zone": (Zone, {"code": "songmu"}),
        "unit": (Unit, {"name": "招商三科"}),
        "person": (Person, {"username": "newstaff"}),
    }[kind]
    return model.objects.filter(**lookup).exists()  # type: ignore[attr-defined]


def detail_url(kind: str, obj: Any) -> str:
    return {"zone": f"/zones/{obj.pk}/", "unit": f"/units/{obj.pk}/", "person": f"/people/{obj.pk}/"}[kind]


def add_url(kind: str) -> str:
    return {"zone": "/zones/add/", "unit": "/units/add/", "person": "/people/add/"}[kind]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_page_view(org: SmallOrg, world: dict[str, Any], kind: str, who: str) -> None:
    obj = world[kind]
    response = page_client(who_is(org, kind, who)).get(detail_url(kind, obj))
    expected = expected_page(who, "view")
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    if expected == 200:
        assert str(obj) in response.content.decode()


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_page_add(org: SmallOrg, world: dict[str, Any], kind: str, who: str) -> None:
    client = page_client(who_is(org, kind, who))
    expected = expected_page(who, "add")
    form = client.get(add_url(kind))
    posted = client.post(add_url(kind), page_add_data(kind, org))
    if expected == "login":
        assert_login_redirect(form)
        assert_login_redirect(posted)
        assert not added(kind)
    elif expected == 403:
        assert form.status_code == 403
        assert posted.status_code == 403
        assert not added(kind)
    else:
        assert form.status_code == 200
        assert posted.status_code == 302, posted.content.decode()[:2000]
        assert added(kind)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_page_change(org: SmallOrg, world: dict[str, Any], kind: str, who: str) -> None:
    obj = world[kind]
    client = page_client(who_is(org, kind, who))
    url = detail_url(kind, obj) + "edit/"
    form = client.get(url)
    posted = client.post(url, page_change_data(kind, obj, org))
    expected = expected_page(who, "change")
    if expected == "login":
        assert_login_redirect(form)
        assert_login_redirect(posted)
    elif expected == 200:
        assert form.status_code == 200
        assert posted.status_code == 302, posted.content.decode()[:2000]
        assert posted["Location"] == detail_url(kind, obj)
        assert reload(obj).version == obj.version + 1
        return
    else:
        assert form.status_code == expected
        assert posted.status_code == expected
    assert reload(obj).version == obj.version


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["unit", "person"])
def test_page_deactivate(org: SmallOrg, world: dict[str, Any], kind: str, who: str) -> None:
    obj = world[kind]
    client = page_client(who_is(org, kind, who))
    response = client.post(detail_url(kind, obj) + "deactivate/", {"version": obj.version})
    expected = expected_page(who, "delete")
    if expected == "login":
        assert_login_redirect(response)
    elif expected == 200:
        assert response.status_code == 302
        assert response["Location"] == detail_url(kind, obj)
        assert reload(obj).is_active is False
        return
    else:
        assert response.status_code == expected
    assert reload(obj).is_active is True


def test_zones_cannot_be_deleted_anywhere(org: SmallOrg, api_token: Callable[..., dict[str, Any]]) -> None:
    """Zones are retired by editing, never deleted: there is no page or endpoint for it."""
    assert client_for(org.supervisor).post(f"/zones/{org.zone_a.pk}/deactivate/").status_code == 404
    response = Client().delete(f"/api/zones/{org.zone_a.pk}", **api_token(org.supervisor))
    assert response.status_code == 405
    assert Zone.objects.filter(pk=org.zone_a.pk).exists()


# API --------------------------------------------------------------------------------------------


def api_headers(person: Person | None, issue: Callable[[Person], dict[str, Any]]) -> dict[str, Any]:
    return {} if person is None else issue(person)


def api_url(kind: str, obj: Any | None = None) -> str:
    base = {"zone": "/api/zones", "unit": "/api/units", "person": "/api/people"}[kind]
    return base if obj is None else f"{base}/{obj.pk}"


def api_change_body(kind: str) -> dict[str, Any]:
    return {
        "zone": {"name": "湾北核心区（新）"},
        "unit": {"name": "招商二科（新）"},
        "person": {"name": "改过的名字"},
    }[kind]


def api_add_body(kind: str, org: SmallOrg) -> dict[str, Any]:
    if kind == "zone":
        return {"code": "songmu", "name": "松木岛化工园区"}
    if kind == "unit":
        return {"name": "招商三科", "kind": "department", "parent_id": org.bureau.pk}
    return {
        "username": "newstaff",
        "name": "新同事",
        "positions": [{"unit_id": org.team.pk, "role": "staff"}],
    }


def check_api(response: Any, expected: int) -> None:
    assert response.status_code == expected, response.content.decode()[:500]
    if expected >= 400:
        assert_error_shape(response, {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected])


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_api_view(
    org: SmallOrg, world: dict[str, Any], api_token: Callable[..., dict[str, Any]], kind: str, who: str
) -> None:
    obj = world[kind]
    response = Client().get(api_url(kind, obj), **api_headers(who_is(org, kind, who), api_token))
    expected = expected_api(kind, who, "view")
    check_api(response, expected)
    if expected == 200:
        assert response.json()["id"] == obj.pk
        assert response["ETag"] == f'"{obj.version}"'


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_api_add(
    org: SmallOrg, world: dict[str, Any], api_token: Callable[..., dict[str, Any]], kind: str, who: str
) -> None:
    response = Client().post(
        api_url(kind),
        json.dumps(api_add_body(kind, org)),
        content_type="application/json",
        **api_headers(who_is(org, kind, who), api_token),
    )
    expected = expected_api(kind, who, "add")
    check_api(response, expected)
    assert added(kind) is (expected == 201)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["zone", "unit", "person"])
def test_api_change(
    org: SmallOrg, world: dict[str, Any], api_token: Callable[..., dict[str, Any]], kind: str, who: str
) -> None:
    obj = world[kind]
    response = Client().patch(
        api_url(kind, obj),
        json.dumps(api_change_body(kind)),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{obj.version}"',
        **api_headers(who_is(org, kind, who), api_token),
    )
    expected = expected_api(kind, who, "change")
    check_api(response, expected)
    fresh = reload(obj)
    if expected == 200:
        assert response.json()["name"] == api_change_body(kind)["name"]
        assert fresh.version == obj.version + 1
    else:
        assert fresh.version == obj.version
        assert fresh.name == obj.name


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", ["unit", "person"])
def test_api_delete(
    org: SmallOrg, world: dict[str, Any], api_token: Callable[..., dict[str, Any]], kind: str, who: str
) -> None:
    obj = world[kind]
    response = Client().delete(
        api_url(kind, obj), HTTP_IF_MATCH=f'"{obj.version}"', **api_headers(who_is(org, kind, who), api_token)
    )
    expected = expected_api(kind, who, "delete")
    check_api(response, expected)
    assert reload(obj).is_active is (expected != 200)
    if expected == 200:
        assert response.json()["is_active"] is False


# Lists and scopes -------------------------------------------------------------------------------


def api_ids(client: Client, url: str, headers: dict[str, Any]) -> set[int]:
    response = client.get(url, {"page_size": 200}, **headers)
    assert response.status_code == 200
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def test_anonymous_lists_are_refused(org: SmallOrg) -> None:
    for url in ("/api/zones", "/api/units", "/api/people", "/api/audit"):
        response = Client().get(url)
        assert response.status_code == 401, url
        assert_error_shape(response, "unauthenticated")
    for url in ("/zones/", "/units/", "/people/"):
        assert_login_redirect(Client().get(url))


@pytest.mark.parametrize("who", ["nobody", "enterprise"])
def test_people_without_a_government_post_see_only_themselves(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]], who: str
) -> None:
    person = getattr(org, who)
    headers = api_token(person)
    assert api_ids(Client(), "/api/zones", headers) == set()
    assert api_ids(Client(), "/api/units", headers) == set()
    assert api_ids(Client(), "/api/people", headers) == {person.pk}
    client = client_for(person)
    assert client.get("/units/").context["count"] == 0
    assert [p.pk for p in client.get("/people/").context["page"]] == [person.pk]
    assert list(client.get("/zones/").context["zones"]) == []


def test_staff_see_their_unit_subtree(org: SmallOrg, api_token: Callable[..., dict[str, Any]]) -> None:
    sub = services.unit_create(actor=org.admin, name="招商一科一组", kind="department", parent=org.team)
    headers = api_token(org.staff)
    assert api_ids(Client(), "/api/units", headers) == {org.team.pk, sub.pk}
    assert api_ids(Client(), "/api/people", headers) == {org.staff.pk}
    assert api_ids(Client(), "/api/zones", headers) == {org.zone_a.pk, org.zone_b.pk}
    # The parent bureau exists but is not theirs: 404, as for something that does not exist.
    assert Client().get(f"/api/units/{org.bureau.pk}", **headers).status_code == 404
    assert Client().get("/api/units/999999", **headers).status_code == 404


def test_unit_head_sees_and_manages_their_subtree(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    headers = api_token(org.head)
    assert api_ids(Client(), "/api/units", headers) == {org.bureau.pk, org.team.pk}
    assert api_ids(Client(), "/api/people", headers) == {org.head.pk, org.staff.pk}
    # A post outside their subtree: the unit is not theirs to see.
    response = Client().post(
        "/api/people",
        json.dumps(
            {"username": "x1", "name": "X", "positions": [{"unit_id": org.zone_office.pk, "role": "staff"}]}
        ),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 404
    # A role they may not hand out, in their own unit: seen but not allowed.
    response = Client().post(
        "/api/people",
        json.dumps(
            {"username": "x2", "name": "X", "positions": [{"unit_id": org.team.pk, "role": "leader"}]}
        ),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 403
    assert not Person.objects.filter(username__in=["x1", "x2"]).exists()


def test_unit_head_cannot_take_over_a_senior_account_posted_in_their_unit(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    """A unit head manages staff and stewards; a supervisor or leader posted in the unit is not theirs."""
    inspector = services.person_create(
        actor=org.admin,
        username="inspector",
        name="督查专员",
        password="correct-horse-battery",
        positions=[services.PositionSpec(unit=org.team, role="supervisor")],
    )
    client = client_for(org.head)
    assert client.get(f"/people/{inspector.pk}/").status_code == 200
    assert client.post(f"/people/{inspector.pk}/password/", {"password": "a-new-pass-123"}).status_code == 403
    assert (
        client.post(f"/people/{inspector.pk}/deactivate/", {"version": inspector.version}).status_code == 403
    )
    response = Client().patch(
        f"/api/people/{inspector.pk}",
        json.dumps({"name": "改名"}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{inspector.version}"',
        **api_token(org.head),
    )
    assert response.status_code == 403
    inspector.refresh_from_db()
    assert inspector.is_active and inspector.check_password("correct-horse-battery")


def test_leader_in_charge_sees_overseen_units_and_their_own(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    leader = services.person_create(
        actor=org.admin,
        username="fenguan",
        name="分管领导",
        positions=[services.PositionSpec(unit=org.service_centre, role="leader")],
    )
    services.oversight_set(actor=org.admin, leader=leader, units=[org.zone_office])
    headers = api_token(leader)
    assert api_ids(Client(), "/api/units", headers) == {org.service_centre.pk, org.zone_office.pk}
    assert api_ids(Client(), "/api/people", headers) == {leader.pk, org.steward.pk, org.other_staff.pk}
    assert Client().get(f"/api/units/{org.bureau.pk}", **headers).status_code == 404
    # Seeing a unit is not managing it.
    response = Client().patch(
        f"/api/units/{org.zone_office.pk}",
        json.dumps({"name": "改名"}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{org.zone_office.version}"',
        **headers,
    )
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "principal"])
def test_supervisors_and_principal_leaders_see_everything(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]], who: str
) -> None:
    headers = api_token(getattr(org, who))
    assert api_ids(Client(), "/api/units", headers) == set(Unit.objects.values_list("pk", flat=True))
    assert api_ids(Client(), "/api/people", headers) == set(
        Person.objects.filter(is_active=True).values_list("pk", flat=True)
    )


def test_principal_leader_sees_but_does_not_maintain_the_organisation(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    """Principal leaders see everything; maintaining zones and units is the supervision office's job."""
    response = Client().patch(
        f"/api/units/{org.team.pk}",
        json.dumps({"name": "改名"}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{org.team.version}"',
        **api_token(org.principal),
    )
    assert response.status_code == 403
    assert_error_shape(response, "forbidden")
