"""Excel in and out for the implementation list: the New Area's project list (工程项目清单).

Import
    The sheet looks as such lists really do: a merged title row (or two) above the header,
    Chinese column titles in one of their usual spellings (see `COLUMNS`), dates as Excel dates
    or as text (2026年12月31日, 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月底), supporting units
    separated by 、，,;； or new lines, and blank or section rows in between or at the end.

    All or nothing: every row is checked first and every problem is reported with its row (as
    Excel numbers it), its column (as the file titles it) and the reason; an unknown unit, leader,
    zone or directive comes with the closest known names. Only if there is no problem are the
    items created, as drafts, through `services.item_create_many` — the bulk form of
    `item_create`: the same checks and one audit record per item, with bulk queries rather than
    a dozen per row, which keeps 10,000 rows within seconds — and published to their lead
    units through `services.item_publish_many` when asked, all in one transaction. A refusal from a
    service rolls the whole file back and is reported against its row.

    责任人 (owner): the owner is named by the lead unit's head when the unit claims the item, so
    the import does not set it. A name given in the sheet is kept as a line of the item's
    description, as a hint for the unit head.

Export
    `export_items(queryset)` writes the same columns plus the item's code, state, light and
    latest progress, in openpyxl's write-only mode. The latest reports come in the same single
    query as the items, and the supporting units in one more: the query count does not grow with
    the rows.

Both run as background jobs (`run_import_job`, `run_export_job`) so that the page can show their
progress; `import_items` and `export_items` are the plain functions a benchmark can time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from luoshi.core.errors import Conflict, DraftRejected
from luoshi.core.jobs import JobOutcome, Progress, job_runner
from luoshi.core.models import Job
from luoshi.core.spreadsheets import (
    HEADER_SEARCH_ROWS,
    ImportRejected,
    ProgressFn,
    Row,
    RowError,
    SheetLayout,
    cell_text,
    check_xlsx,
    choice_words,
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
)
from luoshi.core.spreadsheets import XLSX_MIME as XLSX_MIME  # the pages and tests name it here
from luoshi.core.spreadsheets import workbook_bytes as book_bytes
from luoshi.core.uploads import MB
from luoshi.org.models import Person, Role, Unit, Zone

from . import services
from .access import access_supervise
from .filters import item_filters_from_query
from .lights import Light
from .models import Category, Directive, Item, ItemQuerySet, ItemState, ReportCycle
from .selectors import item_list

MAX_UPLOAD_BYTES = 10 * MB
# A 10 MB zip can unpack to gigabytes; no real project list comes near this.
MAX_UNPACKED_BYTES = 300 * MB
MAX_ROWS = 10_000
# Rows created per call of the bulk service, so the page sees progress between calls.
CREATE_BATCH = 500
SHEET_NAME = "工程项目清单"
NOTES_SHEET_NAME = "填表说明"
TEMPLATE_TITLE = "普湾经济区工程项目清单"
SEPARATORS = re.compile(r"[、，,;；/\n\r]+")

# The columns: a key, the title the template uses, and the other titles real sheets use.
SEQ, TITLE, CATEGORY, DIRECTIVE, ZONE, LEAD, SUPPORT = (
    "seq",
    "title",
    "category",
    "directive",
    "zone",
    "lead",
    "support",
)
LEADER, OWNER, TARGET, START, DEADLINE, CYCLE, NOTE = (
    "leader",
    "owner",
    "target",
    "start",
    "deadline",
    "cycle",
    "note",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    SEQ: ("序号", "编号序号"),
    TITLE: ("事项名称", "工作任务", "任务名称", "项目名称", "工作事项", "重点任务", "清单事项", "事项"),
    CATEGORY: ("类别", "事项类别", "类型", "项目类别"),
    DIRECTIVE: ("所属部署", "部署", "决策部署", "来源部署", "工作部署"),
    ZONE: ("所属片区", "片区", "所在片区"),
    LEAD: ("牵头单位", "责任单位", "主责单位", "牵头部门", "责任部门"),
    SUPPORT: ("配合单位", "协办单位", "配合部门", "参与单位", "协同单位"),
    LEADER: ("责任领导", "分管领导", "包保领导", "牵头领导"),
    OWNER: ("责任人", "具体责任人", "经办人"),
    TARGET: ("目标成果", "工作目标", "目标任务", "预期成果", "目标", "完成标准"),
    START: ("开始时间", "开始日期", "启动时间"),
    DEADLINE: ("完成时限", "完成时间", "截止时间", "完成期限", "时间节点", "完成日期"),
    CYCLE: ("报告周期", "汇报周期", "调度周期"),
    NOTE: ("备注", "工作内容", "具体内容", "事项说明"),
}
REQUIRED = (TITLE, LEAD, TARGET, DEADLINE)
TEMPLATE_COLUMNS: tuple[str, ...] = (
    SEQ,
    TITLE,
    CATEGORY,
    DIRECTIVE,
    ZONE,
    LEAD,
    SUPPORT,
    LEADER,
    OWNER,
    TARGET,
    START,
    DEADLINE,
    CYCLE,
    NOTE,
)
# A row with only a 序号 filled is a section title such as "二、改革与制度".
LAYOUT = SheetLayout(COLUMNS, required=REQUIRED, anchor=TITLE, section=(SEQ,), max_rows=MAX_ROWS)

# Which column a service's refusal of a field belongs to.
FIELD_COLUMNS = {
    "title": TITLE,
    "category": CATEGORY,
    "directive": DIRECTIVE,
    "zone": ZONE,
    "lead_unit": LEAD,
    "support_units": SUPPORT,
    "leader": LEADER,
    "target_text": TARGET,
    "target_metric": TARGET,
    "start_date": START,
    "deadline": DEADLINE,
    "report_cycle": CYCLE,
    "description": NOTE,
}

# Words people write for the report cycle, besides the choices' own labels.
CYCLE_WORDS = {
    "周": ReportCycle.WEEKLY,
    "每周": ReportCycle.WEEKLY,
    "周报": ReportCycle.WEEKLY,
    "一周": ReportCycle.WEEKLY,
    "双周": ReportCycle.FORTNIGHTLY,
    "两周": ReportCycle.FORTNIGHTLY,
    "半月": ReportCycle.FORTNIGHTLY,
    "月": ReportCycle.MONTHLY,
    "每月": ReportCycle.MONTHLY,
    "月报": ReportCycle.MONTHLY,
}


# Reading the file --------------------------------------------------------------------------------


def _read_rows(data: bytes, errors: list[RowError], report: ProgressFn) -> list[Row]:
    """The data rows of the first sheet that has a header row; blank and section rows skipped."""
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
            "No header row was found in the first %(count)s rows. It must hold at least “%(title)s” and “%(lead)s”."
        )
        % {"count": HEADER_SEARCH_ROWS, "title": COLUMNS[TITLE][0], "lead": COLUMNS[LEAD][0]}
    )


# Values ------------------------------------------------------------------------------------------


def _strip_brackets(text: str) -> str:
    return re.sub(r"[(（].*?[)）]", "", text).strip()


# Validation --------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One valid row, ready for `item_create`."""

    row: Row
    title: str
    deadline: datetime.date
    directive: Directive | None
    support_units: list[Unit]
    fields: dict[str, Any]


