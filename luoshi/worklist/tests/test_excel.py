"""Excel in and out for the implementation list: the import (pages, API, jobs), the template, the export."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from luoshi.conftest import SmallOrg, client_for
from luoshi.core.errors import DraftRejected
from luoshi.core.jobs import Progress, job_execute, live_progress_put
from luoshi.core.models import AuditRecord, Job, JobState
from luoshi.org.importing import ImportRejected
from luoshi.worklist import excel, services
from luoshi.worklist.filters import item_filters_from_query
from luoshi.worklist.lights import Light
from luoshi.worklist.models import Category, Directive, Item, ItemState, ReportCycle
from luoshi.worklist.selectors import ItemFilters, item_list
from luoshi.worklist.tests.conftest import report_on

HEADERS = [
    "序号",
    "事项名称",
    "类别",
    "所属部署",
    "所属片区",
    "牵头单位",
    "配合单位",
    "责任领导",
    "责任人",
    "目标成果",
    "开始时间",
    "完成时限",
    "报告周期",
]


def workbook(
    rows: list[list[Any]],
    headers: list[str] = HEADERS,
    titles: tuple[str, ...] = ("普湾经济区2026年工程项目清单",),
    trailing_blank: int = 3,
) -> bytes:
    """A project list as such sheets look: merged title rows, the header, rows, blank rows at the end."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "清单"
    for number, title in enumerate(titles, start=1):
        sheet.append([title])
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=len(headers))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for _ in range(trailing_blank):
        sheet.append([None] * len(headers))
    sheet.append(["", "", None])  # a row of empty strings, as left behind by clearing cells
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(**cells: Any) -> list[Any]:
    """A data row in HEADERS order; unnamed cells are blank, the required ones filled in."""
    values = {
        "序号": 1,
        "事项名称": "湾北高科技产业集聚区招商推介",
        "牵头单位": "招商局",
        "目标成果": "签约项目不少于5个",
        "完成时限": "2026-12-31",
        **cells,
    }
    return [values.get(h) for h in HEADERS]


