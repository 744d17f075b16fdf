"""Excel in and out for the service desk's register of enterprises (企业名录).

Import
    One sheet with Chinese headers (see `COLUMNS`, each with the other titles real registers
    use), under a title row or two if the file has them. An enterprise is identified by its
    unified social credit code: a code already registered updates that enterprise, any other
    creates one. All or nothing: every row is checked first — the code by the GB 32100 check
    with the validator's own reason, codes and names repeated in the file, an unknown zone or
    steward with the closest known names — and every problem is reported by row and column.
    Only a clean file is applied, in one transaction, through `enterprise_create`,
    `enterprise_update` and `enterprise_contact_add`, so each enterprise gets its permission
    check, its validation and its audit record; a refusal from a service rolls the whole file
    back and is reported against its row.

Export
    `export_enterprises(queryset)` writes the import's columns plus each enterprise's number of
    requests and of open requests, in openpyxl's write-only mode; the counts come in the
    enterprises' own query and the contacts in one more, whatever the number of rows.

Both run as background jobs (`run_import_job`, `run_export_job`) so that the page can show their
progress; `import_enterprises` and `export_enterprises` are the plain functions a benchmark times.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook

from luoshi.core.errors import Conflict
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
    read_sheet,
    rejected_outcome,
    service_errors,
    sorted_errors,
    suggest,
    template_sheet,
    workbook_bytes,
)
from luoshi.core.uploads import MB
from luoshi.org.models import Person, Role, Zone

from . import services
from .access import access_manage_enterprises
from .filters import enterprise_filters_from_query, enterprise_list
from .models import Contact, Enterprise, Stage
from .uscc import check_character, normalise, validate_uscc

MAX_UPLOAD_BYTES = 10 * MB
MAX_UNPACKED_BYTES = 300 * MB
MAX_ROWS = 10_000
SHEET_NAME = "企业名录"
NOTES_SHEET_NAME = "填表说明"
TEMPLATE_TITLE = "普湾经济区企业名录"

SEQ, NAME, USCC, ZONE, INDUSTRY, STAGE = "seq", "name", "uscc", "zone", "industry", "stage"
STEWARD, ADDRESS, LEGAL, CONTACT, PHONE = "steward", "address", "legal", "contact", "phone"
COLUMNS: dict[str, tuple[str, ...]] = {
    SEQ: ("序号",),
    NAME: ("企业名称", "企业全称", "单位名称", "公司名称"),
    USCC: ("统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码"),
    ZONE: ("所属片区", "片区", "所在片区"),
    INDUSTRY: ("行业", "所属行业", "行业类别", "产业"),
    STAGE: ("发展阶段", "生命周期阶段", "企业阶段", "阶段"),
    STEWARD: ("企业服务专员", "服务专员", "店小二", "专员"),
    ADDRESS: ("地址", "企业地址", "注册地址", "经营地址"),
    LEGAL: ("法定代表人", "法人代表", "法人"),
    CONTACT: ("联系人", "企业联系人"),
    PHONE: ("联系电话", "联系人电话", "电话", "手机"),
}
REQUIRED = (NAME, USCC, ZONE, INDUSTRY)
TEMPLATE_COLUMNS = tuple(COLUMNS)
LAYOUT = SheetLayout(COLUMNS, required=REQUIRED, anchor=NAME, section=(SEQ,), max_rows=MAX_ROWS)

# Which column a service's refusal of a field belongs to.
FIELD_COLUMNS = {
    "name": NAME,
    "uscc": USCC,
    "zone": ZONE,
    "industry": INDUSTRY,
    "stage": STAGE,
    "steward": STEWARD,
    "address": ADDRESS,
    "legal_representative": LEGAL,
    "phone": PHONE,
}

# The life-cycle stages as the issue names them (筹建 / 在建 / 投产 / 成长); the sheet uses these.
STAGE_WORDS = {
    "筹建": Stage.PREPARING,
    "在建": Stage.BUILDING,
    "投产": Stage.OPERATING,
    "成长": Stage.GROWING,
}
STAGE_NAMES: dict[str, str] = {stage: word for word, stage in STAGE_WORDS.items()}
# The template's example code passes the check like any real one (210213: Dalian's Jinzhou district).
EXAMPLE_USCC = "91210213MA0XAMPL2" + check_character("91210213MA0XAMPL2")


# Validation ------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One valid row: the enterprise it updates (None: a new one), the fields the sheet sets, a contact."""

    row: Row
    uscc: str
    enterprise: Enterprise | None
    fields: dict[str, Any]
    contact: dict[str, str] | None


