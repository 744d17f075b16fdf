"""The Excel import of units and people: all rows or none, every bad row named by sheet, row and column."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from luoshi.conftest import SmallOrg, client_for
from luoshi.core.models import AuditRecord
from luoshi.org import importing, services
from luoshi.org.models import Person, Position, Role, Unit, UnitKind

UNIT_HEAD = ["单位名称", "简称", "类型", "上级单位", "所属片区", "电话", "排序"]
PERSON_HEAD = ["用户名", "姓名", "手机", "邮箱", "单位", "角色", "职务", "主要领导", "初始密码"]

GOOD_UNITS: list[list[Any]] = [
    # A child listed before its parent: the order of rows must not matter.
    ["湾北招商组", "", "区直部门", "湾北片区办", "湾北核心区", "", 2],
    ["招商二科", "二科", "区直部门", "招商局", "湾北核心区", "0411-87000001", 5],
    ["湾北片区办", "湾北办", "片区管理办公室", "普湾经济区管理委员会", "湾北核心区", "0411-87000002", 1],
]
GOOD_PEOPLE: list[list[Any]] = [
    [
        "lisi",
        "李四",
        13800000001,
        "lisi@example.com",
        "招商二科",
        "单位负责人",
        "科长",
        "否",
        "Puwan-Strong-2026",
    ],
    ["lisi", "", "", "", "湾北招商组", "工作人员", "组员", "", ""],
    ["wangwu", "王五", "", "", "湾北片区办", "领导", "主任", "是", ""],
    ["qiye1", "大连某某科技有限公司", "", "", "", "企业用户", "", "", ""],
    # An existing person: their posts are replaced by the rows of the file.
    ["staff", "Staff", "", "", "招商一科", "工作人员", "科员", "", ""],
]


def workbook(
    units: list[list[Any]] | None = None,
    people: list[list[Any]] | None = None,
    unit_header: list[str] = UNIT_HEAD,
    person_header: list[str] = PERSON_HEAD,
) -> bytes:
    """An .xlsx in memory with the sheets given (None leaves a sheet out)."""
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    if units is not None:
        sheet = book.create_sheet("单位")
        sheet.append(unit_header)
        for row in units:
            sheet.append(row)
    if people is not None:
        sheet = book.create_sheet("人员")
        sheet.append(person_header)
        for row in people:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_file() -> bytes:
    return workbook(GOOD_UNITS, GOOD_PEOPLE)


def run(org: SmallOrg, data: bytes, filename: str = "org.xlsx") -> importing.ImportSummary:
    return importing.org_import(actor=org.supervisor, data=data, filename=filename)


def state() -> tuple[int, int, int, int]:
    return (
        Unit.objects.count(),
        Person.objects.count(),
        Position.objects.count(),
        AuditRecord.objects.count(),
    )


def rejected(org: SmallOrg, data: bytes, filename: str = "org.xlsx") -> list[importing.RowError]:
    """Import a bad file; assert it was refused and that nothing at all was written."""
    before = state()
    with translation.override("en"), pytest.raises(importing.ImportRejected) as info:
        run(org, data, filename)
    assert state() == before
    assert info.value.errors
    return info.value.errors


def places(errors: list[importing.RowError]) -> set[tuple[str, int | None, str]]:
    return {(e.sheet, e.row, e.column) for e in errors}


# A good file -------------------------------------------------------------------------------------


def test_good_file_creates_units_and_people_through_the_services(org: SmallOrg) -> None:
    audit_before = AuditRecord.objects.count()

    summary = run(org, good_file())

    assert summary.counts() == {
        "created_units": 3,
        "updated_units": 0,
        "unchanged_units": 0,
        "created_people": 3,
        "updated_people": 1,
        "unchanged_people": 0,
    }
    office = Unit.objects.get(name="湾北片区办")
    assert office.kind == UnitKind.ZONE_OFFICE
    assert office.parent == org.committee
    assert office.zone == org.zone_a
    assert office.short_name == "湾北办" and office.phone == "0411-87000002" and office.sort == 1
    group = Unit.objects.get(name="湾北招商组")
    assert group.parent == office
    assert group.path == f"{office.path}{group.pk}/"
    second = Unit.objects.get(name="招商二科")
    assert second.path.startswith(org.bureau.path)

    lisi = Person.objects.get(username="lisi")
    assert lisi.name == "李四" and lisi.phone == "13800000001" and lisi.email == "lisi@example.com"
    assert lisi.check_password("Puwan-Strong-2026")
    posts = {
        (p.unit.name if p.unit else None, p.role, p.title) for p in lisi.positions.select_related("unit")
    }
    assert posts == {("招商二科", Role.UNIT_HEAD, "科长"), ("湾北招商组", Role.STAFF, "组员")}
    wangwu = Person.objects.get(username="wangwu")
    assert wangwu.positions.get().is_principal
    assert not wangwu.has_usable_password()
    enterprise = Person.objects.get(username="qiye1")
    assert enterprise.positions.get().unit is None
    assert enterprise.positions.get().role == Role.ENTERPRISE
    staff = Person.objects.get(username="staff")
    assert [(p.unit_id, p.title) for p in staff.positions.all()] == [(org.team.pk, "科员")]

    # One audit row per created or updated record, written by the importing person.
    new = AuditRecord.objects.filter(pk__gt=0).order_by("id")[audit_before:]
    assert len(new) == 7
    assert {r.actor_id for r in new} == {org.supervisor.pk}
    assert {(r.object_repr, r.action) for r in new} == {
        ("湾北招商组", "create"),
        ("招商二科", "create"),
        ("湾北片区办", "create"),
        ("李四", "create"),
        ("王五", "create"),
        ("大连某某科技有限公司", "create"),
        ("Staff", "update"),
    }
    update = next(r for r in new if r.action == "update")
    assert update.before is not None and update.after is not None
    assert update.before["positions"][0]["title"] == ""
    assert update.after["positions"][0]["title"] == "科员"


def test_reimporting_the_same_file_changes_nothing(org: SmallOrg) -> None:
    run(org, good_file())
    before = state()

    summary = run(org, good_file())

    assert summary.counts() == {
        "created_units": 0,
        "updated_units": 0,
        "unchanged_units": 3,
        "created_people": 0,
        "updated_people": 0,
        "unchanged_people": 4,
    }
    assert state() == before


def test_changed_rows_update_the_existing_records(org: SmallOrg) -> None:
    run(org, good_file())
    units = [row[:] for row in GOOD_UNITS]
    units[1][5] = "0411-99999999"  # 招商二科's phone
    units[1][3] = "普湾经济区管理委员会"  # moved out from under 招商局
    people = [row[:] for row in GOOD_PEOPLE]
    people[2][1] = "王五五"
    before_audit = AuditRecord.objects.count()

    summary = run(org, workbook(units, people))

    assert summary.updated_units == ["招商二科"]
    assert summary.updated_people == ["wangwu"]
    assert summary.created_units == [] and summary.created_people == []
    second = Unit.objects.get(name="招商二科")
    assert second.phone == "0411-99999999"
    assert second.parent == org.committee and second.path.startswith(org.committee.path)
    assert Person.objects.get(username="wangwu").name == "王五五"
    records = AuditRecord.objects.order_by("id")[before_audit:]
    assert [(r.object_repr, r.action) for r in records] == [("招商二科", "update"), ("王五五", "update")]
    assert records[0].before is not None and records[0].after is not None
    assert records[0].before["phone"] == "0411-87000001" and records[0].after["phone"] == "0411-99999999"


def test_a_column_left_out_keeps_the_field_and_an_empty_cell_clears_it(org: SmallOrg) -> None:
    services.unit_update(
        actor=org.admin,
        unit=org.bureau,
        expected_version=None,
        changes={"phone": "0411-1", "short_name": "招"},
    )
    header = ["单位名称", "简称", "类型", "上级单位"]  # no 电话 column
    run(org, workbook([["招商局", "", "区直部门", "普湾经济区管理委员会"]], unit_header=header))
    bureau = Unit.objects.get(pk=org.bureau.pk)
    assert bureau.phone == "0411-1"
    assert bureau.short_name == ""


def test_moving_an_existing_unit_under_a_new_one_in_the_same_file(org: SmallOrg) -> None:
    units = [
        ["招商一科", "", "区直部门", "招商服务中心", "", "", 0],
        ["招商服务中心", "", "区直部门", "普湾经济区管理委员会", "", "", 0],
    ]
    run(org, workbook(units))
    centre = Unit.objects.get(name="招商服务中心")
    team = Unit.objects.get(pk=org.team.pk)
    assert team.parent == centre
    assert team.path == f"{centre.path}{team.pk}/"


def test_the_header_may_sit_below_a_title_row(org: SmallOrg) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "单位"
    sheet.append(["普湾经济区单位名单"])
    sheet.append(["单位名称*", "类型*", "上级单位*"])
    sheet.append(["招商三科", "区直部门", "招商局"])
    sheet.append(["招商三科", "区直部门", "招商局"])
    out = io.BytesIO()
    book.save(out)
    errors = rejected(org, out.getvalue())
    # The duplicate is on the fourth row as Excel numbers it.
    assert places(errors) == {("单位", 4, "单位名称")}


# Bad rows: every one is reported where it is, and nothing is written -----------------------------


BAD_CASES: dict[str, tuple[list[list[Any]], list[list[Any]], set[tuple[str, int, str]], str]] = {
    "unknown unit": (
        [],
        [["zhaoliu", "赵六", "", "", "不存在的单位", "工作人员", "", "", ""]],
        {("人员", 2, "单位")},
        "Unknown unit “不存在的单位”.",
    ),
    "unknown zone": (
        [["招商四科", "", "区直部门", "招商局", "火星片区", "", ""]],
        [],
        {("单位", 2, "所属片区")},
        "Unknown zone “火星片区”",
    ),
    "unknown role": (
        [],
        [["zhaoliu", "赵六", "", "", "招商局", "科员", "", "", ""]],
        {("人员", 2, "角色")},
        "Unknown role “科员”",
    ),
    "unknown unit type": (
        [["招商四科", "", "科室", "招商局", "", "", ""]],
        [],
        {("单位", 2, "类型")},
        "Unknown unit type “科室”",
    ),
    "missing required cell": (
        [],
        [["zhaoliu", "", "", "", "招商局", "工作人员", "", "", ""]],
        {("人员", 2, "姓名")},
        "This cell is required.",
    ),
    "missing parent": (
        [["招商四科", "", "区直部门", "", "", "", ""]],
        [],
        {("单位", 2, "上级单位")},
        "This cell is required.",
    ),
    "unknown parent": (
        [["招商四科", "", "区直部门", "不存在的上级", "", "", ""]],
        [],
        {("单位", 2, "上级单位")},
        "Unknown unit “不存在的上级”.",
    ),
    "duplicate username with other details": (
        [],
        [
            ["zhaoliu", "赵六", "", "", "招商局", "工作人员", "", "", ""],
            ["zhaoliu", "赵七", "", "", "招商一科", "工作人员", "", "", ""],
        ],
        {("人员", 3, "姓名")},
        "already appears on row 2",
    ),
    "the same post twice": (
        [],
        [
            ["zhaoliu", "赵六", "", "", "招商局", "工作人员", "", "", ""],
            ["zhaoliu", "", "", "", "招商局", "工作人员", "", "", ""],
        ],
        {("人员", 3, "角色")},
        "already on row 2",
    ),
    "duplicate unit": (
        [
            ["招商四科", "", "区直部门", "招商局", "", "", ""],
            ["招商四科", "", "区直部门", "招商局", "", "", ""],
        ],
        [],
        {("单位", 3, "单位名称")},
        "Unit “招商四科” already appears on row 3.",  # rows as numbered once the good row is added
    ),
    "bad email": (
        [],
        [["zhaoliu", "赵六", "", "not-an-email", "招商局", "工作人员", "", "", ""]],
        {("人员", 2, "邮箱")},
        "email",
    ),
    "bad principal flag": (
        [],
        [["zhaoliu", "赵六", "", "", "招商局", "领导", "", "对", ""]],
        {("人员", 2, "主要领导")},
        "是",
    ),
    "principal who is not a leader": (
        [],
        [["zhaoliu", "赵六", "", "", "招商局", "工作人员", "", "是", ""]],
        {("人员", 2, "主要领导")},
        "Only a leader can be a principal leader.",
    ),
    "weak initial password": (
        [],
        [["zhaoliu", "赵六", "", "", "招商局", "工作人员", "", "", "123"]],
        {("人员", 2, "初始密码")},
        "too short",
    ),
    "enterprise user with a unit": (
        [],
        [["qiye2", "某公司", "", "", "招商局", "企业用户", "", "", ""]],
        {("人员", 2, "单位")},
        "enterprise user",
    ),
    "bad sort": (
        [["招商四科", "", "区直部门", "招商局", "", "", "第一"]],
        [],
        {("单位", 2, "排序")},
        "whole number",
    ),
    "parent cycle within the file": (
        [["甲科", "", "区直部门", "乙科", "", "", ""], ["乙科", "", "区直部门", "甲科", "", "", ""]],
        [],
        {("单位", 2, "上级单位"), ("单位", 3, "上级单位")},
        "loop back",
    ),
    "unit moved under its own sub-unit": (
        [["招商局", "", "区直部门", "招商一科", "", "", ""]],
        [],
        {("单位", 2, "上级单位")},
        "招商局 → 招商一科 → 招商局",
    ),
    "New Area with a parent": (
        [["另一新区", "", "新区", "招商局", "", "", ""]],
        [],
        {("单位", 2, "上级单位")},
        "New Area",
    ),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(org: SmallOrg, case: str) -> None:
    units, people, where, message = BAD_CASES[case]
    # Each bad row travels with good rows, which must not be written either.
    data = workbook(
        [["招商五科", "", "区直部门", "招商局", "", "", ""], *units],
        [*people, ["goodone", "好人", "", "", "招商五科", "工作人员", "", "", ""]],
    )
    if units:
        where = {(s, r + 1, c) if s == "单位" else (s, r, c) for s, r, c in where}
    errors = rejected(org, data)
    assert places(errors) == where
    assert any(message in e.message for e in errors), [e.message for e in errors]
    assert not Unit.objects.filter(name="招商五科").exists()


def test_every_problem_is_listed_at_once(org: SmallOrg) -> None:
    data = workbook(
        [["招商四科", "", "科室", "招商局", "火星片区", "", ""]],
        [
            ["zhaoliu", "", "", "bad", "不存在", "工作人员", "", "", ""],
            ["", "无名", "", "", "招商局", "老板", "", "", ""],
        ],
    )
    errors = rejected(org, data)
    assert places(errors) == {
        ("单位", 2, "类型"),
        ("单位", 2, "所属片区"),
        ("人员", 2, "姓名"),
        ("人员", 2, "邮箱"),
        ("人员", 2, "单位"),
        ("人员", 3, "用户名"),
        ("人员", 3, "角色"),
    }
    # Sorted as a person reads the file: sheet, then row, then column.
    assert [(e.sheet, e.row) for e in errors] == sorted(
        [(e.sheet, e.row) for e in errors], key=lambda p: (p[0] != "单位", p[1])
    )


def test_a_missing_required_column_is_reported_on_the_header_row(org: SmallOrg) -> None:
    header = ["用户名", "姓名", "单位"]  # no 角色
    errors = rejected(org, workbook(people=[["a", "A", "招商局"]], person_header=header))
    assert places(errors) == {("人员", 1, "角色")}


def test_a_refusal_from_a_service_while_applying_rolls_back_the_whole_file(
    org: SmallOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = services.person_create

    def refuse_wangwu(**kwargs: Any) -> Person:
        if kwargs["username"] == "wangwu":
            raise ValidationError({"email": ["Refused by the service."]})
        return original(**kwargs)

    monkeypatch.setattr(services, "person_create", refuse_wangwu)
    errors = rejected(org, good_file())
    # Units and the people before wangwu had been written inside the transaction: all gone.
    assert places(errors) == {("人员", 4, "邮箱")}
    assert errors[0].message == "Refused by the service."
    assert not Unit.objects.filter(name="招商二科").exists()
    assert not Person.objects.filter(username="lisi").exists()


# Bad files ---------------------------------------------------------------------------------------


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, text in files.items():
            package.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("单位名称,类型\n招商四科,区直部门\n".encode(), id="csv renamed"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, id="old xls"),
        pytest.param(_zip({"notes.txt": "hello"}), id="plain zip"),
        pytest.param(
            _zip(
                {
                    "[Content_Types].xml": '<Types><Override PartName="/word/document.xml" ContentType='
                    '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
                }
            ),
            id="word document",
        ),
        pytest.param(b"PK\x03\x04broken", id="broken zip"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused_whatever_its_name(org: SmallOrg, content: bytes) -> None:
    errors = rejected(org, content, filename="org.xlsx")
    assert len(errors) == 1 and errors[0].row is None


def test_an_xlsx_package_with_broken_parts_is_refused(org: SmallOrg) -> None:
    data = _zip(
        {
            "[Content_Types].xml": f'<Types><Override PartName="/xl/workbook.xml" '
            f'ContentType="{importing.XLSX_MAIN_CONTENT_TYPE}"/></Types>',
            "xl/workbook.xml": "<not really",
        }
    )
    errors = rejected(org, data)
    assert "could not be read" in errors[0].message


def test_an_xlsx_under_another_name_is_refused(org: SmallOrg) -> None:
    errors = rejected(org, good_file(), filename="org.csv")
    assert ".xlsx" in errors[0].message


def test_an_oversized_file_is_refused_before_it_is_read(org: SmallOrg) -> None:
    big = good_file() + b"\0" * (importing.MAX_UPLOAD_BYTES + 1)
    errors = rejected(org, big)
    assert "5 MB" in errors[0].message
    with translation.override("en"), pytest.raises(importing.ImportRejected):
        importing.read_upload(io.BytesIO(big))


def test_a_workbook_without_the_sheets_is_refused(org: SmallOrg) -> None:
    book = openpyxl.Workbook()
    out = io.BytesIO()
    book.save(out)
    errors = rejected(org, out.getvalue())
    assert "单位" in errors[0].message


# The page ----------------------------------------------------------------------------------------


def upload(data: bytes, name: str = "org.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=importing.XLSX_MIME)


def test_the_page_shows_the_form_the_rules_and_the_template_link(org: SmallOrg) -> None:
    response = client_for(org.supervisor).get("/org/import/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "/org/import/template.xlsx" in page
    assert 'data-testid="import-rules"' in page
    for column in [*UNIT_HEAD, *PERSON_HEAD]:
        assert column in page


def test_the_page_imports_a_good_file_and_shows_the_summary(org: SmallOrg) -> None:
    response = client_for(org.supervisor).post("/org/import/", {"file": upload(good_file())})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-summary"' in page
    assert 'data-testid="created-units">3<' in page
    assert 'data-testid="created-people">3<' in page
    assert Unit.objects.filter(name="湾北片区办").exists()


def test_the_page_shows_the_error_table_and_writes_nothing(org: SmallOrg) -> None:
    before = state()
    data = workbook([["招商四科", "", "区直部门", "招商局", "火星片区", "", ""]])
    client = client_for(org.supervisor)
    response = client.post("/org/import/", {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    assert "<td>单位</td><td>2</td><td>所属片区</td>" in page
    assert "火星片区" in page
    assert state() == before


def test_the_page_refuses_a_renamed_file_and_an_oversized_one(org: SmallOrg) -> None:
    before = state()
    client = client_for(org.supervisor)
    for data in [b"name,kind\n", b"PK\x03\x04" + b"\0" * (importing.MAX_UPLOAD_BYTES + 10)]:
        response = client.post("/org/import/", {"file": upload(data)})
        assert 'data-testid="import-rejected"' in response.content.decode()
    response = client.post("/org/import/", {})
    assert 'data-testid="import-rejected"' in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("who", ["staff", "head", "principal", "enterprise", "nobody"])
def test_only_people_who_manage_the_organisation_may_import(org: SmallOrg, who: str) -> None:
    before = state()
    client = client_for(getattr(org, who))
    assert client.get("/org/import/").status_code == 403
    assert client.get("/org/import/template.xlsx").status_code == 403
    assert client.post("/org/import/", {"file": upload(good_file())}).status_code == 403
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/org/import/")
    assert response.status_code == 302 and "login" in response["Location"]


# The template ------------------------------------------------------------------------------------


def test_the_template_has_both_sheets_headers_an_example_and_notes(org: SmallOrg) -> None:
    response = client_for(org.supervisor).get("/org/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == importing.XLSX_MIME
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["单位", "人员", "说明"]
    units = list(book["单位"].iter_rows(values_only=True))
    people = list(book["人员"].iter_rows(values_only=True))
    assert list(units[0]) == UNIT_HEAD
    assert list(people[0]) == PERSON_HEAD
    assert units[1][0] and people[1][0]  # the example rows
    notes = "\n".join(str(v) for row in book["说明"].iter_rows(values_only=True) for v in row if v)
    for allowed in ["新区", "管委会", "区直部门", "片区管理办公室", "国有企业", "企业服务专员", "湾北核心区"]:
        assert allowed in notes


def test_the_template_as_downloaded_imports_cleanly(org: SmallOrg) -> None:
    """The example rows follow the rules the import enforces, so the template and the parser agree."""
    data = client_for(org.supervisor).get("/org/import/template.xlsx").content
    summary = run(org, data, filename="单位人员导入模板.xlsx")
    assert summary.counts()["created_units"] == 1 and summary.counts()["created_people"] == 1


# The API -----------------------------------------------------------------------------------------


def test_the_api_imports_with_a_token(org: SmallOrg, api_token: Callable[[Person], dict[str, Any]]) -> None:
    response = Client(**api_token(org.supervisor)).post("/api/org/import", {"file": upload(good_file())})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "created_units": 3,
        "updated_units": 0,
        "unchanged_units": 0,
        "created_people": 3,
        "updated_people": 1,
        "unchanged_people": 0,
    }


def test_the_api_reports_bad_rows_in_the_error_shape(
    org: SmallOrg, api_token: Callable[[Person], dict[str, Any]]
) -> None:
    headers = api_token(org.supervisor)
    before = state()
    data = workbook(people=[["zhaoliu", "赵六", "", "", "不存在的单位", "科员", "", "", ""]])
    response = Client(**headers).post("/api/org/import", {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected"
    assert "Nothing has been changed" in body["message"]
    assert body["errors"] == [
        {"sheet": "人员", "row": 2, "column": "单位", "message": "Unknown unit “不存在的单位”."},
        {"sheet": "人员", "row": 2, "column": "角色", "message": body["errors"][1]["message"]},
    ]
    assert "科员" in body["errors"][1]["message"]
    assert state() == before


def test_the_api_refuses_a_file_that_is_not_an_xlsx(
    org: SmallOrg, api_token: Callable[[Person], dict[str, Any]]
) -> None:
    headers = api_token(org.supervisor)
    response = Client(**headers).post("/api/org/import", {"file": upload(b"not a workbook")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] is None


def test_the_api_forbids_staff(org: SmallOrg, api_token: Callable[[Person], dict[str, Any]]) -> None:
    before = state()
    response = Client(**api_token(org.staff)).post("/api/org/import", {"file": upload(good_file())})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    # Issuing the token wrote its own audit row; the import wrote nothing.
    assert state()[:3] == before[:3]
