"""What every Excel import and export of Luoshi does the same way.

Reading
    `check_xlsx` decides by content (and size) that an upload really is an .xlsx workbook;
    `open_workbook` opens it and turns any failure of a broken package into one clear error.
    `read_sheet` finds the header row under one or two title rows by the known titles of each
    column (and their usual variants, see `SheetLayout`), then yields the data rows with their
    row numbers as Excel shows them, skipping blank rows and section rows.
    `cell_text` and `parse_date` read cells as people fill them in.

The error report
    An import is all or nothing: it collects every problem as a `RowError` (sheet, row, column,
    message) and raises `ImportRejected` with all of them, or writes everything. `service_errors`
    places a service's refusal under the column its field comes from; `suggest` finds the known
    names closest to an unknown one.

Writing
    `template_sheet` and `notes_sheet` lay out an import template (a merged title row, the
    headers with the required ones in red, example rows, and a notes sheet); `export_sheet` and
    `date_cell` lay out a write-only export.

Around them
    The upload form field, the download response, the job outcome of a refused file, and the API
    shapes of a queued job and a refused file, which every Excel page and endpoint shares.
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import IO, TYPE_CHECKING, Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja import Schema, Status
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .access import get_visible_or_404
from .errors import Conflict
from .forms import StyledForm
from .jobs import JobOutcome
from .models import Job
from .uploads import MB, validate_upload

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from luoshi.org.models import Person

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAIN_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), among others
# The header may sit under a title row or two (common in office files); it is looked for this far.
HEADER_SEARCH_ROWS = 10
YES, NO = "是", "否"
HEADER_FILL = "DCE6F1"

ProgressFn = Callable[..., None]


def no_progress(done: int, total: int | None = None, stage: str | None = None) -> None:
    """A progress callback for callers that do not follow progress."""
    return None


# The error report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where it is (sheet, row as Excel numbers it, column header) and why."""

    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The file was refused; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(self.message)

    @property
    def message(self) -> str:
        count = len(self.errors)
        return ngettext(
            "The file was not imported: %(count)s problem was found. Nothing has been changed.",
            "The file was not imported: %(count)s problems were found. Nothing has been changed.",
            count,
        ) % {"count": count}


def file_error(message: str) -> ImportRejected:
    """A refusal of the whole file, not of a row."""
    return ImportRejected([RowError(sheet="", row=None, column="", message=message)])


def sorted_errors(
    errors: Iterable[RowError], *, columns: Iterable[str] = (), sheets: Sequence[str] = ()
) -> list[RowError]:
    """File problems first, then by sheet (in the order given), row, and column (in the order given)."""
    sheet_rank = {name: i for i, name in enumerate(sheets, start=1)}
    column_rank = {title: i for i, title in enumerate(columns)}
    return sorted(
        errors,
        key=lambda e: (
            0 if not e.sheet else sheet_rank.get(e.sheet, len(sheet_rank) + 1),
            e.row or 0,
            column_rank.get(e.column, len(column_rank)),
        ),
    )