class _Lookups:
    """What the rows refer to, loaded once for the whole file."""

    def __init__(self, rows: list[Row]) -> None:
        self.zones = {z.name: z for z in Zone.objects.filter(is_active=True)}
        stewards = Person.objects.filter(positions__role=Role.STEWARD, is_active=True).distinct()
        self.stewards_by_username: dict[str, Person] = {}
        self.stewards_by_name: dict[str, list[Person]] = {}
        for person in stewards:
            self.stewards_by_username[person.username] = person
            self.stewards_by_name.setdefault(person.name, []).append(person)
        codes = {normalise(row.get(USCC)) for row in rows}
        contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
        self.by_code = {
            e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes).prefetch_related(contacts)
        }
        names = {row.get(NAME) for row in rows if row.get(NAME)}
        self.code_of_name = dict(Enterprise.objects.filter(name__in=names).values_list("name", "uscc"))
        self.stages = {**choice_words(Stage), **STAGE_WORDS}


def _zone(row: Row, name: str, lookups: _Lookups, errors: list[RowError]) -> Zone | None:
    return find_zone(row, name, lookups.zones, ZONE, errors)


def _steward(row: Row, text: str, lookups: _Lookups, errors: list[RowError]) -> Person | None:
    """A steward by username, or by name when only one steward has it."""
    person = lookups.stewards_by_username.get(text)
    if person is not None:
        return person
    people = lookups.stewards_by_name.get(text, [])
    if len(people) == 1:
        return people[0]
    if people:
        errors.append(
            row.error(
                STEWARD,
                _("Several stewards are called “%(name)s”; write the username instead.") % {"name": text},
            )
        )
        return None
    if Person.objects.filter(is_active=True).filter(username=text).exists() or (
        Person.objects.filter(is_active=True, name=text).exists()
    ):
        errors.append(row.error(STEWARD, _("The steward must hold an enterprise steward's post.")))
        return None
    close = suggest(text, [*lookups.stewards_by_name, *lookups.stewards_by_username])
    if close:
        message = _("Unknown steward “%(name)s”. Did you mean: %(choices)s?") % {
            "name": text,
            "choices": join_choices(close),
        }
    else:
        message = _("Unknown steward “%(name)s”.") % {"name": text}
    errors.append(row.error(STEWARD, message))
    return None