class _Lookups:
    """The names the rows refer to, loaded once for the whole file."""

    def __init__(self, rows: list[Row]) -> None:
        self.units: dict[str, Unit] = {}
        for unit in Unit.objects.all():
            self.units.setdefault(unit.name, unit)
        for unit in Unit.objects.exclude(short_name=""):
            self.units.setdefault(unit.short_name, unit)
        self.active_unit_names = [u.name for u in self.units.values() if u.is_active]
        self.zones = {z.name: z for z in Zone.objects.filter(is_active=True)}
        self.leaders: dict[str, list[Person]] = {}
        for person in Person.objects.filter(positions__role=Role.LEADER, is_active=True).distinct():
            self.leaders.setdefault(person.name, []).append(person)
        titles = {r.get(DIRECTIVE) for r in rows if r.get(DIRECTIVE)}
        self.directives: dict[str, list[Directive]] = {}
        for directive in Directive.objects.filter(title__in=titles):
            self.directives.setdefault(directive.title, []).append(directive)
        self.directive_titles: list[str] | None = None
        item_titles = {r.get(TITLE) for r in rows if r.get(TITLE)}
        self.existing = {
            (title, lead, deadline): code
            for title, lead, deadline, code in Item.objects.filter(title__in=item_titles)
            .exclude(state=ItemState.CANCELLED)
            .values_list("title", "lead_unit_id", "deadline", "code")
        }
        self.categories = choice_words(Category)
        self.cycles = {**choice_words(ReportCycle), **CYCLE_WORDS}
        self._suggestions: dict[tuple[str, str], list[str]] = {}

    def suggestions(self, kind: str, name: str, candidates: Callable[[], Iterable[str]]) -> list[str]:
        key = (kind, name)
        if key not in self._suggestions:
            self._suggestions[key] = suggest(name, candidates())
        return self._suggestions[key]

    def all_directive_titles(self) -> list[str]:
        if self.directive_titles is None:
            self.directive_titles = list(Directive.objects.values_list("title", flat=True)[:5000])
        return self.directive_titles