def upload(data: bytes, name: str = "清单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_MIME)


def counts() -> tuple[int, int]:
    return Item.objects.count(), AuditRecord.objects.count()


def post_import(org: SmallOrg, data: bytes, name: str = "清单.xlsx", publish: bool = False) -> Any:
    client = client_for(org.supervisor)
    payload: dict[str, Any] = {"file": upload(data, name)}
    if publish:
        payload["publish"] = "on"
    return client, client.post(reverse("worklist:import"), payload)


def last_job() -> Job:
    job = Job.objects.order_by("-pk").first()
    assert job is not None
    return job


def errors_of(job: Job) -> list[tuple[int | None, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors or []]


@pytest.fixture
def directive(org: SmallOrg) -> Directive:
    return services.directive_create(
        actor=org.supervisor,
        title="推进湾北高科技产业集聚区建设",
        source_kind="meeting",
        source_title="普湾经济区干部大会",
        source_date=datetime.date(2026, 2, 20),
        source_issuer="管委会",
    )


# Good files ----------------------------------------------------------------------------------------


def test_good_file_creates_exactly_the_items_with_their_fields(org: SmallOrg, directive: Directive) -> None:
    rows = [
        row(
            序号=1,
            事项名称="湾北高科技产业集聚区招商推介",
            类别="招商引资",
            所属部署="推进湾北高科技产业集聚区建设",
            所属片区="湾北核心区",
            配合单位="企业服务中心、山河片区办",
            责任领导="Deputy",
            责任人="张伟",
            开始时间="2026年3月1日",
            完成时限="2026年12月31日",
            报告周期="每月",
        ),
        row(序号=2, 事项名称="汽车产业园规划", 配合单位="企业服务中心，招商一科", 完成时限="2026/11/30"),
        row(序号=3, 事项名称="松木岛精细化工项目", 配合单位="企业服务中心;山河片区办", 完成时限="2026.10.15"),
        row(序号=4, 事项名称="东北亚国际会展中心", 配合单位="企业服务中心\n招商一科", 完成时限="2026-09-30"),
        row(序号=5, 事项名称="绿色建材产业园", 完成时限=datetime.datetime(2026, 8, 31)),
        row(序号=6, 事项名称="五星级服务品牌", 完成时限="2026年6月底"),
        ["二、改革与制度（1项）"],  # a section row
        row(序号=7, 事项名称="考核制度2.0", 牵头单位="山河片区办", 完成时限=46387),  # an Excel serial
    ]
    items_before, audits_before = counts()
    client, response = post_import(org, workbook(rows, titles=("普湾经济区", "2026年工程项目清单")))

    job = last_job()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('worklist:import')}?job={job.pk}"
    assert job.state == JobState.DONE, job.errors
    assert job.kind == "worklist.import" and job.created_by == org.supervisor
    assert job.result is not None and job.result["created"] == 7
    assert Item.objects.count() == items_before + 7
    created = {i.title: i for i in Item.objects.prefetch_related("support_units")}
    assert AuditRecord.objects.count() == audits_before + 7
    item_audits = AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(Item))
    assert sorted(item_audits.filter(action="create").values_list("object_id", flat=True)) == sorted(
        str(i.pk) for i in created.values()
    )

    first = created["湾北高科技产业集聚区招商推介"]
    assert first.state == ItemState.DRAFT
    assert first.lead_unit == org.bureau
    assert set(first.support_units.all()) == {org.service_centre, org.zone_office}
    assert first.leader == org.deputy
    assert first.owner is None
    assert "张伟" in first.description
    assert first.zone == org.zone_a
    assert first.directive == directive
    assert first.category == Category.INVESTMENT
    assert first.report_cycle == ReportCycle.MONTHLY
    assert first.target_text == "签约项目不少于5个"
    assert first.start_date == datetime.date(2026, 3, 1)
    assert first.deadline == datetime.date(2026, 12, 31)
    assert first.code.startswith("PW-")

    assert created["汽车产业园规划"].deadline == datetime.date(2026, 11, 30)
    assert set(created["汽车产业园规划"].support_units.all()) == {org.service_centre, org.team}
    assert created["松木岛精细化工项目"].deadline == datetime.date(2026, 10, 15)
    assert set(created["松木岛精细化工项目"].support_units.all()) == {org.service_centre, org.zone_office}
    assert created["东北亚国际会展中心"].deadline == datetime.date(2026, 9, 30)
    assert set(created["东北亚国际会展中心"].support_units.all()) == {org.service_centre, org.team}
    assert created["绿色建材产业园"].deadline == datetime.date(2026, 8, 31)
    assert created["五星级服务品牌"].deadline == datetime.date(2026, 6, 30)
    assert created["考核制度2.0"].deadline == datetime.date(2026, 12, 31)
    assert created["考核制度2.0"].lead_unit == org.zone_office
    assert created["考核制度2.0"].category == Category.PROJECT  # the default
    assert created["考核制度2.0"].report_cycle == ReportCycle.WEEKLY

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-testid="job-done"' in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # finished: no more polling


def test_header_variants_are_read(org: SmallOrg) -> None:
    headers = ["序号", "工作任务", "责任单位", "协办单位", "工作目标", "完成时间（必填）"]
    rows = [[1, "湾北科创学园建设", "招商局", "企业服务中心", "建成投用", "2026年9月30日"]]
    result = excel.import_items(workbook(rows, headers=headers, titles=()), org.supervisor)
    item = Item.objects.get(code=result.codes[0])
    assert (item.title, item.lead_unit, item.target_text) == ("湾北科创学园建设", org.bureau, "建成投用")
    assert list(item.support_units.all()) == [org.service_centre]
    assert item.deadline == datetime.date(2026, 9, 30)