def _validate_row(
    row: Row, lookups: _Lookups, first_rows: dict[tuple[str, str], int], errors: list[RowError]
) -> _Plan | None:
    before = len(errors)

    def once(kind: str, value: str, key: str, message: str) -> None:
        """Each code and each name appears on one row only."""
        if (kind, value) in first_rows:
            errors.append(row.error(key, message % {"row": first_rows[kind, value]}))
        else:
            first_rows[kind, value] = row.number

    name = row.get(NAME)
    if not name:
        errors.append(row.error(NAME, _("This cell is required.")))
    else:
        once("name", name, NAME, _("The same enterprise is already on row %(row)s."))
    code = ""
    if not row.get(USCC):
        errors.append(row.error(USCC, _("This cell is required.")))
    else:
        try:
            code = validate_uscc(row.get(USCC))
        except ValidationError as exc:
            errors.extend(row.error(USCC, message) for message in exc.messages)
        else:
            once("code", code, USCC, _("The same code is already on row %(row)s."))
    if name and code and lookups.code_of_name.get(name, code) != code:
        errors.append(
            row.error(
                NAME,
                _("“%(name)s” is already registered with the code %(code)s.")
                % {"name": name, "code": lookups.code_of_name[name]},
            )
        )
    enterprise = lookups.by_code.get(code) if code else None
    fields: dict[str, Any] = {"name": name, "industry": row.get(INDUSTRY)}
    if not fields["industry"]:
        errors.append(row.error(INDUSTRY, _("This cell is required.")))
    zone_name = row.get(ZONE)
    if not zone_name:
        errors.append(row.error(ZONE, _("This cell is required.")))
    else:
        fields["zone"] = _zone(row, zone_name, lookups, errors)
    stage_text = row.get(STAGE)
    if stage_text:
        stage = lookups.stages.get(stage_text.lower())
        if stage is None:
            errors.append(
                row.error(
                    STAGE,
                    _("Unknown life-cycle stage “%(value)s”. Use one of: %(choices)s.")
                    % {"value": stage_text, "choices": join_choices(STAGE_WORDS)},
                )
            )
        fields["stage"] = stage
    elif enterprise is None:
        fields["stage"] = Stage.OPERATING
    if row.has(STEWARD):
        steward_text = row.get(STEWARD)
        fields["steward"] = _steward(row, steward_text, lookups, errors) if steward_text else None
    if row.has(ADDRESS):
        fields["address"] = row.get(ADDRESS)
    if row.has(LEGAL):
        fields["legal_representative"] = row.get(LEGAL)
    probe = Enterprise(**{k: v for k, v in fields.items() if k not in ("zone", "steward")})
    checked = [f for f in ("name", "industry", "address", "legal_representative") if fields.get(f)]
    errors.extend(clean_fields(probe, checked, row, FIELD_COLUMNS))
    contact = None
    contact_name, phone = row.get(CONTACT), row.get(PHONE)
    if contact_name or phone:
        if not contact_name or not phone:
            key = PHONE if contact_name else CONTACT
            errors.append(row.error(key, _("Give the contact's name and phone together.")))
        else:
            contact = {"name": contact_name, "phone": phone}
            probe_contact = Contact(name=contact_name, phone=phone)
            errors.extend(
                clean_fields(probe_contact, ["name", "phone"], row, {"name": CONTACT, "phone": PHONE})
            )
    if len(errors) != before:
        return None
    return _Plan(row=row, uscc=code, enterprise=enterprise, fields=fields, contact=contact)


# Importing -------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: the enterprises created, updated and left as they were, by name."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged)}


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
            "No header row was found in the first %(count)s rows. It must hold at least “%(name)s” and “%(code)s”."
        )
        % {"count": HEADER_SEARCH_ROWS, "name": COLUMNS[NAME][0], "code": COLUMNS[USCC][0]}
    )


def _apply(actor: Person, plan: _Plan, result: ImportResult) -> None:
    """Create or update one enterprise through the services."""
    enterprise = plan.enterprise
    if enterprise is None:
        services.enterprise_create(
            actor=actor,
            uscc=plan.uscc,
            contacts=[plan.contact] if plan.contact else (),
            **plan.fields,
        )
        result.created.append(plan.fields["name"])
        return
    changes = {k: v for k, v in plan.fields.items() if getattr(enterprise, k) != v}
    if changes:
        # The version read when the file was checked: an edit made meanwhile is a conflict, not lost.
        services.enterprise_update(
            actor=actor, enterprise=enterprise, expected_version=enterprise.version, changes=changes
        )
    known = {(c.name, c.phone) for c in enterprise.contacts.all()}
    added = plan.contact is not None and (plan.contact["name"], plan.contact["phone"]) not in known
    if plan.contact is not None and added:
        services.enterprise_contact_add(actor=actor, enterprise=enterprise, **plan.contact)
    (result.updated if changes or added else result.unchanged).append(enterprise.name)


