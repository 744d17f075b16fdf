"""Excel in and out for investment: the ledger import (pages, API, jobs), the bulk service behind it,
the template, and the export of the filtered project list."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from luoshi.conftest import SmallOrg, client_for
from luoshi.core.audit import history_of
from luoshi.core.errors import DraftRejected
from luoshi.core.models import AuditRecord, Job, JobState
from luoshi.core.spreadsheets import XLSX_MIME, ImportRejected
from luoshi.investment import excel, services
from luoshi.investment.filters import project_filters_from_query
from luoshi.investment.models import Project, StageMove
from luoshi.investment.selectors import ProjectFilters, project_list
from luoshi.org.models import Person
from luoshi.service import services as desk_services
from luoshi.service.models import Enterprise
from luoshi.service.uscc import check_character, validate_uscc

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date
TODAY = D(2026, 6, 10)
HUAWEI = "914403001922038216"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
HEADERS = [
    "序号",
    "项目名称",
    "投资方",
    "投资方国别/地区",
    "所属行业",
    "所属片区",
    "计划投资额（万元）",
    "预计年产值（万元）",
    "预计就业",
    "招商责任人",
    "分管领导",
    "项目来源",
    "当前阶段",
    "线索日期",
    "洽谈日期",
    "签约日期",
    "签约金额（万元）",
    "注册日期",
    "统一社会信用代码",
    "开工日期",
    "投产日期",
]


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> None:
    """Every test runs on Wednesday 10 June 2026, 10:00 in Dalian."""
    time_machine.move_to(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False)


def code(n: int) -> str:
    """A well-formed credit code: Dalian's Jinzhou district, organisation number n, its check character."""
    base = f"91210213{n:09d}"
    return base + check_character(base)


