"""The audit trail: request ids, append-only rows (in the ORM and in the database), and the
read-only API and pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import SmallOrg, client_for
from luoshi.core.audit import audit_record_many
from luoshi.core.models import AuditRecord
from luoshi.org import services
from luoshi.org.models import Unit

Issue = Callable[..., dict[str, Any]]


def newest() -> AuditRecord:
    record = AuditRecord.objects.order_by("-id").first()
    assert record is not None
    return record


def add_unit_through_the_page(client: Client, org: SmallOrg, name: str, **headers: Any) -> Any:
    data = {"name": name, "kind": "department", "parent": org.bureau.pk, "sort": 0}
    response = client.post("/units/add/", data, **headers)
    assert response.status_code == 302
    return response


# Request ids ------------------------------------------------------------------------------------


def test_page_request_id_is_carried_into_the_record(org: SmallOrg) -> None:
    response = add_unit_through_the_page(
        client_for(org.supervisor), org, "招商二科", HTTP_X_REQUEST_ID="proxy-7f3a.42"
    )
    assert response["X-Request-ID"] == "proxy-7f3a.42"
    record = newest()
    assert (record.action, record.object_repr, record.request_id) == ("create", "招商二科", "proxy-7f3a.42")
    assert record.actor_id == org.supervisor.pk


@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 65, "semi;colon", "中文"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(org: SmallOrg, incoming: str) -> None:
    headers = {"HTTP_X_REQUEST_ID": incoming} if incoming else {}
    response = add_unit_through_the_page(client_for(org.supervisor), org, "招商二科", **headers)
    generated = response["X-Request-ID"]
    assert generated != incoming and len(generated) == 32
    assert newest().request_id == generated


def test_api_request_id_is_carried_into_the_record(org: SmallOrg, api_token: Issue) -> None:
    response = Client().post(
        "/api/units",
        json.dumps({"name": "招商二科", "kind": "department", "parent_id": org.bureau.pk}),
        content_type="application/json",
        HTTP_X_REQUEST_ID="api-call-1",
        **api_token(org.supervisor),
    )
    assert response.status_code == 201
    assert newest().request_id == "api-call-1"


def test_each_request_gets_its_own_id(org: SmallOrg) -> None:
    client = client_for(org.supervisor)
    add_unit_through_the_page(client, org, "招商二科")
    first = newest().request_id
    add_unit_through_the_page(client, org, "招商三科")
    second = newest().request_id
    assert first and second and first != second


def test_a_service_outside_a_request_has_no_request_id(org: SmallOrg) -> None:
    services.zone_create(actor=org.supervisor, code="songmu", name="松木岛化工园区")
    assert newest().request_id == ""


# Append-only ------------------------------------------------------------------------------------


@pytest.fixture
def record(org: SmallOrg) -> AuditRecord:
    services.zone_update(actor=org.supervisor, zone=org.zone_a, expected_version=1, changes={"name": "湾北"})
    return newest()


def unchanged(record: AuditRecord) -> bool:
    stored = AuditRecord.objects.filter(pk=record.pk).values("action", "before", "after", "actor_id").first()
    return stored == {
        "action": record.action,
        "before": record.before,
        "after": record.after,
        "actor_id": record.actor_id,
    }


def test_the_orm_refuses_to_change_a_record(record: AuditRecord) -> None:
    record.action = "forged"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).update(action="forged")
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.all().delete()
    with pytest.raises(TypeError), transaction.atomic():
        AuditRecord.objects.bulk_update([record], ["action"])
    record.refresh_from_db()
    assert record.action == "update"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda pk: AuditRecord._base_manager.filter(pk=pk).update(action="forged"),
        lambda pk: AuditRecord._base_manager.filter(pk=pk).delete(),
        lambda pk: connection.cursor().execute(
            "UPDATE core_auditrecord SET action = %s, after = NULL WHERE id = %s", ["forged", pk]
        ),
        lambda pk: connection.cursor().execute("DELETE FROM core_auditrecord WHERE id = %s", [pk]),
        lambda pk: connection.cursor().execute("DELETE FROM core_auditrecord"),
    ],
    ids=["base-manager-update", "base-manager-delete", "sql-update", "sql-delete", "sql-delete-all"],
)
def test_the_database_refuses_to_change_a_record(record: AuditRecord, attempt: Callable[[int], Any]) -> None:
    """Even code that goes around the ORM's guard is stopped by the database trigger."""
    with pytest.raises(DatabaseError), transaction.atomic():
        attempt(record.pk)
    assert unchanged(record)


def test_the_database_still_accepts_new_records(record: AuditRecord, org: SmallOrg) -> None:
    count = AuditRecord.objects.count()
    services.zone_update(
        actor=org.supervisor, zone=org.zone_a, expected_version=2, changes={"name": "湾北二"}
    )
    assert AuditRecord.objects.count() == count + 1


