"""Excel in and out for investment: an existing project ledger (招商项目台账) in, the project list out.

Import
    One sheet with Chinese headers in their usual spellings (see `COLUMNS`), under a title row or
    two, section rows (一、汽车产业) and blank rows skipped. Amounts are in 万元 unless the column's
    title says 亿元 (计划投资额（亿元）) or 元. Every row becomes a new project at the stage the ledger
    gives, with the date of each stage it reached.

    All or nothing: every row is checked first and every problem is reported with its row (as
    Excel numbers it), its column (as the file titles it) and the reason — an unknown zone,
    person, leader, stage or source with the closest known names, a bad date, dates out of stage
    order, a stage reached without its date, a date for a stage not reached, signed without an
    amount, registered without a valid credit code, a project twice in the file or already in
    Luoshi. Only a clean file is written, in one transaction, through
    `services.project_create_many`: the checks of `project_create` and of `project_move`, one
    audit record per project, registration linking or creating the enterprise as a move does.
    A spreadsheet cannot carry the evidence documents, so each move of the history is recorded
    with the reason “台账导入”.

Export
    `export_projects(queryset)` writes the import's columns plus the code, the responsible unit,
    the stale state and the last follow-up, in openpyxl's write-only mode and one query.

Both run as background jobs (`run_import_job`, `run_export_job`) so that the page can show their
progress; `import_projects` and `export_projects` are the plain functions a benchmark times.
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from luoshi.core.errors import DraftRejected
from luoshi.core.jobs import JobOutcome, Progress, job_runner
from luoshi.core.models import Job
from luoshi.core.spreadsheets import (
    HEADER_SEARCH_ROWS,
    YES,
    ImportRejected,
    ProgressFn,
    Row,
    RowError,
    SheetLayout,
    check_xlsx,
    choice_words,
    clean_fields,
    date_cell,
    export_sheet,
    exported_outcome,
    file_error,
    find_zone,
    job_input,
    join_choices,
    list_validation,
    no_progress,
    notes_sheet,
    number_format,
    open_workbook,
    parse_date,
    read_sheet,
    rejected_outcome,
    service_errors,
    sorted_errors,
    suggest,
    template_sheet,
    workbook_bytes,
)
from luoshi.core.uploads import MB
from luoshi.org.models import Person, Position, Role, Zone

from . import services
from .access import access_import_projects
from .filters import project_filters_from_query
from .models import STAGES, FollowUp, Project, Source, Stage
from .selectors import project_list

MAX_UPLOAD_BYTES = 10 * MB
MAX_UNPACKED_BYTES = 300 * MB
MAX_ROWS = 10_000
# Projects created per call of the bulk service, so the page sees progress between calls.
CREATE_BATCH = 500
SHEET_NAME = "招商项目台账"
NOTES_SHEET_NAME = "填表说明"
TEMPLATE_TITLE = "普湾经济区招商引资项目台账"

SEQ, NAME, INVESTOR, ORIGIN, INDUSTRY, ZONE = "seq", "name", "investor", "origin", "industry", "zone"
PLANNED, OUTPUT, JOBS, OWNER, LEADER, SOURCE = "planned", "output", "jobs", "owner", "leader", "source"
STAGE, CONTRACTED, USCC, NOTE = "stage", "contracted", "uscc", "note"
# The date columns are keyed by the model's field names.
LEAD_ON, NEGOTIATING_ON, SIGNED_ON, REGISTERED_ON, STARTED_ON, OPERATING_ON = (f"{s}_on" for s in STAGES)
COLUMNS: dict[str, tuple[str, ...]] = {
    SEQ: ("序号",),
    NAME: ("项目名称", "招商项目名称", "项目"),
    INVESTOR: ("投资方", "投资主体", "投资企业", "投资方名称", "投资商"),
    ORIGIN: ("投资方国别/地区", "国别/地区", "国别地区", "投资来源地", "来源国别", "国别"),
    INDUSTRY: ("所属行业", "行业", "产业类别", "产业领域"),
    ZONE: ("所属片区", "片区", "落位片区", "所在片区"),
    PLANNED: ("计划投资额（万元）", "计划总投资（万元）", "总投资（万元）", "投资额（万元）"),
    OUTPUT: ("预计年产值（万元）", "预计产值（万元）", "年产值（万元）"),
    JOBS: ("预计就业", "预计就业人数", "就业人数", "新增就业"),
    OWNER: ("招商责任人", "项目责任人", "责任人"),
    LEADER: ("分管领导", "包保领导", "责任领导"),
    SOURCE: ("项目来源", "信息来源", "线索来源", "来源"),
    STAGE: ("当前阶段", "项目阶段", "进展阶段", "阶段"),
    LEAD_ON: ("线索日期", "首次接洽日期", "接洽日期", "信息获取日期"),
    NEGOTIATING_ON: ("洽谈日期", "首次洽谈日期"),
    SIGNED_ON: ("签约日期", "签约时间"),
    CONTRACTED: ("签约金额（万元）", "合同金额（万元）", "协议金额（万元）", "签约额（万元）"),
    REGISTERED_ON: ("注册日期", "注册落地日期", "落地日期", "注册时间"),
    USCC: ("统一社会信用代码", "社会信用代码", "信用代码"),
    STARTED_ON: ("开工日期", "开工时间"),
    OPERATING_ON: ("投产日期", "投产时间"),
    NOTE: ("备注", "项目简介", "项目情况"),
}
REQUIRED = (NAME, INVESTOR, ORIGIN, INDUSTRY, ZONE, PLANNED, OWNER, STAGE, LEAD_ON)
TEMPLATE_COLUMNS = tuple(COLUMNS)
LAYOUT = SheetLayout(COLUMNS, required=REQUIRED, anchor=NAME, section=(SEQ,), max_rows=MAX_ROWS)
DATE_COLUMNS = (LEAD_ON, NEGOTIATING_ON, SIGNED_ON, REGISTERED_ON, STARTED_ON, OPERATING_ON)

# Which column a service's refusal of a field belongs to.
FIELD_COLUMNS = {
    "name": NAME,
    "investor": INVESTOR,
    "enterprise_name": INVESTOR,
    "origin": ORIGIN,
    "industry": INDUSTRY,
    "zone": ZONE,
    "unit": OWNER,
    "owner": OWNER,
    "leader": LEADER,
    "source": SOURCE,
    "planned_investment": PLANNED,
    "expected_output": OUTPUT,
    "expected_jobs": JOBS,
    "description": NOTE,
    "stage": STAGE,
    "contracted_amount": CONTRACTED,
    "uscc": USCC,
    **{key: key for key in DATE_COLUMNS},
}

# The stages and sources as ledgers write them; the sheet's own words come first.
STAGE_NAMES: dict[str, str] = {
    Stage.LEAD: "线索",
    Stage.NEGOTIATING: "洽谈",
    Stage.SIGNED: "签约",
    Stage.REGISTERED: "注册落地",
    Stage.STARTED: "开工",
    Stage.OPERATING: "投产",
}
STAGE_WORDS = {
    **{word: stage for stage, word in STAGE_NAMES.items()},
    "在谈": Stage.NEGOTIATING,
    "已签约": Stage.SIGNED,
    "注册": Stage.REGISTERED,
    "落地": Stage.REGISTERED,
    "已注册": Stage.REGISTERED,
    "已落地": Stage.REGISTERED,
    "在建": Stage.STARTED,
    "已开工": Stage.STARTED,
    "已投产": Stage.OPERATING,
}
SOURCE_NAMES: dict[str, str] = {
    Source.VISIT: "走访",
    Source.EXHIBITION: "展会",
    Source.REFERRAL: "中介推荐",
    Source.AGENCY: "招商代理",
    Source.ONLINE: "网络",
    Source.BUSINESS: "以商招商",
    Source.OTHER: "其他",
}
SOURCE_WORDS = {
    **{word: source for source, word in SOURCE_NAMES.items()},
    "拜访": Source.VISIT,
    "上门拜访": Source.VISIT,
    "会展": Source.EXHIBITION,
    "推介会": Source.EXHIBITION,
    "中介": Source.REFERRAL,
    "推荐": Source.REFERRAL,
    "代理": Source.AGENCY,
    "线上": Source.ONLINE,
    "其它": Source.OTHER,
}
STALE_NAMES = {"red": "红", "yellow": "黄"}
STALE_FILLS = {"red": "F8CBAD", "yellow": "FFE699"}
CENT = Decimal("0.01")


# Values ----------------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(亿元|亿|万元|万|元)?$")
_SCALES = {
    "亿元": Decimal(10_000),
    "亿": Decimal(10_000),
    "万元": Decimal(1),
    "万": Decimal(1),
    "元": CENT / 100,
}


def _column_scale(title: str) -> Decimal:
    """How many 万元 one unit of a column is, from its title: 计划投资额（亿元） counts in 亿元."""
    unit = re.search(r"[(（\[【]\s*(亿元|万元|元)\s*[)）\]】]", unicodedata.normalize("NFKC", title))
    return _SCALES[unit.group(1)] if unit else Decimal(1)


def _amount(row: Row, key: str, errors: list[RowError]) -> Decimal | None:
    """An amount in 万元 (the column's or the cell's own unit converted), or None if the cell is empty."""
    raw, text = row.raw(key), row.get(key)
    if not text:
        return None
    scale = _column_scale(row.titles.get(key, ""))
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value: Decimal | None = Decimal(str(raw))
    else:
        match = _AMOUNT.match(unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", ""))
        value = Decimal(match.group(1)) if match else None
        if match and match.group(2):
            scale = _SCALES[match.group(2)]
    if value is None:
        errors.append(row.error(key, _("“%(value)s” is not an amount in 10k yuan (万元).") % {"value": text}))
        return None
    return (value * scale).quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def _whole(row: Row, key: str, errors: list[RowError]) -> int | None:
    text = unicodedata.normalize("NFKC", row.get(key)).replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        errors.append(row.error(key, _("“%(value)s” is not a whole number.") % {"value": row.get(key)}))
        return None
    return int(text)


def _date(row: Row, key: str, errors: list[RowError], today: datetime.date) -> datetime.date | None:
    text = row.get(key)
    if not text:
        return None
    value = parse_date(row.raw(key))
    if value is None:
        errors.append(
            row.error(
                key,
                _("“%(value)s” is not a date. Write it like 2026-12-31 or 2026年12月31日.") % {"value": text},
            )
        )
    elif value > today:
        errors.append(row.error(key, _("The date cannot be in the future.")))
        return None
    return value


# Validation ------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    row: Row
    draft: services.ProjectDraft


class _People:
    """People by username and by name, to find one named in a cell."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.by_username: dict[str, Person] = {}
        self.by_name: dict[str, list[Person]] = {}
        for person in people:
            self.by_username[person.username] = person
            self.by_name.setdefault(person.name, []).append(person)

    def find(self, text: str) -> tuple[Person | None, bool]:
        """The one person meant, and whether the name was ambiguous."""
        if text in self.by_username:
            return self.by_username[text], False
        named = self.by_name.get(text, [])
        return (named[0], False) if len(named) == 1 else (None, len(named) > 1)