def test_publish_at_once_publishes_every_item_to_its_lead_unit(org: SmallOrg) -> None:
    rows = [row(序号=1, 事项名称="甲"), row(序号=2, 事项名称="乙", 牵头单位="山河片区办")]
    items_before, audits_before = counts()
    post_import(org, workbook(rows), publish=True)
    job = last_job()
    assert job.state == JobState.DONE, job.errors
    assert job.result is not None and job.result["published"] is True
    items = list(Item.objects.order_by("code"))
    assert [i.state for i in items] == [ItemState.PUBLISHED, ItemState.PUBLISHED]
    assert all(i.published_at for i in items)
    assert Item.objects.count() == items_before + 2
    assert AuditRecord.objects.count() == audits_before + 4  # create + publish for each
    assert AuditRecord.objects.filter(action="publish").count() == 2


def test_the_template_has_title_headers_example_and_notes_and_imports_cleanly(org: SmallOrg) -> None:
    response = client_for(org.supervisor).get(reverse("worklist:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_MIME
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[excel.SHEET_NAME]
    assert sheet["A1"].value == excel.TEMPLATE_TITLE
    assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)
    headers = [c.value for c in sheet[2]]
    assert headers[:2] == ["序号", "事项名称"] and "牵头单位" in headers and "完成时限" in headers
    assert sheet["B3"].value  # the example row
    assert excel.NOTES_SHEET_NAME in book.sheetnames
    # The example row is valid as it stands.
    result = excel.import_items(response.content, org.supervisor)
    assert result.count == 1


# Bad files: every problem reported by row and column, nothing written --------------------------------

BAD_ROWS: dict[str, tuple[list[Any], int, str, list[str]]] = {
    # name: (row, Excel row, column, fragments of the message)
    "unknown unit": (row(牵头单位="招商服务局"), 3, "牵头单位", ["招商服务局", "招商局"]),
    "unknown supporting unit": (row(配合单位="企业服务中心、企服中心"), 3, "配合单位", ["企服中心"]),
    "unknown zone": (row(所属片区="火星片区"), 3, "所属片区", ["火星片区"]),
    "unknown leader": (row(责任领导="Deputi"), 3, "责任领导", ["Deputi", "Deputy"]),
    "bad date": (row(完成时限="2026-13-45"), 3, "完成时限", ["2026-13-45"]),
    "text that is no date": (row(完成时限="年底前"), 3, "完成时限", ["年底前"]),
    "missing date": (row(完成时限=None), 3, "完成时限", []),
    "missing title": (row(事项名称=None), 3, "事项名称", []),
    "missing target": (row(目标成果=""), 3, "目标成果", []),
    "start after deadline": (row(开始时间="2027-01-01"), 3, "开始时间", []),
    "unknown category": (row(类别="其它杂项"), 3, "类别", ["其它杂项"]),
    "unknown directive": (row(所属部署="不存在的部署"), 3, "所属部署", ["不存在的部署"]),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(org: SmallOrg, case: str) -> None:
    bad, _number, column, fragments = BAD_ROWS[case]
    good = row(序号=2, 事项名称="另一个好事项")
    before = counts()
    post_import(org, workbook([good, bad]))  # the bad row is Excel row 4 (title, header, good, bad)
    job = last_job()
    assert job.state == JobState.FAILED
    assert counts() == before
    problems = errors_of(job)
    assert problems, job.message
    assert [(r, c) for r, c, _m in problems] == [(4, column)]
    for fragment in fragments:
        assert fragment in problems[0][2]


def test_unknown_unit_suggests_the_closest_known_names(org: SmallOrg) -> None:
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(workbook([row(牵头单位="招商服务局")]), org.supervisor)
    (problem,) = caught.value.errors
    assert (problem.row, problem.column) == (3, "牵头单位")
    assert "招商局" in problem.message and "招商服务局" in problem.message


def test_duplicate_titles_and_every_bad_row_are_all_reported(org: SmallOrg) -> None:
    rows = [
        row(序号=1, 事项名称="同名事项"),
        row(序号=2, 事项名称="同名事项"),
        row(序号=3, 事项名称="坏日期", 完成时限="明年"),
        row(序号=4, 事项名称="坏单位", 牵头单位="不存在局", 所属片区="火星"),
    ]
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(workbook(rows), org.supervisor)
    assert counts() == before
    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [(4, "事项名称"), (5, "完成时限"), (6, "所属片区"), (6, "牵头单位")]
    assert "3" in caught.value.errors[0].message  # names the first row of the title


def test_an_item_already_in_the_list_is_refused(org: SmallOrg) -> None:
    data = workbook([row()])
    excel.import_items(data, org.supervisor)
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(data, org.supervisor)
    assert counts() == before
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "事项名称")]