def _unknown_unit(row: Row, key: str, name: str, lookups: _Lookups) -> RowError:
    close = lookups.suggestions("unit", name, lambda: lookups.active_unit_names)
    if close:
        return row.error(
            key,
            _("Unknown unit “%(name)s”. Did you mean: %(choices)s?")
            % {"name": name, "choices": join_choices(close)},
        )
    return row.error(key, _("Unknown unit “%(name)s”.") % {"name": name})


def _unit(row: Row, key: str, name: str, lookups: _Lookups, errors: list[RowError]) -> Unit | None:
    unit = lookups.units.get(name)
    if unit is None:
        errors.append(_unknown_unit(row, key, name, lookups))
        return None
    if not unit.is_active:
        errors.append(row.error(key, _("Unit “%(name)s” has been deactivated.") % {"name": name}))
        return None
    return unit


def _leader(row: Row, text: str, lookups: _Lookups, errors: list[RowError]) -> Person | None:
    names = [n for n in (_strip_brackets(p) for p in SEPARATORS.split(text)) if n]
    if len(names) > 1:
        errors.append(row.error(LEADER, _("Name one leader in charge only.")))
        return None
    name = names[0] if names else text
    people = lookups.leaders.get(name, [])
    if len(people) == 1:
        return people[0]
    if people:
        errors.append(
            row.error(
                LEADER,
                _("Several leaders are called “%(name)s”; the import cannot tell which one is meant.")
                % {"name": name},
            )
        )
        return None
    if Person.objects.filter(name=name, is_active=True).exists():
        errors.append(
            row.error(
                LEADER,
                _("“%(name)s” holds no leader's post, so cannot be the leader in charge.") % {"name": name},
            )
        )
        return None
    close = lookups.suggestions("leader", name, lambda: lookups.leaders)
    if close:
        message = _("Unknown leader in charge “%(name)s”. Did you mean: %(choices)s?") % {
            "name": name,
            "choices": join_choices(close),
        }
    else:
        message = _("Unknown leader in charge “%(name)s”.") % {"name": name}
    errors.append(row.error(LEADER, message))
    return None


def _zone(row: Row, name: str, lookups: _Lookups, errors: list[RowError]) -> Zone | None:
    return find_zone(row, name, lookups.zones, ZONE, errors)


