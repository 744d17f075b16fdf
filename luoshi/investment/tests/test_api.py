"""Investment through the JSON API: stage rules, loss and revival, follow-ups, monthly investment,
targets and the funnel against the selectors, access, versions, query counts and OpenAPI."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import SmallOrg, make_person
from luoshi.core.models import AuditRecord
from luoshi.investment import services
from luoshi.investment.models import FollowUp, Project, ProjectDocument, StageMove, ZoneTarget
from luoshi.investment.selectors import funnel, kanban, targets
from luoshi.org.models import Person
from luoshi.service.models import Enterprise
from luoshi.testing import PDF, Api, As, assert_error, ids, if_match, ok, pdf

D = datetime.date
I = "/api/investment"  # noqa: E741
SH = ZoneInfo("Asia/Shanghai")
TODAY = D(2026, 6, 10)  # the clock stands still at 10:00 on this day
HUAWEI = "914403001922038216"  # a real code with a correct check character
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False) as traveller:
        yield traveller


def fresh(project: Project | int) -> Project:
    return Project.objects.get(pk=getattr(project, "pk", project))


def new(
    org: SmallOrg, name: str = "智能网联汽车零部件项目", *, actor: Person | None = None, **fields: Any
) -> Project:
    """A lead recorded through the service (the setup of a test, not what it checks)."""
    return services.project_create(
        actor=actor or org.staff,
        name=name,
        investor=fields.pop("investor", "大连甲汽车部件株式会社"),
        origin=fields.pop("origin", "日本"),
        industry=fields.pop("industry", "智能汽车"),
        zone=fields.pop("zone", org.zone_a),
        planned_investment=Decimal(fields.pop("amount", "5000")),
        lead_on=fields.pop("lead_on", D(2026, 1, 5)),
        **fields,
    )


def advance(org: SmallOrg, project: Project, to: str, on: D, **kwargs: Any) -> Project:
    project = fresh(project)
    return services.project_move(
        actor=org.staff, project=project, expected_version=project.version, to_stage=to, moved_on=on, **kwargs
    )


def move(
    api: Api, project: Project | int, data: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    """POST a move as a multipart form, with If-Match naming the current version unless headers are given."""
    project = fresh(project)
    headers = if_match(project.version) if headers is None else headers
    return api.multipart(f"{I}/projects/{project.pk}/move", data, **headers)


# The pipeline through the API ----------------------------------------------------------------------


def test_a_lead_goes_through_every_stage_with_its_evidence(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    r = staff.post(
        f"{I}/projects",
        {
            "name": "湾北集成电路封测项目",
            "investor": "大连乙半导体株式会社",
            "origin": "日本",
            "industry": "集成电路",
            "zone_id": org.zone_a.pk,
            "planned_investment": "20000",
            "source": "exhibition",
            "leader_id": org.deputy.pk,
            "expected_jobs": 300,
            "lead_on": "2026-03-02",
        },
    )
    created = ok(r, 201)
    pk = created["id"]
    assert created["code"].startswith("ZS-2026-")
    assert (created["stage"], created["stage_label"], created["lead_on"]) == ("lead", "线索", "2026-03-02")
    assert created["owner"] == {"id": org.staff.pk, "name": org.staff.name}
    assert created["unit"] == {"id": org.team.pk, "name": "招商一科"}
    assert created["leader"]["id"] == org.deputy.pk and created["can_edit"] is True
    assert [s["stage"] for s in created["stages"]][:2] == ["lead", "negotiating"]
    assert created["stages"][1]["reached_on"] is None
    assert r["ETag"] == f'"{created["version"]}"'

    r = move(staff, pk, {"to_stage": "negotiating", "moved_on": "2026-03-20"})
    assert ok(r)["stage"] == "negotiating" and r["ETag"] == f'"{fresh(pk).version}"'

    # Signing without the agreement or the amount: 400 naming each, and nothing changes.
    before = (fresh(pk).version, StageMove.objects.count(), AuditRecord.objects.count())
    body = assert_error(move(staff, pk, {"to_stage": "signed", "moved_on": "2026-04-01"}), 400, "invalid")
    assert set(body["errors"]) == {"documents", "contracted_amount"}
    body = assert_error(
        move(staff, pk, {"to_stage": "signed", "contracted_amount": "25000", "photo": [pdf("现场.pdf")]}), 400
    )
    assert set(body["errors"]) == {"documents"}
    assert (fresh(pk).version, StageMove.objects.count(), AuditRecord.objects.count()) == before

    signed = ok(
        move(
            staff,
            pk,
            {
                "to_stage": "signed",
                "moved_on": "2026-04-01",
                "contracted_amount": "25000",
                "agreement": [pdf("投资协议.pdf"), pdf("补充协议.pdf")],
                "other": [pdf("会议纪要.pdf")],
            },
        )
    )
    assert (signed["stage"], signed["signed_on"], Decimal(signed["contracted_amount"])) == (
        "signed",
        "2026-04-01",
        Decimal("25000"),
    )
    kinds = sorted((d["kind"], d["original_name"]) for d in signed["documents"])
    assert kinds == [("agreement", "投资协议.pdf"), ("agreement", "补充协议.pdf"), ("other", "会议纪要.pdf")]
    signing = signed["moves"][-1]
    assert {d["move_id"] for d in signed["documents"]} == {signing["id"]}
    download = staff.get(signed["documents"][0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    # Registration: a bad USCC is refused by field; nothing is created.
    body = assert_error(
        move(staff, pk, {"to_stage": "registered", "licence": [pdf("执照.pdf")], "uscc": HUAWEI[:-1] + "7"}),
        400,
    )
    assert set(body["errors"]) == {"uscc"} and body["errors"]["uscc"][0].strip()
    assert not Enterprise.objects.exists() and fresh(pk).stage == "signed"
    registered = ok(
        move(
            staff,
            pk,
            {
                "to_stage": "registered",
                "moved_on": "2026-05-06",
                "licence": [pdf("执照.pdf")],
                "uscc": HUAWEI.lower(),
                "enterprise_name": "大连乙半导体有限公司",
            },
        )
    )
    enterprise = Enterprise.objects.get(uscc=HUAWEI)
    assert registered["enterprise"] == {"id": enterprise.pk, "name": "大连乙半导体有限公司", "uscc": HUAWEI}
    assert (enterprise.zone, enterprise.industry) == (org.zone_a, "集成电路")

    assert_error(move(staff, pk, {"to_stage": "started", "moved_on": "2026-06-01"}), 400)
    ok(
        move(
            staff, pk, {"to_stage": "started", "moved_on": "2026-06-01", "permit[]": [pdf("施工许可证.pdf")]}
        )
    )
    done = ok(move(staff, pk, {"to_stage": "operating"}))  # no date: today
    assert (done["stage"], done["operating_on"]) == ("operating", str(TODAY))
    assert [(m["kind"], m["from_stage"], m["to_stage"]) for m in done["moves"]] == [
        ("move", "lead", "negotiating"),
        ("move", "negotiating", "signed"),
        ("move", "signed", "registered"),
        ("move", "registered", "started"),
        ("move", "started", "operating"),
    ]
    assert [s["reached_on"] for s in done["stages"]] == [
        "2026-03-02",
        "2026-03-20",
        "2026-04-01",
        "2026-05-06",
        "2026-06-01",
        str(TODAY),
    ]
    history = ok(staff.get(f"{I}/projects/{pk}/history"))
    assert [h["action"] for h in history] == ["create", "move", "move", "move", "move", "move"]
    assert history[0]["actor"]["id"] == org.staff.pk


def test_registration_links_an_existing_enterprise(org: SmallOrg, as_: As) -> None:
    existing = Enterprise.objects.create(name="已登记企业", uscc=HUAWEI, zone=org.zone_b, industry="汽车")
    p = advance(org, new(org), "signed", D(2026, 3, 2), reason="直接签约", contracted_amount=Decimal("9"),
                documents=[("agreement", pdf())])  # fmt: skip
    out = ok(
        move(as_(org.staff), p, {"to_stage": "registered", "licence": [pdf("执照.pdf")], "uscc": HUAWEI})
    )
    assert out["enterprise"]["id"] == existing.pk and Enterprise.objects.count() == 1


def test_a_skip_needs_a_reason(org: SmallOrg, as_: As) -> None:
    staff, p = as_(org.staff), new(org)
    data = {"to_stage": "signed", "moved_on": "2026-02-02", "contracted_amount": "100", "agreement": [pdf()]}
    body = assert_error(move(staff, p, data), 400, "invalid")
    assert set(body["errors"]) == {"reason"}
    assert "洽谈" in body["errors"]["reason"][0] or "Negotiating" in body["errors"]["reason"][0]
    out = ok(move(staff, p, {**data, "agreement": [pdf()], "reason": "老客户增资，未经洽谈直接签约"}))
    assert (out["stage"], out["negotiating_on"], out["signed_on"]) == ("signed", None, "2026-02-02")
    assert out["moves"][-1]["reason"] == "老客户增资，未经洽谈直接签约"


def test_refused_files_and_fields(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    p = advance(org, new(org), "negotiating", D(2026, 2, 2))
    base = {"to_stage": "signed", "contracted_amount": "100"}
    fake = SimpleUploadedFile("协议.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    assert set(assert_error(move(staff, p, {**base, "agreement": [fake]}), 400)["errors"]) == {"documents"}
    body = assert_error(move(staff, p, {**base, "files": [pdf()]}), 400)
    assert set(body["errors"]) == {"documents"} and "files" in body["errors"]["documents"][0]
    assert_error(move(staff, p, {**base, "to_stage": "won", "agreement": [pdf()]}), 422, "invalid_input")
    assert_error(move(staff, p, {"to_stage": "lead"}), 400)  # backwards
    assert not ProjectDocument.objects.exists() and fresh(p).stage == "negotiating"


def test_lost_and_revived(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    p = advance(org, new(org), "negotiating", D(2026, 2, 2))
    url = f"{I}/projects/{p.pk}"
    body = assert_error(staff.post(f"{url}/lost", {"reason": " ", "version": p.version}), 400)
    assert set(body["errors"]) == {"reason"}
    lost = ok(
        staff.post(
            f"{url}/lost", {"reason": "投资方转投他市", "lost_on": "2026-06-01"}, **if_match(p.version)
        )
    )
    assert (lost["lost_on"], lost["lost_reason"]) == ("2026-06-01", "投资方转投他市")
    assert p.pk not in ids(staff.get(f"{I}/projects"))
    assert p.pk in ids(staff.get(f"{I}/projects", {"include_lost": "true"}))
    assert_error(move(staff, p, {"to_stage": "signed", "contracted_amount": "1", "agreement": [pdf()]}), 400)
    assert_error(staff.post(f"{url}/lost", {"reason": "again", "version": lost["version"]}), 400)

    revived = ok(staff.post(f"{url}/revive", {"reason": "投资方重新接洽", "version": lost["version"]}))
    assert (revived["lost_on"], revived["stage"]) == (None, "negotiating")
    assert [(m["kind"], m["reason"]) for m in revived["moves"]] == [
        ("move", ""),
        ("lost", "投资方转投他市"),
        ("revive", "投资方重新接洽"),
    ]
    assert p.pk in ids(staff.get(f"{I}/projects"))
    assert_error(staff.post(f"{url}/revive", {"reason": "x", "version": revived["version"]}), 400)


# Follow-ups, staleness, investment ---------------------------------------------------------------


def test_follow_ups_and_the_stale_filter(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    quiet = new(org, "久未跟进项目", lead_on=D(2026, 3, 1))  # 101 days: red (2 × 30)
    waiting = new(org, "待跟进项目", lead_on=D(2026, 5, 1))  # 40 days: yellow
    new(org, "新线索", lead_on=D(2026, 6, 1))  # 9 days: not stale

    rows = {r["id"]: r for r in ok(staff.get(f"{I}/projects"))["items"]}
    assert (rows[quiet.pk]["stale"], rows[quiet.pk]["quiet_since"]) == ("red", "2026-03-01")
    assert rows[waiting.pk]["stale"] == "yellow"
    assert ids(staff.get(f"{I}/projects", {"stale": "any"})) == {quiet.pk, waiting.pk}
    assert ids(staff.get(f"{I}/projects", {"stale": "red"})) == {quiet.pk}
    assert_error(staff.get(f"{I}/projects", {"stale": "green"}), 422)

    url = f"{I}/projects/{quiet.pk}/follow-ups"
    visit = {"date": "2026-06-08", "form": "visit", "people_met": "田中部长", "outcome": "介绍园区政策"}
    added = ok(staff.post(url, {**visit, "next_step": "安排考察"}), 201)
    assert (added["form_label"], added["author"]["id"], added["next_step"]) == (
        "走访",
        org.staff.pk,
        "安排考察",
    )
    ok(staff.post(url, {**visit, "date": "2026-05-02", "form": "phone"}), 201)
    body = assert_error(staff.post(url, {**visit, "date": "2026-06-11"}), 400)
    assert set(body["errors"]) == {"date"}
    assert_error(staff.post(url, {**visit, "form": "telepathy"}), 422)
    listed = ok(staff.get(url))
    assert listed["count"] == 2 and [f["date"] for f in listed["items"]] == ["2026-06-08", "2026-05-02"]

    detail = ok(staff.get(f"{I}/projects/{quiet.pk}"))
    assert detail["follow_up_count"] == 2 and detail["follow_ups"][0]["people_met"] == "田中部长"
    assert (detail["stale"], detail["quiet_since"]) == ("", "2026-06-08")
    assert ids(staff.get(f"{I}/projects", {"stale": "any"})) == {waiting.pk}


def test_monthly_investment_recorded_and_corrected(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    p = advance(org, new(org), "signed", D(2026, 2, 2), reason="直接签约", contracted_amount=Decimal("9"),
                documents=[("agreement", pdf())])  # fmt: skip
    url = f"{I}/projects/{p.pk}/investments"
    assert_error(staff.post(url, {"month": "2026-05-01", "amount": "100"}), 400)  # not started yet
    p = advance(org, p, "registered", D(2026, 3, 2), documents=[("licence", pdf())], uscc=HUAWEI)
    p = advance(org, p, "started", D(2026, 4, 20), documents=[("photo", pdf())])

    assert_error(staff.post(url, {"month": "2026-03-01", "amount": "100"}), 400)  # before the start
    assert set(assert_error(staff.post(url, {"month": "2026-04-01", "amount": "-1"}), 400)["errors"]) == {
        "amount"
    }
    first = ok(staff.post(url, {"month": "2026-04-15", "amount": "3000"}), 201)
    assert (first["month"], Decimal(first["amount"])) == ("2026-04-01", Decimal("3000"))
    ok(staff.post(url, {"month": "2026-05-01", "amount": "4500"}), 201)
    corrected = ok(staff.post(url, {"month": "2026-05-20", "amount": "4000"}), 200)
    assert (corrected["month"], Decimal(corrected["amount"])) == ("2026-05-01", Decimal("4000"))
    rows = ok(staff.get(url))
    assert [(r["month"], Decimal(r["amount"])) for r in rows] == [
        ("2026-04-01", Decimal("3000")),
        ("2026-05-01", Decimal("4000")),
    ]
    detail = ok(staff.get(f"{I}/projects/{p.pk}"))
    assert Decimal(detail["invested_total"]) == Decimal("7000") and len(detail["investments"]) == 2


# Targets, funnel, kanban against the selectors ---------------------------------------------------


def _pipeline(org: SmallOrg) -> dict[str, Project]:
    """A small pipeline in both zones with signings, a start and monthly investment."""
    big = advance(org, new(org, "大项目", lead_on=D(2026, 1, 10)), "negotiating", D(2026, 1, 20))
    big = advance(org, big, "signed", D(2026, 3, 10), contracted_amount=Decimal("15000"),
                  documents=[("agreement", pdf())])  # fmt: skip
    big = advance(org, big, "registered", D(2026, 4, 1), documents=[("licence", pdf())], uscc=HUAWEI)
    big = advance(org, big, "started", D(2026, 4, 20), documents=[("permit", pdf())])
    services.investment_record(actor=org.staff, project=big, month=D(2026, 4, 1), amount=Decimal("3000"))
    services.investment_record(actor=org.staff, project=big, month=D(2026, 5, 1), amount=Decimal("4000"))
    small = advance(org, new(org, "小项目", lead_on=D(2026, 2, 1), amount="800"), "signed", D(2026, 5, 10),
                    reason="直接签约", contracted_amount=Decimal("5000"), documents=[("agreement", pdf())])  # fmt: skip
    talks = advance(
        org, new(org, "洽谈项目", lead_on=D(2026, 2, 1), amount="1200"), "negotiating", D(2026, 3, 3)
    )
    shanhe = new(org, "山河建材项目", zone=org.zone_b, amount="600", lead_on=D(2025, 11, 1))
    return {"big": big, "small": small, "talks": talks, "shanhe": shanhe}


def _decimal(value: Any) -> Any:
    return None if value is None else Decimal(str(value))


def test_targets_set_by_leaders_and_equal_to_the_selector(org: SmallOrg, as_: As) -> None:
    _pipeline(org)
    sup, staff = as_(org.supervisor), as_(org.staff)
    goal = {"signed_amount": "40000", "started_count": 4, "actual_investment": "20000", "big_projects": 2}
    url = f"{I}/targets/{org.zone_a.pk}/2026"
    assert_error(staff.put(url, goal), 403, "forbidden")
    row = ok(sup.put(url, goal))  # the first time needs no version
    assert row["target"]["version"] == 1 and Decimal(row["percent"]["signed_amount"]) == Decimal("50.0")

    answer = ok(staff.get(f"{I}/targets", {"year": 2026}))
    assert answer["year"] == 2026 and answer["can_set"] is False
    expected = targets(person=org.staff, year=2026)
    assert [r["zone"]["id"] for r in answer["rows"]] == [r.zone.pk for r in expected]
    for got, want in zip(answer["rows"], expected, strict=True):
        for metric in ("signed_amount", "started_count", "actual_investment", "big_projects"):
            assert _decimal(got["actual"][metric]) == getattr(want, metric), metric
            assert _decimal(got["percent"][metric]) == want.percent(metric), metric
            assert [_decimal(v) for v in got["monthly"][metric]] == want.monthly[metric], metric
            assert _decimal((got["target"] or {}).get(metric)) == (
                getattr(want.target, metric) if want.target else None
            )
    zone_a = next(r for r in answer["rows"] if r["zone"]["id"] == org.zone_a.pk)
    assert _decimal(zone_a["actual"]["signed_amount"]) == Decimal("20000")  # 15000 + 5000
    assert zone_a["actual"]["big_projects"] == 1 and zone_a["actual"]["started_count"] == 1
    assert [_decimal(v) for v in zone_a["monthly"]["actual_investment"][3:6]] == [
        Decimal("3000"),
        Decimal("7000"),
        Decimal("7000"),
    ]
    assert ok(sup.get(f"{I}/targets", {"year": 2026}))["can_set"] is True

    # Changing targets already set says which version it read.
    assert_error(sup.put(url, {**goal, "big_projects": 3}), 428, "version_required")
    assert_error(sup.put(url, {**goal, "big_projects": 3, "version": 7}), 409, "conflict")
    assert_error(sup.put(url, {**goal, "big_projects": 3}, **if_match(7)), 412, "precondition_failed")
    assert_error(sup.put(url, {**goal, "big_projects": -1, "version": 1}), 422)
    changed = ok(as_(org.principal).put(url, {**goal, "big_projects": 3}, **if_match(1)))
    assert changed["target"]["big_projects"] == 3 and changed["target"]["version"] == 2
    assert ZoneTarget.objects.get(zone=org.zone_a, year=2026).big_projects == 3


def test_target_drilldown_lists_the_projects_behind_a_figure(org: SmallOrg, as_: As) -> None:
    p = _pipeline(org)
    sup = as_(org.supervisor)
    query = {"zone_id": org.zone_a.pk, "year": 2026}
    assert ids(sup.get(f"{I}/targets/drilldown", {**query, "metric": "signed_amount"})) == {
        p["big"].pk,
        p["small"].pk,
    }
    assert ids(sup.get(f"{I}/targets/drilldown", {**query, "metric": "big_projects"})) == {p["big"].pk}
    assert ids(sup.get(f"{I}/targets/drilldown", {**query, "metric": "actual_investment"})) == {p["big"].pk}
    assert ids(sup.get(f"{I}/targets/drilldown", {**query, "year": 2025, "metric": "started_count"})) == set()
    assert_error(sup.get(f"{I}/targets/drilldown", {**query, "metric": "revenue"}), 422)
    assert_error(
        sup.get(f"{I}/targets/drilldown", {**query, "zone_id": 99999, "metric": "big_projects"}), 404
    )


def test_funnel_equals_the_selector(org: SmallOrg, as_: As) -> None:
    _pipeline(org)
    sup = as_(org.supervisor)
    for params, zone, since in (
        ({}, None, None),
        ({"zone_id": org.zone_a.pk}, org.zone_a, None),
        ({"since": "2026-02-01"}, None, D(2026, 2, 1)),
    ):
        answer = ok(sup.get(f"{I}/funnel", params))
        want = funnel(person=org.supervisor, zone=zone, since=since)
        got = [
            (s["stage"], s["reached"], _decimal(s["conversion"]), s["median_days"]) for s in answer["steps"]
        ]
        assert got == [(s.stage, s.reached, s.conversion, s.median_days) for s in want]
    everything = ok(sup.get(f"{I}/funnel"))["steps"]
    assert [s["reached"] for s in everything] == [4, 3, 2, 1, 1, 0]
    assert ok(sup.get(f"{I}/funnel", {"zone_id": org.zone_a.pk}))["zone"]["id"] == org.zone_a.pk
    assert_error(sup.get(f"{I}/funnel", {"zone_id": 99999}), 404)


def test_kanban_columns_equal_the_selector(org: SmallOrg, as_: As) -> None:
    p = _pipeline(org)
    sup = as_(org.supervisor)
    board = ok(sup.get(f"{I}/kanban", {"zone_id": org.zone_a.pk}))
    want = kanban(person=org.supervisor, zone=org.zone_a)
    got = [
        (c["stage"], c["label"], c["count"], _decimal(c["amount"]), [x["id"] for x in c["cards"]])
        for c in board["columns"]
    ]
    assert got == [(c.stage, c.label, c.count, c.amount, [x.pk for x in c.cards]) for c in want]
    columns = {c["stage"]: c for c in board["columns"]}
    assert (columns["signed"]["count"], _decimal(columns["signed"]["amount"])) == (1, Decimal("800"))
    assert (board["count"], _decimal(board["amount"])) == (3, Decimal("7000"))
    everywhere = {c["stage"]: c for c in ok(sup.get(f"{I}/kanban"))["columns"]}
    assert [c["id"] for c in everywhere["lead"]["cards"]] == [p["shanhe"].pk]
    assert ok(sup.get(f"{I}/kanban", {"per_column": 0}))["columns"][0]["cards"] == []


# Access ----------------------------------------------------------------------------------------------


def test_zone_staff_see_their_zone_leaders_all_enterprises_nothing(org: SmallOrg, as_: As) -> None:
    ours = new(org, "招商局项目")  # zone_a, the bureau's team
    in_b = new(org, "山河片区项目", actor=org.other_staff, zone=org.zone_b)
    everything = {ours.pk, in_b.pk}

    assert ids(as_(org.other_staff).get(f"{I}/projects")) == {in_b.pk}
    assert ids(as_(org.staff).get(f"{I}/projects")) == {ours.pk}
    assert ids(as_(org.principal).get(f"{I}/projects")) == everything
    assert ids(as_(org.deputy).get(f"{I}/projects")) == everything
    assert ids(as_(org.supervisor).get(f"{I}/projects", {"zone_id": org.zone_b.pk})) == {in_b.pk}
    assert_error(as_(org.other_staff).get(f"{I}/projects/{ours.pk}"), 404, "not_found")
    other_board = ok(as_(org.other_staff).get(f"{I}/kanban"))
    assert other_board["count"] == 1

    # A leader sees every project but edits only within their charge: here, a zone's leader.
    deputy = as_(make_person(org.admin, "zone_leader", org.zone_office, "leader"))
    assert ids(deputy.get(f"{I}/projects")) == everything
    assert ok(deputy.get(f"{I}/projects/{in_b.pk}"))["can_edit"] is True
    seen = ok(deputy.get(f"{I}/projects/{ours.pk}"))
    assert seen["can_edit"] is False
    assert_error(deputy.patch(f"{I}/projects/{ours.pk}", {"name": "改名", "version": seen["version"]}), 403)
    assert_error(deputy.post(f"{I}/projects/{ours.pk}/follow-ups", {
        "date": "2026-06-01", "form": "visit", "people_met": "x", "outcome": "y"}), 403)  # fmt: skip

    for outsider in (org.enterprise, org.nobody):
        api = as_(outsider)
        assert ok(api.get(f"{I}/projects"))["count"] == 0
        assert ok(api.get(f"{I}/kanban"))["count"] == 0
        assert ok(api.get(f"{I}/targets"))["rows"] == []
        assert all(s["reached"] == 0 for s in ok(api.get(f"{I}/funnel"))["steps"])
        for url in (
            f"{I}/projects/{ours.pk}",
            f"{I}/projects/{ours.pk}/follow-ups",
            f"{I}/projects/{ours.pk}/investments",
            f"{I}/projects/{ours.pk}/history",
        ):
            assert_error(api.get(url), 404, "not_found")
        assert_error(api.patch(f"{I}/projects/{ours.pk}", {"name": "x", "version": 1}), 404)
        assert_error(move(api, ours, {"to_stage": "negotiating"}), 404)
        assert_error(api.post(f"{I}/projects", {"name": "x", "investor": "x", "origin": "x", "industry": "x",
                                                "zone_id": org.zone_a.pk, "planned_investment": "1"}), 403)  # fmt: skip
    assert_error(Client().get(f"{I}/projects"), 401, "unauthenticated")


def test_documents_are_handed_out_only_with_their_project(org: SmallOrg, as_: As) -> None:
    ours = advance(org, new(org), "signed", D(2026, 3, 2), reason="直接签约", contracted_amount=Decimal("9"),
                   documents=[("agreement", pdf("投资协议.pdf"))])  # fmt: skip
    in_b = new(org, "山河片区项目", actor=org.other_staff, zone=org.zone_b)
    document = ProjectDocument.objects.get(project=ours)
    url = f"{I}/projects/{ours.pk}/documents/{document.pk}"
    response = as_(org.staff).get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    assert as_(org.supervisor).get(url).status_code == 200
    assert_error(as_(org.other_staff).get(url), 404)
    assert_error(as_(org.enterprise).get(url), 404)
    assert_error(as_(org.other_staff).get(f"{I}/projects/{in_b.pk}/documents/{document.pk}"), 404)


def test_who_may_be_named_on_a_project(org: SmallOrg, as_: As) -> None:
    sup = as_(org.supervisor)
    body = {"name": "x项目", "investor": "x", "origin": "韩国", "industry": "物流", "zone_id": org.zone_b.pk,
            "planned_investment": "10", "unit_id": org.zone_office.pk}  # fmt: skip
    refused = assert_error(sup.post(f"{I}/projects", {**body, "owner_id": org.enterprise.pk}), 400)
    assert set(refused["errors"]) == {"owner"}
    refused = assert_error(
        sup.post(f"{I}/projects", {**body, "owner_id": org.staff.pk, "leader_id": org.head.pk}), 400
    )
    assert set(refused["errors"]) == {"leader"}
    assert_error(sup.post(f"{I}/projects", {**body, "zone_id": 99999}), 404)
    assert_error(
        sup.post(f"{I}/projects", {**body, "planned_investment": "0", "owner_id": org.staff.pk}), 400
    )
    made = ok(sup.post(f"{I}/projects", {**body, "owner_id": org.other_staff.pk}), 201)
    assert (made["owner"]["id"], made["unit"]["id"]) == (org.other_staff.pk, org.zone_office.pk)
    # Staff name only people and units they see (the leader in charge may be any leader).
    staff = as_(org.staff)
    mine = {**body, "zone_id": org.zone_a.pk, "unit_id": None}
    assert_error(staff.post(f"{I}/projects", {**mine, "owner_id": org.other_staff.pk}), 404)
    assert_error(staff.post(f"{I}/projects", {**mine, "unit_id": org.zone_office.pk}), 404)
    made = ok(staff.post(f"{I}/projects", {**mine, "leader_id": org.deputy.pk}), 201)
    assert (made["owner"]["id"], made["unit"]["id"], made["leader"]["id"]) == (
        org.staff.pk,
        org.team.pk,
        org.deputy.pk,
    )


# Versions --------------------------------------------------------------------------------------------


def test_edits_and_moves_need_the_current_version(org: SmallOrg, as_: As) -> None:
    staff = as_(org.staff)
    p = new(org)
    url = f"{I}/projects/{p.pk}"
    read = staff.get(url)
    version = ok(read)["version"]
    assert read["ETag"] == f'"{version}"'

    first = staff.patch(url, {"name": "第一次修改", "planned_investment": "6000", "version": version})
    assert ok(first)["name"] == "第一次修改" and first["ETag"] == f'"{version + 1}"'
    assert_error(staff.patch(url, {"name": "第二次修改", "version": version}), 409, "conflict")
    assert_error(staff.patch(url, {"name": "过期"}, **if_match(version)), 412, "precondition_failed")
    assert_error(staff.patch(url, {"name": "无版本"}), 428, "version_required")
    assert_error(staff.patch(url, {"name": None, "version": version + 1}), 422, "invalid_input")
    after = fresh(p)
    assert (after.name, after.planned_investment, after.version) == (
        "第一次修改",
        Decimal("6000"),
        version + 1,
    )

    moves = StageMove.objects.count()
    assert_error(move(staff, p, {"to_stage": "negotiating"}, headers={}), 428, "version_required")
    assert_error(
        move(staff, p, {"to_stage": "negotiating", "version": str(version)}, headers={}), 409, "conflict"
    )
    assert_error(move(staff, p, {"to_stage": "negotiating"}, if_match(version)), 412, "precondition_failed")
    assert_error(staff.post(f"{url}/lost", {"reason": "x", "version": version}), 409)
    assert_error(staff.post(f"{url}/lost", {"reason": "x"}), 428)
    assert StageMove.objects.count() == moves and fresh(p).stage == "lead"
    assert ok(move(staff, p, {"to_stage": "negotiating", "version": str(version + 1)}, headers={}))[
        "stage"
    ] == ("negotiating")


def test_a_patch_never_changes_the_stage(org: SmallOrg, as_: As) -> None:
    staff, p = as_(org.staff), new(org)
    response = staff.patch(
        f"{I}/projects/{p.pk}", {"stage": "operating", "name": "新名称", "version": p.version}
    )
    assert ok(response)["stage"] == "lead"  # unknown fields are ignored; a stage change is a move
    assert fresh(p).stage == "lead"


# Query counts -------------------------------------------------------------------------------------


def test_list_and_kanban_query_counts_do_not_grow_with_rows(org: SmallOrg, as_: As) -> None:
    def add(count: int) -> None:
        for n in range(count):
            p = new(
                org,
                f"项目{n}",
                lead_on=D(2026, 1, 5) + datetime.timedelta(days=n),
                zone=(org.zone_a, org.zone_b)[n % 2],
            )
            if n % 3 == 0:
                p = advance(org, p, "negotiating", D(2026, 5, 1))
            if n % 2 == 0:
                FollowUp.objects.create(project=p, date=D(2026, 5, 2), form="phone", people_met="x", outcome="y",
                                        author=org.staff)  # fmt: skip

    def measure(api: Api, url: str, params: dict[str, Any] | None = None) -> int:
        api.get(url, params)  # the first request of a token also stamps its last use
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, params)
        assert response.status_code == 200
        return len(queries)

    def counts() -> dict[str, int]:
        sup = as_(org.supervisor)
        return {
            "list": measure(sup, f"{I}/projects"),
            "stale": measure(sup, f"{I}/projects", {"stale": "any", "stage": ["lead", "negotiating"]}),
            "kanban": measure(sup, f"{I}/kanban"),
            "zone kanban": measure(sup, f"{I}/kanban", {"zone_id": org.zone_a.pk}),
            "staff list": measure(as_(org.staff), f"{I}/projects"),
        }

    add(3)
    few = counts()
    assert ok(as_(org.supervisor).get(f"{I}/projects"))["count"] == 3
    add(27)
    many = counts()
    assert ok(as_(org.supervisor).get(f"{I}/projects"))["count"] == 30
    assert many == few


# OpenAPI ---------------------------------------------------------------------------------------------


def test_openapi_lists_the_investment_paths(org: SmallOrg) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200, response.content.decode()[:500]
    paths = response.json()["paths"]
    for path, method in (
        ("/api/investment/projects", "get"),
        ("/api/investment/projects", "post"),
        ("/api/investment/projects/{project_id}", "get"),
        ("/api/investment/projects/{project_id}", "patch"),
        ("/api/investment/projects/{project_id}/move", "post"),
        ("/api/investment/projects/{project_id}/lost", "post"),
        ("/api/investment/projects/{project_id}/revive", "post"),
        ("/api/investment/projects/{project_id}/follow-ups", "get"),
        ("/api/investment/projects/{project_id}/follow-ups", "post"),
        ("/api/investment/projects/{project_id}/investments", "post"),
        ("/api/investment/projects/{project_id}/documents/{document_id}", "get"),
        ("/api/investment/projects/{project_id}/history", "get"),
        ("/api/investment/kanban", "get"),
        ("/api/investment/funnel", "get"),
        ("/api/investment/targets", "get"),
        ("/api/investment/targets/{zone_id}/{year}", "put"),
        ("/api/investment/targets/drilldown", "get"),
    ):
        assert method in paths.get(path, {}), (path, method)
        assert paths[path][method]["tags"] == ["investment"]
    params = {p["name"] for p in paths["/api/investment/projects"]["get"]["parameters"]}
    assert params >= {"zone_id", "industry", "stage", "origin", "owner_id", "amount_min", "amount_max"}
    assert params >= {"stale", "include_lost", "q", "page", "page_size"}
    form = paths["/api/investment/projects/{project_id}/move"]["post"]["requestBody"]["content"]
    fields = form["multipart/form-data"]["schema"]["properties"]
    assert set(fields) >= {"to_stage", "moved_on", "reason", "contracted_amount", "uscc", "version"}
    assert set(fields) >= {"agreement", "licence", "permit", "photo", "other"}


def test_the_project_page_query_count_does_not_grow_with_its_records(org: SmallOrg, as_: As) -> None:
    p = advance(org, new(org), "negotiating", D(2026, 2, 2))

    def measure() -> int:
        staff = as_(org.staff)
        staff.get(f"{I}/projects/{p.pk}")  # the first request of a token also stamps its last use
        with CaptureQueriesContext(connection) as queries:
            ok(staff.get(f"{I}/projects/{p.pk}"))
        return len(queries)

    def follow_up(day: D) -> None:
        services.follow_up_add(
            actor=org.staff, project=p, date=day, form="visit", people_met="x", outcome="y"
        )

    follow_up(D(2026, 3, 1))
    few = measure()
    for n in range(30):
        follow_up(D(2026, 3, 2) + datetime.timedelta(days=n))
    p = advance(org, p, "signed", D(2026, 5, 6), contracted_amount=Decimal("9"),
                documents=[("agreement", pdf()), ("other", pdf("纪要.pdf"))])  # fmt: skip
    p = advance(org, p, "registered", D(2026, 5, 7), documents=[("licence", pdf())], uscc=HUAWEI)
    p = advance(org, p, "started", D(2026, 5, 8), documents=[("photo", pdf())])
    services.investment_record(actor=org.staff, project=p, month=D(2026, 5, 1), amount=Decimal("10"))
    services.investment_record(actor=org.staff, project=p, month=D(2026, 6, 1), amount=Decimal("20"))
    detail = ok(as_(org.staff).get(f"{I}/projects/{p.pk}"))
    assert (detail["follow_up_count"], len(detail["follow_ups"])) == (31, 20)
    assert (len(detail["documents"]), len(detail["moves"]), len(detail["investments"])) == (4, 4, 2)
    assert measure() == few + 1  # the follow-ups are counted once there are more than are shown