def test_missing_required_columns_are_named(org: SmallOrg) -> None:
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(
            workbook([[1, "甲", "招商局"]], headers=["序号", "事项名称", "牵头单位"]), org.supervisor
        )
    assert counts() == before
    assert sorted(e.column for e in caught.value.errors) == sorted(["目标成果", "完成时限"])
    assert {e.row for e in caught.value.errors} == {2}


def test_a_refusal_by_the_service_rolls_back_the_whole_file(org: SmallOrg, monkeypatch: Any) -> None:
    real_publish = services.item_publish_many

    def publish(*, items: list[Item], **kwargs: Any) -> list[Item]:
        for index, item in enumerate(items):
            if item.title == "乙":
                raise DraftRejected(index, ValidationError({"lead_unit": "牵头单位不接收"}))
        return real_publish(items=items, **kwargs)

    monkeypatch.setattr(services, "item_publish_many", publish)
    rows = [row(序号=1, 事项名称="甲"), row(序号=2, 事项名称="乙", 牵头单位="山河片区办")]
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(workbook(rows), org.supervisor, publish=True)
    assert counts() == before  # the first row's item and its audit rows are rolled back too
    assert [(e.row, e.column, e.message) for e in caught.value.errors] == [(4, "牵头单位", "牵头单位不接收")]


def test_a_non_xlsx_file_renamed_is_refused_on_the_form_and_nothing_is_queued(org: SmallOrg) -> None:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    before, jobs_before = counts(), Job.objects.count()
    _client, response = post_import(org, pdf, name="清单.xlsx")
    assert response.status_code == 400
    assert 'data-testid="import-file-error"' in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs_before
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(pdf, org.supervisor, filename="清单.xlsx")
    assert caught.value.errors[0].row is None and "清单.xlsx" in caught.value.errors[0].message


def test_an_oversized_file_is_refused(org: SmallOrg) -> None:
    data = workbook([row()])
    big = data + b"\0" * (excel.MAX_UPLOAD_BYTES + 1 - len(data))
    before, jobs_before = counts(), Job.objects.count()
    _client, response = post_import(org, big)
    assert response.status_code == 400
    assert "10 MB" in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs_before
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(big, org.supervisor)
    assert "10 MB" in caught.value.errors[0].message
    assert counts() == before


def test_a_workbook_without_a_header_row_is_refused(org: SmallOrg) -> None:
    with pytest.raises(ImportRejected) as caught:
        excel.import_items(workbook([["a", "b"]], headers=["甲", "乙"]), org.supervisor)
    assert "事项名称" in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026年12月31日", datetime.date(2026, 12, 31)),
        ("2026-12-31", datetime.date(2026, 12, 31)),
        ("2026/12/31", datetime.date(2026, 12, 31)),
        ("2026.12.31", datetime.date(2026, 12, 31)),
        ("２０２６年１２月３１日", datetime.date(2026, 12, 31)),
        ("2026-2-3", datetime.date(2026, 2, 3)),
        ("20261231", datetime.date(2026, 12, 31)),
        ("2026年2月底", datetime.date(2026, 2, 28)),
        ("2026年底", datetime.date(2026, 12, 31)),
        ("2026-12-31 00:00:00", datetime.date(2026, 12, 31)),
        (46387, datetime.date(2026, 12, 31)),
        ("2026-02-30", None),
        ("年底前", None),
        (2026, None),
    ],
)
def test_dates_are_read_as_people_write_them(text: Any, day: datetime.date | None) -> None:
    assert excel.parse_date(text) == day


