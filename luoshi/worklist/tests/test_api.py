"""The implementation list through the JSON API: the lifecycle, illegal transitions, access, versions,
filters, evidence, escalations, promise-keeping, coverage and query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.conftest import SmallOrg, make_person
from luoshi.core.models import AuditRecord
from luoshi.testing import PDF, Api, As, assert_error, ids, if_match, pdf
from luoshi.worklist import lights, services
from luoshi.worklist.models import (
    Attachment,
    Escalation,
    Item,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
)

from .conftest import moment, report_on

D = datetime.date
W = "/api/worklist"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
TODAY = D(2026, 6, 10)  # a Wednesday; the clock stands still at 10:00 on it unless a test moves it
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(moment(TODAY), tick=False) as traveller:
        yield traveller


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


def close_item(org: SmallOrg, item: Item) -> Item:
    """Submit the close-out of an in-progress item and verify it, through the services."""
    item = services.item_submit_close_out(
        actor=org.staff, item=item, expected_version=item.version, actual_text="已完成", files=[pdf()]
    )
    return services.item_verify(
        actor=org.supervisor, item=item, expected_version=item.version, target_met=True
    )


# The lifecycle ----------------------------------------------------------------------------------


def test_full_lifecycle_through_the_api(org: SmallOrg, as_: As) -> None:
    sup, head, staff = as_(org.supervisor), as_(org.head), as_(org.staff)
    today = timezone.localdate()
    deadline = today + datetime.timedelta(days=120)

    r = sup.post(
        f"{W}/directives",
        {
            "title": "推进湾北高科技产业集聚区建设",
            "source_kind": "meeting",
            "source_title": "普湾经济区干部大会",
            "source_date": str(today),
            "source_issuer": "金普新区",
            "issuing_unit_id": org.authority.pk,
        },
    )
    assert r.status_code == 201, r.content
    directive = r.json()
    assert directive["issuing_unit"] == {"id": org.authority.pk, "name": "金普新区"}
    assert directive["items"] == []
    assert r["ETag"] == '"1"'
    warnings = sup.get(f"{W}/coverage").json()
    assert directive["id"] in {d["id"] for d in warnings["directives_without_items"]}

    r = sup.post(
        f"{W}/items",
        {
            "title": "湾北高科技产业集聚区招商",
            "deadline": str(deadline),
            "directive_id": directive["id"],
            "zone_id": org.zone_a.pk,
            "lead_unit_id": org.bureau.pk,
            "support_unit_ids": [org.service_centre.pk],
            "leader_id": org.deputy.pk,
            "category": "investment",
            "target_metric": "签约项目",
            "target_value": "3",
            "target_unit": "个",
        },
    )
    assert r.status_code == 201, r.content
    created = r.json()
    item_id = created["id"]
    assert created["code"].startswith(f"PW-{today.year}-")
    assert created["state"] == "draft" and created["light"] == "grey"
    assert created["directive"] == {"id": directive["id"], "title": directive["title"]}
    assert created["support_units"] == [{"id": org.service_centre.pk, "name": "企业服务中心"}]
    assert created["target"]["metric"] == "签约项目"
    assert created["chain"]["leader"] == {"id": org.deputy.pk, "name": org.deputy.name}
    assert created["chain"]["complete"] is False
    assert r["ETag"] == f'"{created["version"]}"'

    template = MilestoneTemplate.objects.order_by("pk").first()
    assert template is not None
    r = sup.post(f"{W}/items/{item_id}/milestones/plan", {"template_id": template.pk})
    assert r.status_code == 201, r.content
    assert len(r.json()) == len(template.steps)
    assert all(D.fromisoformat(m["due_date"]) <= deadline for m in r.json())

    etag = sup.get(f"{W}/items/{item_id}")["ETag"]
    r = sup.post(f"{W}/items/{item_id}/publish", {}, HTTP_IF_MATCH=etag)
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "published"

    queue = head.get(f"{W}/items", [("state", "published")])
    assert item_id in ids(queue)
    version = queue.json()["items"][0]["version"]
    r = head.post(f"{W}/items/{item_id}/claim", {"owner_id": org.staff.pk, "version": version})
    assert r.status_code == 200, r.content
    claimed = r.json()
    assert claimed["state"] == "in_progress"  # the chain is whole, so work starts at once
    assert claimed["chain"]["unit_head"]["id"] == org.head.pk
    assert claimed["chain"]["owner"]["id"] == org.staff.pk
    assert claimed["chain"]["complete"] is True
    assert item_id in ids(staff.get(f"{W}/items", {"owner_id": org.staff.pk}))

    r = staff.multipart(
        f"{W}/items/{item_id}/reports",
        {"done": "完成两个项目洽谈", "percent": "40", "next_steps": "签约", "files": [pdf("洽谈纪要.pdf")]},
    )
    assert r.status_code == 201, r.content
    report = r.json()
    assert report["percent"] == 40 and report["author"]["id"] == org.staff.pk
    [attachment] = report["attachments"]
    assert attachment["original_name"] == "洽谈纪要.pdf" and attachment["file_type"] == "pdf"
    download = staff.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert [r["id"] for r in staff.get(f"{W}/items/{item_id}/reports").json()["items"]] == [report["id"]]

    detail = staff.get(f"{W}/items/{item_id}").json()
    assert detail["latest_report"]["id"] == report["id"]
    assert detail["latest_percent"] == 40
    assert detail["light"] == lights.light(fresh(Item(pk=item_id)))
    listed = staff.get(f"{W}/items").json()["items"]
    assert [(row["id"], row["latest_percent"]) for row in listed] == [(item_id, 40)]

    for milestone in detail["milestones"]:
        r = staff.post(f"{W}/milestones/{milestone['id']}/complete", {}, **if_match(milestone["version"]))
        assert r.status_code == 200, r.content
        assert r.json()["done_at"] is not None

    item = fresh(Item(pk=item_id))
    r = staff.multipart(
        f"{W}/items/{item_id}/close-out",
        {"actual_value": "3", "actual_text": "签约三个项目", "version": str(item.version), "files": [pdf()]},
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "close_requested"
    assert {a["kind"] for a in r.json()["attachments"]} == {"report", "close_out"}
    assert item_id in ids(sup.get(f"{W}/items", {"state": "close_requested"}))

    r = sup.post(f"{W}/items/{item_id}/verify", {"version": r.json()["version"]})
    assert r.status_code == 200, r.content
    closed = r.json()
    assert closed["state"] == "closed" and closed["light"] == "closed"
    assert closed["target_met"] is True  # 3 of 3: judged by the numbers

    period = {"start": str(today), "end": str(deadline)}
    rows = sup.get(f"{W}/promise-keeping", {**period, "by": "unit"}).json()
    assert rows == [{"key": org.bureau.pk, "label": "招商局", "due": 1, "kept": 1, "rate": 100.0}]
    behind = sup.get(f"{W}/promise-keeping/items", {**period, "unit_id": org.bureau.pk}).json()["items"]
    assert [(row["id"], row["kept"]) for row in behind] == [(item_id, True)]
    assert sup.get(f"{W}/directives/{directive['id']}").json()["items"][0]["id"] == item_id


def test_decline_then_republish_to_another_unit(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60), claim=False)
    sup, head = as_(org.supervisor), as_(org.head)

    assert_error(head.post(f"{W}/items/{item.pk}/decline", {"reason": " "}, **if_match(item.version)), 400)
    r = head.post(f"{W}/items/{item.pk}/decline", {"reason": "不属于本单位职责"}, **if_match(item.version))
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "declined" and r.json()["state_reason"] == "不属于本单位职责"

    version = r.json()["version"]
    other_head = make_person(org.admin, "zonehead", org.zone_office, "unit_head")
    r = sup.post(f"{W}/items/{item.pk}/publish", {"lead_unit_id": org.zone_office.pk, "version": version})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "published" and r.json()["lead_unit"]["id"] == org.zone_office.pk

    # The bureau no longer leads it, so its head no longer sees it.
    assert_error(head.get(f"{W}/items/{item.pk}"), 404, "not_found")
    r = as_(other_head).post(
        f"{W}/items/{item.pk}/claim", {"owner_id": org.other_staff.pk}, **if_match(r.json()["version"])
    )
    assert r.status_code == 200, r.content
    assert r.json()["chain"]["owner"]["id"] == org.other_staff.pk


def test_suspension_request_decision_resume_and_cancel(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    sup, head = as_(org.supervisor), as_(org.head)

    r = head.post(
        f"{W}/items/{item.pk}/request-change",
        {"kind": "suspend", "reason": "用地调整", "version": item.version},
    )
    assert r.status_code == 200, r.content
    assert r.json()["requested_change"] == "suspend"
    assert r.json()["requested_by"]["id"] == org.head.pk

    r = sup.post(f"{W}/items/{item.pk}/decide-change", {"approve": True, "version": r.json()["version"]})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "suspended" and r.json()["requested_change"] == ""
    r = sup.post(f"{W}/items/{item.pk}/resume", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    r = sup.post(f"{W}/items/{item.pk}/cancel", {"reason": "上级撤销", "version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_close_out_returned_and_owner_reassigned(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    sup, head, staff = as_(org.supervisor), as_(org.head), as_(org.staff)
    # A browser form sends empty fields as "" and may name the file field "files[]".
    r = staff.multipart(
        f"{W}/items/{item.pk}/close-out",
        {"actual_value": "", "actual_text": "完成", "version": "", "files[]": [pdf()]},
        **if_match(item.version),
    )
    assert r.status_code == 200, r.content
    assert [a["kind"] for a in r.json()["attachments"]] == ["close_out"]
    r = sup.post(f"{W}/items/{item.pk}/return", {"reason": "佐证不足", "version": r.json()["version"]})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "in_progress" and r.json()["state_reason"] == "佐证不足"

    newcomer = make_person(org.admin, "newcomer", org.bureau, "staff")
    r = head.post(f"{W}/items/{item.pk}/assign", {"owner_id": newcomer.pk, "version": r.json()["version"]})
    assert r.status_code == 200, r.content
    assert r.json()["chain"]["owner"]["id"] == newcomer.pk
    # Only a supervisor names the leader in charge.
    other_leader = make_person(org.admin, "leader2", org.committee, "leader")
    r = head.post(
        f"{W}/items/{item.pk}/assign", {"leader_id": other_leader.pk}, **if_match(r.json()["version"])
    )
    assert r.status_code in (403, 404)
    r = sup.post(
        f"{W}/items/{item.pk}/assign", {"leader_id": other_leader.pk}, **if_match(fresh(item).version)
    )
    assert r.status_code == 200 and r.json()["chain"]["leader"]["id"] == other_leader.pk


# Illegal transitions ----------------------------------------------------------------------------


ILLEGAL = [
    # (action, state the item is in, who tries, payload)
    ("publish", "in_progress", "supervisor", {}),
    ("claim", "in_progress", "head", {"owner_id": "staff"}),
    ("decline", "in_progress", "head", {"reason": "不同意"}),
    ("assign", "published", "supervisor", {"owner_id": "staff"}),
    ("start", "in_progress", "head", {}),
    ("close-out", "published", "head", {"actual_text": "完成"}),
    ("verify", "in_progress", "supervisor", {"target_met": True}),
    ("return", "in_progress", "supervisor", {"reason": "退回"}),
    ("request-change", "closed", "head", {"kind": "suspend", "reason": "暂停"}),
    ("decide-change", "in_progress", "supervisor", {"approve": True}),
    ("suspend", "draft", "supervisor", {"reason": "暂停"}),
    ("cancel", "closed", "supervisor", {"reason": "取消"}),
    ("resume", "in_progress", "supervisor", {}),
    ("publish", "closed", "supervisor", {}),
    ("claim", "declined", "head", {"owner_id": "staff"}),
    ("verify", "closed", "supervisor", {"target_met": True}),
]


def item_in(org: SmallOrg, make_item: Any, state: str) -> Item:
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    if state == "draft":
        return services.item_create(
            actor=org.supervisor,
            title="草稿事项",
            deadline=deadline,
            lead_unit=org.bureau,
            target_text="完成",
        )
    if state in ("published", "declined"):
        item = make_item(deadline=deadline, claim=False)
        if state == "declined":
            item = services.item_decline(
                actor=org.head, item=item, expected_version=item.version, reason="否"
            )
        return item  # type: ignore[no-any-return]
    item = make_item(deadline=deadline)
    return close_item(org, item) if state == "closed" else item


@pytest.mark.parametrize(
    ("action", "state", "who", "payload"), ILLEGAL, ids=[f"{a}-{s}" for a, s, *_ in ILLEGAL]
)
def test_every_illegal_transition_is_400_and_changes_nothing(
    org: SmallOrg, as_: As, make_item: Any, action: str, state: str, who: str, payload: dict[str, Any]
) -> None:
    item = item_in(org, make_item, state)
    assert item.state == state
    client = as_(getattr(org, who))
    before = fresh(item)
    audits = AuditRecord.objects.count()
    body = {k: getattr(org, v).pk if k == "owner_id" else v for k, v in payload.items()}
    url = f"{W}/items/{item.pk}/{action}"
    if action == "close-out":
        r = client.multipart(url, {**body, "files": [pdf()]}, **if_match(before.version))
    else:
        r = client.post(url, body, **if_match(before.version))
    error = assert_error(r, 400, "invalid")
    after = fresh(item)
    assert (after.state, after.version) == (before.state, before.version), error
    assert AuditRecord.objects.count() == audits
    assert Attachment.objects.filter(item=item, kind="close_out").count() == (1 if state == "closed" else 0)


def test_reports_and_plans_refused_in_the_wrong_state(org: SmallOrg, as_: As, make_item: Any) -> None:
    published = item_in(org, make_item, "published")
    closed = item_in(org, make_item, "closed")
    r = as_(org.head).multipart(f"{W}/items/{published.pk}/reports", {"done": "推进", "percent": "10"})
    assert_error(r, 400, "invalid")
    r = as_(org.supervisor).post(
        f"{W}/items/{closed.pk}/milestones/plan", {"steps": [{"title": "x", "offset": 1}]}
    )
    assert_error(r, 400, "invalid")
    assert not ProgressReport.objects.exists() and not Milestone.objects.exists()


# Access -----------------------------------------------------------------------------------------


def test_staff_of_another_unit_see_an_item_only_when_their_unit_supports_it(
    org: SmallOrg, as_: As, make_item: Any
) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    report = services.report_submit(actor=org.staff, item=item, done="推进", percent=10, files=[pdf()])
    attachment = report.attachments.get()
    other = as_(org.other_staff)

    assert_error(other.get(f"{W}/items/{item.pk}"), 404, "not_found")
    assert_error(other.get(f"{W}/items/{item.pk}/reports"), 404, "not_found")
    assert_error(other.get(f"{W}/items/{item.pk}/attachments/{attachment.pk}"), 404, "not_found")
    assert_error(other.post(f"{W}/items/{item.pk}/request-change", {"kind": "suspend", "reason": "x"}), 404)
    assert ids(other.get(f"{W}/items")) == set()

    r = as_(org.supervisor).patch(
        f"{W}/items/{item.pk}", {"support_unit_ids": [org.zone_office.pk]}, **if_match(fresh(item).version)
    )
    assert r.status_code == 200, r.content
    assert other.get(f"{W}/items/{item.pk}").status_code == 200
    assert ids(other.get(f"{W}/items")) == {item.pk}
    assert other.get(f"{W}/items/{item.pk}/attachments/{attachment.pk}").status_code == 200
    # Seen, but not theirs to report on.
    r = other.multipart(f"{W}/items/{item.pk}/reports", {"done": "配合", "percent": "10"})
    assert_error(r, 403, "forbidden")


def test_enterprise_users_see_nothing(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    services.directive_create(
        actor=org.supervisor,
        title="部署",
        source_kind="document",
        source_title="文件",
        source_date=timezone.localdate(),
        source_issuer="新区",
    )
    enterprise = as_(org.enterprise)
    assert ids(enterprise.get(f"{W}/items")) == set()
    assert enterprise.get(f"{W}/directives").json()["items"] == []
    assert enterprise.get(f"{W}/escalations").json()["items"] == []
    assert enterprise.get(f"{W}/promise-keeping").json() == []
    assert all(v == [] for k, v in enterprise.get(f"{W}/coverage").json().items() if k != "counts")
    assert_error(enterprise.get(f"{W}/items/{item.pk}"), 404, "not_found")
    assert_error(enterprise.post(f"{W}/items/{item.pk}/claim", {"owner_id": org.staff.pk, "version": 1}), 404)
    assert_error(enterprise.post(f"{W}/items", {"title": "x", "deadline": "2030-01-01"}), 403, "forbidden")


def test_head_of_another_unit_gets_403_on_an_item_they_see_and_404_on_one_they_do_not(
    org: SmallOrg, as_: As, make_item: Any
) -> None:
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    supported = make_item(deadline=deadline, claim=False, support_units=[org.zone_office])
    hidden = make_item(deadline=deadline, claim=False, title="汽车产业园")
    other_head = as_(make_person(org.admin, "zonehead", org.zone_office, "unit_head"))

    assert other_head.get(f"{W}/items/{supported.pk}").status_code == 200
    r = other_head.post(
        f"{W}/items/{supported.pk}/claim", {"owner_id": org.other_staff.pk}, **if_match(supported.version)
    )
    assert_error(r, 403, "forbidden")
    r = other_head.post(
        f"{W}/items/{hidden.pk}/claim", {"owner_id": org.other_staff.pk}, **if_match(hidden.version)
    )
    assert_error(r, 404, "not_found")
    assert (fresh(supported).state, fresh(hidden).state) == ("published", "published")
    # The lead unit's own staff see the item but may not claim it either.
    clerk = make_person(org.admin, "clerk", org.bureau, "staff")
    r = as_(clerk).post(f"{W}/items/{hidden.pk}/claim", {"owner_id": clerk.pk}, **if_match(hidden.version))
    assert_error(r, 403, "forbidden")
    assert fresh(hidden).state == "published"


def test_only_supervisors_create_and_edit(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    head = as_(org.head)
    r = head.post(f"{W}/items", {"title": "x", "deadline": "2030-01-01", "target_text": "y"})
    assert_error(r, 403, "forbidden")
    r = head.post(
        f"{W}/directives",
        {
            "title": "x",
            "source_kind": "meeting",
            "source_title": "y",
            "source_date": "2026-01-05",
            "source_issuer": "z",
        },
    )
    assert_error(r, 403, "forbidden")
    assert_error(head.patch(f"{W}/items/{item.pk}", {"title": "改"}, **if_match(item.version)), 403)
    # A supervisor's bad item names the field.
    body = assert_error(as_(org.supervisor).post(f"{W}/items", {"title": "x", "deadline": "2030-01-01"}), 400)
    assert "target_text" in body["errors"]


# Versions ---------------------------------------------------------------------------------------


def test_two_edits_from_the_same_version_the_second_conflicts(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    sup = as_(org.supervisor)
    version = sup.get(f"{W}/items/{item.pk}").json()["version"]

    first = sup.patch(f"{W}/items/{item.pk}", {"title": "第一次修改", "version": version})
    assert first.status_code == 200, first.content
    assert first["ETag"] == f'"{version + 1}"'
    second = sup.patch(f"{W}/items/{item.pk}", {"title": "第二次修改", "version": version})
    assert_error(second, 409, "conflict")
    assert_error(
        sup.patch(f"{W}/items/{item.pk}", {"title": "过期"}, **if_match(version)), 412, "precondition_failed"
    )
    assert_error(sup.patch(f"{W}/items/{item.pk}", {"title": "无版本"}), 428, "version_required")
    body = assert_error(
        sup.patch(f"{W}/items/{item.pk}", {"title": None, "version": version + 1}), 422, "invalid_input"
    )
    assert "title" in body["errors"][0]["msg"]
    after = fresh(item)
    assert (after.title, after.version) == ("第一次修改", version + 1)


def test_transitions_need_the_current_version(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60), claim=False)
    head = as_(org.head)
    url = f"{W}/items/{item.pk}/claim"
    assert_error(head.post(url, {"owner_id": org.staff.pk}), 428, "version_required")
    assert_error(head.post(url, {"owner_id": org.staff.pk}, **if_match(item.version - 1)), 412)
    assert_error(head.post(url, {"owner_id": org.staff.pk, "version": item.version + 5}), 409)
    assert_error(head.post(url, {"owner_id": org.staff.pk}, HTTP_IF_MATCH="abc"), 400)
    assert (fresh(item).state, fresh(item).version) == ("published", item.version)
    assert head.post(url, {"owner_id": org.staff.pk}, **if_match(item.version)).status_code == 200


def test_milestones_planned_moved_and_completed(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=D(2026, 12, 31), started=timezone.localdate())
    staff = as_(org.staff)
    r = staff.post(f"{W}/items/{item.pk}/milestones/plan", {"steps": [{"title": "方案评审", "offset": 5}]})
    assert r.status_code == 201, r.content
    [milestone] = r.json()
    assert milestone["due_date"] == "2026-12-24"  # five working days before the deadline

    both = staff.post(f"{W}/items/{item.pk}/milestones/plan", {"template_id": 1, "steps": []})
    assert_error(both, 422, "invalid_input")
    url = f"{W}/milestones/{milestone['id']}"
    holiday = staff.patch(url, {"due_date": "2026-10-01"}, **if_match(milestone["version"]))
    assert_error(holiday, 400, "invalid")
    moved = staff.patch(url, {"due_date": "2026-12-18"}, **if_match(milestone["version"]))
    assert moved.status_code == 200, moved.content
    assert moved.json()["due_date"] == "2026-12-18" and moved["ETag"] == f'"{milestone["version"] + 1}"'
    assert_error(staff.patch(url, {"title": "旧"}, **if_match(milestone["version"])), 412)
    assert_error(staff.post(f"{url}/complete", {}), 428)
    done = staff.post(f"{url}/complete", {"version": moved.json()["version"]})
    assert done.status_code == 200 and done.json()["done_at"]
    assert_error(as_(org.other_staff).patch(url, {"title": "x"}, **if_match(done.json()["version"])), 404)


def test_directive_edit_and_visibility(org: SmallOrg, as_: As, make_item: Any) -> None:
    directive = services.directive_create(
        actor=org.supervisor,
        title="打造五星级服务品牌",
        source_kind="instruction",
        source_title="主任批示",
        source_date=D(2026, 3, 2),
        source_issuer="管委会主任",
    )
    sup, staff = as_(org.supervisor), as_(org.staff)
    assert_error(staff.get(f"{W}/directives/{directive.pk}"), 404)
    make_item(deadline=timezone.localdate() + datetime.timedelta(days=60), directive=directive)
    r = staff.get(f"{W}/directives/{directive.pk}")
    assert r.status_code == 200 and r["ETag"] == f'"{directive.version}"'
    assert r.json()["item_count"] == 1 and len(r.json()["items"]) == 1

    r = sup.patch(f"{W}/directives/{directive.pk}", {"due_date": "2026-12-31"}, **if_match(directive.version))
    assert r.status_code == 200, r.content
    assert r.json()["due_date"] == "2026-12-31"
    assert_error(
        sup.patch(f"{W}/directives/{directive.pk}", {"title": "x", "version": directive.version}), 409
    )
    listed = sup.get(f"{W}/directives", {"q": "五星级"}).json()["items"]
    assert [(d["id"], d["item_count"]) for d in listed] == [(directive.pk, 1)]


# Evidence ---------------------------------------------------------------------------------------


def test_a_non_pdf_named_pdf_is_400_and_nothing_is_saved(org: SmallOrg, as_: As, make_item: Any) -> None:
    item = make_item(deadline=timezone.localdate() + datetime.timedelta(days=60))
    staff = as_(org.staff)
    fake = SimpleUploadedFile("合同.pdf", PNG, content_type="application/pdf")
    r = staff.multipart(
        f"{W}/items/{item.pk}/reports", {"done": "推进", "percent": "30", "files": [pdf(), fake]}
    )
    body = assert_error(r, 400, "invalid")
    assert "合同.pdf" in body["message"]
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()

    fake = SimpleUploadedFile("结果.pdf", PNG, content_type="application/pdf")
    r = staff.multipart(
        f"{W}/items/{item.pk}/close-out", {"actual_text": "完成", "files": [fake]}, **if_match(item.version)
    )
    assert_error(r, 400, "invalid")
    assert not Attachment.objects.exists()
    assert (fresh(item).state, fresh(item).version) == ("in_progress", item.version)


def test_attachment_of_another_item_is_404(org: SmallOrg, as_: As, make_item: Any) -> None:
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    first, second = make_item(deadline=deadline), make_item(deadline=deadline)
    report = services.report_submit(actor=org.staff, item=first, done="推进", percent=10, files=[pdf()])
    attachment = report.attachments.get()
    staff = as_(org.staff)
    assert staff.get(f"{W}/items/{first.pk}/attachments/{attachment.pk}").status_code == 200
    assert_error(staff.get(f"{W}/items/{second.pk}/attachments/{attachment.pk}"), 404)


# Filters and lights -----------------------------------------------------------------------------


def test_filters_agree_with_the_lights(org: SmallOrg, as_: As, make_item: Any) -> None:
    red = make_item(deadline=D(2026, 6, 1), started=D(2026, 4, 1), title="大连前沿半导体科技创新中心")
    yellow = make_item(deadline=D(2026, 6, 12), started=D(2026, 6, 8), title="汽车产业园")
    green = make_item(
        deadline=D(2026, 12, 31), started=D(2026, 6, 8), zone=org.zone_a, title="东北亚国际会展中心"
    )
    grey = make_item(deadline=D(2026, 9, 30), started=D(2026, 6, 1), claim=False, title="农产品批发市场")
    closed = make_item(deadline=D(2026, 8, 31), started=D(2026, 6, 1), title="集成电路现代产业学院")
    with time_machine.travel(moment(D(2026, 6, 5)), tick=False):
        close_item(org, closed)
    report_on(org, green, D(2026, 6, 9))
    everything = [red, yellow, green, grey, closed]

    sup = as_(org.supervisor)
    expected = {i.pk: lights.light(i) for i in everything}
    assert set(expected.values()) == {"red", "yellow", "green", "grey", "closed"}
    for value in lights.Light.values:
        assert ids(sup.get(f"{W}/items", {"light": value})) == {k for k, v in expected.items() if v == value}
    both = sup.get(f"{W}/items", [("light", "red"), ("light", "yellow")])
    assert ids(both) == {red.pk, yellow.pk}
    assert {row["id"]: row["light"] for row in sup.get(f"{W}/items").json()["items"]} == expected
    counts = sup.get(f"{W}/items/light-counts").json()
    assert counts == {v: list(expected.values()).count(v) for v in lights.Light.values}

    assert ids(sup.get(f"{W}/items", {"zone_id": org.zone_a.pk})) == {green.pk}
    assert ids(sup.get(f"{W}/items", {"state": "published"})) == {grey.pk}
    assert ids(sup.get(f"{W}/items", [("state", "published"), ("state", "closed")])) == {
        grey.pk,
        closed.pk,
    }
    assert ids(sup.get(f"{W}/items", {"owner_id": org.staff.pk})) == {
        red.pk,
        yellow.pk,
        green.pk,
        closed.pk,
    }
    assert ids(sup.get(f"{W}/items", {"leader_id": org.deputy.pk})) == set(expected)
    assert ids(sup.get(f"{W}/items", {"unit_id": org.committee.pk})) == set(expected)  # with sub-units
    assert ids(sup.get(f"{W}/items", {"unit_id": org.zone_office.pk})) == set()
    assert ids(sup.get(f"{W}/items", {"unit_id": 999999})) == set()
    assert ids(sup.get(f"{W}/items", {"q": "汽车"})) == {yellow.pk}
    assert ids(sup.get(f"{W}/items", {"q": red.code})) == {red.pk}
    window = {"deadline_from": "2026-06-02", "deadline_to": "2026-08-31"}
    assert ids(sup.get(f"{W}/items", window)) == {yellow.pk, closed.pk}
    assert ids(sup.get(f"{W}/items", {"light": "red", "owner_id": org.staff.pk})) == {red.pk}
    ordered = [row["id"] for row in sup.get(f"{W}/items", {"sort": "-deadline"}).json()["items"]]
    assert ordered == [green.pk, grey.pk, closed.pk, yellow.pk, red.pk]
    assert_error(sup.get(f"{W}/items", {"light": "purple"}), 422, "invalid_input")
    assert_error(sup.get(f"{W}/items", {"sort": "salary"}), 422, "invalid_input")
    page = sup.get(f"{W}/items", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 5 and len(page["items"]) == 2

    detail = sup.get(f"{W}/items/{red.pk}").json()
    assert detail["light"] == "red" and detail["light_label"]
    rules = sup.get(f"{W}/light-rules").json()
    assert rules["rules_text"] == lights.rules_text()
    assert (rules["due_soon_working_days"], rules["report_grace_working_days"]) == (3, 2)
    assert {row["value"] for row in rules["lights"]} == set(lights.Light.values)


def test_item_list_query_count_does_not_grow_with_rows(org: SmallOrg, as_: As, make_item: Any) -> None:
    def add(count: int) -> None:
        for n in range(count):
            item = make_item(deadline=D(2026, 12, 31) - datetime.timedelta(days=n), started=D(2026, 6, 1))
            if n % 2:
                report_on(org, item, D(2026, 6, 8), percent=n)

    def measure(api: Api, rows: int, query: dict[str, Any]) -> int:
        api.get(f"{W}/items", query)  # the first request of a token also stamps its last use
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{W}/items", query)
        data = response.json()
        assert data["count"] == rows and len(data["items"]) == rows
        assert any(row["latest_percent"] is not None for row in data["items"])
        assert all(row["lead_unit"]["id"] == org.bureau.pk and row["chain"]["owner"] for row in data["items"])
        return len(queries)

    # Without a unit the total is counted apart; with one it comes with the page.
    cases = [(who, query) for who in ("supervisor", "staff") for query in ({}, {"unit_id": org.bureau.pk})]
    add(3)
    few = [measure(as_(getattr(org, who)), 3, query) for who, query in cases]
    add(27)
    many = [measure(as_(getattr(org, who)), 30, query) for who, query in cases]
    assert many == few


def test_a_units_item_list_pages_as_the_whole_list_does(org: SmallOrg, as_: As, make_item: Any) -> None:
    for n in range(5):
        make_item(deadline=D(2026, 12, 31) - datetime.timedelta(days=n), started=D(2026, 6, 1))
    sup = as_(org.supervisor)

    def page(**query: Any) -> tuple[int, list[tuple[int, str]]]:
        data = sup.get(f"{W}/items", query).json()
        return data["count"], [(row["id"], row["light"]) for row in data["items"]]

    whole = page(page_size=50)
    assert whole[0] == 5
    for number in (1, 2, 3):
        count, rows = page(unit_id=org.bureau.pk, page_size=2, page=number)
        assert count == 5 and rows == whole[1][(number - 1) * 2 : number * 2]
    assert page(unit_id=org.bureau.pk, page_size=2, page=4) == (5, [])  # past the end: counted, empty
    assert page(unit_id=org.service_centre.pk) == (0, [])


# Escalations, promise-keeping, coverage ---------------------------------------------------------


def test_escalations_mine_all_for_supervisors_and_acknowledged(
    org: SmallOrg, as_: As, make_item: Any
) -> None:
    item = make_item(deadline=D(2026, 6, 1), started=D(2026, 4, 1))
    with time_machine.travel(moment(D(2026, 6, 12)), tick=False):
        services.escalation_sweep()
    levels = dict(Escalation.objects.filter(item=item).values_list("level", "pk"))
    assert set(levels) == {1, 2, 3}

    staff, sup = as_(org.staff), as_(org.supervisor)
    mine = staff.get(f"{W}/escalations").json()["items"]
    assert [(e["id"], e["level"]) for e in mine] == [(levels[1], 1)]
    assert {p["id"] for p in mine[0]["recipients"]} == {org.staff.pk, org.head.pk}
    assert mine[0]["item"]["code"] == item.code
    assert {e["id"] for e in sup.get(f"{W}/escalations").json()["items"]} == set(levels.values())
    assert as_(org.other_staff).get(f"{W}/escalations").json()["items"] == []

    url = f"{W}/escalations/{levels[1]}/acknowledge"
    assert_error(staff.post(url, {"recovery_plan": "  "}), 400, "invalid")
    assert_error(as_(org.other_staff).post(url, {"recovery_plan": "计划"}), 404)
    assert_error(sup.post(f"{W}/escalations/{levels[2]}/acknowledge", {"recovery_plan": "计划"}), 403)
    r = staff.post(url, {"recovery_plan": "本周内补报进展并召开推进会"})
    assert r.status_code == 200, r.content
    assert r.json()["acknowledged_by"]["id"] == org.staff.pk and r.json()["acknowledged_at"]
    assert_error(staff.post(url, {"recovery_plan": "再次"}), 400)
    assert staff.get(f"{W}/escalations", {"open": "true"}).json()["items"] == []
    assert len(sup.get(f"{W}/escalations", {"open": "true"}).json()["items"]) == 2


def test_promise_keeping_by_unit_person_and_zone(org: SmallOrg, as_: As, make_item: Any) -> None:
    kept = make_item(deadline=D(2026, 6, 30), started=D(2026, 5, 1), zone=org.zone_a)
    missed = make_item(deadline=D(2026, 6, 15), started=D(2026, 5, 1), zone=org.zone_a, title="汽车产业园")
    with time_machine.travel(moment(D(2026, 6, 20)), tick=False):
        close_item(org, kept)
    period = {"start": "2026-06-01", "end": "2026-06-30"}
    sup = as_(org.supervisor)

    for by, key, label in (
        ("unit", org.bureau.pk, "招商局"),
        ("person", org.staff.pk, org.staff.name),
        ("zone", org.zone_a.pk, "湾北核心区"),
    ):
        rows = sup.get(f"{W}/promise-keeping", {**period, "by": by}).json()
        assert rows == [{"key": key, "label": label, "due": 2, "kept": 1, "rate": 50.0}], by
    param = {"unit": "unit_id", "person": "person_id", "zone": "zone_id"}
    for by, key in (("unit", org.bureau.pk), ("person", org.staff.pk), ("zone", org.zone_a.pk)):
        rows = sup.get(f"{W}/promise-keeping/items", {**period, param[by]: key}).json()["items"]
        assert {(r["id"], r["kept"]) for r in rows} == {(kept.pk, True), (missed.pk, False)}
    assert (
        sup.get(f"{W}/promise-keeping/items", {**period, "unit_id": org.zone_office.pk}).json()["count"] == 0
    )
    assert_error(sup.get(f"{W}/promise-keeping/items", {**period, "unit_id": 1, "zone_id": 1}), 422)
    assert_error(sup.get(f"{W}/promise-keeping", {"start": "2026-07-01", "end": "2026-06-01"}), 422)
    assert_error(sup.get(f"{W}/promise-keeping", {"by": "salary"}), 422)


def test_coverage_lists_the_three_warnings(org: SmallOrg, as_: As, make_item: Any) -> None:
    lonely = services.directive_create(
        actor=org.supervisor,
        title="推行考核制度2.0",
        source_kind="meeting",
        source_title="党工委会议",
        source_date=D(2026, 5, 6),
        source_issuer="党工委",
    )
    unowned = make_item(deadline=D(2026, 12, 31), started=D(2026, 5, 1), claim=False)
    silent = make_item(deadline=D(2026, 12, 31), started=D(2026, 5, 1), title="松木岛精细化工")
    reporting = make_item(deadline=D(2026, 12, 31), started=D(2026, 5, 1), title="绿色建材")
    report_on(org, reporting, D(2026, 6, 8))
    data = as_(org.supervisor).get(f"{W}/coverage").json()
    head_view = as_(org.head).get(f"{W}/coverage").json()
    assert [d["id"] for d in data["directives_without_items"]] == [lonely.pk]
    assert [i["id"] for i in data["items_without_owner"]] == [unowned.pk]
    assert [i["id"] for i in data["items_without_report"]] == [silent.pk]
    assert data["counts"] == {
        "directives_without_items": 1,
        "items_without_owner": 1,
        "items_without_report": 1,
    }
    assert head_view["directives_without_items"] == []  # directives are the supervision office's list
    assert [i["id"] for i in head_view["items_without_report"]] == [silent.pk]


# OpenAPI ----------------------------------------------------------------------------------------


def test_openapi_lists_the_worklist_paths(org: SmallOrg) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200, response.content.decode()[:500]
    paths = response.json()["paths"]
    for path, method in (
        ("/api/worklist/directives", "post"),
        ("/api/worklist/directives/{directive_id}", "patch"),
        ("/api/worklist/items", "get"),
        ("/api/worklist/items/{item_id}", "patch"),
        ("/api/worklist/items/{item_id}/close-out", "post"),
        ("/api/worklist/items/{item_id}/request-change", "post"),
        ("/api/worklist/items/{item_id}/milestones/plan", "post"),
        ("/api/worklist/milestones/{milestone_id}/complete", "post"),
        ("/api/worklist/items/{item_id}/reports", "post"),
        ("/api/worklist/items/{item_id}/attachments/{attachment_id}", "get"),
        ("/api/worklist/escalations/{escalation_id}/acknowledge", "post"),
        ("/api/worklist/promise-keeping/items", "get"),
        ("/api/worklist/coverage", "get"),
        ("/api/worklist/light-rules", "get"),
    ):
        assert method in paths.get(path, {}), path
        assert paths[path][method]["tags"] == ["worklist"]
    params = {p["name"] for p in paths["/api/worklist/items"]["get"]["parameters"]}
    assert params >= {"zone_id", "unit_id", "light", "state", "leader_id", "owner_id", "directive_id"}
    assert params >= {"deadline_from", "deadline_to", "q", "sort", "page", "page_size"}
    upload = paths["/api/worklist/items/{item_id}/reports"]["post"]["requestBody"]["content"]
    assert "files" in upload["multipart/form-data"]["schema"]["properties"]