def _directive(row: Row, title: str, lookups: _Lookups, errors: list[RowError]) -> Directive | None:
    found = lookups.directives.get(title, [])
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(
            row.error(
                DIRECTIVE,
                _("Several directives are titled “%(name)s”; the import cannot tell which one is meant.")
                % {"name": title},
            )
        )
        return None
    close = lookups.suggestions("directive", title, lookups.all_directive_titles)
    if close:
        message = _("Unknown directive “%(name)s”. Did you mean: %(choices)s?") % {
            "name": title,
            "choices": join_choices(close),
        }
    else:
        message = _("Unknown directive “%(name)s”. Enter the directive first, or leave the cell empty.") % {
            "name": title
        }
    errors.append(row.error(DIRECTIVE, message))
    return None


def _date_cell(row: Row, key: str, errors: list[RowError], required: bool) -> datetime.date | None:
    raw = row.raw(key)
    if not cell_text(raw):
        if required:
            errors.append(row.error(key, _("This cell is required.")))
        return None
    value = parse_date(raw)
    if value is None:
        errors.append(
            row.error(
                key,
                _("“%(value)s” is not a date. Write it like 2026-12-31 or 2026年12月31日.")
                % {"value": cell_text(raw)},
            )
        )
    return value


def _length(row: Row, key: str, value: str, limit: int, errors: list[RowError]) -> None:
    if len(value) > limit:
        errors.append(row.error(key, _("This text is longer than %(max)s characters.") % {"max": limit}))


def _validate_row(
    row: Row, lookups: _Lookups, first_row: dict[str, int], errors: list[RowError]
) -> _Plan | None:
    before = len(errors)
    fields: dict[str, Any] = {}
    title = row.get(TITLE)
    if not title:
        errors.append(row.error(TITLE, _("This cell is required.")))
    else:
        _length(row, TITLE, title, 200, errors)
        if title in first_row:
            errors.append(
                row.error(TITLE, _("The same item is already on row %(row)s.") % {"row": first_row[title]})
            )
        else:
            first_row[title] = row.number
    lead_name = row.get(LEAD)
    lead = None
    if not lead_name:
        errors.append(row.error(LEAD, _("This cell is required.")))
    else:
        lead = _unit(row, LEAD, lead_name, lookups, errors)
    fields["lead_unit"] = lead
    support: list[Unit] = []
    for name in (n.strip() for n in SEPARATORS.split(row.get(SUPPORT))):
        if not name:
            continue
        parts = [name] if name in lookups.units or " " not in name else name.split()
        for part in parts:
            unit = _unit(row, SUPPORT, part, lookups, errors)
            if unit is not None and unit != lead and unit not in support:
                support.append(unit)
    if row.get(LEADER):
        fields["leader"] = _leader(row, row.get(LEADER), lookups, errors)
    if row.get(ZONE):
        fields["zone"] = _zone(row, row.get(ZONE), lookups, errors)
    directive = _directive(row, row.get(DIRECTIVE), lookups, errors) if row.get(DIRECTIVE) else None
    target = row.get(TARGET)
    if not target:
        errors.append(row.error(TARGET, _("This cell is required.")))
    fields["target_text"] = target
    deadline = _date_cell(row, DEADLINE, errors, required=True)
    start = _date_cell(row, START, errors, required=False)
    if start and deadline and start > deadline:
        errors.append(row.error(START, _("The start date is after the deadline.")))
    fields["start_date"] = start
    category_text = row.get(CATEGORY)
    if category_text:
        category = lookups.categories.get(category_text.lower())
        if category is None:
            errors.append(
                row.error(
                    CATEGORY,
                    _("Unknown category “%(value)s”. Use one of: %(choices)s.")
                    % {
                        "value": category_text,
                        "choices": join_choices(str(label) for label in Category.labels),
                    },
                )
            )
        fields["category"] = category
    cycle_text = row.get(CYCLE)
    if cycle_text:
        cycle = lookups.cycles.get(cycle_text.lower())
        if cycle is None:
            errors.append(
                row.error(
                    CYCLE,
                    _("Unknown report cycle “%(value)s”. Use one of: %(choices)s.")
                    % {
                        "value": cycle_text,
                        "choices": join_choices(str(label) for label in ReportCycle.labels),
                    },
                )
            )
        fields["report_cycle"] = cycle
    description = row.get(NOTE)
    owner = row.get(OWNER)
    if owner:
        hint = _("Owner proposed in the imported list: %(name)s") % {"name": owner}
        description = f"{description}\n{hint}" if description else hint
    fields["description"] = description
    if title and lead and deadline:
        code = lookups.existing.get((title, lead.pk, deadline))
        if code:
            errors.append(
                row.error(TITLE, _("This item is already in the list as %(code)s.") % {"code": code})
            )
    if len(errors) != before or deadline is None:
        return None
    return _Plan(
        row=row, title=title, deadline=deadline, directive=directive, support_units=support, fields=fields
    )