# Access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "staff", "deputy"])
def test_only_supervisors_may_import(org: SmallOrg, who: str, api_token: Callable[..., Any]) -> None:
    person = getattr(org, who)
    client = client_for(person)
    token = api_token(person)
    before, jobs_before = counts(), Job.objects.count()
    assert client.get(reverse("worklist:import")).status_code == 403
    assert client.post(reverse("worklist:import"), {"file": upload(workbook([row()]))}).status_code == 403
    assert client.get(reverse("worklist:import_template")).status_code == 403
    answer = Client().post("/api/worklist/import", {"file": upload(workbook([row()]))}, **token)
    assert answer.status_code == 403
    with pytest.raises(PermissionDenied):
        excel.import_items(workbook([row()]), person)
    assert counts() == before and Job.objects.count() == jobs_before


def test_job_pages_are_for_their_creator_only(org: SmallOrg, api_token: Callable[..., Any]) -> None:
    client = client_for(org.supervisor)
    response = client.get(reverse("worklist:item_export"))
    job = last_job()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.state == JobState.DONE
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("job_detail", args=[job.pk]) + "?download=1").status_code == 200
    for other in (org.head, org.principal, org.admin):
        stranger = client_for(other)
        assert stranger.get(reverse("job_detail", args=[job.pk])).status_code == 404
        assert stranger.get(reverse("job_detail", args=[job.pk]) + "?download=1").status_code == 404
        headers = api_token(other)
        assert stranger.get(f"/api/jobs/{job.pk}", **headers).status_code == 404
        assert stranger.get(f"/api/jobs/{job.pk}/result", **headers).status_code == 404
    # Someone else's import job is not shown on the import page either.
    imported = Job.objects.create(kind="worklist.import", created_by=org.admin)
    assert client.get(f"{reverse('worklist:import')}?job={imported.pk}").status_code == 404


def test_the_progress_partial_polls_while_the_job_runs(org: SmallOrg) -> None:
    job = Job.objects.create(
        kind="worklist.export", created_by=org.supervisor, state=JobState.RUNNING, total=400
    )
    live_progress_put(job.pk, 100, 400, "正在写入")
    client = client_for(org.supervisor)
    page = client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "width: 25%" in page and "100 / 400" in page and "正在写入" in page
    assert "<html" not in page  # the partial alone
    full = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "<html" in full and 'hx-trigger="every 1s"' in full


def test_a_runner_that_crashes_leaves_a_failed_job_not_a_stuck_one(org: SmallOrg) -> None:
    job = Job.objects.create(kind="worklist.import", created_by=org.supervisor)  # no input file
    job_execute(job.pk, "luoshi.worklist.excel.run_import_job")
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.finished_at is not None and job.message


def test_job_execute_refuses_functions_that_are_not_runners(org: SmallOrg) -> None:
    job = Job.objects.create(kind="worklist.import", created_by=org.supervisor)
    with pytest.raises(ValueError):
        job_execute(job.pk, "luoshi.worklist.excel.export_items")
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


# The API -------------------------------------------------------------------------------------------


def test_api_import_then_poll_the_job(org: SmallOrg, api_token: Callable[..., Any]) -> None:
    headers = api_token(org.supervisor)
    client = Client()  # no session: the token decides
    answer = client.post(
        "/api/worklist/import",
        {"file": upload(workbook([row(), row(序号=2, 事项名称="乙")])), "publish": "true"},
        **headers,
    )
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["job_id"]
    polled = client.get(f"/api/jobs/{job_id}", **headers).json()
    assert polled["state"] == "done" and polled["percent"] == 100
    assert polled["result"]["created"] == 2 and polled["result"]["published"] is True
    assert Item.objects.filter(state=ItemState.PUBLISHED).count() == 2

    bad = client.post(
        "/api/worklist/import", {"file": upload(workbook([row(牵头单位="招商服务局")]))}, **headers
    )
    assert bad.status_code == 202
    failed = client.get(f"/api/jobs/{bad.json()['job_id']}", **headers).json()
    assert failed["state"] == "failed"
    assert [(e["row"], e["column"]) for e in failed["errors"]] == [(3, "牵头单位")]

    renamed = client.post("/api/worklist/import", {"file": upload(b"not a workbook at all")}, **headers)
    assert renamed.status_code == 400
    assert renamed.json()["code"] == "invalid_file" and renamed.json()["errors"][0]["row"] is None


