"""Excel import of units and people: check the file, validate every row, then apply all rows or none.

The workbook has two sheets with Chinese headers, `单位` and `人员` (see `UNIT_COLUMNS` and
`PERSON_COLUMNS`). A unit is matched by its name and a person by their username: a match is
updated, anything else is created. Every write goes through the organisation services, so each
record gets its permission check, its validation and its audit row. Nothing is written unless
every row is valid, and a refusal from a service while applying rolls the whole file back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from luoshi.core.errors import Conflict
from luoshi.core.spreadsheets import (
    NO,
    XLSX_MAIN_CONTENT_TYPE,
    XLSX_MIME,
    YES,
    ImportRejected,
    Row,
    RowError,
    SheetLayout,
    check_xlsx,
    clean_fields,
    file_error,
    join_choices,
    list_validation,
    notes_sheet,
    number_format,
    open_workbook,
    read_sheet,
    service_errors,
    sorted_errors,
    template_sheet,
    workbook_bytes,
)
from luoshi.core.spreadsheets import read_upload as _read_upload

from . import services
from .access import access_manage_org
from .models import Person, Position, Role, Unit, UnitKind, Zone

__all__ = ["XLSX_MAIN_CONTENT_TYPE", "XLSX_MIME", "ImportRejected", "RowError", "org_import", "read_upload"]

SHEET_UNITS = "单位"
SHEET_PEOPLE = "人员"
SHEET_NOTES = "说明"

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A 5 MB zip can unpack to gigabytes; refuse anything that would not fit a real org chart.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS_PER_SHEET = 10_000

UNIT_NAME, UNIT_SHORT, UNIT_KIND, UNIT_PARENT, UNIT_ZONE, UNIT_PHONE, UNIT_SORT = (
    "单位名称",
    "简称",
    "类型",
    "上级单位",
    "所属片区",
    "电话",
    "排序",
)
UNIT_COLUMNS = (UNIT_NAME, UNIT_SHORT, UNIT_KIND, UNIT_PARENT, UNIT_ZONE, UNIT_PHONE, UNIT_SORT)
UNIT_REQUIRED_COLUMNS = (UNIT_NAME, UNIT_KIND, UNIT_PARENT)

(
    PERSON_USERNAME,
    PERSON_NAME,
    PERSON_PHONE,
    PERSON_EMAIL,
    PERSON_UNIT,
    PERSON_ROLE,
    PERSON_TITLE,
    PERSON_PRINCIPAL,
    PERSON_PASSWORD,
) = ("用户名", "姓名", "手机", "邮箱", "单位", "角色", "职务", "主要领导", "初始密码")
PERSON_COLUMNS = (
    PERSON_USERNAME,
    PERSON_NAME,
    PERSON_PHONE,
    PERSON_EMAIL,
    PERSON_UNIT,
    PERSON_ROLE,
    PERSON_TITLE,
    PERSON_PRINCIPAL,
    PERSON_PASSWORD,
)
PERSON_REQUIRED_COLUMNS = (PERSON_USERNAME, PERSON_NAME, PERSON_UNIT, PERSON_ROLE)

# Each column is its own key: these sheets know one title per column.
UNIT_LAYOUT = SheetLayout(
    {c: (c,) for c in UNIT_COLUMNS},
    required=UNIT_REQUIRED_COLUMNS,
    anchor=UNIT_NAME,
    max_rows=MAX_ROWS_PER_SHEET,
)
PERSON_LAYOUT = SheetLayout(
    {c: (c,) for c in PERSON_COLUMNS},
    required=PERSON_REQUIRED_COLUMNS,
    anchor=PERSON_USERNAME,
    max_rows=MAX_ROWS_PER_SHEET,
)

# The Chinese words of the sheets, as the people who fill them in use them.
UNIT_KIND_LABELS: dict[str, str] = {
    "新区": UnitKind.AUTHORITY,
    "管委会": UnitKind.COMMITTEE,
    "区直部门": UnitKind.DEPARTMENT,
    "片区管理办公室": UnitKind.ZONE_OFFICE,
    "国有企业": UnitKind.SOE,
}
ROLE_LABELS: dict[str, str] = {
    "领导": Role.LEADER,
    "督查": Role.SUPERVISOR,
    "单位负责人": Role.UNIT_HEAD,
    "工作人员": Role.STAFF,
    "企业服务专员": Role.STEWARD,
    "企业用户": Role.ENTERPRISE,
}

# Which column a model field (or a service's error key) comes from, to place a refusal in the report.
UNIT_FIELD_COLUMNS = {
    "name": UNIT_NAME,
    "short_name": UNIT_SHORT,
    "kind": UNIT_KIND,
    "parent": UNIT_PARENT,
    "zone": UNIT_ZONE,
    "phone": UNIT_PHONE,
    "sort": UNIT_SORT,
}
PERSON_FIELD_COLUMNS = {
    "username": PERSON_USERNAME,
    "name": PERSON_NAME,
    "phone": PERSON_PHONE,
    "email": PERSON_EMAIL,
    "unit": PERSON_UNIT,
    "role": PERSON_ROLE,
    "positions": PERSON_ROLE,
    "title": PERSON_TITLE,
    "is_principal": PERSON_PRINCIPAL,
    "password": PERSON_PASSWORD,
}


@dataclass
class ImportSummary:
    """What an import did, by name."""

    created_units: list[str] = field(default_factory=list)
    updated_units: list[str] = field(default_factory=list)
    unchanged_units: list[str] = field(default_factory=list)
    created_people: list[str] = field(default_factory=list)
    updated_people: list[str] = field(default_factory=list)
    unchanged_people: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created_units": len(self.created_units),
            "updated_units": len(self.updated_units),
            "unchanged_units": len(self.unchanged_units),
            "created_people": len(self.created_people),
            "updated_people": len(self.updated_people),
            "unchanged_people": len(self.unchanged_people),
        }


# Reading the file --------------------------------------------------------------------------------


def read_upload(upload: IO[bytes], *, size: int | None = None) -> bytes:
    """The bytes of an uploaded file, refusing one over the size limit before reading it."""
    return _read_upload(upload, max_bytes=MAX_UPLOAD_BYTES, size=size)


def _read_workbook(data: bytes) -> tuple[list[Row], list[Row], list[RowError]]:
    errors: list[RowError] = []
    with open_workbook(data) as book:
        names = book.sheetnames
        if SHEET_UNITS not in names and SHEET_PEOPLE not in names:
            raise file_error(
                _("The workbook has neither a “%(units)s” nor a “%(people)s” sheet. Use the template.")
                % {"units": SHEET_UNITS, "people": SHEET_PEOPLE}
            )
        found: dict[str, list[Row]] = {SHEET_UNITS: [], SHEET_PEOPLE: []}
        for name, layout in ((SHEET_UNITS, UNIT_LAYOUT), (SHEET_PEOPLE, PERSON_LAYOUT)):
            if name not in names:
                continue
            rows = read_sheet(book[name], layout, errors)
            if rows is None:
                errors.append(
                    RowError(
                        name,
                        1,
                        layout.anchor,
                        _(
                            "The header row was not found: the first row must hold the column titles of the template."
                        ),
                    )
                )
            found[name] = rows or []
    unit_rows, person_rows = found[SHEET_UNITS], found[SHEET_PEOPLE]
    if not errors and not unit_rows and not person_rows:
        raise file_error(_("The workbook has no rows to import."))
    return unit_rows, person_rows, errors


# Validation --------------------------------------------------------------------------------------


@dataclass
class _UnitPlan:
    row: Row
    name: str
    kind: str
    parent: str  # a unit name, "" for none
    fields: dict[str, Any]  # the values of the optional columns the sheet has


@dataclass
class _PersonPlan:
    rows: list[Row]
    username: str
    name: str
    password: str
    fields: dict[str, Any]  # email/phone when the sheet has those columns
    posts: list[tuple[Row, str, str, str, bool]]  # row, unit name, role, title, is_principal


def _validate_units(rows: list[Row], errors: list[RowError]) -> list[_UnitPlan]:
    names_in_file = {r.get(UNIT_NAME) for r in rows if r.get(UNIT_NAME)}
    existing = {
        u.name: u for u in Unit.objects.filter(name__in=names_in_file | {r.get(UNIT_PARENT) for r in rows})
    }
    zones = {z.name: z for z in Zone.objects.filter(is_active=True)}
    plans: list[_UnitPlan] = []
    first_row: dict[str, int] = {}
    for row in rows:
        before = len(errors)
        name = row.get(UNIT_NAME)
        if not name:
            errors.append(row.error(UNIT_NAME, _("This cell is required.")))
        elif name in first_row:
            errors.append(
                row.error(
                    UNIT_NAME,
                    _("Unit “%(name)s” already appears on row %(row)s.")
                    % {"name": name, "row": first_row[name]},
                )
            )
        else:
            first_row[name] = row.number
            if name in existing and not existing[name].is_active:
                errors.append(
                    row.error(
                        UNIT_NAME,
                        _("Unit “%(name)s” has been deactivated; an import cannot change it.")
                        % {"name": name},
                    )
                )
        kind_label = row.get(UNIT_KIND)
        kind = UNIT_KIND_LABELS.get(kind_label, kind_label if kind_label in UnitKind.values else "")
        if not kind_label:
            errors.append(row.error(UNIT_KIND, _("This cell is required.")))
        elif not kind:
            errors.append(
                row.error(
                    UNIT_KIND,
                    _("Unknown unit type “%(value)s”. Use one of: %(choices)s.")
                    % {"value": kind_label, "choices": join_choices(UNIT_KIND_LABELS)},
                )
            )
        parent = row.get(UNIT_PARENT)
        if kind == UnitKind.AUTHORITY and parent:
            errors.append(
                row.error(UNIT_PARENT, _("The New Area is the top of the tree: leave its parent unit empty."))
            )
        elif kind and kind != UnitKind.AUTHORITY and not parent:
            errors.append(row.error(UNIT_PARENT, _("This cell is required.")))
        elif parent and parent == name:
            errors.append(row.error(UNIT_PARENT, _("A unit cannot be its own parent unit.")))
        elif parent and parent not in names_in_file:
            if parent not in existing:
                errors.append(row.error(UNIT_PARENT, _("Unknown unit “%(name)s”.") % {"name": parent}))
            elif not existing[parent].is_active:
                errors.append(
                    row.error(UNIT_PARENT, _("Unit “%(name)s” has been deactivated.") % {"name": parent})
                )
        fields: dict[str, Any] = {}
        if row.has(UNIT_SHORT):
            fields["short_name"] = row.get(UNIT_SHORT)
        if row.has(UNIT_PHONE):
            fields["phone"] = row.get(UNIT_PHONE)
        if row.has(UNIT_ZONE):
            zone_name = row.get(UNIT_ZONE)
            fields["zone"] = zones.get(zone_name) if zone_name else None
            if zone_name and zone_name not in zones:
                errors.append(
                    row.error(
                        UNIT_ZONE,
                        _("Unknown zone “%(name)s”. Use one of: %(choices)s.")
                        % {"name": zone_name, "choices": join_choices(zones)},
                    )
                )
        if row.has(UNIT_SORT):
            raw = row.get(UNIT_SORT)
            if not raw:
                fields["sort"] = 0
            elif raw.isdigit():
                fields["sort"] = int(raw)
            else:
                errors.append(row.error(UNIT_SORT, _("Enter a whole number of 0 or more.")))
        probe = Unit(name=name, kind=kind or UnitKind.DEPARTMENT, **fields)
        checked = ["short_name", "phone", "sort"] + (["name"] if name else [])
        errors.extend(clean_fields(probe, checked, row, UNIT_FIELD_COLUMNS))
        if len(errors) == before:
            plans.append(_UnitPlan(row=row, name=name, kind=kind, parent=parent, fields=fields))
    _check_cycles(plans, errors)
    return plans


def _check_cycles(plans: list[_UnitPlan], errors: list[RowError]) -> None:
    """Refuse parent chains that would loop once the file is applied on top of the current tree."""
    if not plans:
        return
    units = list(Unit.objects.values_list("pk", "name", "parent_id"))
    by_id = {pk: name for pk, name, _parent in units}
    final_parent: dict[str, str] = {name: by_id.get(parent, "") for _pk, name, parent in units if parent}
    for plan in plans:
        final_parent[plan.name] = plan.parent
    for plan in plans:
        chain = [plan.name]
        current = plan.parent
        while current and current not in chain and len(chain) <= len(final_parent) + 1:
            chain.append(current)
            current = final_parent.get(current, "")
        if current == plan.name:
            errors.append(
                plan.row.error(
                    UNIT_PARENT,
                    _("The parent units loop back to this unit: %(chain)s.")
                    % {"chain": " → ".join([*chain, plan.name])},
                )
            )


def _validate_people(
    rows: list[Row], unit_names_in_file: set[str], errors: list[RowError]
) -> list[_PersonPlan]:
    usernames = {r.get(PERSON_USERNAME) for r in rows if r.get(PERSON_USERNAME)}
    existing = {p.username: p for p in Person.objects.filter(username__in=usernames)}
    units = {u.name: u for u in Unit.objects.filter(name__in={r.get(PERSON_UNIT) for r in rows})}
    plans: dict[str, _PersonPlan] = {}
    invalid: set[str] = set()
    for row in rows:
        before = len(errors)
        username = row.get(PERSON_USERNAME)
        if not username:
            errors.append(row.error(PERSON_USERNAME, _("This cell is required.")))
        plan = plans.get(username) if username else None
        if plan is None:
            # The first row of a person carries their details.
            name = row.get(PERSON_NAME)
            if not name:
                errors.append(row.error(PERSON_NAME, _("This cell is required.")))
            fields: dict[str, Any] = {}
            if row.has(PERSON_EMAIL):
                fields["email"] = row.get(PERSON_EMAIL)
            if row.has(PERSON_PHONE):
                fields["phone"] = row.get(PERSON_PHONE)
            probe = Person(username=username, name=name, **fields)
            checked = ["email", "phone"] + [f for f, v in (("username", username), ("name", name)) if v]
            errors.extend(clean_fields(probe, checked, row, PERSON_FIELD_COLUMNS))
            password = row.get(PERSON_PASSWORD)
            person = existing.get(username)
            if person is not None and not person.is_active:
                errors.append(
                    row.error(
                        PERSON_USERNAME,
                        _("The account “%(username)s” has been deactivated; an import cannot change it.")
                        % {"username": username},
                    )
                )
            if password and person is None and username:
                try:
                    validate_password(password, probe)
                except ValidationError as exc:
                    errors.extend(row.error(PERSON_PASSWORD, m) for m in exc.messages)
            plan = _PersonPlan(
                rows=[], username=username, name=name, password=password, fields=fields, posts=[]
            )
            if username:
                plans[username] = plan
        else:
            # Further rows of the same person add posts; their details, where given, must agree.
            first = plan.rows[0] if plan.rows else None
            details = {PERSON_NAME: plan.name, PERSON_PASSWORD: plan.password}
            if PERSON_EMAIL in row.cells:
                details[PERSON_EMAIL] = plan.fields.get("email", "")
            if PERSON_PHONE in row.cells:
                details[PERSON_PHONE] = plan.fields.get("phone", "")
            for column, value in details.items():
                given = row.get(column)
                if given and given != value:
                    errors.append(
                        row.error(
                            column,
                            _(
                                "Username “%(username)s” already appears on row %(row)s with a "
                                "different value here. Rows of one person must agree."
                            )
                            % {"username": username, "row": first.number if first else "?"},
                        )
                    )
        plan.rows.append(row)
        role_label = row.get(PERSON_ROLE)
        role = ROLE_LABELS.get(role_label, role_label if role_label in Role.values else "")
        if not role_label:
            errors.append(row.error(PERSON_ROLE, _("This cell is required.")))
        elif not role:
            errors.append(
                row.error(
                    PERSON_ROLE,
                    _("Unknown role “%(value)s”. Use one of: %(choices)s.")
                    % {"value": role_label, "choices": join_choices(ROLE_LABELS)},
                )
            )
        unit_name = row.get(PERSON_UNIT)
        if role == Role.ENTERPRISE:
            if unit_name:
                errors.append(
                    row.error(
                        PERSON_UNIT,
                        _("An enterprise user holds no post in a government unit: leave the unit empty."),
                    )
                )
        elif not unit_name:
            if role:
                errors.append(row.error(PERSON_UNIT, _("This cell is required.")))
        elif unit_name not in unit_names_in_file:
            if unit_name not in units:
                errors.append(row.error(PERSON_UNIT, _("Unknown unit “%(name)s”.") % {"name": unit_name}))
            elif not units[unit_name].is_active:
                errors.append(
                    row.error(PERSON_UNIT, _("Unit “%(name)s” has been deactivated.") % {"name": unit_name})
                )
        principal_text = row.get(PERSON_PRINCIPAL)
        if principal_text not in ("", YES, NO):
            errors.append(
                row.error(
                    PERSON_PRINCIPAL,
                    _("Write %(yes)s or %(no)s, or leave the cell empty.") % {"yes": YES, "no": NO},
                )
            )
        is_principal = principal_text == YES
        if is_principal and role and role != Role.LEADER:
            errors.append(row.error(PERSON_PRINCIPAL, _("Only a leader can be a principal leader.")))
        title = row.get(PERSON_TITLE)
        errors.extend(
            clean_fields(Position(role=role or Role.STAFF, title=title), ["title"], row, PERSON_FIELD_COLUMNS)
        )
        post_key = (unit_name, role)
        for earlier, earlier_unit, earlier_role, _title, _principal in plan.posts:
            if role and (earlier_unit, earlier_role) == post_key:
                errors.append(
                    row.error(
                        PERSON_ROLE,
                        _("The same post is already on row %(row)s.") % {"row": earlier.number},
                    )
                )
        plan.posts.append((row, unit_name if role != Role.ENTERPRISE else "", role, title, is_principal))
        if len(errors) != before:
            invalid.add(username)
    return [p for u, p in plans.items() if u not in invalid]


def _sorted(errors: list[RowError]) -> list[RowError]:
    return sorted_errors(errors, columns=(*UNIT_COLUMNS, *PERSON_COLUMNS), sheets=(SHEET_UNITS, SHEET_PEOPLE))


# Applying ----------------------------------------------------------------------------------------


def _apply_units(actor: Person, plans: list[_UnitPlan], summary: ImportSummary) -> None:
    by_name = {p.name: p for p in plans}
    done: set[str] = set()

    def apply(plan: _UnitPlan) -> None:
        # Parents first, so a new unit's parent exists and a move never lands inside its own subtree.
        if plan.name in done:
            return
        done.add(plan.name)
        if plan.parent in by_name:
            apply(by_name[plan.parent])
        parent = Unit.objects.get(name=plan.parent) if plan.parent else None
        unit = Unit.objects.filter(name=plan.name).first()
        try:
            if unit is None:
                services.unit_create(
                    actor=actor, name=plan.name, kind=plan.kind, parent=parent, **plan.fields
                )
                summary.created_units.append(plan.name)
                return
            wanted = {"kind": plan.kind, "parent": parent, **plan.fields}
            changes = {k: v for k, v in wanted.items() if getattr(unit, k) != v}
            if not changes:
                summary.unchanged_units.append(plan.name)
                return
            services.unit_update(actor=actor, unit=unit, expected_version=None, changes=changes)
            summary.updated_units.append(plan.name)
        except (ValidationError, Conflict) as exc:
            raise ImportRejected(_sorted(service_errors(exc, plan.row, UNIT_FIELD_COLUMNS))) from exc

    for plan in plans:
        apply(plan)


def _post_key(unit_id: int | None, role: str, title: str, is_principal: bool) -> tuple[Any, ...]:
    return (unit_id or 0, role, title, is_principal)


def _apply_people(actor: Person, plans: list[_PersonPlan], summary: ImportSummary) -> None:
    unit_names = {post[1] for plan in plans for post in plan.posts if post[1]}
    units = {u.name: u for u in Unit.objects.filter(name__in=unit_names)}
    existing = {
        p.username: p
        for p in Person.objects.filter(username__in=[p.username for p in plans]).prefetch_related("positions")
    }
    for plan in plans:
        specs = [
            services.PositionSpec(
                unit=units[unit_name] if unit_name else None, role=role, title=title, is_principal=principal
            )
            for _row, unit_name, role, title, principal in plan.posts
        ]
        person = existing.get(plan.username)
        try:
            if person is None:
                services.person_create(
                    actor=actor,
                    username=plan.username,
                    name=plan.name,
                    positions=specs,
                    password=plan.password or None,
                    **plan.fields,
                )
                summary.created_people.append(plan.username)
                continue
            wanted = {"name": plan.name, **plan.fields}
            changes = {k: v for k, v in wanted.items() if getattr(person, k) != v}
            current = sorted(
                _post_key(p.unit_id, p.role, p.title, p.is_principal) for p in person.positions.all()
            )
            new = sorted(
                _post_key(s.unit.pk if s.unit else None, s.role, s.title, s.is_principal) for s in specs
            )
            if not changes and current == new:
                summary.unchanged_people.append(plan.username)
                continue
            services.person_update(
                actor=actor,
                person=person,
                expected_version=None,
                changes=changes,
                positions=specs if current != new else None,
            )
            summary.updated_people.append(plan.username)
        except (ValidationError, Conflict) as exc:
            raise ImportRejected(_sorted(service_errors(exc, plan.rows[0], PERSON_FIELD_COLUMNS))) from exc


def org_import(*, actor: Person, data: bytes, filename: str = "") -> ImportSummary:
    """Import the units and people of an Excel workbook, all rows or none.

    Only someone who manages the organisation may import. Every row is validated first and
    every problem is collected; if there is any, nothing is written and `ImportRejected`
    lists them. Otherwise all rows are applied through the services in one transaction, and a
    refusal from a service rolls the whole file back and is reported against its row.
    """
    access_manage_org(actor)
    check_xlsx(data, filename, max_bytes=MAX_UPLOAD_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    unit_rows, person_rows, errors = _read_workbook(data)
    if errors:
        raise ImportRejected(_sorted(errors))
    unit_plans = _validate_units(unit_rows, errors)
    unit_names_in_file = {r.get(UNIT_NAME) for r in unit_rows if r.get(UNIT_NAME)}
    person_plans = _validate_people(person_rows, unit_names_in_file, errors)
    if errors:
        raise ImportRejected(_sorted(errors))
    summary = ImportSummary()
    # A refusal from a service raises ImportRejected inside the transaction: the whole file rolls back.
    with transaction.atomic():
        _apply_units(actor, unit_plans, summary)
        _apply_people(actor, person_plans, summary)
    return summary


# The template ------------------------------------------------------------------------------------


def import_template(*, actor: Person) -> bytes:
    """The import workbook: the two sheets with their headers and an example row, and the notes."""
    access_manage_org(actor)
    zones = list(Zone.objects.filter(is_active=True).values_list("name", flat=True))
    committee = Unit.objects.filter(kind=UnitKind.COMMITTEE, is_active=True).first()
    parent_name = committee.name if committee else "普湾经济区管理委员会"

    book = Workbook()
    units = book.active
    assert units is not None
    units.title = SHEET_UNITS
    unit_example = [
        "招商服务科",
        "招商科",
        "区直部门",
        parent_name,
        zones[0] if zones else "",
        "0411-87000000",
        10,
    ]
    template_sheet(
        units,
        headers=UNIT_COLUMNS,
        required=[c in UNIT_REQUIRED_COLUMNS for c in UNIT_COLUMNS],
        widths=[28, 14, 16, 28, 20, 18, 8],
        examples=[unit_example],
    )
    number_format(units, "F", "@", first_row=2)
    list_validation(units, "C", UNIT_KIND_LABELS, first_row=2)
    list_validation(units, "E", zones, first_row=2)

    people = book.create_sheet(SHEET_PEOPLE)
    person_example = [
        "zhangsan",
        "张三",
        "13800000000",
        "zhangsan@example.com",
        "招商服务科",
        "单位负责人",
        "科长",
        NO,
        "",
    ]
    template_sheet(
        people,
        headers=PERSON_COLUMNS,
        required=[c in PERSON_REQUIRED_COLUMNS for c in PERSON_COLUMNS],
        widths=[16, 12, 16, 26, 28, 16, 14, 10, 18],
        examples=[person_example],
    )
    # Phone numbers, usernames and passwords must stay text (leading zeros, long digits).
    number_format(people, "ACI", "@", first_row=2)
    list_validation(people, "F", ROLE_LABELS, first_row=2)
    list_validation(people, "H", [YES, NO], first_row=2)

    notes_sheet(
        book,
        SHEET_NOTES,
        headings=[_("Sheet"), _("Column"), _("Required"), _("What to write")],
        rows=[
            [sheet, column, YES if required else "", text]
            for sheet, column, required, text in template_notes(zones)
        ],
        rules=_general_rules(),
        widths=(10, 14, 10, 90),
    )
    return workbook_bytes(book)


def template_notes(zones: list[str]) -> list[tuple[str, str, bool, str]]:
    """Each column of both sheets: sheet, header, whether required, and what to write in it."""
    return [
        (
            SHEET_UNITS,
            UNIT_NAME,
            True,
            _("The full name of the unit. A unit with this name is updated; otherwise it is created."),
        ),
        (SHEET_UNITS, UNIT_SHORT, False, _("A short name, up to 30 characters.")),
        (
            SHEET_UNITS,
            UNIT_KIND,
            True,
            _("One of: %(choices)s.") % {"choices": join_choices(UNIT_KIND_LABELS)},
        ),
        (
            SHEET_UNITS,
            UNIT_PARENT,
            True,
            _(
                "The name of the parent unit: one already in the system or one on this sheet, in any "
                "order. Leave it empty only for the New Area (%(authority)s)."
            )
            % {"authority": "新区"},
        ),
        (
            SHEET_UNITS,
            UNIT_ZONE,
            False,
            _("The zone the unit belongs to, one of: %(choices)s.") % {"choices": join_choices(zones)},
        ),
        (SHEET_UNITS, UNIT_PHONE, False, _("The unit's phone number.")),
        (
            SHEET_UNITS,
            UNIT_SORT,
            False,
            _("A whole number that orders the unit among its siblings; empty means 0."),
        ),
        (
            SHEET_PEOPLE,
            PERSON_USERNAME,
            True,
            _(
                "The login name: letters, digits and @ . + - _ only. A person with this username is "
                "updated; otherwise they are created. Put a person on several rows to give them several posts."
            ),
        ),
        (SHEET_PEOPLE, PERSON_NAME, True, _("The person's full name.")),
        (SHEET_PEOPLE, PERSON_PHONE, False, _("Mobile phone number.")),
        (SHEET_PEOPLE, PERSON_EMAIL, False, _("Email address.")),
        (
            SHEET_PEOPLE,
            PERSON_UNIT,
            True,
            _(
                "The unit of this post: one already in the system or one on the %(units)s sheet. "
                "Leave it empty for an enterprise user."
            )
            % {"units": SHEET_UNITS},
        ),
        (SHEET_PEOPLE, PERSON_ROLE, True, _("One of: %(choices)s.") % {"choices": join_choices(ROLE_LABELS)}),
        (SHEET_PEOPLE, PERSON_TITLE, False, _("The job title of this post, such as 科长.")),
        (
            SHEET_PEOPLE,
            PERSON_PRINCIPAL,
            False,
            _(
                "%(yes)s for a principal leader (who sees everything), otherwise %(no)s or empty. Only for the leader role."
            )
            % {"yes": YES, "no": NO},
        ),
        (
            SHEET_PEOPLE,
            PERSON_PASSWORD,
            False,
            _(
                "Only used when the person is created: at least 10 characters, not too common. "
                "Without it the person cannot log in until a password is set for them."
            ),
        ),
    ]


def _general_rules() -> list[str]:
    return [
        _("Delete the example rows before importing."),
        _(
            "The import is all or nothing: if any row is wrong, nothing is imported and every problem is listed."
        ),
        _(
            "Empty cells clear the field on an existing unit or person; a column left out of the sheet "
            "leaves that field unchanged."
        ),
        _("The posts of an existing person are replaced by the rows of this file."),
        _("The file must be an Excel workbook (.xlsx) of at most 5 MB."),
    ]


def general_rules() -> list[str]:
    """The rules shown on the import page and in the template's notes."""
    return _general_rules()