def _sorted(errors: list[RowError], titles: dict[str, str]) -> list[RowError]:
    return sorted_errors(errors, columns=titles.values())


# Importing ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import created: codes in row order, and whether they were published."""

    codes: list[str] = field(default_factory=list)
    published: bool = False

    @property
    def count(self) -> int:
        return len(self.codes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.count,
            "published": self.published,
            "first_code": self.codes[0] if self.codes else "",
            "last_code": self.codes[-1] if self.codes else "",
        }


def import_items(
    workbook_bytes: bytes,
    actor: Person,
    *,
    publish: bool = False,
    filename: str = "",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Import a project list (工程项目清单) workbook: all rows as new items, or none.

    Only the supervision office may import. Raises `ImportRejected` with every problem found
    (row, column, reason) and writes nothing; otherwise creates the items as drafts, published
    to their lead units when `publish` is set, in one transaction.
    """
    report = progress or no_progress
    access_supervise(actor)
    check_xlsx(workbook_bytes, filename, max_bytes=MAX_UPLOAD_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    errors: list[RowError] = []
    report(0, 0, _("Reading the workbook"))
    rows = _read_rows(workbook_bytes, errors, report)
    titles = rows[0].titles if rows else {}
    if errors:
        raise ImportRejected(_sorted(errors, titles))
    total = len(rows)
    report(0, total, _("Checking the rows"))
    lookups = _Lookups(rows)
    first_row: dict[str, int] = {}
    plans: list[_Plan] = []
    for done, row in enumerate(rows, start=1):
        plan = _validate_row(row, lookups, first_row, errors)
        if plan is not None:
            plans.append(plan)
        if done % 200 == 0:
            report(done)
    if errors:
        raise ImportRejected(_sorted(errors, titles))
    result = ImportResult(published=publish)
    report(0, total, _("Creating the items"))
    # A refusal from a service raises ImportRejected inside the transaction: the whole file rolls back.
    with transaction.atomic():
        for start in range(0, len(plans), CREATE_BATCH):
            batch = plans[start : start + CREATE_BATCH]
            items = _create(actor, batch)
            if publish:
                try:
                    services.item_publish_many(actor=actor, items=items)
                except DraftRejected as exc:
                    raise ImportRejected(service_errors(exc, batch[exc.index].row, FIELD_COLUMNS)) from exc
                except Conflict as exc:
                    raise ImportRejected(service_errors(exc, batch[0].row, FIELD_COLUMNS)) from exc
            result.codes.extend(item.code for item in items)
            report(len(result.codes))
    report(total)
    return result


def _create(actor: Person, plans: list[_Plan]) -> list[Item]:
    """Create a batch of checked rows through the service; a refusal names its row."""
    drafts = [
        services.ItemDraft(
            title=plan.title,
            deadline=plan.deadline,
            directive=plan.directive,
            support_units=plan.support_units,
            fields={k: v for k, v in plan.fields.items() if v is not None},
        )
        for plan in plans
    ]
    try:
        return services.item_create_many(actor=actor, drafts=drafts)
    except DraftRejected as exc:
        raise ImportRejected(service_errors(exc, plans[exc.index].row, FIELD_COLUMNS)) from exc


@job_runner("worklist.import")
def run_import_job(job: Job, progress: Progress) -> JobOutcome:
    """The background import: the uploaded workbook, by the person who uploaded it."""
    try:
        result = import_items(
            job_input(job),
            job.created_by,
            publish=bool(job.params.get("publish")),
            filename=job.input_name,
            progress=progress,
        )
    except ImportRejected as exc:
        return rejected_outcome(exc)
    if result.published:
        message = ngettext(
            "%(count)s item was imported and published to its lead unit for claiming.",
            "%(count)s items were imported and published to their lead units for claiming.",
            result.count,
        ) % {"count": result.count}
        state = ItemState.PUBLISHED
    else:
        message = ngettext(
            "%(count)s item was imported as a draft.",
            "%(count)s items were imported as drafts.",
            result.count,
        ) % {"count": result.count}
        state = ItemState.DRAFT
    summary = result.as_dict()
    summary["links"] = [
        {
            "url": f"{reverse('worklist:item_list')}?state={state}&sort=-code",
            "label": _("See the imported items"),
        }
    ]
    return JobOutcome(ok=True, message=message, result=summary)


# Exporting ---------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "序号",
    "编号",
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
    "状态",
    "红黄绿灯",
    "最新进展（%）",
    "最新进展",
    "进展日期",
)
EXPORT_WIDTHS = (6, 14, 36, 12, 24, 14, 20, 26, 10, 10, 36, 12, 12, 10, 12, 10, 10, 40, 12)
LIGHT_FILLS: dict[str, str] = {
    Light.RED.value: "F8CBAD",
    Light.YELLOW.value: "FFE699",
    Light.GREEN.value: "C6EFCE",
    Light.GREY.value: "E7E6E6",
    Light.CLOSED.value: "DDEBF7",
}


def _target(item: Item) -> str:
    parts = []
    if item.target_value is not None:
        value = f"{item.target_value.normalize():f}"
        parts.append(" ".join(p for p in (item.target_metric, value + item.target_unit) if p))
    if item.target_text:
        parts.append(item.target_text)
    return "；".join(parts)


def _support_names(items: QuerySet[Item]) -> dict[int, list[str]]:
    """The supporting units of every exported item, in one query."""
    through = Item.support_units.through
    ids = items.order_by().values("pk")
    names: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(item_id__in=ids)
        .order_by("item_id", "unit__path")
        .values_list("item_id", "unit__name")
    )
    for item_id, name in rows:
        names.setdefault(item_id, []).append(name)
    return names


def export_items(
    queryset: QuerySet[Item], *, at: datetime.datetime | None = None, progress: ProgressFn | None = None
) -> bytes:
    """The items as an .xlsx workbook: the import's columns plus code, state, light and latest progress.

    `queryset` is usually `selectors.item_list(...)` (filtered, sorted, with `light`); a plain
    queryset gets its lights as of `at`. Two queries whatever the number of rows.
    """
    report = progress or no_progress
    items: QuerySet[Item] = queryset
    if "light" not in items.query.annotations:
        items = ItemQuerySet.with_light(items, at)  # type: ignore[arg-type]
    items = items.select_related("lead_unit", "zone", "owner", "leader", "directive").with_latest_report(  # type: ignore[attr-defined]
        latest_percent="percent", latest_done="done", latest_on="reported_on"
    )
    support = _support_names(queryset)
    rows = list(items)
    total = len(rows)
    report(0, total, _("Writing the workbook"))

    book = Workbook(write_only=True)
    moment = timezone.localtime(at or timezone.now())
    sheet = export_sheet(
        book,
        SHEET_NAME,
        title=_("Implementation list, exported %(time)s") % {"time": moment.strftime("%Y-%m-%d %H:%M")},
        headers=EXPORT_HEADERS,
        widths=EXPORT_WIDTHS,
        freeze="C3",
    )

    fills = {light: PatternFill("solid", fgColor=color) for light, color in LIGHT_FILLS.items()}
    light_labels = {value: str(label) for value, label in Light.choices}
    state_labels = {value: str(label) for value, label in ItemState.choices}
    category_labels = {value: str(label) for value, label in Category.choices}
    cycle_labels = {value: str(label) for value, label in ReportCycle.choices}

    for number, item in enumerate(rows, start=1):
        light = getattr(item, "light", "")
        light_cell = WriteOnlyCell(sheet, value=light_labels.get(light, light))
        if light in fills:
            light_cell.fill = fills[light]
        sheet.append(
            [
                number,
                item.code,
                item.title,
                category_labels.get(item.category, item.category),
                item.directive.title if item.directive else None,
                item.zone.name if item.zone else None,
                item.lead_unit.name if item.lead_unit else None,
                "、".join(support.get(item.pk, [])) or None,
                item.leader.name if item.leader else None,
                item.owner.name if item.owner else None,
                _target(item) or None,
                date_cell(sheet, item.start_date),
                date_cell(sheet, item.deadline),
                cycle_labels.get(item.report_cycle, item.report_cycle),
                state_labels.get(item.state, item.state),
                light_cell,
                item.latest_percent,  # type: ignore[attr-defined]
                item.latest_done,  # type: ignore[attr-defined]
                date_cell(sheet, item.latest_on),  # type: ignore[attr-defined]
            ]
        )
        if number % 500 == 0:
            report(number)
    data = book_bytes(book)
    report(total)
    return data


def export_filename(moment: datetime.datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"落实清单_{moment:%Y%m%d-%H%M}.xlsx"


@job_runner("worklist.export")
def run_export_job(job: Job, progress: Progress) -> JobOutcome:
    """The background export: the list as its creator saw it, lights as of the moment they asked."""
    person = job.created_by
    filters = item_filters_from_query(job.params.get("query", {}), person=person)
    items = item_list(person=person, filters=filters, at=job.created_at)
    data = export_items(items, at=job.created_at, progress=progress)
    count = progress.total
    message = ngettext("%(count)s item has been exported.", "%(count)s items have been exported.", count) % {
        "count": count
    }
    return exported_outcome(data, count, message, export_filename(job.created_at))


# The template ------------------------------------------------------------------------------------


def template_notes(zones: list[str]) -> list[tuple[str, bool, str]]:
    """Each column of the template: its title, whether it is required, and what to write in it."""
    return [
        (COLUMNS[SEQ][0], False, _("A running number; not imported.")),
        (
            COLUMNS[TITLE][0],
            True,
            _("The item, up to 200 characters. Each item appears once in the file. Also read as: %(others)s.")
            % {"others": join_choices(COLUMNS[TITLE][1:4])},
        ),
        (
            COLUMNS[CATEGORY][0],
            False,
            _("One of: %(choices)s. Empty means %(default)s.")
            % {"choices": join_choices(str(c) for c in Category.labels), "default": Category.PROJECT.label},
        ),
        (
            COLUMNS[DIRECTIVE][0],
            False,
            _("The title of a directive already entered in Luoshi; empty for a stand-alone item."),
        ),
        (COLUMNS[ZONE][0], False, _("One of: %(choices)s.") % {"choices": join_choices(zones)}),
        (
            COLUMNS[LEAD][0],
            True,
            _(
                "The full name (or short name) of the lead unit, as in the unit tree. Also read as: %(others)s."
            )
            % {"others": join_choices(COLUMNS[LEAD][1:3])},
        ),
        (
            COLUMNS[SUPPORT][0],
            False,
            _("Any number of units, separated by 、 or ， or ; or on separate lines."),
        ),
        (COLUMNS[LEADER][0], False, _("The name of the leader in charge, who must hold a leader's post.")),
        (
            COLUMNS[OWNER][0],
            False,
            _(
                "Not set by the import: the lead unit's head names the owner when claiming the item. "
                "A name written here is kept in the item's description as a hint."
            ),
        ),
        (COLUMNS[TARGET][0], True, _("The result the item promises, measurable where possible.")),
        (COLUMNS[START][0], False, _("A date, like the deadline.")),
        (
            COLUMNS[DEADLINE][0],
            True,
            _(
                "A date: an Excel date, or text such as 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日; "
                "2026年12月底 means the last day of that month. Also read as: %(others)s."
            )
            % {"others": join_choices(COLUMNS[DEADLINE][1:3])},
        ),
        (
            COLUMNS[CYCLE][0],
            False,
            _("One of: %(choices)s. Empty means %(default)s.")
            % {
                "choices": join_choices(str(c) for c in ReportCycle.labels),
                "default": ReportCycle.WEEKLY.label,
            },
        ),
        (COLUMNS[NOTE][0], False, _("Anything else about the item; kept as its description.")),
    ]


def general_rules() -> list[str]:
    """The rules shown on the import page and in the template's notes."""
    return [
        _("One or two title rows above the column titles are fine; blank rows are skipped."),
        _(
            "The import is all or nothing: if any row is wrong, nothing is imported and every problem is listed."
        ),
        _("Every row becomes a new item, as a draft, unless you choose to publish the items at once."),
        _("Delete the example rows before importing."),
        _("The file must be an Excel workbook (.xlsx) of at most %(max)s MB.")
        % {"max": MAX_UPLOAD_BYTES // MB},
    ]


def _example_row(lead: str, support: str, zone: str, leader: str) -> list[Any]:
    return [
        1,
        "湾北高科技产业集聚区招商推介",
        str(Category.INVESTMENT.label),
        "",
        zone,
        lead,
        support,
        leader,
        "",
        "完成签约项目不少于5个",
        "2026年3月1日",
        "2026年12月31日",
        str(ReportCycle.WEEKLY.label),
        "",
    ]


def import_template(*, actor: Person) -> bytes:
    """The workbook to fill in: a merged title row, the column titles, an example row and the notes."""
    access_supervise(actor)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    units = list(
        Unit.objects.filter(is_active=True).exclude(kind="authority").values_list("name", flat=True)[:3]
    )
    leader = Person.objects.filter(positions__role=Role.LEADER, is_active=True).order_by("pk").first()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    example = _example_row(
        units[0] if units else "招商局",
        "、".join(units[1:3]),
        zones[0] if zones else "",
        leader.name if leader else "",
    )
    header_row = template_sheet(
        sheet,
        title=TEMPLATE_TITLE,
        headers=[COLUMNS[key][0] for key in TEMPLATE_COLUMNS],
        required=[key in REQUIRED for key in TEMPLATE_COLUMNS],
        widths=(6, 36, 12, 24, 16, 20, 26, 10, 10, 36, 14, 14, 10, 30),
        examples=[example],
        freeze="C3",
    )

    def letter(key: str) -> str:
        return get_column_letter(TEMPLATE_COLUMNS.index(key) + 1)

    list_validation(sheet, letter(ZONE), zones, first_row=header_row + 1)
    list_validation(sheet, letter(CATEGORY), [str(c) for c in Category.labels], first_row=header_row + 1)
    list_validation(sheet, letter(CYCLE), [str(c) for c in ReportCycle.labels], first_row=header_row + 1)
    number_format(sheet, [letter(START), letter(DEADLINE)], "yyyy-mm-dd", first_row=header_row + 1)
    notes_sheet(
        book,
        NOTES_SHEET_NAME,
        headings=[_("Column"), _("Required"), _("What to write")],
        rows=[[column, "是" if required else "", text] for column, required, text in template_notes(zones)],
        rules=general_rules(),
        widths=(14, 10, 90),
    )
    return book_bytes(book)