def test_api_export_gives_a_job_whose_result_is_the_workbook(
    org: SmallOrg, make_item: Callable[..., Item], api_token: Callable[..., Any]
) -> None:
    item = make_item(deadline=datetime.date(2026, 12, 31))
    headers = api_token(org.supervisor)
    client = Client()
    answer = client.get("/api/worklist/items/export", {"unit": org.bureau.pk}, **headers)
    assert answer.status_code == 202, answer.content
    polled = client.get(f"/api/jobs/{answer.json()['job_id']}", **headers).json()
    assert polled["state"] == "done" and polled["result_url"]
    result = client.get(polled["result_url"], **headers)
    assert result.status_code == 200
    rows = exported_rows(b"".join(result.streaming_content))  # type: ignore[attr-defined]
    assert [r["编号"] for r in rows] == [item.code]
    assert client.get("/api/worklist/items/export", **api_token(org.enterprise)).status_code == 404


def test_the_openapi_document_lists_both_routers_under_worklist(org: SmallOrg) -> None:
    paths = client_for(org.supervisor).get("/api/openapi.json").json()["paths"]
    assert "/api/worklist/import" in paths
    assert "/api/worklist/items/export" in paths
    assert "/api/jobs/{job_id}" in paths
    assert any(p.startswith("/api/worklist/items") and p != "/api/worklist/items/export" for p in paths)


# Export ----------------------------------------------------------------------------------------------


def exported_rows(data: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[1])
    return [dict(zip(header, r, strict=False)) for r in values[2:] if any(v is not None for v in r)]


def test_export_of_a_filtered_list_holds_exactly_its_items(
    org: SmallOrg, make_item: Callable[..., Item], time_machine: Any
) -> None:
    late = make_item(title="逾期事项", deadline=datetime.date(2026, 6, 1), started=datetime.date(2026, 3, 2))
    fine = make_item(
        title="正常事项", deadline=datetime.date(2026, 12, 31), started=datetime.date(2026, 6, 1)
    )
    report_on(org, fine, datetime.date(2026, 6, 9), percent=40)
    report_on(org, late, datetime.date(2026, 5, 1), percent=10)
    report_on(org, late, datetime.date(2026, 6, 8), percent=80)
    services.item_update(
        actor=org.supervisor,
        item=fine,
        expected_version=Item.objects.get(pk=fine.pk).version,
        changes={"zone": org.zone_a},
        support_units=[org.service_centre, org.zone_office],
    )
    elsewhere = services.item_create(
        actor=org.supervisor,
        title="片区办事项",
        deadline=datetime.date(2026, 12, 31),
        lead_unit=org.zone_office,
        target_text="完成",
    )
    time_machine.move_to(datetime.datetime(2026, 6, 10, 10, tzinfo=datetime.UTC))

    client = client_for(org.supervisor)
    client.get(reverse("worklist:item_export"), {"unit": str(org.bureau.pk), "state": "in_progress"})
    job = last_job()
    assert job.state == JobState.DONE, job.message
    with job.result_file.open("rb") as handle:
        rows = exported_rows(handle.read())
    by_code = {r["编号"]: r for r in rows}
    assert set(by_code) == {late.code, fine.code}
    assert elsewhere.code not in by_code
    late_row, fine_row = by_code[late.code], by_code[fine.code]
    assert late_row["红黄绿灯"] == str(Light.RED.label)
    assert fine_row["红黄绿灯"] == str(Light.GREEN.label)
    assert late_row["状态"] == str(ItemState.IN_PROGRESS.label)
    assert (late_row["最新进展（%）"], late_row["最新进展"]) == (80, "推进中")
    assert fine_row["最新进展（%）"] == 40
    assert late_row["进展日期"].date() == datetime.date(2026, 6, 8)
    assert fine_row["配合单位"] == "山河片区办、企业服务中心"  # in the order of the unit tree
    assert fine_row["所属片区"] == "湾北核心区"
    assert fine_row["牵头单位"] == "招商局" and fine_row["责任人"] == org.staff.name
    assert fine_row["责任领导"] == org.deputy.name
    assert fine_row["完成时限"].date() == datetime.date(2026, 12, 31)

    # Filtering by light is the same query the list uses.
    client.get(reverse("worklist:item_export"), {"light": "red"})
    with last_job().result_file.open("rb") as handle:
        assert [r["编号"] for r in exported_rows(handle.read())] == [late.code]