def workbook(
    rows: list[list[Any]],
    headers: list[str] = HEADERS,
    titles: tuple[str, ...] = ("普湾经济区招商引资项目台账",),
) -> bytes:
    """A ledger as such sheets look: a merged title row, the header, the rows, blank rows at the end."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "台账"
    for number, title in enumerate(titles, start=1):
        sheet.append([title])
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=len(headers))
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    sheet.append([None] * len(headers))
    sheet.append(["", "", None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(**cells: Any) -> list[Any]:
    """A data row in HEADERS order; unnamed cells are blank, the required ones filled in."""
    values = {
        "序号": 1,
        "项目名称": "智能网联汽车零部件项目",
        "投资方": "大连甲汽车部件株式会社",
        "投资方国别/地区": "日本",
        "所属行业": "智能汽车",
        "所属片区": "湾北核心区",
        "计划投资额（万元）": 5000,
        "招商责任人": "staff",
        "当前阶段": "线索",
        "线索日期": "2026-01-05",
        **cells,
    }
    return [values.get(h) for h in HEADERS]


def upload(data: bytes, name: str = "台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX_MIME)


def counts() -> tuple[int, int, int, int]:
    return (
        Project.objects.count(),
        StageMove.objects.count(),
        Enterprise.objects.count(),
        AuditRecord.objects.count(),
    )


def last_job() -> Job:
    job = Job.objects.order_by("-pk").first()
    assert job is not None
    return job


def english(person: Person) -> Client:
    client = client_for(person)
    client.cookies["luoshi_language"] = "en"  # so that the assertions can read the messages
    return client


def post_import(person: Person, data: bytes, name: str = "台账.xlsx") -> tuple[Client, Any]:
    client = english(person)
    return client, client.post(reverse("investment:project_import"), {"file": upload(data, name)})


def rejected(org: SmallOrg, data: bytes, filename: str = "台账.xlsx") -> list[tuple[int | None, str, str]]:
    """Import a bad ledger as the supervision office; assert that nothing at all was written."""
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_projects(data, org.supervisor, filename=filename)
    assert counts() == before
    return [(e.row, e.column, e.message) for e in caught.value.errors]


# Good files ------------------------------------------------------------------------------------------


def test_good_ledger_creates_the_projects_at_their_stages_with_their_history(org: SmallOrg) -> None:
    known = desk_services.enterprise_create(
        actor=org.steward, name="大连甲半导体有限公司", uscc=HUAWEI, zone=org.zone_a, industry="集成电路"
    )
    rows = [
        row(
            序号=1,
            项目名称="氢能重卡项目",
            投资方="大连乙氢能科技有限公司",
            **{"投资方国别/地区": "中国"},
            所属片区="湾北",  # a unique part of a zone's name is enough
            **{"预计年产值（万元）": 12000},
            预计就业=150,
            招商责任人="Staff",  # a name
            分管领导="Deputy",
            项目来源="展会",
            当前阶段="洽谈",
            线索日期="2026年1月5日",
            洽谈日期=datetime.datetime(2026, 2, 2),
        ),
        ["二、集成电路"],  # a section row
        # Signed without a negotiation date: the ledger skipped that stage.
        row(
            序号=2,
            项目名称="晶圆封测项目",
            当前阶段="签约",
            签约日期="2026-03-02",
            **{"签约金额（万元）": "8,000"},
        ),
        # Registered: the enterprise is known by its code and linked.
        row(
            序号=3,
            项目名称="芯片设计中心",
            投资方="大连甲半导体有限公司",
            当前阶段="注册落地",
            洽谈日期="2026-01-20",
            签约日期="2026-02-10",
            **{"签约金额（万元）": 20000},
            注册日期="2026-03-15",
            统一社会信用代码=HUAWEI,
        ),
        # Operating: a new enterprise is registered under the investor's name.
        row(
            序号=4,
            项目名称="精细化工新材料项目",
            投资方="大连丙化工有限公司",
            所属片区="山河建材产业园",
            当前阶段="投产",
            线索日期="2025-03-01",
            洽谈日期="2025-04-01",
            签约日期="2025-06-01",
            **{"签约金额（万元）": 30000},
            注册日期="2025-07-01",
            统一社会信用代码=code(7),
            开工日期="2025-09-01",
            投产日期="2026-05-01",
        ),
    ]
    before = counts()
    client, response = post_import(org.supervisor, workbook(rows, titles=("普湾经济区", "招商项目台账")))

    job = last_job()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('investment:project_import')}?job={job.pk}"
    assert job.state == JobState.DONE, job.errors
    assert job.kind == "investment.project_import" and job.created_by == org.supervisor
    assert job.result is not None and job.result["created"] == 4 and job.result["enterprises_linked"] == 2
    # One audit record per project, and one for the enterprise a registration created.
    assert counts() == (before[0] + 4, before[1] + 1 + 1 + 3 + 5, before[2] + 1, before[3] + 4 + 1)

    projects = {p.name: p for p in Project.objects.all()}
    first = projects["氢能重卡项目"]
    assert first.code.startswith("ZS-2026-")
    assert (first.zone, first.owner, first.unit, first.leader) == (
        org.zone_a,
        org.staff,
        org.team,
        org.deputy,
    )
    assert (first.source, first.stage, first.lead_on, first.negotiating_on) == (
        "exhibition",
        "negotiating",
        D(2026, 1, 5),
        D(2026, 2, 2),
    )
    assert (first.expected_output, first.expected_jobs, first.origin) == (Decimal("12000"), 150, "中国")
    assert first.planned_investment == Decimal("5000") and first.contracted_amount is None
    (record,) = history_of(first)
    assert record.action == "create" and record.actor == org.supervisor
    assert record.after is not None and record.after["reason"] == "台账导入"
    assert record.after["stage"] == "negotiating"

    signed = projects["晶圆封测项目"]
    assert (signed.stage, signed.signed_on, signed.contracted_amount) == (
        "signed",
        D(2026, 3, 2),
        Decimal("8000"),
    )
    assert signed.source == "other"  # the ledger did not say
    assert [(m.from_stage, m.to_stage, m.moved_on, m.reason) for m in signed.moves.all()] == [
        ("lead", "signed", D(2026, 3, 2), "台账导入")
    ]
    registered = projects["芯片设计中心"]
    assert registered.enterprise == known
    operating = projects["精细化工新材料项目"]
    assert operating.enterprise is not None and operating.enterprise.uscc == code(7)
    assert operating.enterprise.name == "大连丙化工有限公司" and operating.enterprise.zone == org.zone_b
    assert [(m.from_stage, m.to_stage) for m in operating.moves.all()] == [
        ("lead", "negotiating"),
        ("negotiating", "signed"),
        ("signed", "registered"),
        ("registered", "started"),
        ("started", "operating"),
    ]
    assert all(m.by == org.supervisor and m.reason == "台账导入" for m in StageMove.objects.all())

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-done"' in page and "hx-trigger" not in page


def test_header_variants_and_amounts_in_yi_yuan(org: SmallOrg) -> None:
    headers = [
        "项目",
        "投资主体",
        "国别",
        "行业",
        "片区",
        "总投资（亿元）",
        "责任人",
        "阶段",
        "接洽日期",
        "签约额（万元）",
        "签约日期",
    ]
    rows = [
        [
            "甲项目",
            "甲公司",
            "韩国",
            "物流",
            "山河建材产业园",
            1.5,
            "staff",
            "线索",
            "2026-02-01",
            None,
            None,
        ],
        [
            "乙项目",
            "乙公司",
            "韩国",
            "物流",
            "山河建材产业园",
            "2,000万元",
            "staff",
            "签约",
            "2026-02-01",
            "0.8亿",
            "2026-05-01",
        ],
    ]
    result = excel.import_projects(workbook(rows, headers=headers, titles=()), org.supervisor)
    assert result.count == 2
    first, second = (Project.objects.get(name=n) for n in ("甲项目", "乙项目"))
    assert first.planned_investment == Decimal("15000.00")  # 1.5 亿元
    assert second.planned_investment == Decimal("2000.00")  # the cell's own unit
    assert second.contracted_amount == Decimal("8000.00")


def test_the_template_has_title_headers_example_and_notes_and_imports_cleanly(org: SmallOrg) -> None:
    response = client_for(org.supervisor).get(reverse("investment:project_import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[excel.SHEET_NAME]
    assert sheet["A1"].value == excel.TEMPLATE_TITLE
    assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)
    assert [c.value for c in sheet[2]] == [*HEADERS, "备注"]
    assert sheet["B3"].value
    notes = "\n".join(
        str(v) for r in book[excel.NOTES_SHEET_NAME].iter_rows(values_only=True) for v in r if v
    )
    for word in ["线索", "洽谈", "签约", "注册落地", "开工", "投产", "湾北核心区", "台账导入"]:
        assert word in notes
    result = excel.import_projects(response.content, org.supervisor, filename="招商项目台账导入模板.xlsx")
    assert result.count == 1
    assert Project.objects.get().stage == "signed"


# Bad files: every problem reported by row and column, nothing written -----------------------------------

BAD_ROWS: dict[str, tuple[list[Any], str, list[str]]] = {
    # name: (the row, its column in the report, fragments of the message)
    "unknown zone": (row(所属片区="湾被核心区"), "所属片区", ["湾被核心区", "湾北核心区"]),
    "unknown person": (row(招商责任人="Staf"), "招商责任人", ["Staf", "Staff"]),
    "person without a government post": (row(招商责任人="enterprise"), "招商责任人", ["government"]),
    "unknown leader": (row(分管领导="Deputi"), "分管领导", ["Deputi", "Deputy"]),
    "not a leader": (row(分管领导="Staff"), "分管领导", ["leader's post"]),
    "unknown stage": (row(当前阶段="流失"), "当前阶段", ["流失", "线索", "投产"]),
    "unknown source": (row(项目来源="天降"), "项目来源", ["天降", "走访"]),
    "bad date": (row(线索日期="2026-13-45"), "线索日期", ["2026-13-45"]),
    "text that is no date": (row(当前阶段="洽谈", 洽谈日期="春节后"), "洽谈日期", ["春节后"]),
    "date in the future": (row(线索日期="2026-07-01"), "线索日期", ["future"]),
    "dates out of stage order": (
        row(当前阶段="签约", 洽谈日期="2026-04-01", 签约日期="2026-03-01", **{"签约金额（万元）": 1}),
        "签约日期",
        ["Negotiating", "2026-04-01"],
    ),
    "stage date before the lead": (row(当前阶段="洽谈", 洽谈日期="2025-12-01"), "洽谈日期", ["Lead"]),
    "stage reached without its date": (row(当前阶段="洽谈"), "洽谈日期", ["Negotiating"]),
    "date of a stage not reached": (row(签约日期="2026-03-01"), "签约日期", ["Signed"]),
    "signed without amount": (row(当前阶段="签约", 签约日期="2026-03-01"), "签约金额（万元）", []),
    "amount without signing": (row(**{"签约金额（万元）": 800}), "签约金额（万元）", []),
    "registered without a code": (
        row(当前阶段="注册落地", 签约日期="2026-03-01", **{"签约金额（万元）": 1}, 注册日期="2026-04-01"),
        "统一社会信用代码",
        [],
    ),
    "code without registering": (row(统一社会信用代码=HUAWEI), "统一社会信用代码", []),
    "planned amount zero": (row(**{"计划投资额（万元）": 0}), "计划投资额（万元）", ["more than zero"]),
    "planned amount not a number": (row(**{"计划投资额（万元）": "五千"}), "计划投资额（万元）", ["五千"]),
    "jobs not a whole number": (row(预计就业="约200"), "预计就业", ["约200"]),
    "missing name": (row(项目名称=None), "项目名称", []),
    "missing lead date": (row(线索日期=None), "线索日期", []),
    "missing owner": (row(招商责任人=""), "招商责任人", []),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(org: SmallOrg, case: str) -> None:
    bad, column, fragments = BAD_ROWS[case]
    good = row(序号=2, 项目名称="另一个好项目")
    before, jobs = counts(), Job.objects.count()
    post_import(org.supervisor, workbook([good, bad]))  # the bad row is Excel row 4 (title, header, good)
    job = last_job()
    assert Job.objects.count() == jobs + 1 and job.state == JobState.FAILED
    assert counts() == before
    problems = [(e["row"], e["column"], e["message"]) for e in job.errors or []]
    assert [(r, c) for r, c, _m in problems] == [(4, column)], problems
    for fragment in fragments:
        assert fragment in problems[0][2]


def test_an_invalid_code_is_reported_with_the_validators_own_reason(org: SmallOrg) -> None:
    bad = HUAWEI[:-1] + "7"
    with pytest.raises(ValidationError) as reason:
        validate_uscc(bad)
    registered = row(
        当前阶段="注册落地",
        签约日期="2026-03-01",
        **{"签约金额（万元）": 1},
        注册日期="2026-04-01",
        统一社会信用代码=bad,
    )
    assert rejected(org, workbook([registered])) == [(3, "统一社会信用代码", reason.value.messages[0])]


def test_duplicates_in_the_file_and_in_luoshi_and_taken_enterprise_names(org: SmallOrg) -> None:
    services.project_create(
        actor=org.staff,
        name="已有项目",
        investor="已有公司",
        origin="日本",
        industry="物流",
        zone=org.zone_a,
        planned_investment=Decimal(100),
    )
    desk_services.enterprise_create(
        actor=org.steward, name="大连甲半导体有限公司", uscc=HUAWEI, zone=org.zone_a, industry="集成电路"
    )
    registered = {
        "当前阶段": "注册落地",
        "签约日期": "2026-03-01",
        "签约金额（万元）": 1,
        "注册日期": "2026-04-01",
    }
    rows = [
        row(序号=1, 项目名称="甲"),
        row(序号=2, 项目名称="甲"),  # the same project (name and investor) twice
        row(序号=3, 项目名称="已有项目", 投资方="已有公司"),
        # A new code under the name of an enterprise already registered with another code.
        row(序号=4, 项目名称="乙", 投资方="大连甲半导体有限公司", 统一社会信用代码=code(4), **registered),
        # Two new codes under one investor's name within the file.
        row(序号=5, 项目名称="丙", 投资方="大连丁公司", 统一社会信用代码=code(5), **registered),
        row(序号=6, 项目名称="丁", 投资方="大连丁公司", 统一社会信用代码=code(6), **registered),
        # The same new code twice is one enterprise: fine.
        row(序号=7, 项目名称="戊", 投资方="大连丁公司", 统一社会信用代码=code(5), **registered),
    ]
    problems = rejected(org, workbook(rows))
    assert [(r, c) for r, c, _m in problems] == [
        (4, "项目名称"),
        (5, "项目名称"),
        (6, "投资方"),
        (8, "投资方"),
    ]
    assert "3" in problems[0][2]
    assert Project.objects.get(name="已有项目").code in problems[1][2]


def test_missing_required_columns_are_named(org: SmallOrg) -> None:
    problems = rejected(org, workbook([["甲", "乙公司"]], headers=["项目名称", "投资方"]))
    assert sorted(c for _r, c, _m in problems) == sorted(
        [
            "投资方国别/地区",
            "所属行业",
            "所属片区",
            "计划投资额（万元）",
            "招商责任人",
            "当前阶段",
            "线索日期",
        ]
    )
    assert {r for r, _c, _m in problems} == {2}


def test_a_workbook_without_a_header_row_is_refused(org: SmallOrg) -> None:
    problems = rejected(org, workbook([["a", "b"]], headers=["甲", "乙"]))
    assert problems[0][0] is None and "项目名称" in problems[0][2]


def test_a_refusal_by_the_service_rolls_back_every_batch(org: SmallOrg, monkeypatch: Any) -> None:
    real_link = services._link_enterprise

    def link(actor: Person, project: Project, uscc: str, enterprise_name: str) -> Any:
        if project.name == "乙":
            raise ValidationError({"uscc": "工商登记查无此码"})
        return real_link(actor, project, uscc, enterprise_name)

    monkeypatch.setattr(services, "_link_enterprise", link)
    monkeypatch.setattr(excel, "CREATE_BATCH", 1)
    registered = {
        "当前阶段": "注册落地",
        "签约日期": "2026-03-01",
        "签约金额（万元）": 1,
        "注册日期": "2026-04-01",
    }
    rows = [
        row(序号=1, 项目名称="甲", 投资方="甲公司", 统一社会信用代码=code(1), **registered),
        row(序号=2, 项目名称="乙", 投资方="乙公司", 统一社会信用代码=code(2), **registered),
    ]
    assert rejected(org, workbook(rows)) == [(4, "统一社会信用代码", "工商登记查无此码")]
    assert not Enterprise.objects.filter(uscc=code(1)).exists()


def test_a_non_xlsx_file_renamed_is_refused_on_the_form_and_nothing_is_queued(org: SmallOrg) -> None:
    before, jobs = counts(), Job.objects.count()
    _client, response = post_import(org.supervisor, PDF, name="台账.xlsx")
    assert response.status_code == 400
    assert 'data-testid="import-file-error"' in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs
    problems = rejected(org, PDF, filename="台账.xlsx")
    assert problems[0][0] is None and "台账.xlsx" in problems[0][2]


def test_an_oversized_file_is_refused(org: SmallOrg) -> None:
    data = workbook([row()])
    big = data + b"\0" * (excel.MAX_UPLOAD_BYTES + 1 - len(data))
    before, jobs = counts(), Job.objects.count()
    _client, response = post_import(org.supervisor, big)
    assert response.status_code == 400 and "10 MB" in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs
    assert "10 MB" in rejected(org, big)[0][2]


# Access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "head", "deputy", "principal", "steward"])
def test_only_the_supervision_office_may_import_a_ledger(
    org: SmallOrg, who: str, api_token: Callable[..., Any]
) -> None:
    person = getattr(org, who)
    client = client_for(person)
    token = api_token(person)
    before, jobs = counts(), Job.objects.count()
    data = workbook([row()])
    assert client.get(reverse("investment:project_import")).status_code == 403
    assert client.post(reverse("investment:project_import"), {"file": upload(data)}).status_code == 403
    assert client.get(reverse("investment:project_import_template")).status_code == 403
    assert (
        Client().post("/api/investment/projects/import", {"file": upload(data)}, **token).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        excel.import_projects(data, person)
    assert counts() == before and Job.objects.count() == jobs


def test_enterprise_users_do_not_see_the_excel_pages(org: SmallOrg, api_token: Callable[..., Any]) -> None:
    client = client_for(org.enterprise)
    for name in ("project_import", "project_import_template", "project_export"):
        assert client.get(reverse(f"investment:{name}")).status_code == 404
    token = api_token(org.enterprise)
    assert Client().get("/api/investment/projects/export", **token).status_code == 404
    answer = Client().post("/api/investment/projects/import", {"file": upload(workbook([row()]))}, **token)
    assert answer.status_code == 404


# The bulk service ------------------------------------------------------------------------------------------


def draft(org: SmallOrg, name: str, **kwargs: Any) -> services.ProjectDraft:
    values: dict[str, Any] = {
        "name": name,
        "investor": f"{name}公司",
        "origin": "日本",
        "industry": "物流",
        "zone": org.zone_a,
        "planned_investment": Decimal(100),
        "owner": org.staff,
        "lead_on": D(2026, 1, 5),
        **kwargs,
    }
    return services.ProjectDraft(**values)


def test_project_create_many_refuses_a_bad_draft_by_index_and_writes_nothing(org: SmallOrg) -> None:
    before = counts()
    unsigned = draft(org, "乙", stage="signed", reached={"signed": D(2026, 3, 1)})
    with pytest.raises(DraftRejected) as caught:
        services.project_create_many(actor=org.supervisor, drafts=[draft(org, "甲"), unsigned])
    assert caught.value.index == 1 and set(caught.value.message_dict) == {"contracted_amount"}
    not_a_leader = draft(org, "丙", fields={"leader": org.staff})
    with pytest.raises(DraftRejected) as caught:
        services.project_create_many(actor=org.supervisor, drafts=[not_a_leader])
    assert caught.value.index == 0 and set(caught.value.message_dict) == {"leader"}
    with pytest.raises(PermissionDenied):
        services.project_create_many(actor=org.enterprise, drafts=[draft(org, "丁")])
    # Moving a project needs the right to edit it: the zone office's staff cannot move zone A's.
    moved = draft(org, "戊", stage="negotiating", reached={"negotiating": D(2026, 2, 1)})
    with pytest.raises(PermissionDenied):
        services.project_create_many(actor=org.other_staff, drafts=[moved])
    assert counts() == before


def test_project_create_many_writes_what_project_create_writes(org: SmallOrg) -> None:
    one = services.project_create(
        actor=org.supervisor,
        name="单个",
        investor="单个公司",
        origin="日本",
        industry="物流",
        zone=org.zone_a,
        planned_investment=Decimal(100),
        owner=org.staff,
        lead_on=D(2026, 1, 5),
        leader=org.deputy,
    )
    (many,) = services.project_create_many(
        actor=org.supervisor, drafts=[draft(org, "批量", investor="单个公司", fields={"leader": org.deputy})]
    )
    many = Project.objects.get(pk=many.pk)
    assert (many.unit, many.stage, many.owner, many.leader) == (one.unit, "lead", org.staff, org.deputy)
    assert many.code > one.code
    (record_one,) = history_of(one)
    (record_many,) = history_of(many)
    assert record_one.after is not None and record_many.after is not None
    differ = {"id", "code", "name", "source", "reason"}
    assert {k: v for k, v in record_many.after.items() if k not in differ} == {
        k: v for k, v in record_one.after.items() if k not in differ
    }


def test_project_create_many_does_not_query_per_project(org: SmallOrg) -> None:
    def queries(n: int) -> int:
        drafts = [
            draft(
                org,
                f"项目{n}-{i}",
                stage="signed",
                reached={"signed": D(2026, 3, 1)},
                contracted_amount=Decimal(1),
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            services.project_create_many(actor=org.supervisor, drafts=drafts)
        return len(captured)

    queries(1)  # the year's counter and the content type exist from here on
    few, many = queries(3), queries(40)
    assert many - few <= 2


# The API -------------------------------------------------------------------------------------------------


def test_api_import_then_poll_the_job(org: SmallOrg, api_token: Callable[..., Any]) -> None:
    headers = api_token(org.supervisor)
    client = Client()
    answer = client.post("/api/investment/projects/import", {"file": upload(workbook([row()]))}, **headers)
    assert answer.status_code == 202, answer.content
    polled = client.get(f"/api/jobs/{answer.json()['job_id']}", **headers).json()
    assert polled["state"] == "done" and polled["result"]["created"] == 1

    bad = client.post(
        "/api/investment/projects/import",
        {"file": upload(workbook([row(项目名称="乙", 所属片区="火星")]))},
        **headers,
    )
    failed = client.get(f"/api/jobs/{bad.json()['job_id']}", **headers).json()
    assert failed["state"] == "failed"
    assert [(e["row"], e["column"]) for e in failed["errors"]] == [(3, "所属片区")]

    renamed = client.post("/api/investment/projects/import", {"file": upload(b"not a workbook")}, **headers)
    assert renamed.status_code == 400 and renamed.json()["code"] == "invalid_file"

    template = client.get("/api/investment/projects/import/template", **headers)
    assert template.status_code == 200 and template.content.startswith(b"PK")

    exported = client.get("/api/investment/projects/export", {"zone_id": org.zone_a.pk}, **headers)
    assert exported.status_code == 202
    polled = client.get(f"/api/jobs/{exported.json()['job_id']}", **headers).json()
    result = client.get(polled["result_url"], **headers)
    rows = exported_rows(b"".join(result.streaming_content))  # type: ignore[attr-defined]
    assert [r["项目名称"] for r in rows] == ["智能网联汽车零部件项目"]


def test_the_openapi_document_lists_the_excel_paths(org: SmallOrg) -> None:
    paths = client_for(org.supervisor).get("/api/openapi.json").json()["paths"]
    assert "/api/investment/projects/import" in paths
    assert "/api/investment/projects/export" in paths
    assert "/api/investment/projects/{project_id}" in paths


# Export --------------------------------------------------------------------------------------------------


def exported_rows(data: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[1])
    return [dict(zip(header, r, strict=False)) for r in values[2:] if any(v is not None for v in r)]


def job_rows(job: Job) -> list[dict[str, Any]]:
    assert job.state == JobState.DONE, job.message
    with job.result_file.open("rb") as handle:
        return exported_rows(handle.read())


@pytest.fixture
def pipeline(org: SmallOrg) -> dict[str, Project]:
    """Five projects: a red-stale lead, a fresh lead with a follow-up, a signed one in zone B, a
    registered one, and a lost one."""

    def create(name: str, zone: Any, lead_on: D, amount: int = 5000) -> Project:
        return services.project_create(
            actor=org.supervisor,
            name=name,
            investor=f"{name}公司",
            origin="日本",
            industry="智能汽车",
            zone=zone,
            planned_investment=Decimal(amount),
            owner=org.staff,
            lead_on=lead_on,
        )

    def move(project: Project, to: str, on: D, **kwargs: Any) -> Project:
        project = Project.objects.get(pk=project.pk)
        return services.project_move(
            actor=org.supervisor,
            project=project,
            expected_version=project.version,
            to_stage=to,
            moved_on=on,
            **kwargs,
        )

    def document(kind: str) -> list[tuple[str, SimpleUploadedFile]]:
        return [(kind, SimpleUploadedFile("证明.pdf", PDF))]

    stale = create("沉寂线索", org.zone_a, D(2026, 3, 1))
    fresh = create("活跃线索", org.zone_a, D(2026, 5, 1), amount=800)
    services.follow_up_add(
        actor=org.supervisor,
        project=fresh,
        date=D(2026, 6, 1),
        form="visit",
        people_met="山田",
        outcome="确认选址意向",
        next_step="安排考察",
    )
    signed = create("已签约项目", org.zone_b, D(2026, 1, 5), amount=20000)
    move(
        signed,
        "signed",
        D(2026, 3, 1),
        contracted_amount=Decimal(18000),
        documents=document("agreement"),
        reason="直接签约",
    )
    registered = create("已注册项目", org.zone_a, D(2026, 1, 5))
    move(registered, "negotiating", D(2026, 2, 1))
    move(
        registered, "signed", D(2026, 3, 1), contracted_amount=Decimal(6000), documents=document("agreement")
    )
    move(registered, "registered", D(2026, 4, 1), uscc=HUAWEI, documents=document("licence"))
    lost = create("流失项目", org.zone_a, D(2026, 2, 1))
    lost = Project.objects.get(pk=lost.pk)
    services.project_mark_lost(
        actor=org.supervisor, project=lost, expected_version=lost.version, reason="转投他处"
    )
    return {p.name: Project.objects.get(pk=p.pk) for p in (stale, fresh, signed, registered, lost)}


def export(person: Person, query: dict[str, Any]) -> list[dict[str, Any]]:
    client_for(person).get(reverse("investment:project_export"), query)
    return job_rows(last_job())


def test_export_of_a_filtered_list_holds_exactly_its_projects(
    org: SmallOrg, pipeline: dict[str, Project]
) -> None:
    rows = {r["项目名称"]: r for r in export(org.supervisor, {"zone": org.zone_a.pk})}
    assert set(rows) == {"沉寂线索", "活跃线索", "已注册项目"}  # not zone B's, not the lost one
    registered = rows["已注册项目"]
    assert registered["项目编号"] == pipeline["已注册项目"].code
    assert (registered["当前阶段"], registered["签约金额（万元）"], registered["统一社会信用代码"]) == (
        "注册落地",
        6000,
        HUAWEI,
    )
    assert registered["注册日期"].date() == D(2026, 4, 1) and registered["开工日期"] is None
    assert registered["招商责任人"] == org.staff.name and registered["责任单位"] == org.team.name
    assert rows["沉寂线索"]["跟进状态"] == "红" and rows["活跃线索"]["跟进状态"] is None
    fresh = rows["活跃线索"]
    assert fresh["最近跟进日期"].date() == D(2026, 6, 1)
    assert (fresh["最近跟进情况"], fresh["下一步"]) == ("确认选址意向", "安排考察")

    names = lambda query: sorted(r["项目名称"] for r in export(org.supervisor, query))  # noqa: E731
    assert names({"stage": ["signed", "registered"]}) == ["已注册项目", "已签约项目"]
    assert names({"stale": "red"}) == ["沉寂线索"]
    assert names({"amount_min": "1000", "amount_max": "10000"}) == ["已注册项目", "沉寂线索"]
    assert names({"include_lost": "on", "q": "流失"}) == ["流失项目"]
    lost = export(org.supervisor, {"include_lost": "on", "q": "流失"})[0]
    assert lost["流失原因"] == "转投他处" and lost["流失日期"].date() == TODAY


def test_export_holds_what_the_list_page_shows(org: SmallOrg, pipeline: dict[str, Project]) -> None:
    client = client_for(org.supervisor)
    queries: list[dict[str, Any]] = [
        {},
        {"zone": org.zone_b.pk},
        {"stage": ["lead", "signed"], "stale": "any"},
        {"amount_min": "900", "amount_max": "100"},  # an upside-down range: its end is ignored
        {"owner": org.staff.pk, "include_lost": "on"},
        {"zone": "x", "stage": ["lead", "nonsense"], "industry": "航天"},
    ]
    for query in queries:
        page = client.get(reverse("investment:project_list"), query)
        shown = [p.code for p in page.context["page"].object_list]
        client.get(reverse("investment:project_export"), query)
        assert [r["项目编号"] for r in job_rows(last_job())] == shown, query


def test_export_is_scoped_to_what_the_person_sees(org: SmallOrg, pipeline: dict[str, Project]) -> None:
    # The zone office is in zone B: its staff see zone B's projects only.
    assert [r["项目名称"] for r in export(org.other_staff, {})] == ["已签约项目"]


def test_export_query_count_does_not_grow_with_rows(org: SmallOrg, pipeline: dict[str, Project]) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            excel.export_projects(
                project_list(person=org.supervisor, filters=ProjectFilters(include_lost=True))
            )
        return len(captured)

    few = queries()
    excel.import_projects(
        workbook([row(序号=n, 项目名称=f"项目{n}", 分管领导="Deputy") for n in range(8)]), org.supervisor
    )
    assert queries() == few
    assert few <= 1


def test_an_export_reads_back_as_a_ledger_of_projects_already_in_luoshi(
    org: SmallOrg, pipeline: dict[str, Project]
) -> None:
    data = excel.export_projects(project_list(person=org.supervisor))
    problems = rejected(org, data, filename="招商项目.xlsx")
    assert len(problems) == 4
    assert all(column == "项目名称" and "ZS-" in message for _r, column, message in problems)


def test_query_string_filters_keep_only_what_the_form_accepts(
    org: SmallOrg, pipeline: dict[str, Project]
) -> None:
    from django.http import QueryDict

    query = QueryDict(
        f"zone_id={org.zone_b.pk}&industry=航天&stage=lead&stage=signed&origin=日本&owner={org.head.pk}"
        "&amount_min=10&amount_max=5&stale=purple&include_lost=false&q= 项目 "
    )
    filters = project_filters_from_query(query, person=org.supervisor)
    assert filters == ProjectFilters(
        zone=org.zone_b, stages=["lead", "signed"], origin="日本", amount_min=Decimal(10), q="项目"
    )
    # A zone that does not exist is ignored, and one unknown stage voids the stages. The owner must
    # answer for a project the person sees: org.staff does (zone B's signed project), the head none.
    filters = project_filters_from_query(
        QueryDict(f"zone=999999&stage=lead&stage=x&owner_id={org.staff.pk}&include_lost=on"),
        person=org.other_staff,
    )
    assert filters == ProjectFilters(owner=org.staff, include_lost=True)
    assert project_filters_from_query(QueryDict(f"owner={org.head.pk}"), person=org.other_staff).owner is None


def test_progress_is_reported_while_importing(org: SmallOrg) -> None:
    from luoshi.core.jobs import Progress

    seen: list[tuple[int, int, str]] = []

    class Recorder(Progress):
        def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
            super().__call__(done, total, stage)
            seen.append((self.done, self.total, self.stage))

    job = Job.objects.create(kind="investment.project_import", created_by=org.supervisor)
    rows = [row(序号=n, 项目名称=f"项目{n}") for n in range(30)]
    excel.import_projects(workbook(rows), org.supervisor, progress=Recorder(job))
    assert seen[-1][:2] == (30, 30)
    assert len({stage for _d, _t, stage in seen}) >= 3  # reading, checking, creating
