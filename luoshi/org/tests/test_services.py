"""The organisation services: each writes exactly one audit record with the right before and after
values; refusals change nothing; stale edits are conflicts, through the service, the API and the pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from luoshi.conftest import PASSWORD, SmallOrg, client_for
from luoshi.core.errors import Conflict
from luoshi.core.models import AuditRecord
from luoshi.org import services
from luoshi.org.models import ApiToken, Person, Unit, Zone
from luoshi.org.services import PositionSpec

T = TypeVar("T")


def last_id() -> int:
    newest = AuditRecord.objects.order_by("-id").first()
    return newest.pk if newest else 0


def audited(call: Callable[[], T]) -> tuple[T, AuditRecord]:
    """Run a service and return its result with the one audit record it wrote."""
    since = last_id()
    result = call()
    written = list(AuditRecord.objects.filter(pk__gt=since))
    assert len(written) == 1, [(r.action, r.object_repr) for r in written]
    return result, written[0]


def nothing_written(call: Callable[[], Any], error: type[Exception]) -> Exception:
    """Run a service that must refuse: it raises `error` and writes no audit record."""
    since = last_id()
    with pytest.raises(error) as caught:
        call()
    assert not AuditRecord.objects.filter(pk__gt=since).exists()
    return caught.value


def fresh(obj: T) -> T:
    return type(obj)._base_manager.get(pk=obj.pk)  # type: ignore[attr-defined, no-any-return]


def assert_about(record: AuditRecord, obj: Any, actor: Person, action: str) -> None:
    assert record.actor_id == actor.pk
    assert record.action == action
    assert record.content_type.model_class() is type(obj)
    assert record.object_id == str(obj.pk)
    assert record.at is not None


# Zones ------------------------------------------------------------------------------------------


def test_zone_create(org: SmallOrg) -> None:
    zone, record = audited(
        lambda: services.zone_create(
            actor=org.supervisor, code="songmu", name="松木岛化工园区", positioning="化工", sort=3
        )
    )
    assert_about(record, zone, org.supervisor, "create")
    assert record.before is None
    assert record.after is not None
    assert record.after["code"] == "songmu"
    assert record.after["name"] == "松木岛化工园区"
    assert record.after["version"] == 1


def test_zone_update(org: SmallOrg) -> None:
    zone = org.zone_a
    _, record = audited(
        lambda: services.zone_update(
            actor=org.supervisor, zone=zone, expected_version=1, changes={"positioning": "总部经济"}
        )
    )
    assert_about(record, zone, org.supervisor, "update")
    assert record.before is not None and record.after is not None
    assert record.before["positioning"] == ""
    assert record.after["positioning"] == "总部经济"
    assert (record.before["version"], record.after["version"]) == (1, 2)
    assert {field for field, _b, _a in record.changes} == {"positioning", "version"}
    assert fresh(zone).positioning == "总部经济"


def test_zone_services_refuse_others(org: SmallOrg) -> None:
    nothing_written(lambda: services.zone_create(actor=org.head, code="x", name="X"), PermissionDenied)
    nothing_written(
        lambda: services.zone_update(
            actor=org.head, zone=org.zone_a, expected_version=1, changes={"name": "X"}
        ),
        PermissionDenied,
    )
    assert not Zone.objects.filter(code="x").exists()
    assert fresh(org.zone_a).name == "湾北核心区"


# Units ------------------------------------------------------------------------------------------


def test_unit_create(org: SmallOrg) -> None:
    unit, record = audited(
        lambda: services.unit_create(
            actor=org.supervisor, name="招商二科", kind="department", parent=org.bureau
        )
    )
    assert_about(record, unit, org.supervisor, "create")
    assert record.before is None
    assert record.after is not None
    assert record.after["parent"] == org.bureau.pk
    assert record.after["path"] == f"{org.bureau.path}{unit.pk}/"
    assert fresh(unit).path == record.after["path"]


def test_unit_update(org: SmallOrg) -> None:
    unit = org.team
    _, record = audited(
        lambda: services.unit_update(
            actor=org.supervisor,
            unit=unit,
            expected_version=1,
            changes={"name": "招商一科（重组）", "phone": "8888"},
        )
    )
    assert_about(record, unit, org.supervisor, "update")
    assert record.before is not None and record.after is not None
    assert (record.before["name"], record.after["name"]) == ("招商一科", "招商一科（重组）")
    assert (record.before["phone"], record.after["phone"]) == ("", "8888")


def test_unit_move_carries_its_subtree(org: SmallOrg) -> None:
    group = services.unit_create(actor=org.admin, name="招商一科一组", kind="department", parent=org.team)
    old_team_path = org.team.path
    team = fresh(org.team)
    _, record = audited(
        lambda: services.unit_update(
            actor=org.supervisor,
            unit=team,
            expected_version=team.version,
            changes={"parent": org.service_centre},
        )
    )
    new_path = f"{org.service_centre.path}{team.pk}/"
    assert fresh(team).path == new_path
    assert fresh(group).path == f"{new_path}{group.pk}/"
    assert record.before is not None and record.after is not None
    assert (record.before["parent"], record.after["parent"]) == (org.bureau.pk, org.service_centre.pk)
    assert (record.before["path"], record.after["path"]) == (old_team_path, new_path)
    # Scopes follow the tree: the bureau's head no longer sees the team; the team's staff still do.
    assert not Unit.objects.visible_to(fresh(org.head)).filter(pk=team.pk).exists()
    assert set(Unit.objects.visible_to(fresh(org.staff)).values_list("pk", flat=True)) == {team.pk, group.pk}


def test_unit_cannot_move_under_its_own_subtree(org: SmallOrg) -> None:
    bureau = fresh(org.bureau)
    error = nothing_written(
        lambda: services.unit_update(
            actor=org.supervisor, unit=bureau, expected_version=bureau.version, changes={"parent": org.team}
        ),
        ValidationError,
    )
    assert "parent" in error.message_dict  # type: ignore[attr-defined]
    assert fresh(org.bureau).parent_id == org.committee.pk
    assert fresh(org.team).path == org.team.path


def test_unit_deactivate(org: SmallOrg) -> None:
    empty = services.unit_create(actor=org.admin, name="招商二科", kind="department", parent=org.bureau)
    _, record = audited(
        lambda: services.unit_deactivate(actor=org.supervisor, unit=empty, expected_version=empty.version)
    )
    assert_about(record, empty, org.supervisor, "deactivate")
    assert record.before is not None and record.after is not None
    assert (record.before["is_active"], record.after["is_active"]) == (True, False)
    assert fresh(empty).is_active is False


@pytest.mark.parametrize(
    ("unit_name", "english"),
    [("bureau", "This unit still has active sub-units."), ("team", "People still hold posts in this unit.")],
)
def test_unit_deactivate_refused_while_in_use(org: SmallOrg, unit_name: str, english: str) -> None:
    unit = getattr(org, unit_name)
    with translation.override("en"):
        error = nothing_written(
            lambda: services.unit_deactivate(actor=org.supervisor, unit=unit, expected_version=unit.version),
            ValidationError,
        )
        assert english in " ".join(error.messages)  # type: ignore[attr-defined]
    after = fresh(unit)
    assert after.is_active is True
    assert after.version == unit.version


def test_unit_services_refuse_unit_heads(org: SmallOrg) -> None:
    nothing_written(
        lambda: services.unit_create(actor=org.head, name="新科", kind="department", parent=org.bureau),
        PermissionDenied,
    )
    nothing_written(
        lambda: services.unit_update(
            actor=org.head, unit=org.team, expected_version=1, changes={"name": "改"}
        ),
        PermissionDenied,
    )


# People -----------------------------------------------------------------------------------------


def test_person_create(org: SmallOrg) -> None:
    person, record = audited(
        lambda: services.person_create(
            actor=org.head,
            username="newbie",
            name="新同事",
            password="a-long-initial-pass",
            positions=[PositionSpec(unit=org.team, role="staff", title="科员")],
        )
    )
    assert_about(record, person, org.head, "create")
    assert record.before is None
    assert record.after is not None
    assert record.after["username"] == "newbie"
    assert record.after["positions"] == [
        {"unit": org.team.pk, "role": "staff", "title": "科员", "is_principal": False}
    ]
    assert "password" not in record.after
    assert person.check_password("a-long-initial-pass")


def test_person_create_refuses_a_weak_password_and_writes_nothing(org: SmallOrg) -> None:
    nothing_written(
        lambda: services.person_create(
            actor=org.head,
            username="weak",
            name="弱",
            password="123",
            positions=[PositionSpec(org.team, "staff")],
        ),
        ValidationError,
    )
    assert not Person.objects.filter(username="weak").exists()


def test_person_update(org: SmallOrg) -> None:
    staff = fresh(org.staff)
    _, record = audited(
        lambda: services.person_update(
            actor=org.supervisor,
            person=staff,
            expected_version=staff.version,
            changes={"phone": "13800000000"},
            positions=[PositionSpec(unit=org.service_centre, role="steward")],
        )
    )
    assert_about(record, staff, org.supervisor, "update")
    assert record.before is not None and record.after is not None
    assert (record.before["phone"], record.after["phone"]) == ("", "13800000000")
    assert record.before["positions"] == [
        {"unit": org.team.pk, "role": "staff", "title": "", "is_principal": False}
    ]
    assert record.after["positions"] == [
        {"unit": org.service_centre.pk, "role": "steward", "title": "", "is_principal": False}
    ]


def test_person_deactivate(org: SmallOrg) -> None:
    token, _key = services.token_create(actor=org.staff, name="脚本")
    staff = fresh(org.staff)
    _, record = audited(
        lambda: services.person_deactivate(actor=org.head, person=staff, expected_version=staff.version)
    )
    assert_about(record, staff, org.head, "deactivate")
    assert record.before is not None and record.after is not None
    assert (record.before["is_active"], record.after["is_active"]) == (True, False)
    assert fresh(token).revoked_at is not None


def test_nobody_deactivates_themselves(org: SmallOrg) -> None:
    supervisor = fresh(org.supervisor)
    nothing_written(
        lambda: services.person_deactivate(actor=supervisor, person=supervisor, expected_version=None),
        ValidationError,
    )
    assert fresh(org.supervisor).is_active


def test_person_set_password(org: SmallOrg) -> None:
    staff = fresh(org.staff)
    _, record = audited(
        lambda: services.person_set_password(actor=staff, person=staff, password="another-long-passphrase")
    )
    assert_about(record, staff, staff, "password_change")
    assert record.before is None
    assert record.after == {"password": "***"}
    staff.refresh_from_db()
    assert staff.check_password("another-long-passphrase")
    # The hash is in no audit record at all.
    assert not AuditRecord.objects.filter(after__icontains=staff.password.split("$")[-1]).exists()


def test_password_reset_by_someone_who_does_not_manage_them_is_refused(org: SmallOrg) -> None:
    nothing_written(
        lambda: services.person_set_password(
            actor=org.deputy, person=org.staff, password="another-long-passphrase"
        ),
        PermissionDenied,
    )
    assert fresh(org.staff).check_password(PASSWORD)


def test_oversight_set(org: SmallOrg) -> None:
    deputy = fresh(org.deputy)
    _, record = audited(
        lambda: services.oversight_set(
            actor=org.supervisor, leader=deputy, units=[org.zone_office, org.service_centre]
        )
    )
    assert_about(record, deputy, org.supervisor, "oversight_set")
    assert record.before is not None and record.after is not None
    assert record.before["oversees"] == [org.zone_office.pk]
    assert record.after["oversees"] == sorted([org.zone_office.pk, org.service_centre.pk])


def test_oversight_only_for_leaders(org: SmallOrg) -> None:
    error = nothing_written(
        lambda: services.oversight_set(actor=org.supervisor, leader=org.staff, units=[org.team]),
        ValidationError,
    )
    assert "units" in error.message_dict  # type: ignore[attr-defined]


def test_token_create(org: SmallOrg) -> None:
    (token, key), record = audited(lambda: services.token_create(actor=org.staff, name="统计脚本"))
    assert_about(record, token, org.staff, "create")
    assert record.before is None
    assert record.after == {"name": "统计脚本", "prefix": key[:10]}
    assert key not in json.dumps([record.before, record.after])


def test_token_revoke(org: SmallOrg) -> None:
    token, _key = services.token_create(actor=org.staff, name="统计脚本")
    _, record = audited(lambda: services.token_revoke(actor=org.staff, token=token))
    assert_about(record, token, org.staff, "revoke")
    assert record.before == {"revoked_at": None}
    assert record.after is not None
    assert record.after["revoked_at"] == fresh(token).revoked_at.isoformat()  # type: ignore[union-attr]


def test_token_revoke_of_someone_elses_token_is_refused(org: SmallOrg) -> None:
    token, _key = services.token_create(actor=org.staff, name="统计脚本")
    nothing_written(lambda: services.token_revoke(actor=org.head, token=token), PermissionDenied)
    assert fresh(token).revoked_at is None
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


# Concurrent edits -------------------------------------------------------------------------------


def test_second_edit_from_the_same_version_is_a_conflict(org: SmallOrg) -> None:
    mine, theirs = fresh(org.team), fresh(org.team)
    version = mine.version
    services.unit_update(actor=org.supervisor, unit=mine, expected_version=version, changes={"name": "甲"})
    nothing_written(
        lambda: services.unit_update(
            actor=org.supervisor, unit=theirs, expected_version=version, changes={"name": "乙"}
        ),
        Conflict,
    )
    stored = fresh(org.team)
    assert (stored.name, stored.version) == ("甲", version + 1)


def test_a_stale_object_cannot_overwrite_even_without_a_version(org: SmallOrg) -> None:
    mine, theirs = fresh(org.team), fresh(org.team)
    services.unit_update(actor=org.supervisor, unit=mine, expected_version=None, changes={"name": "甲"})
    nothing_written(
        lambda: services.unit_update(
            actor=org.supervisor, unit=theirs, expected_version=None, changes={"name": "乙"}
        ),
        Conflict,
    )
    assert fresh(org.team).name == "甲"


def api_patch(url: str, body: dict[str, Any], headers: dict[str, Any], **extra: Any) -> Any:
    return Client().patch(url, json.dumps(body), content_type="application/json", **headers, **extra)


def test_api_conflicts(org: SmallOrg, api_token: Callable[..., dict[str, Any]]) -> None:
    headers = api_token(org.supervisor)
    url = f"/api/units/{org.team.pk}"
    read = Client().get(url, **headers)
    version = read.json()["version"]
    assert read["ETag"] == f'"{version}"'

    first = api_patch(url, {"name": "甲"}, headers, HTTP_IF_MATCH=read["ETag"])
    assert first.status_code == 200
    assert first.json()["version"] == version + 1

    stale_body = api_patch(url, {"name": "乙", "version": version}, headers)
    assert stale_body.status_code == 409
    assert stale_body.json()["code"] == "conflict"

    stale_header = api_patch(url, {"name": "乙"}, headers, HTTP_IF_MATCH=read["ETag"])
    assert stale_header.status_code == 412
    assert stale_header.json()["code"] == "precondition_failed"

    blind = api_patch(url, {"name": "乙"}, headers)
    assert blind.status_code == 428
    assert blind.json()["code"] == "version_required"

    for response in (stale_body, stale_header, blind):
        assert set(response.json()) == {"code", "message", "errors"}
        assert response.json()["message"]
    stored = fresh(org.team)
    assert (stored.name, stored.version) == ("甲", version + 1)


def test_api_delete_needs_the_current_version(
    org: SmallOrg, api_token: Callable[..., dict[str, Any]]
) -> None:
    empty = services.unit_create(actor=org.admin, name="招商二科", kind="department", parent=org.bureau)
    headers = api_token(org.supervisor)
    url = f"/api/units/{empty.pk}"
    assert Client().delete(url, **headers).status_code == 428
    assert Client().delete(url, HTTP_IF_MATCH='"99"', **headers).status_code == 412
    assert Client().delete(f"{url}?version=99", **headers).status_code == 409
    assert fresh(empty).is_active
    assert Client().delete(url, HTTP_IF_MATCH=f'"{empty.version}"', **headers).status_code == 200
    assert not fresh(empty).is_active


def test_api_person_edit_conflict(org: SmallOrg, api_token: Callable[..., dict[str, Any]]) -> None:
    headers = api_token(org.head)
    url = f"/api/people/{org.staff.pk}"
    version = org.staff.version
    assert api_patch(url, {"phone": "1"}, headers, HTTP_IF_MATCH=f'"{version}"').status_code == 200
    assert api_patch(url, {"phone": "2"}, headers, HTTP_IF_MATCH=f'"{version}"').status_code == 412
    assert fresh(org.staff).phone == "1"


def unit_form(unit: Unit, version: int, name: str) -> dict[str, Any]:
    return {"name": name, "kind": unit.kind, "parent": unit.parent_id, "sort": unit.sort, "version": version}


def test_page_shows_a_conflict_and_keeps_the_record(org: SmallOrg) -> None:
    alice, bob = client_for(org.supervisor), client_for(org.admin)
    url = f"/units/{org.team.pk}/edit/"
    version_alice = alice.get(url).context["form"]["version"].value()
    version_bob = bob.get(url).context["form"]["version"].value()
    assert version_alice == version_bob == org.team.version

    saved = alice.post(url, unit_form(org.team, version_alice, "甲"))
    assert saved.status_code == 302

    refused = bob.post(url, unit_form(org.team, version_bob, "乙"))
    assert refused.status_code == 200
    with translation.override("en"):
        conflict_message = str(Conflict())
    with translation.override("zh-hans"):
        conflict_message_zh = str(Conflict())
    page = refused.content.decode()
    assert conflict_message in page or conflict_message_zh in page
    assert 'role="alert"' in page
    stored = fresh(org.team)
    assert (stored.name, stored.version) == ("甲", org.team.version + 1)


def test_page_deactivate_with_a_stale_version_is_refused(org: SmallOrg) -> None:
    empty = services.unit_create(actor=org.admin, name="招商二科", kind="department", parent=org.bureau)
    services.unit_update(actor=org.admin, unit=fresh(empty), expected_version=1, changes={"phone": "1"})
    client = client_for(org.supervisor)
    response = client.post(f"/units/{empty.pk}/deactivate/", {"version": 1}, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert fresh(empty).is_active


def test_page_edit_without_a_version_is_refused(org: SmallOrg) -> None:
    """A form that lost its version cannot overwrite blindly."""
    client = client_for(org.supervisor)
    data = unit_form(org.team, 0, "乙")
    del data["version"]
    response = client.post(f"/units/{org.team.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert fresh(org.team).name == "招商一科"