def test_export_query_count_does_not_grow_with_rows(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    def queries_for_export() -> int:
        items = item_list(person=org.supervisor, filters=ItemFilters())
        with CaptureQueriesContext(connection) as captured:
            excel.export_items(items)
        return len(captured)

    first = make_item(deadline=datetime.date(2026, 12, 31), support_units=[org.service_centre])
    report_on(org, first, datetime.date(2026, 11, 1))
    few = queries_for_export()
    for n in range(6):
        item = make_item(
            title=f"事项{n}",
            deadline=datetime.date(2026, 12, 31),
            support_units=[org.service_centre, org.team],
        )
        report_on(org, item, datetime.date(2026, 11, 2))
    assert queries_for_export() == few
    assert few <= 4


def test_export_reimports_as_the_same_columns(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=datetime.date(2026, 12, 31))
    data = excel.export_items(item_list(person=org.supervisor))
    with pytest.raises(ImportRejected) as caught:  # the same items are already in the list
        excel.import_items(data, org.supervisor)
    assert [(e.row, e.column, item.code in e.message) for e in caught.value.errors] == [(3, "事项名称", True)]


def test_query_string_filters_keep_only_what_the_person_may_choose(org: SmallOrg) -> None:
    from django.http import QueryDict

    query = QueryDict(
        f"unit={org.bureau.pk}&zone=abc&light=red&light=purple&state=draft&state=claimed"
        f"&leader={org.staff.pk}&deadline_from=2026-12-31&deadline_to=2026-01-01&sort=nonsense"
    )
    staff = item_filters_from_query(query, person=org.staff)
    assert staff.unit is None  # the bureau is outside the staff member's team
    assert staff.zone is None and staff.leader is None
    assert staff.lights == ["red"] and staff.states == ["claimed"]
    assert staff.deadline_from == datetime.date(2026, 12, 31) and staff.deadline_to is None
    assert staff.sort == "deadline"
    supervisor = item_filters_from_query(
        QueryDict(f"unit_id={org.bureau.pk}&state=draft"), person=org.supervisor
    )
    assert supervisor.unit == org.bureau and supervisor.states == ["draft"]


def test_progress_is_reported_while_importing(org: SmallOrg) -> None:
    seen: list[tuple[int, int, str]] = []

    class Recorder(Progress):
        def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
            super().__call__(done, total, stage)
            seen.append((self.done, self.total, self.stage))

    job = Job.objects.create(kind="worklist.import", created_by=org.supervisor)
    rows = [row(序号=n, 事项名称=f"事项{n}") for n in range(60)]
    excel.import_items(workbook(rows), org.supervisor, progress=Recorder(job))
    assert seen[-1][:2] == (60, 60)
    assert len({stage for _d, _t, stage in seen}) >= 3  # reading, checking, creating


# The bulk service behind the import -----------------------------------------------------------------


def test_item_create_many_writes_what_item_create_writes(org: SmallOrg) -> None:
    from luoshi.core.audit import history_of

    fields: dict[str, Any] = {
        "lead_unit": org.bureau,
        "leader": org.deputy,
        "zone": org.zone_a,
        "target_text": "完成",
    }
    one = services.item_create(
        actor=org.supervisor,
        title="单个",
        deadline=datetime.date(2026, 12, 31),
        support_units=[org.team, org.service_centre],
        **fields,
    )
    (many,) = services.item_create_many(
        actor=org.supervisor,
        drafts=[
            services.ItemDraft(
                title="批量",
                deadline=datetime.date(2026, 12, 31),
                support_units=[org.team, org.service_centre, org.team],
                fields=fields,
            )
        ],
    )
    many = Item.objects.get(pk=many.pk)
    assert set(many.support_units.all()) == {org.team, org.service_centre}
    assert many.state == ItemState.DRAFT and many.code > one.code
    (record_one,) = history_of(one)
    (record_many,) = history_of(many)
    assert record_many.action == record_one.action == "create"
    assert record_many.actor == org.supervisor and record_many.before is None
    assert record_one.after is not None and record_many.after is not None
    differ = {"id", "code", "title"}
    assert {k: v for k, v in record_many.after.items() if k not in differ} == {
        k: v for k, v in record_one.after.items() if k not in differ
    }
    assert record_many.after["support_units"] == sorted([org.team.pk, org.service_centre.pk])


def test_item_create_many_refuses_a_bad_draft_by_index_and_writes_nothing(org: SmallOrg) -> None:
    good = services.ItemDraft(
        title="好", deadline=datetime.date(2026, 12, 31), fields={"target_text": "完成"}
    )
    not_a_leader = services.ItemDraft(
        title="坏", deadline=datetime.date(2026, 12, 31), fields={"target_text": "完成", "leader": org.staff}
    )
    no_target = services.ItemDraft(title="空", deadline=datetime.date(2026, 12, 31))
    before = counts()
    with pytest.raises(DraftRejected) as caught:
        services.item_create_many(actor=org.supervisor, drafts=[good, not_a_leader])
    assert caught.value.index == 1 and "leader" in caught.value.message_dict
    with pytest.raises(DraftRejected) as caught:
        services.item_create_many(actor=org.supervisor, drafts=[no_target, good])
    assert caught.value.index == 0 and "target_text" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.item_create_many(actor=org.head, drafts=[good])
    assert counts() == before


def test_item_create_many_does_not_query_per_item(org: SmallOrg) -> None:
    def queries(n: int) -> int:
        drafts = [
            services.ItemDraft(
                title=f"事项{n}-{i}",
                deadline=datetime.date(2026, 12, 31),
                support_units=[org.team],
                fields={"target_text": "完成", "lead_unit": org.bureau, "leader": org.deputy},
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            services.item_create_many(actor=org.supervisor, drafts=drafts)
        return len(captured)

    queries(1)  # the year's counter and the content type exist from here on
    few, many = queries(3), queries(40)
    # Not one query per item: only SQLite's limit of 999 parameters splits the inserts into batches.
    assert many - few <= 3


def test_the_sweep_fails_lost_jobs_and_deletes_old_ones_with_their_files(org: SmallOrg) -> None:
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from luoshi.core.jobs import jobs_sweep

    client_for(org.supervisor).get(reverse("worklist:item_export"))
    exported = last_job()
    name = exported.result_file.name
    assert default_storage.exists(name)
    now = timezone.now()
    lost = Job.objects.create(
        kind="worklist.export",
        created_by=org.supervisor,
        state=JobState.RUNNING,
        started_at=now - datetime.timedelta(hours=3),
    )
    fresh = Job.objects.create(
        kind="worklist.export", created_by=org.supervisor, state=JobState.RUNNING, started_at=now
    )
    assert jobs_sweep(now) == {"lost": 1, "deleted": 0}
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.state == JobState.FAILED and lost.message and fresh.state == JobState.RUNNING
    # A week on, the fresh one was lost too; all three are deleted.
    assert jobs_sweep(now + datetime.timedelta(days=8)) == {"lost": 1, "deleted": 3}
    assert not Job.objects.filter(pk__in=[exported.pk, lost.pk, fresh.pk]).exists()
    assert not default_storage.exists(name)