def import_enterprises(
    data: bytes, actor: Person, *, filename: str = "", progress: ProgressFn | None = None
) -> ImportResult:
    """Import a register of enterprises: every row, or none.

    Only the service centre and the supervision office may import. Raises `ImportRejected` with
    every problem found (row, column, reason) and writes nothing; otherwise creates the new
    enterprises and updates the known ones (same code) in one transaction.
    """
    report = progress or no_progress
    access_manage_enterprises(actor)
    check_xlsx(data, filename, max_bytes=MAX_UPLOAD_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    errors: list[RowError] = []
    report(0, 0, _("Reading the workbook"))
    rows = _read_rows(data, errors, report)
    titles = rows[0].titles if rows else {}
    if errors:
        raise ImportRejected(sorted_errors(errors, columns=titles.values()))
    total = len(rows)
    report(0, total, _("Checking the rows"))
    lookups = _Lookups(rows)
    first_rows: dict[tuple[str, str], int] = {}
    plans: list[_Plan] = []
    for done, row in enumerate(rows, start=1):
        plan = _validate_row(row, lookups, first_rows, errors)
        if plan is not None:
            plans.append(plan)
        if done % 200 == 0:
            report(done)
    if errors:
        raise ImportRejected(sorted_errors(errors, columns=titles.values()))
    result = ImportResult()
    report(0, total, _("Saving the enterprises"))
    # A refusal from a service raises ImportRejected inside the transaction: the whole file rolls back.
    with transaction.atomic():
        for done, plan in enumerate(plans, start=1):
            try:
                _apply(actor, plan, result)
            except (ValidationError, Conflict) as exc:
                raise ImportRejected(service_errors(exc, plan.row, FIELD_COLUMNS)) from exc
            if done % 100 == 0:
                report(done)
    report(total)
    return result


@job_runner("service.enterprise_import")
def run_import_job(job: Job, progress: Progress) -> JobOutcome:
    """The background import: the uploaded workbook, by the person who uploaded it."""
    try:
        result = import_enterprises(
            job_input(job), job.created_by, filename=job.input_name, progress=progress
        )
    except ImportRejected as exc:
        return rejected_outcome(exc)
    counts = result.as_dict()
    message = (
        _("Enterprises imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.") % counts
    )
    return JobOutcome(
        ok=True,
        message=message,
        result={
            **counts,
            "links": [{"url": reverse("service:enterprise_list"), "label": _("See the enterprises")}],
        },
    )


# Exporting ---------------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "序号",
    *(COLUMNS[key][0] for key in TEMPLATE_COLUMNS[1:]),
    "诉求总数",
    "未办结诉求",
)
EXPORT_WIDTHS = (6, 34, 22, 16, 16, 10, 12, 36, 12, 12, 16, 10, 10)


def export_enterprises(
    queryset: QuerySet[Enterprise], *, at: datetime.datetime | None = None, progress: ProgressFn | None = None
) -> bytes:
    """The enterprises as an .xlsx workbook: the import's columns plus the numbers of requests.

    `queryset` is `filters.enterprise_list(...)` (with `total_requests` and `open_requests`).
    Two queries whatever the number of rows: the enterprises, then their contacts.
    """
    report = progress or no_progress
    contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
    rows = list(queryset.select_related("zone", "steward").prefetch_related(contacts))
    total = len(rows)
    report(0, total, _("Writing the workbook"))
    book = Workbook(write_only=True)
    moment = timezone.localtime(at or timezone.now())
    sheet = export_sheet(
        book,
        SHEET_NAME,
        title=_("Enterprises, exported %(time)s") % {"time": moment.strftime("%Y-%m-%d %H:%M")},
        headers=EXPORT_HEADERS,
        widths=EXPORT_WIDTHS,
        freeze="C3",
    )
    for number, enterprise in enumerate(rows, start=1):
        # The first contact, as the import takes one contact per row.
        contact = next(iter(enterprise.contacts.all()), None)
        sheet.append(
            [
                number,
                enterprise.name,
                enterprise.uscc,
                enterprise.zone.name,
                enterprise.industry,
                STAGE_NAMES.get(enterprise.stage, enterprise.stage),
                enterprise.steward.name if enterprise.steward else None,
                enterprise.address or None,
                enterprise.legal_representative or None,
                contact.name if contact else None,
                contact.phone if contact else None,
                getattr(enterprise, "total_requests", None),
                getattr(enterprise, "open_requests", None),
            ]
        )
        if number % 500 == 0:
            report(number)
    data = workbook_bytes(book)
    report(total)
    return data