class _Lookups:
    """What the rows refer to, loaded once for the whole file."""

    def __init__(self, rows: list[Row]) -> None:
        self.zones = {z.name: z for z in Zone.objects.filter(is_active=True)}
        # Who may answer for a project: active, with a post in a government unit (as the service checks).
        government = Position.objects.filter(unit__isnull=False).exclude(role=Role.ENTERPRISE)
        self.owners = _People(
            Person.objects.filter(is_active=True, pk__in=government.values("person_id")).only(
                "username", "name"
            )
        )
        leading = Position.objects.filter(role=Role.LEADER)
        self.leaders = _People(
            Person.objects.filter(is_active=True, pk__in=leading.values("person_id")).only("username", "name")
        )
        names = {row.get(NAME) for row in rows if row.get(NAME)}
        self.existing = {
            (name, investor): code
            for name, investor, code in Project.objects.filter(name__in=names).values_list(
                "name", "investor", "code"
            )
        }
        from luoshi.service.models import Enterprise
        from luoshi.service.uscc import normalise

        codes = {normalise(row.get(USCC)) for row in rows if row.get(USCC)}
        investors = {row.get(INVESTOR) for row in rows if row.get(INVESTOR)}
        self.known_codes = set(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", flat=True))
        self.enterprise_codes = dict(
            Enterprise.objects.filter(name__in=investors).values_list("name", "uscc")
        )
        self.stages = {**choice_words(Stage), **STAGE_WORDS}
        self.sources = {**choice_words(Source), **SOURCE_WORDS}
        self._suggestions: dict[tuple[str, str], list[str]] = {}

    def suggestions(self, kind: str, name: str, candidates: Callable[[], Iterable[str]]) -> list[str]:
        key = (kind, name)
        if key not in self._suggestions:
            self._suggestions[key] = suggest(name, candidates())
        return self._suggestions[key]


def _zone(row: Row, name: str, lookups: _Lookups, errors: list[RowError]) -> Zone | None:
    return find_zone(row, name, lookups.zones, ZONE, errors)


def _owner(row: Row, text: str, lookups: _Lookups, errors: list[RowError]) -> Person | None:
    person, ambiguous = lookups.owners.find(text)
    if person is not None:
        return person
    if ambiguous:
        message = _("Several people are called “%(name)s”; write the username instead.") % {"name": text}
    elif Person.objects.filter(is_active=True).filter(username=text).exists() or (
        Person.objects.filter(is_active=True, name=text).exists()
    ):
        message = _("The person responsible must hold a post in a government unit.")
    else:
        close = lookups.suggestions("person", text, lambda: lookups.owners.by_name)
        if close:
            message = _("Unknown person “%(name)s”. Did you mean: %(choices)s?") % {
                "name": text,
                "choices": join_choices(close),
            }
        else:
            message = _("Unknown person “%(name)s”.") % {"name": text}
    errors.append(row.error(OWNER, message))
    return None


def _leader(row: Row, text: str, lookups: _Lookups, errors: list[RowError]) -> Person | None:
    person, ambiguous = lookups.leaders.find(text)
    if person is not None:
        return person
    if ambiguous:
        message = _("Several people are called “%(name)s”; write the username instead.") % {"name": text}
    elif any(lookups.owners.find(text)):  # someone who holds no leader's post
        message = _("The leader in charge must hold a leader's post.")
    else:
        close = lookups.suggestions("leader", text, lambda: lookups.leaders.by_name)
        if close:
            message = _("Unknown leader in charge “%(name)s”. Did you mean: %(choices)s?") % {
                "name": text,
                "choices": join_choices(close),
            }
        else:
            message = _("Unknown leader in charge “%(name)s”.") % {"name": text}
    errors.append(row.error(LEADER, message))
    return None


def _choice(
    row: Row, key: str, words: dict[str, Any], names: dict[Any, str], message: str, errors: list[RowError]
) -> Any:
    text = row.get(key)
    value = words.get(text.lower())
    if value is None:
        errors.append(row.error(key, message % {"value": text, "choices": join_choices(names.values())}))
    return value


class _Checker:
    """Checks the rows one by one, remembering what earlier rows named (a project, a new enterprise)."""

    def __init__(self, lookups: _Lookups, today: datetime.date) -> None:
        self.lookups = lookups
        self.today = today
        self.first_row: dict[tuple[str, str], int] = {}
        self.new_enterprises: dict[str, str] = {}  # the name of an enterprise a row registers → its code

    def check(self, row: Row, errors: list[RowError]) -> _Plan | None:
        """A plan for the row, or None after adding its problems to `errors`."""
        mine: list[RowError] = []
        lookups = self.lookups
        for key in REQUIRED:
            if not row.get(key):
                mine.append(row.error(key, _("This cell is required.")))
        name, investor = row.get(NAME), row.get(INVESTOR)
        if name and investor:
            if (name, investor) in self.first_row:
                mine.append(
                    row.error(
                        NAME,
                        _("The same project is already on row %(row)s.")
                        % {"row": self.first_row[name, investor]},
                    )
                )
            else:
                self.first_row[name, investor] = row.number
            code = lookups.existing.get((name, investor))
            if code:
                mine.append(
                    row.error(NAME, _("This project is already in Luoshi as %(code)s.") % {"code": code})
                )
        zone = _zone(row, row.get(ZONE), lookups, mine) if row.get(ZONE) else None
        owner = _owner(row, row.get(OWNER), lookups, mine) if row.get(OWNER) else None
        fields: dict[str, Any] = {}
        if row.get(LEADER):
            fields["leader"] = _leader(row, row.get(LEADER), lookups, mine)
        fields["source"] = Source.OTHER  # a ledger that does not say where a project came from
        if row.get(SOURCE):
            fields["source"] = _choice(
                row,
                SOURCE,
                lookups.sources,
                SOURCE_NAMES,
                _("Unknown source “%(value)s”. Use one of: %(choices)s."),
                mine,
            )
        stage = None
        if row.get(STAGE):
            stage = _choice(
                row,
                STAGE,
                lookups.stages,
                STAGE_NAMES,
                _("Unknown stage “%(value)s”. Use one of: %(choices)s."),
                mine,
            )
        planned = _amount(row, PLANNED, mine)
        if planned is not None and planned <= 0:
            mine.append(row.error(PLANNED, _("The planned investment must be more than zero.")))
        fields["expected_output"] = _amount(row, OUTPUT, mine)
        fields["expected_jobs"] = _whole(row, JOBS, mine)
        fields["description"] = row.get(NOTE)
        contracted = _amount(row, CONTRACTED, mine)
        dates = {key: _date(row, key, mine, self.today) for key in DATE_COLUMNS}
        uscc = row.get(USCC)
        values: dict[str, Any] = {
            "name": name,
            "investor": investor,
            "origin": row.get(ORIGIN),
            "industry": row.get(INDUSTRY),
            "planned_investment": planned,
            "contracted_amount": contracted,
            **{k: v for k, v in fields.items() if k != "leader"},
        }
        probe = Project(**values)
        checked = [
            f
            for f in (
                "name",
                "investor",
                "origin",
                "industry",
                "planned_investment",
                "expected_output",
                "expected_jobs",
                "description",
                "contracted_amount",
            )
            if getattr(probe, f) not in (None, "")
        ]
        mine.extend(clean_fields(probe, checked, row, FIELD_COLUMNS))
        if stage is not None:
            history = services.project_history_errors(
                stage=stage,
                lead_on=dates[LEAD_ON],
                reached={s: dates[f"{s}_on"] for s in STAGES[1:]},
                contracted_amount=contracted,
                uscc=uscc,
                today=self.today,
            )
            flagged = {e.column for e in mine}
            for problem in service_errors(ValidationError(history), row, FIELD_COLUMNS) if history else []:
                if problem.column not in flagged:  # a cell already refused (a bad date) says enough
                    mine.append(problem)
            if not history and STAGES.index(stage) >= STAGES.index(Stage.REGISTERED):
                self._check_enterprise(row, investor, uscc, mine)
        errors.extend(mine)
        lead_on = dates[LEAD_ON]
        if mine or zone is None or owner is None or stage is None or planned is None or lead_on is None:
            return None
        draft = services.ProjectDraft(
            name=name,
            investor=investor,
            origin=row.get(ORIGIN),
            industry=row.get(INDUSTRY),
            zone=zone,
            planned_investment=planned,
            owner=owner,
            lead_on=lead_on,
            stage=stage,
            reached={s: dates[f"{s}_on"] for s in STAGES[1:]},
            contracted_amount=contracted,
            uscc=uscc,
            fields={k: v for k, v in fields.items() if v is not None},
        )
        return _Plan(row=row, draft=draft)

    def _check_enterprise(self, row: Row, investor: str, uscc: str, errors: list[RowError]) -> None:
        """Registration creates the enterprise unless its code is known: its name must be free."""
        from luoshi.service.uscc import normalise

        code = normalise(uscc)
        if code in self.lookups.known_codes or not investor:
            return
        taken = self.lookups.enterprise_codes.get(investor) or self.new_enterprises.get(investor)
        if taken and taken != code:
            errors.append(
                row.error(
                    INVESTOR,
                    _("An enterprise named %(name)s is already registered with another code.")
                    % {"name": investor},
                )
            )
        else:
            self.new_enterprises.setdefault(investor, code)


# Importing -------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import created: codes in row order."""

    codes: list[str] = field(default_factory=list)
    enterprises_linked: int = 0

    @property
    def count(self) -> int:
        return len(self.codes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.count,
            "enterprises_linked": self.enterprises_linked,
            "first_code": self.codes[0] if self.codes else "",
            "last_code": self.codes[-1] if self.codes else "",
        }


def _read_rows(data: bytes, errors: list[RowError], report: ProgressFn) -> list[Row]:
    """The data rows of the first sheet that has a header row."""
    with open_workbook(data) as book:
        for sheet in book.worksheets:
            rows = read_sheet(sheet, LAYOUT, errors, report)
            if rows is None:
                continue
            if not rows and not errors:
                raise file_error(_("The workbook has no rows to import."))
            return rows
    raise file_error(
        _(
            "No header row was found in the first %(count)s rows. It must hold at least “%(name)s” and “%(stage)s”."
        )
        % {"count": HEADER_SEARCH_ROWS, "name": COLUMNS[NAME][0], "stage": COLUMNS[STAGE][0]}
    )


def import_projects(
    data: bytes,
    actor: Person,
    *,
    filename: str = "",
    progress: ProgressFn | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import a project ledger (台账): every row as a new project at its stage, or none.

    Only the supervision office may import. Raises `ImportRejected` with every problem found
    (row, column, reason) and writes nothing; otherwise creates the projects with their history
    in one transaction.
    """
    report = progress or no_progress
    access_import_projects(actor)
    today = today or timezone.localdate()
    check_xlsx(data, filename, max_bytes=MAX_UPLOAD_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    errors: list[RowError] = []
    report(0, 0, _("Reading the workbook"))
    rows = _read_rows(data, errors, report)
    titles = rows[0].titles if rows else {}
    if errors:
        raise ImportRejected(sorted_errors(errors, columns=titles.values()))
    total = len(rows)
    report(0, total, _("Checking the rows"))
    checker = _Checker(_Lookups(rows), today)
    plans: list[_Plan] = []
    for done, row in enumerate(rows, start=1):
        plan = checker.check(row, errors)
        if plan is not None:
            plans.append(plan)
        if done % 200 == 0:
            report(done)
    if errors:
        raise ImportRejected(sorted_errors(errors, columns=titles.values()))
    result = ImportResult()
    report(0, total, _("Creating the projects"))
    # A refusal from the service raises ImportRejected inside the transaction: the whole file rolls back.
    with transaction.atomic():
        for start in range(0, len(plans), CREATE_BATCH):
            batch = plans[start : start + CREATE_BATCH]
            try:
                projects = services.project_create_many(
                    actor=actor, drafts=[p.draft for p in batch], today=today
                )
            except DraftRejected as exc:
                raise ImportRejected(service_errors(exc, batch[exc.index].row, FIELD_COLUMNS)) from exc
            result.codes.extend(p.code for p in projects)
            result.enterprises_linked += sum(1 for p in projects if p.enterprise_id)
            report(len(result.codes))
    report(total)
    return result


@job_runner("investment.project_import")
def run_import_job(job: Job, progress: Progress) -> JobOutcome:
    """The background import: the uploaded ledger, by the person who uploaded it."""
    try:
        result = import_projects(job_input(job), job.created_by, filename=job.input_name, progress=progress)
    except ImportRejected as exc:
        return rejected_outcome(exc)
    message = ngettext(
        "%(count)s project was imported with its stages.",
        "%(count)s projects were imported with their stages.",
        result.count,
    ) % {"count": result.count}
    summary = result.as_dict()
    summary["links"] = [{"url": reverse("investment:project_list"), "label": _("See the projects")}]
    return JobOutcome(ok=True, message=message, result=summary)


# Exporting -------------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "序号",
    "项目编号",
    *(COLUMNS[key][0] for key in TEMPLATE_COLUMNS[1:-1]),
    "责任单位",
    "跟进状态",
    "最近跟进日期",
    "最近跟进情况",
    "下一步",
    "流失日期",
    "流失原因",
    COLUMNS[NOTE][0],
)
# The code and the import's columns; then the unit, the stale state, the last follow-up, the loss, the note.
IMPORTED_WIDTHS = (6, 14, 30, 26, 10, 12, 14, 12, 12, 8, 10, 10, 10, 10, 12, 12, 12, 12, 12, 22, 12, 12)
EXPORT_WIDTHS = (*IMPORTED_WIDTHS, 18, 8, 12, 36, 30, 12, 24, 30)


def _with_last_follow_up(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The date, outcome and next step of each project's latest follow-up, in the projects' own query."""
    latest = FollowUp.objects.filter(project=OuterRef("pk")).order_by("-date", "-id")
    return projects.annotate(
        last_follow_up_on=Subquery(latest.values("date")[:1]),
        last_follow_up_outcome=Subquery(latest.values("outcome")[:1]),
        last_follow_up_next=Subquery(latest.values("next_step")[:1]),
    )


def export_projects(
    queryset: QuerySet[Project], *, at: datetime.datetime | None = None, progress: ProgressFn | None = None
) -> bytes:
    """The projects as an .xlsx workbook: the import's columns plus code, unit, stale state and the
    last follow-up. `queryset` is `selectors.project_list(...)` (with `stale`); one query."""
    report = progress or no_progress
    projects = _with_last_follow_up(queryset).select_related("zone", "owner", "unit", "leader", "enterprise")
    rows = list(projects)
    total = len(rows)
    report(0, total, _("Writing the workbook"))
    book = Workbook(write_only=True)
    moment = timezone.localtime(at or timezone.now())
    sheet = export_sheet(
        book,
        SHEET_NAME,
        title=_("Investment projects, exported %(time)s") % {"time": moment.strftime("%Y-%m-%d %H:%M")},
        headers=EXPORT_HEADERS,
        widths=EXPORT_WIDTHS,
        freeze="D3",
    )
    fills = {stale: PatternFill("solid", fgColor=color) for stale, color in STALE_FILLS.items()}
    for number, project in enumerate(rows, start=1):
        stale = getattr(project, "stale", "")
        stale_cell = WriteOnlyCell(sheet, value=STALE_NAMES.get(stale))
        if stale in fills:
            stale_cell.fill = fills[stale]
        sheet.append(
            [
                number,
                project.code,
                project.name,
                project.investor,
                project.origin,
                project.industry,
                project.zone.name,
                project.planned_investment,
                project.expected_output,
                project.expected_jobs,
                project.owner.name,
                project.leader.name if project.leader else None,
                SOURCE_NAMES.get(project.source, project.source),
                STAGE_NAMES.get(project.stage, project.stage),
                date_cell(sheet, project.lead_on),
                date_cell(sheet, project.negotiating_on),
                date_cell(sheet, project.signed_on),
                project.contracted_amount,
                date_cell(sheet, project.registered_on),
                project.enterprise.uscc if project.enterprise else None,
                date_cell(sheet, project.started_on),
                date_cell(sheet, project.operating_on),
                project.unit.name,
                stale_cell,
                date_cell(sheet, project.last_follow_up_on),  # type: ignore[attr-defined]
                project.last_follow_up_outcome,  # type: ignore[attr-defined]
                project.last_follow_up_next or None,  # type: ignore[attr-defined]
                date_cell(sheet, project.lost_on),
                project.lost_reason or None,
                project.description or None,
            ]
        )
        if number % 500 == 0:
            report(number)
    data = workbook_bytes(book)
    report(total)
    return data


def export_filename(moment: datetime.datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"招商项目_{moment:%Y%m%d-%H%M}.xlsx"


@job_runner("investment.project_export")
def run_export_job(job: Job, progress: Progress) -> JobOutcome:
    """The background export: the project list as its creator filtered it, stale as of that day."""
    person = job.created_by
    filters = project_filters_from_query(job.params.get("query", {}), person=person)
    today = timezone.localdate(job.created_at)
    projects = project_list(person=person, filters=filters, today=today)
    data = export_projects(projects, at=job.created_at, progress=progress)
    count = progress.total
    message = ngettext(
        "%(count)s project has been exported.", "%(count)s projects have been exported.", count
    ) % {"count": count}
    return exported_outcome(data, count, message, export_filename(job.created_at))


# The template ----------------------------------------------------------------------------------------


def template_notes(zones: list[str]) -> list[tuple[str, bool, str]]:
    """Each column of the template: its title, whether it is required, and what to write in it."""
    date_text = _("A date such as 2026-03-01 or 2026年3月1日, not in the future.")
    amount_text = _("A number in 10k yuan (万元); a column titled in 亿元 is read in 亿元.")
    return [
        (COLUMNS[SEQ][0], False, _("A running number; not imported.")),
        (
            COLUMNS[NAME][0],
            True,
            _("The project, up to 200 characters. Each project (name and investor) appears once."),
        ),
        (COLUMNS[INVESTOR][0], True, _("The investing company, as its registered name.")),
        (COLUMNS[ORIGIN][0], True, _("The investor's country or region, such as 日本 or 中国香港.")),
        (COLUMNS[INDUSTRY][0], True, _("The industry, such as 智能汽车 or 集成电路.")),
        (COLUMNS[ZONE][0], True, _("One of: %(choices)s.") % {"choices": join_choices(zones)}),
        (COLUMNS[PLANNED][0], True, amount_text),
        (COLUMNS[OUTPUT][0], False, amount_text),
        (COLUMNS[JOBS][0], False, _("A whole number of jobs.")),
        (
            COLUMNS[OWNER][0],
            True,
            _("The name or the username of the person responsible, who holds a post in a government unit."),
        ),
        (COLUMNS[LEADER][0], False, _("The name or the username of a leader.")),
        (
            COLUMNS[SOURCE][0],
            False,
            _("One of: %(choices)s. Empty means %(default)s.")
            % {"choices": join_choices(SOURCE_NAMES.values()), "default": SOURCE_NAMES[Source.OTHER]},
        ),
        (
            COLUMNS[STAGE][0],
            True,
            _("One of: %(choices)s.") % {"choices": join_choices(STAGE_NAMES.values())},
        ),
        (COLUMNS[LEAD_ON][0], True, date_text),
        (
            COLUMNS[NEGOTIATING_ON][0],
            False,
            _(
                "The date each stage was reached, up to the current stage, whose date is required. "
                "Dates follow the order of the stages; a stage left empty was skipped."
            ),
        ),
        (COLUMNS[SIGNED_ON][0], False, date_text),
        (COLUMNS[CONTRACTED][0], False, _("Required once the project has signed: the contracted amount.")),
        (COLUMNS[REGISTERED_ON][0], False, date_text),
        (
            COLUMNS[USCC][0],
            False,
            _(
                "Required once the project has registered: the code on the business licence. The "
                "enterprise with this code is linked, or registered in the service desk under the investor's name."
            ),
        ),
        (COLUMNS[STARTED_ON][0], False, date_text),
        (COLUMNS[OPERATING_ON][0], False, date_text),
        (COLUMNS[NOTE][0], False, _("Anything else about the project; kept as its description.")),
    ]


def general_rules() -> list[str]:
    """The rules shown on the import page and in the template's notes."""
    return [
        _("One or two title rows above the column titles are fine; blank rows are skipped."),
        _(
            "The import is all or nothing: if any row is wrong, nothing is imported and every problem is listed."
        ),
        _(
            "Every row becomes a new project at its stage. Documents cannot come from a spreadsheet: "
            "each stage is recorded as imported from the ledger (台账导入)."
        ),
        _("Delete the example rows before importing."),
        _("The file must be an Excel workbook (.xlsx) of at most %(max)s MB.")
        % {"max": MAX_UPLOAD_BYTES // MB},
    ]


def import_template(*, actor: Person) -> bytes:
    """The workbook to fill in: a merged title row, the column titles, an example row and the notes."""
    access_import_projects(actor)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    government = Position.objects.filter(unit__isnull=False).exclude(role=Role.ENTERPRISE)
    owner = actor if government.filter(person=actor).exists() else None
    owner = owner or Person.objects.filter(is_active=True, pk__in=government.values("person_id")).first()
    leader = Person.objects.filter(positions__role=Role.LEADER, is_active=True).order_by("pk").first()
    today = timezone.localdate()
    example = {
        SEQ: 1,
        NAME: "新能源汽车电池模组项目",
        INVESTOR: "大连示例新能源科技有限公司",
        ORIGIN: "日本",
        INDUSTRY: "新能源汽车",
        ZONE: zones[0] if zones else "",
        PLANNED: 50000,
        OUTPUT: 120000,
        JOBS: 300,
        OWNER: owner.username if owner else "",
        LEADER: leader.name if leader else "",
        SOURCE: SOURCE_NAMES[Source.EXHIBITION],
        STAGE: STAGE_NAMES[Stage.SIGNED],
        LEAD_ON: today - datetime.timedelta(days=120),
        NEGOTIATING_ON: today - datetime.timedelta(days=90),
        SIGNED_ON: today - datetime.timedelta(days=30),
        CONTRACTED: 48000,
        NOTE: "",
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    header_row = template_sheet(
        sheet,
        title=TEMPLATE_TITLE,
        headers=[COLUMNS[key][0] for key in TEMPLATE_COLUMNS],
        required=[key in REQUIRED for key in TEMPLATE_COLUMNS],
        widths=(6, 30, 26, 12, 12, 14, 12, 12, 8, 10, 10, 10, 10, 12, 12, 12, 12, 12, 22, 12, 12, 24),
        examples=[[example.get(key) for key in TEMPLATE_COLUMNS]],
        freeze="C3",
    )

    def letter(key: str) -> str:
        return get_column_letter(TEMPLATE_COLUMNS.index(key) + 1)

    first = header_row + 1
    list_validation(sheet, letter(ZONE), zones, first_row=first)
    list_validation(sheet, letter(STAGE), STAGE_NAMES.values(), first_row=first)
    list_validation(sheet, letter(SOURCE), SOURCE_NAMES.values(), first_row=first)
    number_format(sheet, [letter(key) for key in DATE_COLUMNS], "yyyy-mm-dd", first_row=first)
    number_format(sheet, [letter(USCC)], "@", first_row=first)
    notes_sheet(
        book,
        NOTES_SHEET_NAME,
        headings=[_("Column"), _("Required"), _("What to write")],
        rows=[[column, YES if required else "", text] for column, required, text in template_notes(zones)],
        rules=general_rules(),
        widths=(18, 10, 90),
    )
    return workbook_bytes(book)
