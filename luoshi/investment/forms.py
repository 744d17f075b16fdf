"""HTML forms of investment attraction. They only collect input; the services decide."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import StyledForm, style_widgets
from luoshi.org.forms import VersionedModelForm
from luoshi.org.models import Person, Role, Unit, Zone

from .models import STAGES, DocumentKind, FollowUpForm, Project, Stage
from .selectors import ProjectFilters


def date_input() -> forms.DateInput:
    """A browser date picker; its value must be ISO whatever the language's date format."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"
STALE_CHOICES = [
    ("", _("Any follow-up state")),
    ("any", _("Stale (yellow or red)")),
    ("yellow", _("Yellow: quiet for N days")),
    ("red", _("Red: quiet for 2N days")),
]


def _government_people() -> QuerySet[Person]:
    """Active people holding a post in a government unit: who may answer for a project."""
    return (
        Person.objects.filter(is_active=True, positions__unit__isnull=False)
        .exclude(positions__role=Role.ENTERPRISE)
        .distinct()
        .order_by("name")
    )


def _leaders() -> QuerySet[Person]:
    return Person.objects.filter(positions__role=Role.LEADER, is_active=True).distinct().order_by("name")


# The project list's filters -----------------------------------------------------------------------


class ProjectFilterForm(forms.Form):
    """The project list's filters (GET), turned into the selector's `ProjectFilters` by `filters()`.

    The Excel export reads the same query string, so a download holds exactly the rows the list shows.
    """

    q = forms.CharField(label=_("Search"), required=False)
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none(), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    stage = forms.MultipleChoiceField(
        label=_("Stage"), choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    origin = forms.ChoiceField(label=_("Origin"), required=False)
    owner = forms.ModelChoiceField(
        label=_("Person responsible"), queryset=Person.objects.none(), required=False
    )
    amount_min = forms.DecimalField(label=_("Planned amount from (10k yuan)"), required=False, min_value=0)
    amount_max = forms.DecimalField(label=_("Planned amount to (10k yuan)"), required=False, min_value=0)
    stale = forms.ChoiceField(label=_("Follow-up"), choices=STALE_CHOICES, required=False)
    include_lost = forms.BooleanField(label=_("Include lost projects"), required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible = Project.objects.visible_to(person)
        self.fields["zone"].queryset = Zone.objects.visible_to(person).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["zone"].empty_label = _("All zones")  # type: ignore[attr-defined]
        industries = visible.order_by("industry").values_list("industry", flat=True).distinct()
        self.fields["industry"].choices = [("", _("All industries")), *((i, i) for i in industries)]  # type: ignore[attr-defined]
        origins = visible.order_by("origin").values_list("origin", flat=True).distinct()
        self.fields["origin"].choices = [("", _("All origins")), *((o, o) for o in origins)]  # type: ignore[attr-defined]
        # The people answering for projects the person can see: a short list that leaks nobody new.
        self.fields["owner"].queryset = Person.objects.filter(pk__in=visible.values("owner_id")).order_by(  # type: ignore[attr-defined]
            "name"
        )
        self.fields["owner"].empty_label = _("Anyone")  # type: ignore[attr-defined]
        style_widgets(self)
        self.fields["stage"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The end of the range is below its start."))
        return data

    def filters(self) -> ProjectFilters:
        """The valid filters (an invalid field is ignored and shows its error)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = self.cleaned_data
        return ProjectFilters(
            zone=data.get("zone"),
            industry=data.get("industry") or "",
            stages=list(data.get("stage") or []),
            origin=data.get("origin") or "",
            owner=data.get("owner"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            stale=data.get("stale") or "",
            include_lost=bool(data.get("include_lost")),
            q=data.get("q") or "",
        )

    @property
    def advanced_used(self) -> bool:
        """Whether a filter behind "More filters" is set, so that panel opens."""
        return any(
            self.data.get(name)
            for name in ("industry", "origin", "owner", "amount_min", "amount_max", "include_lost")
        )


# Adding and editing a project ---------------------------------------------------------------------


class ProjectForm(VersionedModelForm):
    """A project's facts. Its stage changes only through a move."""

    lead_on = forms.DateField(
        label=_("Lead date"),
        required=False,
        widget=date_input(),
        help_text=_("When the lead was obtained. Today if left empty."),
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "investor",
            "origin",
            "industry",
            "zone",
            "source",
            "planned_investment",
            "expected_output",
            "expected_jobs",
            "unit",
            "owner",
            "leader",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: Project = self.instance
        keep_unit = Q(pk=instance.unit_id) if instance.pk else Q(pk__in=[])
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            Q(pk__in=Unit.objects.visible_to(person).filter(is_active=True).values("pk")) | keep_unit
        )
        self.fields["unit"].label_from_instance = lambda u: "　" * max(u.depth, 0) + u.name  # type: ignore[attr-defined]
        keep_owner = Q(pk=instance.owner_id) if instance.pk else Q(pk=person.pk)
        self.fields["owner"].queryset = _government_people().filter(  # type: ignore[attr-defined]
            Q(pk__in=Person.objects.visible_to(person).values("pk")) | keep_owner
        )
        self.fields["leader"].queryset = _leaders()  # type: ignore[attr-defined]
        self.fields["zone"].queryset = Zone.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if instance.pk:
            del self.fields["lead_on"]
        else:
            self.fields["owner"].initial = person.pk
            self.fields["owner"].required = False
            self.fields["owner"].help_text = _("You, if left empty.")
            self.fields["unit"].required = False
            self.fields["unit"].help_text = _("The unit of the person responsible, if left empty.")
            self.fields["lead_on"].initial = timezone.localdate()
            self.order_fields(["lead_on", *self.Meta.fields])  # the date a lead comes in goes first


# Actions on a project -----------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files in one field; their type and size are checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProjectActionForm(StyledForm):
    """An action on a project: it carries the version the person saw, so a stale click is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        self.project = project
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", project.version)
        super().__init__(*args, **kwargs)


def _file(label: Any) -> forms.FileField:
    return forms.FileField(
        label=label, required=False, widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT})
    )


class MoveForm(ProjectActionForm):
    """Move a project to a later stage, asking for exactly what the service needs for that move.

    The fields depend on the project and the stage it goes to: the agreement and the contracted
    amount for signing, the business licence and its USCC for registration, the permit or site
    photos for the start of construction, a reason for a move that skips stages. The form checks
    only types; the service decides and its refusal is shown on the form.
    """

    to_stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices, widget=forms.HiddenInput)
    moved_on = forms.DateField(label=_("Date reached"), widget=date_input(), required=False)
    reason = forms.CharField(
        label=_("Reason for skipping stages"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    contracted_amount = forms.DecimalField(
        label=_("Contracted amount (10k yuan)"), required=False, max_digits=14, decimal_places=2
    )
    agreement = _file(DocumentKind.AGREEMENT.label)
    licence = _file(DocumentKind.LICENCE.label)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("The 18 characters on the business licence."),
    )
    enterprise_name = forms.CharField(
        label=_("Enterprise name"),
        max_length=200,
        required=False,
        help_text=_("As on the business licence. The investor's name if left empty."),
    )
    permit = _file(DocumentKind.PERMIT.label)
    photos = MultipleFileField(label=_("Site photos"))

    def __init__(self, *args: Any, to_stage: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("to_stage", to_stage)
        kwargs["initial"].setdefault("moved_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.target_stage = to_stage
        self.needs = needs_for_move(self.project, to_stage)
        for name, fields in (
            ("reason", ["reason"]),
            ("contracted_amount", ["contracted_amount"]),
            ("agreement", ["agreement"]),
            ("licence", ["licence"]),
            ("uscc", ["uscc", "enterprise_name"]),
            ("site_evidence", ["permit", "photos"]),
        ):
            if name not in self.needs:
                for field in fields:
                    del self.fields[field]
        # What the service will refuse the move without (the permit or photos: one of the two).
        self.required_names = self.needs & {"reason", "contracted_amount", "agreement", "licence", "uscc"}
        if "contracted_amount" in self.fields and self.project.planned_investment:
            self.fields["contracted_amount"].widget.attrs["placeholder"] = format(
                self.project.planned_investment.normalize(), "f"
            )
        if "photos" in self.fields:
            self.fields["photos"].help_text = _("A construction permit or site photos.")

    def documents(self) -> list[tuple[str, UploadedFile]]:
        """The evidence as (kind, file) pairs for the service."""
        data = self.cleaned_data
        documents: list[tuple[str, UploadedFile]] = []
        for field, kind in (
            ("agreement", DocumentKind.AGREEMENT),
            ("licence", DocumentKind.LICENCE),
            ("permit", DocumentKind.PERMIT),
        ):
            if data.get(field):
                documents.append((kind, data[field]))
        documents.extend((DocumentKind.PHOTO, f) for f in data.get("photos") or [])
        return documents


def needs_for_move(project: Project, to_stage: str) -> set[str]:
    """What a move of this project to `to_stage` must be given (mirrors `services.project_move`)."""
    if to_stage not in STAGES:
        return set()
    here, there = STAGES.index(project.stage), STAGES.index(to_stage)
    signed, registered = STAGES.index(Stage.SIGNED), STAGES.index(Stage.REGISTERED)
    needs: set[str] = set()
    if there > here + 1:
        needs.add("reason")
    if to_stage == Stage.SIGNED or (there > signed and project.contracted_amount is None):
        needs.add("contracted_amount")
    if to_stage == Stage.SIGNED:
        needs.add("agreement")
    if to_stage == Stage.REGISTERED:
        needs.add("licence")
    if there >= registered and project.enterprise_id is None:
        needs.add("uscc")
    if to_stage == Stage.STARTED:
        needs.add("site_evidence")
    return needs


class LostForm(ProjectActionForm):
    reason = forms.CharField(
        label=_("Why was it lost?"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    lost_on = forms.DateField(label=_("Lost on"), widget=date_input(), required=False)


class ReviveForm(ProjectActionForm):
    reason = forms.CharField(
        label=_("Why follow it up again?"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FollowUpAddForm(ProjectActionForm):
    date = forms.DateField(label=_("Date"), widget=date_input())
    form = forms.ChoiceField(label=_("Form of contact"), choices=FollowUpForm.choices)
    people_met = forms.CharField(label=_("People met"), max_length=200)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(
        label=_("Next step"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return value.strftime("%Y-%m")
        return super().format_value(value)  # type: ignore[no-any-return]


class InvestmentForm(ProjectActionForm):
    month = forms.DateField(label=_("Month"), widget=MonthInput(), input_formats=["%Y-%m", "%Y-%m-%d"])
    amount = forms.DecimalField(label=_("Amount invested (10k yuan)"), max_digits=14, decimal_places=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("month", timezone.localdate().replace(day=1))
        super().__init__(*args, **kwargs)


# The funnel and the targets -----------------------------------------------------------------------


class FunnelFilterForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none(), required=False)
    since = forms.DateField(label=_("Leads since"), required=False, widget=date_input())

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.visible_to(person).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["zone"].empty_label = _("All zones")  # type: ignore[attr-defined]
        style_widgets(self)


class TargetForm(StyledForm):
    """A zone's targets for a year (set by leaders and the supervision office)."""

    zone = forms.ModelChoiceField(queryset=Zone.objects.filter(is_active=True), widget=forms.HiddenInput)
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)  # of the targets read, if any
    signed_amount = forms.DecimalField(
        label=_("Signed amount (10k yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    started_count = forms.IntegerField(label=_("Projects started"), min_value=0)
    actual_investment = forms.DecimalField(
        label=_("Actual investment (10k yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    big_projects = forms.IntegerField(label=_("Projects above 100 million yuan"), min_value=0)

    def values(self) -> dict[str, Decimal | int]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("signed_amount", "started_count", "actual_investment", "big_projects")
        }