def export_filename(moment: datetime.datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"企业名录_{moment:%Y%m%d-%H%M}.xlsx"


@job_runner("service.enterprise_export")
def run_export_job(job: Job, progress: Progress) -> JobOutcome:
    """The background export: the enterprise list as its creator filtered it."""
    person = job.created_by
    filters = enterprise_filters_from_query(job.params.get("query", {}), person=person)
    data = export_enterprises(
        enterprise_list(person=person, filters=filters), at=job.created_at, progress=progress
    )
    count = progress.total
    message = ngettext(
        "%(count)s enterprise has been exported.", "%(count)s enterprises have been exported.", count
    ) % {"count": count}
    return exported_outcome(data, count, message, export_filename(job.created_at))


# The template --------------------------------------------------------------------------------------------


def template_notes(zones: list[str]) -> list[tuple[str, bool, str]]:
    """Each column of the template: its title, whether it is required, and what to write in it."""
    return [
        (COLUMNS[SEQ][0], False, _("A running number; not imported.")),
        (
            COLUMNS[NAME][0],
            True,
            _("The enterprise's full registered name, up to 100 characters. Each enterprise appears once."),
        ),
        (
            COLUMNS[USCC][0],
            True,
            _(
                "The 18-character code on the business licence; it is checked. An enterprise already "
                "registered with this code is updated; otherwise it is created."
            ),
        ),
        (COLUMNS[ZONE][0], True, _("One of: %(choices)s.") % {"choices": join_choices(zones)}),
        (COLUMNS[INDUSTRY][0], True, _("The enterprise's industry, such as 集成电路 or 精细化工.")),
        (
            COLUMNS[STAGE][0],
            False,
            _(
                "One of: %(choices)s. Empty means %(default)s for a new enterprise and no change for a known one."
            )
            % {"choices": join_choices(STAGE_WORDS), "default": STAGE_NAMES[Stage.OPERATING]},
        ),
        (
            COLUMNS[STEWARD][0],
            False,
            _("The name or the username of a person holding an enterprise steward's post."),
        ),
        (COLUMNS[ADDRESS][0], False, _("The enterprise's address.")),
        (COLUMNS[LEGAL][0], False, _("The legal representative on the business licence.")),
        (
            COLUMNS[CONTACT][0],
            False,
            _("A person at the enterprise whom the zone can call, with the phone number in the next column."),
        ),
        (COLUMNS[PHONE][0], False, _("The contact's phone number.")),
    ]


def general_rules() -> list[str]:
    """The rules shown on the import page and in the template's notes."""
    return [
        _("One or two title rows above the column titles are fine; blank rows are skipped."),
        _(
            "The import is all or nothing: if any row is wrong, nothing is imported and every problem is listed."
        ),
        _(
            "For a known enterprise, an empty cell clears the steward, the address or the legal "
            "representative; a column left out of the sheet leaves them unchanged. A contact not yet "
            "known is added."
        ),
        _("Delete the example rows before importing."),
        _("The file must be an Excel workbook (.xlsx) of at most %(max)s MB.")
        % {"max": MAX_UPLOAD_BYTES // MB},
    ]


def import_template(*, actor: Person) -> bytes:
    """The workbook to fill in: a merged title row, the column titles, an example row and the notes."""
    access_manage_enterprises(actor)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    steward = Person.objects.filter(positions__role=Role.STEWARD, is_active=True).order_by("pk").first()
    example = {
        SEQ: 1,
        NAME: "大连普湾示例精密制造有限公司",
        USCC: EXAMPLE_USCC,
        ZONE: zones[0] if zones else "",
        INDUSTRY: "精密制造",
        STAGE: STAGE_NAMES[Stage.OPERATING],
        STEWARD: steward.name if steward else "",
        ADDRESS: "大连市金州区普湾经济区",
        LEGAL: "王明",
        CONTACT: "李华",
        PHONE: "0411-87000000",
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
        widths=(6, 34, 22, 16, 16, 10, 12, 36, 12, 12, 16),
        examples=[[example[key] for key in TEMPLATE_COLUMNS]],
        freeze="C3",
    )

    def letter(key: str) -> str:
        return chr(ord("A") + TEMPLATE_COLUMNS.index(key))

    list_validation(sheet, letter(ZONE), zones, first_row=header_row + 1)
    list_validation(sheet, letter(STAGE), STAGE_WORDS, first_row=header_row + 1)
    # Codes and phone numbers stay text (leading zeros, no scientific notation).
    number_format(sheet, [letter(USCC), letter(PHONE)], "@", first_row=header_row + 1)
    notes_sheet(
        book,
        NOTES_SHEET_NAME,
        headings=[_("Column"), _("Required"), _("What to write")],
        rows=[[column, YES if required else "", text] for column, required, text in template_notes(zones)],
        rules=general_rules(),
        widths=(16, 10, 90),
    )
    return workbook_bytes(book)
