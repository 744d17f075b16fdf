"""The shared spreadsheet toolkit: what every import relies on, seen from an importer's side."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook

from luoshi.core.spreadsheets import (
    ImportRejected,
    RowError,
    SheetLayout,
    cell_text,
    check_xlsx,
    open_workbook,
    read_sheet,
    sorted_errors,
)

MB = 1024 * 1024
LAYOUT = SheetLayout(
    {"seq": ("序号",), "name": ("单位名称", "名称"), "amount": ("金额（万元）",), "note": ("备注",)},
    required=("name", "amount"),
    anchor="name",
    section=("seq",),
    max_rows=3,
)


def book_bytes(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes) -> tuple[list[Any] | None, list[RowError]]:
    errors: list[RowError] = []
    with open_workbook(data) as book:
        return read_sheet(book.worksheets[0], LAYOUT, errors), errors


def test_the_header_is_found_under_title_rows_by_its_titles_and_their_variants() -> None:
    data = book_bytes(
        ["普湾经济区 2026 年台账"],
        ["说明：金额单位为万元"],
        ["序号", "名称*", "金额(万元)", "其他列"],
        [1, "招商局（筹）", 12.0, "x"],
        [None, None, None],
        ["一、片区办"],  # a section row
        [2, "湾北片区办", "3,000", None],
    )
    rows, errors = read(data)
    assert errors == [] and rows is not None
    assert [(r.number, r.get("name"), r.get("amount")) for r in rows] == [
        (4, "招商局（筹）", "12"),
        (7, "湾北片区办", "3,000"),
    ]
    # Data keeps its full-width characters; the report names a column as the file titles it.
    assert rows[0].error("amount", "x") == RowError(rows[0].sheet, 4, "金额(万元)", "x")
    assert rows[0].error("note", "x").column == "备注"  # a column the file lacks: the template's title
    assert rows[0].has("amount") and not rows[0].has("note")


def test_header_problems_and_the_row_limit_are_reported() -> None:
    rows, errors = read(book_bytes(["名称", "单位名称"], ["甲", "乙"]))
    assert rows == []
    assert {(e.row, e.column) for e in errors} == {(1, "单位名称"), (1, "金额（万元）")}
    rows, errors = read(book_bytes(["名称", "金额（万元）"], *[[f"单位{n}", n] for n in range(5)]))
    assert rows is not None and len(rows) == 3
    assert [(e.row, e.column) for e in errors] == [(5, "")]
    assert read(book_bytes(["甲", "乙"], ["1", "2"]))[0] is None


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"", "a.xlsx", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "a.xls", ".xls"),
        ("名称,金额\n".encode(), "a.xlsx", "a.xlsx"),
        (book_bytes(["名称"]), "a.csv", ".xlsx"),
        (book_bytes(["名称"]) + b"\0" * MB, "a.xlsx", "1 MB"),
    ],
)
def test_a_file_is_judged_by_its_content_its_size_and_its_extension(
    data: bytes, name: str, fragment: str
) -> None:
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        check_xlsx(data, name, max_bytes=MB, max_unpacked=10 * MB)
    (problem,) = caught.value.errors
    assert problem.row is None and fragment in problem.message


def test_a_real_workbook_passes_with_or_without_an_extension() -> None:
    data = book_bytes(["名称"])
    check_xlsx(data, "台账.xlsx", max_bytes=MB, max_unpacked=10 * MB)
    check_xlsx(data, "台账", max_bytes=MB, max_unpacked=10 * MB)


def test_errors_sort_by_file_then_sheet_row_and_column() -> None:
    errors = [
        RowError("人员", 2, "姓名", "c"),
        RowError("单位", 3, "类型", "b"),
        RowError("单位", 3, "单位名称", "a"),
        RowError("", None, "", "file"),
    ]
    ordered = sorted_errors(errors, columns=["单位名称", "类型", "姓名"], sheets=["单位", "人员"])
    assert [e.message for e in ordered] == ["file", "a", "b", "c"]


def test_cells_read_as_typed() -> None:
    assert [cell_text(v) for v in (None, True, 13800000000.0, 0.5, " 湾北（一期） ")] == [
        "",
        "是",
        "13800000000",
        "0.5",
        "湾北（一期）",
    ]