def test_records_written_together_keep_their_snapshots_in_one_plain_insert(org: SmallOrg) -> None:
    units = list(Unit.objects.order_by("pk")[:3])
    afters = [{"name": u.name, "note": 'a "quoted" \\ value', "n": i} for i, u in enumerate(units)]
    with CaptureQueriesContext(connection) as queries:
        written = audit_record_many(
            actor=org.supervisor, action="check", records=list(zip(units, afters, strict=True))
        )
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    # One statement with a placeholder per value: PostgreSQL's UNNEST form escapes the JSON in Python.
    assert len(inserts) == 1 and "UNNEST" not in inserts[0]
    stored = AuditRecord.objects.filter(pk__in=[r.pk for r in written]).order_by("pk")
    assert [r.after for r in stored] == afters


def test_a_person_with_a_history_cannot_be_deleted(org: SmallOrg) -> None:
    assert AuditRecord.objects.filter(actor=org.admin).exists()
    with pytest.raises(ProtectedError), transaction.atomic():
        org.admin.delete()
    assert AuditRecord.objects.filter(actor=org.admin).exists()


# The read-only API ------------------------------------------------------------------------------


def audit_rows(headers: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
    response = Client().get("/api/audit", {"limit": 1000, **query}, **headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]  # type: ignore[no-any-return]


def test_supervisors_see_the_whole_trail(org: SmallOrg, api_token: Issue) -> None:
    services.token_create(actor=org.staff, name="脚本")
    rows = audit_rows(api_token(org.supervisor))
    assert {row["id"] for row in rows} == set(AuditRecord.objects.values_list("pk", flat=True))
    assert {org.admin.pk, org.staff.pk, org.supervisor.pk} <= {row["actor_id"] for row in rows}


def test_others_see_only_their_own_actions(org: SmallOrg, api_token: Issue) -> None:
    headers = api_token(org.head)
    services.person_update(actor=org.head, person=org.staff, expected_version=1, changes={"phone": "1"})
    rows = audit_rows(headers)
    assert rows and {row["actor_id"] for row in rows} == {org.head.pk}
    assert len(rows) == AuditRecord.objects.filter(actor=org.head).count()
    update = next(row for row in rows if row["action"] == "update")
    assert update["model"] == "org.person"
    assert (update["before"]["phone"], update["after"]["phone"]) == ("", "1")
    # Someone else's record answers 404, like anything out of scope.
    others = AuditRecord.objects.exclude(actor=org.head).first()
    assert others is not None
    response = Client().get(f"/api/audit/{others.pk}", **headers)
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "errors"}
    own = AuditRecord.objects.filter(actor=org.head).first()
    assert own is not None
    assert Client().get(f"/api/audit/{own.pk}", **headers).json()["id"] == own.pk


def test_the_trail_filters_by_object(org: SmallOrg, api_token: Issue) -> None:
    rows = audit_rows(api_token(org.supervisor), model="org.unit", object_id=str(org.team.pk))
    assert [(row["action"], row["object_repr"]) for row in rows] == [("create", "招商一科")]


def test_people_without_a_post_see_nothing_but_their_own(org: SmallOrg, api_token: Issue) -> None:
    rows = audit_rows(api_token(org.nobody))
    assert {row["actor_id"] for row in rows} == {org.nobody.pk}  # their token, and nothing else


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_endpoint_writes_the_trail(org: SmallOrg, api_token: Issue, method: str) -> None:
    headers = api_token(org.supervisor)
    target = newest()
    count = AuditRecord.objects.count()
    for url in ("/api/audit", f"/api/audit/{target.pk}"):
        response = getattr(Client(), method)(
            url, json.dumps({"action": "forged"}), content_type="application/json", **headers
        )
        assert response.status_code == 405, url
        assert response.json()["code"] == "method_not_allowed"
        assert "GET" in response["Allow"]
    assert AuditRecord.objects.count() == count
    assert unchanged(target)


def test_the_api_declares_only_reads_of_the_trail() -> None:
    from luoshi.core.api import router

    audit_paths = {path: view for path, view in router.path_operations.items() if path.startswith("/audit")}
    assert set(audit_paths) == {"/audit", "/audit/{record_id}"}
    assert {method for view in audit_paths.values() for op in view.operations for method in op.methods} == {
        "GET"
    }


def test_the_openapi_document_offers_only_reads_of_the_trail(org: SmallOrg) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/audit"]) == {"get"}
    assert set(paths["/api/audit/{record_id}"]) == {"get"}


# Pages ------------------------------------------------------------------------------------------


def test_the_audit_page_is_scoped_and_read_only(org: SmallOrg) -> None:
    services.token_create(actor=org.staff, name="脚本")
    response = client_for(org.staff).get("/audit/")
    assert response.status_code == 200
    assert {r.actor_id for r in response.context["page"]} == {org.staff.pk}
    count = AuditRecord.objects.count()
    client_for(org.supervisor).post("/audit/", {"action": "forged"})
    assert AuditRecord.objects.count() == count
    assert Client().get("/audit/").status_code == 302


def test_history_tab_shows_the_objects_records(org: SmallOrg) -> None:
    services.unit_update(
        actor=org.supervisor,
        unit=Unit.objects.get(pk=org.team.pk),
        expected_version=1,
        changes={"phone": "8888"},
    )
    response = client_for(org.supervisor).get(f"/units/{org.team.pk}/?tab=history")
    assert response.status_code == 200
    assert [r.action for r in response.context["history"]] == ["update", "create"]
    assert "8888" in response.content.decode()