def service_errors(
    exc: ValidationError | Conflict, row: Row, field_columns: Mapping[str, str]
) -> list[RowError]:
    """Place a model's or a service's refusal on the row, under the column its field comes from."""
    if isinstance(exc, Conflict):
        return [row.error("", str(exc))]
    if hasattr(exc, "error_dict"):
        return [
            row.error(field_columns.get(name, ""), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [row.error("", message) for message in exc.messages]


def clean_fields(
    obj: Any, fields: Iterable[str], row: Row, field_columns: Mapping[str, str]
) -> list[RowError]:
    """The model's own checks (lengths, formats) of some fields of an unsaved record, as row errors."""
    fields = set(fields)
    exclude = [f.name for f in obj._meta.fields if f.name not in fields]
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return service_errors(exc, row, field_columns)
    return []


# The file --------------------------------------------------------------------------------------------


def _too_large(max_bytes: int) -> ImportRejected:
    return file_error(
        _("The file is larger than %(limit)s MB. Split it into smaller files.") % {"limit": max_bytes // MB}
    )


def read_upload(upload: IO[bytes], *, max_bytes: int, size: int | None = None) -> bytes:
    """The bytes of an uploaded file, refusing one over the size limit before reading it."""
    if size is not None and size > max_bytes:
        raise _too_large(max_bytes)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def check_xlsx(data: bytes, filename: str = "", *, max_bytes: int, max_unpacked: int) -> None:
    """Refuse anything that is not really an Excel workbook (.xlsx) of an acceptable size.

    The content decides, not the name: an .xlsx is a zip package whose content types declare a
    SpreadsheetML workbook. A name with another extension is refused too, so that what people
    see on their disk matches what they sent.
    """
    if not data:
        raise file_error(_("The file is empty."))
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if data.startswith(OLE2_SIGNATURE):
        raise file_error(
            _(
                "This is an old-format Excel file (.xls). Open it in Excel or WPS, save it as an "
                "Excel workbook (.xlsx) and upload that."
            )
        )
    if filename:
        not_xlsx = _("“%(name)s” is not an accepted file. Accepted types: %(types)s.") % {
            "name": filename,
            "types": "xlsx",
        }
    else:
        not_xlsx = _("This file is not an Excel workbook (.xlsx). Download the template and fill it in.")
    if not data.startswith(b"PK\x03\x04"):
        raise file_error(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
            if unpacked > max_unpacked:
                # A small zip can unpack to gigabytes; no real workbook of ours comes near the limit.
                raise file_error(_("The workbook is too large once unpacked. Split it into smaller files."))
            content_types = package.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise file_error(not_xlsx) from None
    if XLSX_MAIN_CONTENT_TYPE.encode() not in content_types:
        raise file_error(not_xlsx)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension and extension != "xlsx":
        raise file_error(_("Give the file the .xlsx extension of an Excel workbook."))


def _unreadable() -> ImportRejected:
    return file_error(_("The workbook could not be read. Open it in Excel or WPS, save it again and retry."))


@contextmanager
def open_workbook(data: bytes) -> Iterator[Workbook]:
    """The workbook, read-only with cell values; a broken package or sheet is one clear file error."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, KeyError…) for a broken package
        raise _unreadable() from None
    try:
        yield book
    except ImportRejected:
        raise
    except Exception:  # a sheet whose XML is broken shows only when its rows are read
        raise _unreadable() from None
    finally:
        book.close()


# Cells -------------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: numbers without a spurious ".0", dates as 2026-12-31,
    booleans as 是/否. Full-width characters are kept: they belong to Chinese names (（）)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def header_text(value: Any) -> str:
    """A column title without what templates add to it: stars, colons, spaces, notes in brackets
    (完成时限（必填）, 计划投资额（万元）), full-width forms."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\s*:]", "", text)


_FULL_DATE = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*(?:月)?\s*(?:底|末|份)?$")
_YEAR_END = re.compile(r"^(\d{4})\s*年\s*(?:底|末)?$")


def parse_date(value: Any) -> datetime.date | None:
    """A date from an Excel date, an Excel serial number or the ways people write one.

    2026年12月31日, 2026-12-31, 2026/12/31, 2026.12.31 and 20261231 name a day (full-width digits
    too); 2026年12月 and 2026年12月底 the last day of the month; 2026年底 the last day of the
    year. None if it is none.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Serial numbers between 1954 and 2119: anything else is not meant as a date.
        if 20_000 <= value <= 80_000:
            return from_excel(value).date()  # type: ignore[no-any-return]
        return None
    text = unicodedata.normalize("NFKC", cell_text(value)).split(" ")[0].split("T")[0]
    try:
        for pattern in (_FULL_DATE, _COMPACT_DATE):
            match = pattern.match(text)
            if match:
                year, month, day = (int(g) for g in match.groups())
                return datetime.date(year, month, day)
        match = _MONTH.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            return datetime.date(year, month, calendar.monthrange(year, month)[1])
        match = _YEAR_END.match(text)
        if match:
            return datetime.date(int(match.group(1)), 12, 31)
    except ValueError:  # 2026-02-30, month 13
        return None
    return None


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to `name`: those containing it (or contained in it) first."""
    names = list(dict.fromkeys(candidates))
    contained = [c for c in names if name and (name in c or c in name)]
    contained.sort(key=lambda c: abs(len(c) - len(name)))
    close = difflib.get_close_matches(name, names, n=n, cutoff=0.5)
    return list(dict.fromkeys([*contained, *close]))[:n]


def join_choices(labels: Iterable[Any]) -> str:
    return "、".join(str(label) for label in labels)


Z = TypeVar("Z")


def find_zone(row: Row, name: str, zones: Mapping[str, Z], column: str, errors: list[RowError]) -> Z | None:
    """The zone a cell names, also by a part of its name (湾北 for 湾北核心区); else an error with suggestions."""
    zone = zones.get(name)
    if zone is not None:
        return zone
    matches = [z for n, z in zones.items() if name in n]
    if len(matches) == 1:
        return matches[0]
    close = suggest(name, zones)
    if close:
        message = _("Unknown zone “%(name)s”. Did you mean: %(choices)s?") % {
            "name": name,
            "choices": join_choices(close),
        }
    else:
        message = _("Unknown zone “%(name)s”. Use one of: %(choices)s.") % {
            "name": name,
            "choices": join_choices(zones),
        }
    errors.append(row.error(column, message))
    return None


def choice_words(choices: Any) -> dict[str, Any]:
    """Every way a choice can be written: its value and its label in English and in Chinese (lower case)."""
    words: dict[str, Any] = {}
    for value, label in choices.choices:
        words[str(value).lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                words[str(label).lower()] = value
    return words


# Rows ----------------------------------------------------------------------------------------------------


class SheetLayout:
    """The columns a sheet may have, each under a key: the template's title first, then the other
    titles real sheets use for it.

    `anchor` is a column whose title marks the header row. A row with only `section` columns
    filled (a 序号 column holding "一、招商引资") is a section title and is skipped.
    """

    def __init__(
        self,
        columns: Mapping[str, tuple[str, ...]],
        *,
        required: tuple[str, ...],
        anchor: str,
        section: tuple[str, ...] = (),
        max_rows: int = 10_000,
    ) -> None:
        self.columns = dict(columns)
        self.required = required
        self.anchor = anchor
        self.section = frozenset(section)
        self.max_rows = max_rows
        self._keys = {header_text(t): key for key, titles in self.columns.items() for t in titles}

    def key_of(self, header: Any) -> str | None:
        return self._keys.get(header_text(header))

    def title(self, key: str) -> str:
        """The template's title of a column."""
        return self.columns[key][0] if key in self.columns else key


@dataclass
class Row:
    """One data row: its number as Excel shows it and its raw cells by column key."""

    sheet: str
    number: int
    cells: dict[str, Any]
    titles: dict[str, str]  # column key → the title the file uses
    layout: SheetLayout

    def raw(self, key: str) -> Any:
        return self.cells.get(key)

    def get(self, key: str) -> str:
        return cell_text(self.cells.get(key))

    def has(self, key: str) -> bool:
        """Whether the sheet has this column at all (an empty cell is not a missing column)."""
        return key in self.cells

    def error(self, key: str, message: str) -> RowError:
        column = self.titles.get(key) or (self.layout.title(key) if key else "")
        return RowError(sheet=self.sheet, row=self.number, column=column, message=message)


def _shown_title(value: Any) -> str:
    # The report names a column as the file titles it, without the star that marks it required.
    return re.sub(r"[\s*＊]", "", cell_text(value))


def _find_header(head: list[tuple[Any, ...]], layout: SheetLayout) -> tuple[int, dict[str, int]] | None:
    """The header row (1-based) and each known column's position: of the rows holding the anchor's
    title, the one with the most known titles."""
    best: tuple[int, dict[str, int]] | None = None
    for number, values in enumerate(head, start=1):
        positions: dict[str, int] = {}
        for index, value in enumerate(values):
            key = layout.key_of(value)
            if key and key not in positions:
                positions[key] = index
        if layout.anchor in positions and (best is None or len(positions) > len(best[1])):
            best = (number, positions)
    return best


def read_sheet(
    sheet: Any, layout: SheetLayout, errors: list[RowError], progress: ProgressFn = no_progress
) -> list[Row] | None:
    """The data rows of a sheet, or None when no header row is found in its first rows.

    Problems of the header (a column twice, a required column missing) and a sheet over the row
    limit are added to `errors`. Blank rows and section rows are skipped.
    """
    name = sheet.title
    rows: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
    head: list[tuple[Any, ...]] = []
    for values in rows:
        head.append(values)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    found = _find_header(head, layout)
    if found is None:
        return None
    # The sheet's declared size, for the progress bar only (it may be missing or wrong).
    progress(0, max(getattr(sheet, "max_row", 0) or 0, 0))
    header_number, positions = found
    header = head[header_number - 1]
    titles = {key: _shown_title(header[index]) for key, index in positions.items()}
    for index, value in enumerate(header):
        key = layout.key_of(value)
        if key and positions.get(key) != index:
            errors.append(
                RowError(name, header_number, _shown_title(value), _("This column appears more than once."))
            )
    missing = [key for key in layout.required if key not in positions]
    for key in missing:
        errors.append(RowError(name, header_number, layout.title(key), _("This required column is missing.")))
    if missing:
        return []
    result: list[Row] = []
    numbered = chain(
        enumerate(head[header_number:], start=header_number + 1), enumerate(rows, start=len(head) + 1)
    )
    for number, values in numbered:
        cells = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        filled = {key for key, value in cells.items() if cell_text(value)}
        if filled <= layout.section:  # blank, or a section title
            continue
        if len(result) >= layout.max_rows:
            errors.append(
                RowError(
                    name,
                    number,
                    "",
                    _("A sheet may hold at most %(count)s rows. Split the file.")
                    % {"count": layout.max_rows},
                )
            )
            break
        result.append(Row(sheet=name, number=number, cells=cells, titles=titles, layout=layout))
        if number % 500 == 0:
            progress(number)
    return result


# Writing -------------------------------------------------------------------------------------------------


def template_sheet(
    sheet: Worksheet,
    *,
    headers: Sequence[str],
    required: Sequence[bool],
    widths: Sequence[int],
    title: str = "",
    examples: Iterable[Sequence[Any]] = (),
    freeze: str = "",
) -> int:
    """Lay out an import template: a merged title row (if any), the headers with the required ones
    in red, and example rows. Returns the number of the header row."""
    if title:
        sheet.append([title])
        sheet.merge_cells(f"A1:{get_column_letter(len(headers))}1")
        sheet["A1"].font = Font(bold=True, size=16)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[1].height = 30
    sheet.append(list(headers))
    header_row = sheet.max_row
    thin = Side(style="thin", color="999999")
    for index, cell in enumerate(sheet[header_row]):
        cell.font = Font(bold=True, color="C00000" if required[index] else "000000")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        sheet.column_dimensions[cell.column_letter].width = widths[index]
    for example in examples:
        sheet.append(list(example))
    sheet.freeze_panes = freeze or f"A{header_row + 1}"
    return header_row


def list_validation(sheet: Worksheet, column: str, values: Iterable[str], first_row: int) -> None:
    """A drop-down of allowed values in one column (left out past Excel's 255-character limit)."""
    formula = ",".join(values)
    if not formula or len(formula) > 250:
        return
    validation = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True)
    validation.add(f"{column}{first_row}:{column}2000")
    sheet.add_data_validation(validation)


def number_format(sheet: Worksheet, columns: Iterable[str], fmt: str, first_row: int) -> None:
    """Pre-format the cells of some columns: "@" keeps phone numbers and codes as text."""
    for letter in columns:
        for row in range(first_row, 501):
            sheet[f"{letter}{row}"].number_format = fmt


def notes_sheet(
    book: Workbook,
    name: str,
    *,
    headings: Sequence[str],
    rows: Iterable[Sequence[Any]],
    rules: Iterable[str],
    widths: Sequence[int],
) -> Worksheet:
    """The template's notes: what to write in each column, then the general rules."""
    notes = book.create_sheet(name)
    notes.append(list(headings))
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    for index, width in enumerate(widths, start=1):
        notes.column_dimensions[get_column_letter(index)].width = width
    for row in rows:
        notes.append(list(row))
    notes.append([])
    for line in rules:
        notes.append([line])
    for cells in notes.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return notes


def export_sheet(
    book: Workbook, name: str, *, title: str, headers: Sequence[str], widths: Sequence[int], freeze: str
) -> Any:
    """A write-only sheet with a merged title row and styled headers; rows are appended after."""
    sheet = book.create_sheet(name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    title_cell = WriteOnlyCell(sheet, value=title)
    title_cell.font = Font(bold=True, size=14)
    title_cell.alignment = Alignment(horizontal="center")
    sheet.append([title_cell])
    sheet.merged_cells.add(f"A1:{get_column_letter(len(headers))}1")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = freeze
    return sheet


def date_cell(sheet: Any, value: datetime.date | None) -> Any:
    """A date shown as a date (not a number) in a write-only sheet; None stays empty."""
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Jobs, pages and the API -------------------------------------------------------------------------------


def job_input(job: Job) -> bytes:
    """The workbook uploaded for an import job."""
    with job.input_file.open("rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


def rejected_outcome(exc: ImportRejected) -> JobOutcome:
    """A failed import job: the report of every problem."""
    return JobOutcome(ok=False, message=exc.message, errors=[e.as_dict() for e in exc.errors])


def exported_outcome(data: bytes, count: int, message: str, file_name: str) -> JobOutcome:
    """A finished export job: the workbook to download and how many rows it holds."""
    return JobOutcome(
        ok=True, message=message, file_bytes=data, file_name=file_name, result={"exported": count}
    )


class WorkbookForm(StyledForm):
    """An upload of one .xlsx workbook, checked by content and size before any job is queued."""

    max_bytes = 10 * MB
    file = forms.FileField(label=gettext_lazy("Excel workbook (.xlsx)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        validate_upload(upload, allowed=("xlsx",), max_bytes=self.max_bytes)
        return upload


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """A workbook to download."""
    response = HttpResponse(data, content_type=XLSX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    )
    return response


def page_job(request: HttpRequest, person: Person, kind: str) -> Job | None:
    """The job named by `?job=` on an import page: the person's own, of that kind, or 404."""
    raw = request.GET.get("job", "")
    if not raw.isdigit():
        return None
    return get_visible_or_404(Job.objects.filter(kind=kind), person, pk=int(raw))


class JobQueued(Schema):
    job_id: int
    state: str
    url: str
    page_url: str


class FileProblem(Schema):
    sheet: str
    row: int | None
    column: str
    message: str


class FileRejected(Schema):
    code: str
    message: str
    errors: list[FileProblem]


def job_queued(request: HttpRequest, job: Job, page_url: str) -> Status:
    """202 with the job: where to poll it (`GET /api/jobs/{id}`) and the page that shows it."""
    return Status(
        202,
        {
            "job_id": job.pk,
            "state": job.state,
            "url": request.build_absolute_uri(reverse("api:job_get", args=[job.pk])),
            "page_url": request.build_absolute_uri(page_url),
        },
    )


def upload_refused(upload: UploadedFile, *, max_bytes: int) -> Status | None:
    """400 for an upload that is not an .xlsx workbook or is too large; None if it is fine."""
    try:
        validate_upload(upload, allowed=("xlsx",), max_bytes=max_bytes)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        problem = {"sheet": "", "row": None, "column": "", "message": message}
        return Status(400, {"code": "invalid_file", "message": message, "errors": [problem]})
    upload.seek(0)
    return None
