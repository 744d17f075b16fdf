"""Excel in and out for the enterprise register: the import (pages, API, jobs), the template, the export."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
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

from luoshi.conftest import client_for
from luoshi.core.errors import Conflict
from luoshi.core.models import AuditRecord, Job, JobState
from luoshi.core.spreadsheets import XLSX_MIME, ImportRejected
from luoshi.org.models import Person
from luoshi.service import excel, services
from luoshi.service.filters import EnterpriseFilters, enterprise_filters_from_query, enterprise_list
from luoshi.service.models import Contact, Enterprise, RequestState, ServiceRequest, Stage
from luoshi.service.uscc import check_character, validate_uscc

from .conftest import ALIBABA, HUAWEI, TENCENT, Desk

SH = ZoneInfo("Asia/Shanghai")
HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属片区",
    "行业",
    "发展阶段",
    "企业服务专员",
    "地址",
    "法定代表人",
    "联系人",
    "联系电话",
]


def code(n: int) -> str:
    """A well-formed code: Dalian's Jinzhou district, organisation number n, and its check character."""
    base = f"91210213{n:09d}"
    return base + check_character(base)


def workbook(
    rows: list[list[Any]],
    headers: list[str] = HEADERS,
    titles: tuple[str, ...] = ("普湾经济区企业名录",),
) -> bytes:
    """A register as such sheets look: a merged title row, the header, rows, blank rows at the end."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业"
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
        "企业名称": "大连丙精密制造有限公司",
        "统一社会信用代码": code(1),
        "所属片区": "湾北核心区",
        "行业": "精密制造",
        **cells,
    }
    return [values.get(h) for h in HEADERS]


def upload(data: bytes, name: str = "企业.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX_MIME)


def counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), Contact.objects.count(), AuditRecord.objects.count()


def last_job() -> Job:
    job = Job.objects.order_by("-pk").first()
    assert job is not None
    return job


def post_import(person: Person, data: bytes, name: str = "企业.xlsx") -> tuple[Client, Any]:
    client = client_for(person)
    client.cookies["luoshi_language"] = "en"  # so that the assertions can read the messages
    return client, client.post(reverse("service:enterprise_import"), {"file": upload(data, name)})


def rejected(desk: Desk, data: bytes, filename: str = "企业.xlsx") -> list[tuple[int | None, str, str]]:
    """Import a bad file as the service centre; assert that nothing at all was written."""
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        excel.import_enterprises(data, desk.org.steward, filename=filename)
    assert counts() == before
    return [(e.row, e.column, e.message) for e in caught.value.errors]


# Good files ------------------------------------------------------------------------------------------


def test_good_file_creates_new_enterprises_and_updates_known_ones(desk: Desk) -> None:
    org = desk.org
    rows = [
        row(
            序号=1,
            企业名称="大连丙精密制造（中国）有限公司",
            统一社会信用代码=code(1).lower(),  # codes are read in capitals
            所属片区="湾北",  # a unique part of a zone's name is enough
            行业="精密制造",
            发展阶段="在建",
            企业服务专员="steward",  # a username
            地址="普湾经济区湾北路1号",
            法定代表人="王明",
            联系人="李华",
            联系电话=4118700001,
        ),
        ["一、新能源汽车"],  # a section row
        row(
            序号=2, 企业名称="大连丁新能源有限公司", 统一社会信用代码=code(2), 企业服务专员="Steward"
        ),  # a name
        # Enterprise A, known by its code: a new industry and a new contact.
        row(
            序号=3,
            企业名称="大连甲半导体有限公司",
            统一社会信用代码=HUAWEI,
            所属片区="湾北核心区",
            行业="集成电路设计",
            企业服务专员="steward",
            联系人="赵强",
            联系电话="13900000000",
        ),
        # Enterprise B as it is: nothing to change.
        row(
            序号=4,
            企业名称="大连乙建材有限公司",
            统一社会信用代码=TENCENT,
            所属片区="山河建材产业园",
            行业="绿色建材",
            发展阶段="投产",
        ),
    ]
    enterprises, contacts, audits = counts()
    client, response = post_import(org.steward, workbook(rows, titles=("普湾经济区", "企业名录")))

    job = last_job()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('service:enterprise_import')}?job={job.pk}"
    assert job.state == JobState.DONE, job.errors
    assert job.kind == "service.enterprise_import" and job.created_by == org.steward
    assert job.result is not None
    assert (job.result["created"], job.result["updated"], job.result["unchanged"]) == (2, 1, 1)
    # Two created, one updated, one contact added to a known enterprise: one audit record each.
    assert counts() == (enterprises + 2, contacts + 2, audits + 4)

    made = Enterprise.objects.get(uscc=code(1))
    assert made.name == "大连丙精密制造（中国）有限公司"  # full-width brackets kept as typed
    assert (made.zone, made.industry, made.stage, made.steward) == (
        org.zone_a,
        "精密制造",
        Stage.BUILDING,
        org.steward,
    )
    assert (made.address, made.legal_representative) == ("普湾经济区湾北路1号", "王明")
    assert [(c.name, c.phone) for c in made.contacts.all()] == [("李华", "4118700001")]
    second = Enterprise.objects.get(uscc=code(2))
    assert second.stage == Stage.OPERATING and second.steward == org.steward
    a = Enterprise.objects.get(pk=desk.a.pk)
    assert a.industry == "集成电路设计" and a.version == desk.a.version + 1
    assert [(c.name, c.phone) for c in a.contacts.all()] == [("赵强", "13900000000")]
    assert Enterprise.objects.get(pk=desk.b.pk).version == desk.b.version

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-done"' in page and "hx-trigger" not in page


def test_header_variants_and_columns_left_out(desk: Desk) -> None:
    headers = ["企业全称", "信用代码", "片区", "所属行业"]
    data = workbook([["大连戊物流有限公司", code(5), "山河建材产业园", "物流"]], headers=headers, titles=())
    result = excel.import_enterprises(data, desk.org.supervisor)
    assert result.created == ["大连戊物流有限公司"]
    made = Enterprise.objects.get(uscc=code(5))
    assert (made.zone, made.stage, made.steward) == (desk.org.zone_b, Stage.OPERATING, None)
    # A column left out leaves a known enterprise's field as it is: A keeps its steward.
    excel.import_enterprises(
        workbook([["大连甲半导体有限公司", HUAWEI, "湾北核心区", "集成电路"]], headers=headers),
        desk.org.steward,
    )
    assert Enterprise.objects.get(pk=desk.a.pk).steward == desk.org.steward


def test_an_empty_cell_clears_the_steward_of_a_known_enterprise(desk: Desk) -> None:
    data = workbook([row(企业名称="大连甲半导体有限公司", 统一社会信用代码=HUAWEI, 行业="集成电路")])
    result = excel.import_enterprises(data, desk.org.steward)
    assert result.updated == ["大连甲半导体有限公司"]
    assert Enterprise.objects.get(pk=desk.a.pk).steward is None


def test_the_template_has_title_headers_example_and_notes_and_imports_cleanly(desk: Desk) -> None:
    response = client_for(desk.org.steward).get(reverse("service:enterprise_import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[excel.SHEET_NAME]
    assert sheet["A1"].value == excel.TEMPLATE_TITLE
    assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)
    assert [c.value for c in sheet[2]] == HEADERS
    assert sheet["B3"].value and sheet["C3"].value
    notes = "\n".join(
        str(v) for r in book[excel.NOTES_SHEET_NAME].iter_rows(values_only=True) for v in r if v
    )
    for word in ["筹建", "在建", "投产", "成长", "湾北核心区", "山河建材产业园"]:
        assert word in notes
    before = Enterprise.objects.count()
    result = excel.import_enterprises(response.content, desk.org.steward, filename="企业名录导入模板.xlsx")
    assert len(result.created) == 1 and Enterprise.objects.count() == before + 1


# Bad files: every problem reported by row and column, nothing written -----------------------------------

WRONG_CHECK = HUAWEI[:-1] + ("7" if HUAWEI[-1] != "7" else "8")
BAD_ROWS: dict[str, tuple[list[Any], str, list[str]]] = {
    # name: (the row, its column in the report, fragments of the message)
    "unknown zone": (row(所属片区="湾被核心区"), "所属片区", ["湾被核心区", "湾北核心区"]),
    "unknown steward": (row(企业服务专员="Stewart"), "企业服务专员", ["Stewart", "Steward"]),
    "not a steward": (row(企业服务专员="Staff"), "企业服务专员", ["steward"]),
    "unknown stage": (row(发展阶段="倒闭"), "发展阶段", ["倒闭", "筹建", "成长"]),
    "missing name": (row(企业名称=None), "企业名称", []),
    "missing code": (row(统一社会信用代码=""), "统一社会信用代码", []),
    "missing zone": (row(所属片区=None), "所属片区", []),
    "missing industry": (row(行业=None), "行业", []),
    "contact without phone": (row(联系人="李华"), "联系电话", []),
    "phone without contact": (row(联系电话="13900000000"), "联系人", []),
    "name too long": (row(企业名称="甲" * 101), "企业名称", ["100"]),
    "name of another code": (row(企业名称="大连甲半导体有限公司"), "企业名称", [HUAWEI]),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(desk: Desk, case: str) -> None:
    bad, column, fragments = BAD_ROWS[case]
    good = row(序号=2, 企业名称="大连己有限公司", 统一社会信用代码=code(9))
    before, jobs = counts(), Job.objects.count()
    post_import(desk.org.steward, workbook([good, bad]))  # the bad row is Excel row 4 (title, header, good)
    job = last_job()
    assert Job.objects.count() == jobs + 1
    assert job.state == JobState.FAILED
    assert counts() == before
    problems = [(e["row"], e["column"], e["message"]) for e in job.errors or []]
    assert [(r, c) for r, c, _m in problems] == [(4, column)], problems
    for fragment in fragments:
        assert fragment in problems[0][2]


@pytest.mark.parametrize("bad", [WRONG_CHECK, HUAWEI[:17], "91I10213000000001X", "91ABCDEF000000001X"])
def test_an_invalid_code_is_reported_with_the_validators_own_reason(desk: Desk, bad: str) -> None:
    with pytest.raises(ValidationError) as reason:
        validate_uscc(bad)
    problems = rejected(desk, workbook([row(统一社会信用代码=bad)]))
    assert problems == [(3, "统一社会信用代码", reason.value.messages[0])]


def test_codes_and_names_repeated_in_the_file_name_their_first_row(desk: Desk) -> None:
    rows = [
        row(序号=1, 企业名称="甲公司", 统一社会信用代码=code(1)),
        row(序号=2, 企业名称="乙公司", 统一社会信用代码=code(1)),
        row(序号=3, 企业名称="甲公司", 统一社会信用代码=code(3)),
        row(序号=4, 企业名称="丙公司", 统一社会信用代码=code(4), 所属片区="火星"),
    ]
    problems = rejected(desk, workbook(rows))
    assert [(r, c) for r, c, _m in problems] == [(4, "统一社会信用代码"), (5, "企业名称"), (6, "所属片区")]
    assert "3" in problems[0][2] and "3" in problems[1][2]


def test_missing_required_columns_are_named(desk: Desk) -> None:
    problems = rejected(desk, workbook([["甲公司", "湾北核心区"]], headers=["企业名称", "所属片区"]))
    assert sorted(c for _r, c, _m in problems) == sorted(["统一社会信用代码", "行业"])
    assert {r for r, _c, _m in problems} == {2}


def test_a_workbook_without_a_header_row_is_refused(desk: Desk) -> None:
    problems = rejected(desk, workbook([["a", "b"]], headers=["甲", "乙"]))
    assert problems[0][0] is None and "企业名称" in problems[0][2]


def test_a_refusal_by_a_service_rolls_back_the_whole_file(desk: Desk, monkeypatch: Any) -> None:
    def refuse(**kwargs: Any) -> None:
        raise Conflict("该企业已被他人修改")

    monkeypatch.setattr(services, "enterprise_update", refuse)
    rows = [
        row(序号=1),  # created first, then rolled back
        row(序号=2, 企业名称="大连甲半导体有限公司", 统一社会信用代码=HUAWEI, 行业="集成电路设计"),
    ]
    problems = rejected(desk, workbook(rows))
    assert problems == [(4, "", "该企业已被他人修改")]
    assert not Enterprise.objects.filter(uscc=code(1)).exists()


def test_a_non_xlsx_file_renamed_is_refused_on_the_form_and_nothing_is_queued(desk: Desk) -> None:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    before, jobs = counts(), Job.objects.count()
    _client, response = post_import(desk.org.steward, pdf, name="企业.xlsx")
    assert response.status_code == 400
    assert 'data-testid="import-file-error"' in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs
    problems = rejected(desk, pdf, filename="企业.xlsx")
    assert problems[0][0] is None and "企业.xlsx" in problems[0][2]
    csv = "企业名称,统一社会信用代码\n甲公司,91210213000000001X\n".encode()
    assert rejected(desk, csv)[0][0] is None


def test_an_oversized_file_is_refused(desk: Desk) -> None:
    data = workbook([row()])
    big = data + b"\0" * (excel.MAX_UPLOAD_BYTES + 1 - len(data))
    before, jobs = counts(), Job.objects.count()
    _client, response = post_import(desk.org.steward, big)
    assert response.status_code == 400 and "10 MB" in response.content.decode()
    assert counts() == before and Job.objects.count() == jobs
    assert "10 MB" in rejected(desk, big)[0][2]


# Access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "staff", "deputy", "principal"])
def test_only_the_service_centre_and_supervisors_may_import(
    desk: Desk, who: str, api_token: Callable[..., Any]
) -> None:
    person = getattr(desk.org, who)
    client = client_for(person)
    token = api_token(person)
    before, jobs = counts(), Job.objects.count()
    data = workbook([row()])
    assert client.get(reverse("service:enterprise_import")).status_code == 403
    assert client.post(reverse("service:enterprise_import"), {"file": upload(data)}).status_code == 403
    assert client.get(reverse("service:enterprise_import_template")).status_code == 403
    assert (
        Client().post("/api/service/enterprises/import", {"file": upload(data)}, **token).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        excel.import_enterprises(data, person)
    assert counts() == before and Job.objects.count() == jobs


def test_enterprise_users_do_not_see_the_excel_pages(desk: Desk, api_token: Callable[..., Any]) -> None:
    client = client_for(desk.user_a)
    for name in ("enterprise_import", "enterprise_import_template", "enterprise_export"):
        assert client.get(reverse(f"service:{name}")).status_code == 404
    token = api_token(desk.user_a)
    assert Client().get("/api/service/enterprises/export", **token).status_code == 404
    answer = Client().post("/api/service/enterprises/import", {"file": upload(workbook([row()]))}, **token)
    assert answer.status_code == 404


def test_someone_elses_import_job_is_not_shown(desk: Desk) -> None:
    job = Job.objects.create(kind="service.enterprise_import", created_by=desk.org.supervisor)
    response = client_for(desk.org.steward).get(f"{reverse('service:enterprise_import')}?job={job.pk}")
    assert response.status_code == 404


# The API ---------------------------------------------------------------------------------------------


def test_api_import_then_poll_the_job(desk: Desk, api_token: Callable[..., Any]) -> None:
    headers = api_token(desk.org.steward)
    client = Client()
    answer = client.post("/api/service/enterprises/import", {"file": upload(workbook([row()]))}, **headers)
    assert answer.status_code == 202, answer.content
    polled = client.get(f"/api/jobs/{answer.json()['job_id']}", **headers).json()
    assert polled["state"] == "done" and polled["result"]["created"] == 1

    bad = client.post(
        "/api/service/enterprises/import", {"file": upload(workbook([row(所属片区="火星")]))}, **headers
    )
    failed = client.get(f"/api/jobs/{bad.json()['job_id']}", **headers).json()
    assert failed["state"] == "failed"
    assert [(e["row"], e["column"]) for e in failed["errors"]] == [(3, "所属片区")]

    renamed = client.post("/api/service/enterprises/import", {"file": upload(b"not a workbook")}, **headers)
    assert renamed.status_code == 400 and renamed.json()["code"] == "invalid_file"

    template = client.get("/api/service/enterprises/import/template", **headers)
    assert template.status_code == 200 and template.content.startswith(b"PK")


def test_the_openapi_document_lists_the_excel_paths(desk: Desk) -> None:
    paths = client_for(desk.org.steward).get("/api/openapi.json").json()["paths"]
    assert "/api/service/enterprises/import" in paths
    assert "/api/service/enterprises/export" in paths
    assert "/api/service/enterprises/{enterprise_id}" in paths


# Export ------------------------------------------------------------------------------------------------


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
def filed(desk: Desk, time_machine: Any) -> Desk:
    """Enterprise A with three requests (one of them closed), B with one; two more enterprises."""
    time_machine.move_to(datetime.datetime(2026, 3, 3, 9, tzinfo=SH))
    for title in ("用地", "用电", "用水"):
        services.request_file(
            actor=desk.user_a, enterprise=desk.a, category=desk.category, title=title, description="请协调"
        )
    services.request_file(
        actor=desk.user_b, enterprise=desk.b, category=desk.category, title="招工", description="请协调"
    )
    ServiceRequest.objects.filter(title="用水").update(state=RequestState.CLOSED)
    services.enterprise_create(
        actor=desk.org.steward,
        name="大连庚化工有限公司",
        uscc=ALIBABA,
        zone=desk.org.zone_b,
        industry="精细化工",
        stage=Stage.PREPARING,
        contacts=[{"name": "孙丽", "phone": "13700000000"}, {"name": "周杰", "phone": "13700000001"}],
    )
    services.enterprise_create(
        actor=desk.org.steward,
        name="大连辛半导体有限公司",
        uscc=code(8),
        zone=desk.org.zone_a,
        industry="集成电路",
    )
    return desk


def test_export_of_a_filtered_list_holds_exactly_its_enterprises(filed: Desk) -> None:
    org = filed.org
    client = client_for(org.steward)
    client.get(reverse("service:enterprise_export"), {"zone": org.zone_a.pk, "industry": "集成电路"})
    rows = job_rows(last_job())
    assert [r["企业名称"] for r in rows] == ["大连甲半导体有限公司", "大连辛半导体有限公司"]  # by name
    a = rows[0]
    assert (a["统一社会信用代码"], a["所属片区"], a["行业"], a["发展阶段"]) == (
        HUAWEI,
        "湾北核心区",
        "集成电路",
        "投产",
    )
    assert a["企业服务专员"] == org.steward.name
    assert (a["诉求总数"], a["未办结诉求"]) == (3, 2)

    client.get(reverse("service:enterprise_export"), {"stage": "preparing"})
    (g,) = job_rows(last_job())
    assert (g["企业名称"], g["发展阶段"], g["联系人"], g["联系电话"]) == (
        "大连庚化工有限公司",
        "筹建",
        "孙丽",
        "13700000000",
    )
    assert (g["诉求总数"], g["未办结诉求"]) == (0, 0)

    client.get(reverse("service:enterprise_export"), {"q": "乙建材"})
    assert [r["企业名称"] for r in job_rows(last_job())] == ["大连乙建材有限公司"]


def test_export_holds_what_the_list_page_shows(filed: Desk) -> None:
    client = client_for(filed.org.steward)
    for query in (
        {},
        {"zone": filed.org.zone_b.pk},
        {"stage": "operating", "q": "大连"},
        {"zone": "x", "stage": "?"},
    ):
        page = client.get(reverse("service:enterprise_list"), query)
        shown = [e.name for e in page.context["page"].object_list]
        client.get(reverse("service:enterprise_export"), query)
        assert [r["企业名称"] for r in job_rows(last_job())] == shown, query


def test_export_is_scoped_to_what_the_person_sees(filed: Desk) -> None:
    # The zone office is in zone B: its staff see zone B's enterprises, and A's counts are not theirs.
    client_for(filed.org.other_staff).get(reverse("service:enterprise_export"))
    rows = job_rows(last_job())
    assert sorted(r["企业名称"] for r in rows) == ["大连乙建材有限公司", "大连庚化工有限公司"]
    assert {r["企业名称"]: r["诉求总数"] for r in rows}["大连乙建材有限公司"] == 0


def test_export_then_import_changes_nothing(filed: Desk) -> None:
    data = excel.export_enterprises(enterprise_list(person=filed.org.steward))
    before = counts()
    result = excel.import_enterprises(data, filed.org.steward, filename="企业名录.xlsx")
    assert len(result.unchanged) == 4 and not result.created and not result.updated
    assert counts() == before


def test_export_query_count_does_not_grow_with_rows(filed: Desk) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            excel.export_enterprises(enterprise_list(person=filed.org.steward))
        return len(captured)

    few = queries()
    for n in range(20, 26):
        services.enterprise_create(
            actor=filed.org.steward,
            name=f"大连第{n}有限公司",
            uscc=code(n),
            zone=filed.org.zone_a,
            industry="物流",
            steward=filed.org.steward,
            contacts=[{"name": "联系人", "phone": "13800000000"}],
        )
    assert queries() == few
    assert few <= 2


def test_query_string_filters_keep_only_what_the_form_accepts(filed: Desk) -> None:
    from django.http import QueryDict

    org = filed.org
    query = QueryDict(f"zone_id={org.zone_b.pk}&industry=航天&stage=growing&steward={org.staff.pk}&q= 大连 ")
    filters = enterprise_filters_from_query(query, person=org.steward)
    assert filters == EnterpriseFilters(q="大连", zone=org.zone_b, stage="growing")
    filters = enterprise_filters_from_query(
        QueryDict(f"steward_id={org.steward.pk}&stage=x"), person=org.steward
    )
    assert filters == EnterpriseFilters(steward=org.steward)


def test_progress_is_reported_while_importing(desk: Desk) -> None:
    from luoshi.core.jobs import Progress

    seen: list[tuple[int, int, str]] = []

    class Recorder(Progress):
        def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
            super().__call__(done, total, stage)
            seen.append((self.done, self.total, self.stage))

    job = Job.objects.create(kind="service.enterprise_import", created_by=desk.org.steward)
    rows = [row(序号=n, 企业名称=f"大连第{n}公司", 统一社会信用代码=code(100 + n)) for n in range(30)]
    excel.import_enterprises(workbook(rows), desk.org.steward, progress=Recorder(job))
    assert seen[-1][:2] == (30, 30)
    assert len({stage for _d, _t, stage in seen}) >= 3  # reading, checking, saving
