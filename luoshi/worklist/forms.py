"""HTML forms of the implementation list. They only collect input; the services decide."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import StyledForm, style_widgets
from luoshi.org.forms import VersionedModelForm
from luoshi.org.models import Person, Position, Role, Unit, Zone

from .access import is_supervisor
from .lights import Light
from .models import ChangeKind, Directive, Item, ItemState, MilestoneTemplate
from .selectors import SORTS, ItemFilters

DATE = {"type": "date"}


# Both select the people by a subquery on their posts rather than a join with DISTINCT: for the
# join SQLite walks all 20,000 people in name order (the directory's index) to sort, 20 ms each.


def leaders() -> QuerySet[Person]:
    """People who may be named leader in charge: active holders of a leader's post."""
    posts = Position.objects.filter(role=Role.LEADER).values("person_id")
    return Person.objects.filter(pk__in=posts, is_active=True).order_by("name")


def members_of(unit: Unit | None) -> QuerySet[Person]:
    """Active people holding a post in the unit or below it: the possible owners of its items."""
    if unit is None:
        return Person.objects.none()
    posts = Position.objects.filter(unit__path__startswith=unit.path).values("person_id")
    return Person.objects.filter(pk__in=posts, is_active=True).order_by("name")


class RowsSelect(forms.Select):
    """A select written straight from (id, label) rows: one query, no model instance or template per option.

    The item list's filters offer hundreds of units and thousands of owners and directives; rendered
    option by option they cost most of the page (see bench/worklist.py). `rows`, when set, gives
    what to offer if that is narrower than what the field accepts (None: what it accepts); it is
    called when the select is rendered.
    """

    def __init__(
        self,
        fields: tuple[str, ...] = ("name",),
        label: Callable[..., str] | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.fields = fields
        self.label = label or str
        self.rows: Callable[[], QuerySet[Any] | None] = lambda: None

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        accepted = self.choices.field.queryset  # type: ignore[attr-defined]  # the field's ModelChoiceIterator
        narrower = self.rows()
        offered = narrower if narrower is not None else accepted
        rows = [(pk, self.label(*rest)) for pk, *rest in offered.values_list("pk", *self.fields)]
        selected = set(self.format_value(value))
        missing = selected - {str(pk) for pk, _label in rows} - {""}
        if missing:  # a choice outside the narrower offer stays shown
            extra = accepted.filter(pk__in=[v for v in missing if v.isdigit()])
            rows += [(pk, self.label(*rest)) for pk, *rest in extra.values_list("pk", *self.fields)]
        empty = self.choices.field.empty_label  # type: ignore[attr-defined]
        if empty is not None:
            rows.insert(0, ("", empty))
        # The standard library's escape (the same five characters as Django's), without the lazy-text
        # checks of Django's, which cost more than the thousands of options themselves.
        options = "".join(
            f'<option value="{html.escape(str(key))}"{" selected" if str(key) in selected else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in rows
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # every value above is escaped


class DeferredChoiceField(forms.ModelChoiceField):
    """A model choice whose queryset the form gives as a function (`build`), called the first time
    the queryset is needed: to check a value, or to render the options.

    The list's filter form offers leaders, owners and directives that most requests neither set
    nor show (they sit behind "More filters"); building the querysets of a unit head's reach for
    each form cost 1.6 ms of a list page.
    """

    _queryset: QuerySet[Any] | None  # ModelChoiceField's, which its stubs do not declare

    def __init__(self, **kwargs: Any) -> None:
        self.build: Callable[[], QuerySet[Any]] | None = None
        super().__init__(queryset=None, **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> DeferredChoiceField:
        result: DeferredChoiceField = super().__deepcopy__(memo)  # type: ignore[misc]
        result.widget.choices = result.choices  # options of the copy's queryset, not the original's
        return result

    @property  # type: ignore[override]
    def queryset(self) -> QuerySet[Any] | None:
        if self._queryset is None and self.build is not None:
            self._set_queryset(self.build())  # type: ignore[attr-defined]
        return self._queryset

    @queryset.setter
    def queryset(self, queryset: QuerySet[Any] | None) -> None:
        self._set_queryset(queryset)  # type: ignore[attr-defined]


def _unit_label(name: str, path: str) -> str:
    """A unit's name, indented by its depth in the tree."""
    return "　" * max(path.count("/") - 2, 0) + name


# The item list's filters -------------------------------------------------------------------------

SORT_LABELS = {
    "deadline": _("Deadline, earliest first"),
    "-deadline": _("Deadline, latest first"),
    "code": _("Code"),
    "-code": _("Code, newest first"),
    "title": _("Title"),
    "unit": _("Lead unit"),
    "state": _("State"),
    "updated": _("Recently changed"),
}


class ItemFilterForm(forms.Form):
    """The item list's filters (GET). `filters()` turns them into the selector's `ItemFilters`.

    The Excel export reads the same query string through this form, so a download holds exactly
    the rows the list shows.
    """

    q = forms.CharField(label=_("Search"), required=False)
    zone = forms.ModelChoiceField(
        label=_("Zone"), queryset=Zone.objects.none(), required=False, widget=RowsSelect()
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        widget=RowsSelect(("name", "path"), _unit_label),
    )
    light = forms.MultipleChoiceField(
        label=_("Light"), choices=Light.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    state = forms.MultipleChoiceField(
        label=_("State"), choices=ItemState.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    leader = DeferredChoiceField(label=_("Leader in charge"), required=False, widget=RowsSelect())
    owner = DeferredChoiceField(label=_("Owner"), required=False, widget=RowsSelect())
    # Not a select: a directive's items are reached from its page (thousands of directives make no
    # usable list of options). The list keeps the filter and shows it as a chip that removes it.
    directive = DeferredChoiceField(label=_("Directive"), required=False, widget=forms.HiddenInput)
    deadline_from = forms.DateField(
        label=_("Deadline from"), required=False, widget=forms.DateInput(attrs=DATE)
    )
    deadline_to = forms.DateField(label=_("Deadline to"), required=False, widget=forms.DateInput(attrs=DATE))
    sort = forms.ChoiceField(label=_("Sort by"), choices=list(SORT_LABELS.items()), required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.visible_to(person).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = Unit.objects.visible_to(person).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["leader"].build = leaders  # type: ignore[attr-defined]
        # Owners of items the person can see: it leaks nobody new.
        self.fields["owner"].build = lambda: Person.objects.filter(  # type: ignore[attr-defined]
            pk__in=Item.objects.visible_to(person).exclude(owner=None).values("owner_id")
        ).order_by("name")
        # With a unit chosen, offer its people, where the owners of its items come from: the
        # owners of every visible item are thousands. Any visible owner is still accepted.
        self.fields["owner"].widget.rows = self._unit_people  # type: ignore[attr-defined]
        self.fields["directive"].build = lambda: Directive.objects.visible_to(person)  # type: ignore[attr-defined]
        if not is_supervisor(person):
            self.fields["state"].choices = [c for c in ItemState.choices if c[0] != ItemState.DRAFT]  # type: ignore[attr-defined]
        self.fields["unit"].label_from_instance = lambda u: _unit_label(u.name, u.path)  # type: ignore[attr-defined]
        for name, label in (
            ("zone", _("All zones")),
            ("unit", _("All units")),
            ("leader", _("Any leader")),
            ("owner", _("Any owner")),
        ):
            self.fields[name].empty_label = label  # type: ignore[attr-defined]
        style_widgets(self)
        for name in ("light", "state"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def _unit_people(self) -> QuerySet[Person] | None:
        if not self.is_bound:
            return None
        self.is_valid()  # cleans once; a valid unit stays in cleaned_data beside an invalid field
        unit = self.cleaned_data.get("unit")
        return members_of(unit) if unit is not None else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("deadline_from"), data.get("deadline_to")
        if start and end and start > end:
            self.add_error("deadline_to", _("The end of the range is before its start."))
        return data

    def filters(self) -> ItemFilters:
        """The valid filters (an invalid field is ignored and shows its error)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = self.cleaned_data
        return ItemFilters(
            zone=data.get("zone"),
            unit=data.get("unit"),
            lights=list(data.get("light") or []),
            states=list(data.get("state") or []),
            leader=data.get("leader"),
            owner=data.get("owner"),
            directive=data.get("directive"),
            deadline_from=data.get("deadline_from"),
            deadline_to=data.get("deadline_to"),
            q=data.get("q") or "",
            sort=str(data.get("sort") or "") if data.get("sort") in SORTS else "deadline",
        )

    @property
    def advanced_used(self) -> bool:
        """Whether a filter behind "More filters" is set, so that panel opens."""
        return any(
            self.data.get(name) for name in ("state", "leader", "owner", "deadline_from", "deadline_to")
        )


# Directives and items ----------------------------------------------------------------------------


class DirectiveForm(VersionedModelForm):
    class Meta:
        model = Directive
        fields = [
            "title",
            "text",
            "source_kind",
            "source_title",
            "source_date",
            "source_issuer",
            "issuing_unit",
            "due_date",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4}),
            "source_date": forms.DateInput(attrs=DATE),
            "due_date": forms.DateInput(attrs=DATE),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_date"].widget.format = "%Y-%m-%d"  # type: ignore[attr-defined]
        self.fields["due_date"].widget.format = "%Y-%m-%d"  # type: ignore[attr-defined]
        self.fields["issuing_unit"].queryset = Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]


class ItemForm(VersionedModelForm):
    """The fields a supervisor edits, plus the supporting units (saved separately by the service)."""

    class Meta:
        model = Item
        fields = [
            "directive",
            "title",
            "description",
            "category",
            "zone",
            "lead_unit",
            "support_units",
            "leader",
            "target_metric",
            "target_value",
            "target_unit",
            "target_text",
            "start_date",
            "deadline",
            "report_cycle",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "target_text": forms.Textarea(attrs={"rows": 2}),
            "start_date": forms.DateInput(attrs=DATE),
            "deadline": forms.DateInput(attrs=DATE),
            "support_units": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {
            "target_value": _("For a measurable target. Leave empty for a qualitative result."),
            "support_units": _("Hold Ctrl (⌘ on a Mac) to choose several."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = Unit.objects.filter(is_active=True)
        self.fields["lead_unit"].queryset = active  # type: ignore[attr-defined]
        self.fields["support_units"].queryset = active  # type: ignore[attr-defined]
        self.fields["zone"].queryset = Zone.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["leader"].queryset = leaders()  # type: ignore[attr-defined]
        self.fields["directive"].queryset = Directive.objects.all()  # type: ignore[attr-defined]
        for name in ("lead_unit", "support_units"):
            self.fields[name].label_from_instance = lambda u: "　" * max(u.depth, 0) + u.name  # type: ignore[attr-defined]
        for name in ("start_date", "deadline"):
            self.fields[name].widget.format = "%Y-%m-%d"  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in super().changes().items() if k != "support_units"}

    def support_units(self) -> list[Unit]:
        return list(self.cleaned_data.get("support_units") or [])


# Actions on an item --------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files in one field; their type and size are checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ActionForm(StyledForm):
    """An action on an item: it carries the version the person saw, so a stale click is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, item: Item, person: Person, **kwargs: Any) -> None:
        self.item = item
        self.person = person
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", item.version)
        super().__init__(*args, **kwargs)


class PublishForm(ActionForm):
    lead_unit = forms.ModelChoiceField(
        label=_("Lead unit"), queryset=Unit.objects.none(), widget=RowsSelect(("name", "path"), _unit_label)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["lead_unit"].initial = self.item.lead_unit_id
        self.fields["lead_unit"].label_from_instance = lambda u: _unit_label(u.name, u.path)  # type: ignore[attr-defined]


class ClaimForm(ActionForm):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Person.objects.none(),
        help_text=_("The person in your unit who will carry the item and report on it."),
        widget=RowsSelect(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_of(self.item.lead_unit)  # type: ignore[attr-defined]


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoInputForm(ActionForm):
    """Start and resume: the click and the version are all there is."""


class AssignForm(ActionForm):
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=Person.objects.none(), required=False, widget=RowsSelect()
    )
    leader = forms.ModelChoiceField(
        label=_("Leader in charge"), queryset=Person.objects.none(), required=False, widget=RowsSelect()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_of(self.item.lead_unit)  # type: ignore[attr-defined]
        self.fields["owner"].initial = self.item.owner_id
        if is_supervisor(self.person):
            self.fields["leader"].queryset = leaders()  # type: ignore[attr-defined]
            self.fields["leader"].initial = self.item.leader_id
        else:
            del self.fields["leader"]


STEP_LINE = re.compile(r"^(?P<title>.+?)\s*[|｜,，;；\t]\s*(?P<offset>\d+)\s*$")


class PlanForm(ActionForm):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=MilestoneTemplate.objects.all(), required=False
    )
    steps = forms.CharField(
        label=_("Or your own steps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "完成方案编制 | 20\n组织专家评审 | 10"}),
        help_text=_(
            "One step a line: the title, a bar, and how many working days before the deadline it is due."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].label_from_instance = lambda t: f"{t.name}（{len(t.steps)}）"  # type: ignore[attr-defined]

    def clean_steps(self) -> list[dict[str, Any]] | None:
        text = self.cleaned_data.get("steps") or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            return None
        steps = []
        for number, line in enumerate(lines, start=1):
            match = STEP_LINE.match(line)
            if not match:
                raise ValidationError(
                    _("Line %(n)d: write the title, a bar and a number of working days, e.g. “评审 | 10”.")
                    % {"n": number}
                )
            steps.append({"title": match["title"], "offset": int(match["offset"])})
        return steps

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("template") and data.get("steps"):
            raise ValidationError(_("Choose a template or write steps, not both."))
        return data


class ReportForm(ActionForm):
    done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}))
    problems = forms.CharField(label=_("Problems"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    percent = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100)
    evidence = MultipleFileField(
        label=_("Evidence"), help_text=_("PDF, JPG, PNG, DOCX or XLSX, at most 20 MB each.")
    )


class CloseOutForm(ActionForm):
    actual_value = forms.DecimalField(
        label=_("Actual value"), required=False, max_digits=14, decimal_places=2
    )
    actual_text = forms.CharField(
        label=_("Actual result"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = MultipleFileField(
        label=_("Evidence"), help_text=_("PDF, JPG, PNG, DOCX or XLSX, at most 20 MB each.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item = self.item
        if item.is_quantitative:
            self.fields["actual_value"].label = _(
                "Actual value of %(metric)s (target %(value)s %(unit)s)"
            ) % {
                "metric": item.target_metric,
                "value": item.target_value,
                "unit": item.target_unit,
            }
        else:
            del self.fields["actual_value"]


class VerifyForm(ActionForm):
    target_met = forms.TypedChoiceField(
        label=_("Was the target met?"),
        choices=[("yes", _("Yes, the target was met")), ("no", _("No, the target was not met"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.item.is_quantitative:
            # The numbers decide a measurable target; the supervisor only confirms.
            del self.fields["target_met"]
        else:
            self.fields["target_met"].widget.attrs["class"] = "form-check-input"


class RequestChangeForm(ActionForm):
    kind = forms.ChoiceField(label=_("Request"), choices=ChangeKind.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DecideChangeForm(ActionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the request")), ("reject", _("Reject the request"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = "form-check-input"


class MilestoneForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcknowledgeForm(StyledForm):
    recovery_plan = forms.CharField(label=_("Recovery plan"), widget=forms.Textarea(attrs={"rows": 2}))


# Promise-keeping periods ---------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """A month, a quarter or a year (this year by default)."""

    period = forms.ChoiceField(
        label=_("Period"),
        choices=[("year", _("Year")), ("quarter", _("Quarter")), ("month", _("Month"))],
        required=False,
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int, required=False
    )
    month = forms.TypedChoiceField(
        label=_("Month"), choices=[(m, f"{m:02d}") for m in range(1, 13)], coerce=int, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def bounds(self) -> tuple[str, int, int, datetime.date, datetime.date]:
        """(period, year, number, start, end); anything missing or invalid falls back to today's."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        period = data.get("period") or "year"
        year = data.get("year") or today.year
        if period == "month":
            month = data.get("month") or today.month
            start = datetime.date(year, month, 1)
            end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            return period, year, month, start, end
        if period == "quarter":
            quarter = data.get("quarter") or (today.month - 1) // 3 + 1
            start = datetime.date(year, 3 * quarter - 2, 1)
            end = (datetime.date(year, 3 * quarter, 1) + datetime.timedelta(days=32)).replace(
                day=1
            ) - datetime.timedelta(days=1)
            return period, year, quarter, start, end
        return "year", year, 0, datetime.date(year, 1, 1), datetime.date(year, 12, 31)
