"""HTML forms of the service desk. They only collect input; the services decide and say what is wrong.

Text fields the services check (a title, a reply, a reason …) are not required here, so that the
person reads the service's own precise message rather than a generic “this field is required”.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import StyledForm, style_widgets
from luoshi.org.forms import UnitSelect, VersionedModelForm
from luoshi.org.models import Person, Role, Unit, Zone
from luoshi.worklist.forms import MultipleFileField, PeriodForm

from .models import Category, Channel, Enterprise, RequestState, ServiceRequest, Stage

DATE = {"type": "date"}
FILES_HELP = _("PDF, JPG, PNG, DOCX or XLSX, at most 20 MB each. You can choose several.")
LOW_RATING_RULE = _("A rating of 3 stars or less needs a comment, and sends the request back to the unit.")


def stewards() -> QuerySet[Person]:
    """Active holders of an enterprise steward's post."""
    return Person.objects.filter(positions__role=Role.STEWARD, is_active=True).distinct().order_by("name")


def _indent(unit: Unit) -> str:
    return "　" * max(unit.depth, 0) + unit.name


# Filing a request --------------------------------------------------------------------------------


class RequestForm(StyledForm):
    """A new request. An enterprise user files for their own enterprise through the portal; staff on
    its behalf also choose the enterprise (among those they may act for) and the channel."""

    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), widget=UnitSelect
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, what you need, and by when if it matters."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    attachments = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if enterprises is None:  # the enterprise's own user: their enterprise, through the portal
            del self.fields["enterprise"]
            del self.fields["channel"]
        else:
            self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
            self.fields["enterprise"].empty_label = _("Choose the enterprise")  # type: ignore[attr-defined]
        self.fields["category"].empty_label = _("Choose a category")  # type: ignore[attr-defined]
        style_widgets(self)


# Actions on a request ----------------------------------------------------------------------------


class ActionForm(StyledForm):
    """An action on a request: it carries the version the person saw, so a stale click is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, service_request: ServiceRequest, person: Person, **kwargs: Any) -> None:
        self.service_request = service_request
        self.person = person
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", service_request.version)
        super().__init__(*args, **kwargs)


class NoInputForm(ActionForm):
    """Acknowledge: the click and the version are all there is."""


class DispatchForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("Unit to handle it"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        field.queryset = Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]
        field.label_from_instance = _indent  # type: ignore[attr-defined]
        default = self.service_request.category.default_unit_id
        field.initial = default
        if default:
            field.help_text = _("Preselected: the usual unit for “%(category)s”.") % {
                "category": self.service_request.category
            }


class ReturnForm(ActionForm):
    reason = forms.CharField(
        label=_("Why it is not for your unit"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WaitForm(ActionForm):
    needed = forms.CharField(
        label=_("What the enterprise needs to provide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The resolution clock stops until the enterprise supplies it."),
    )


class ResumeForm(ActionForm):
    note = forms.CharField(
        label=_("Message to the unit"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachments = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.person.scope.internal:  # the unit resumes on its own
            self.fields["note"].label = _("Note")


class ResolveForm(ActionForm):
    reply = forms.CharField(
        label=_("Reply to the enterprise"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)


STAR_CHOICES = [(n, f"{'★' * n}{'☆' * (5 - n)} {n}") for n in range(5, 0, -1)]


class RatingFields(forms.Form):
    """1–5 stars and a comment; the rule for low ratings is stated on the form."""

    stars = forms.TypedChoiceField(
        label=_("Stars"),
        choices=STAR_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=LOW_RATING_RULE,
    )


class RateForm(ActionForm, RatingFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stars"].widget.attrs["class"] = "form-check-input"


class RateByLinkForm(RatingFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)
        self.fields["stars"].widget.attrs["class"] = "form-check-input"


class CloseForm(ActionForm):
    note = forms.CharField(
        label=_("Follow-up call"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the enterprise said when you called back."),
    )


class EscalateForm(ActionForm):
    title = forms.CharField(label=_("Item title"), max_length=200, required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    lead_unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sr = self.service_request
        self.fields["title"].initial = sr.title
        self.fields["lead_unit"].queryset = Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["lead_unit"].label_from_instance = _indent  # type: ignore[attr-defined]
        self.fields["lead_unit"].initial = sr.unit_id
        self.fields["lead_unit"].help_text = _("Empty: the unit handling the request.")


# Lists -------------------------------------------------------------------------------------------


class RequestFilterForm(forms.Form):
    """The request list's filters (GET). The enterprise comes from a link (an enterprise's page)."""

    q = forms.CharField(label=_("Search"), required=False)
    state = forms.MultipleChoiceField(
        label=_("State"), choices=RequestState.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, widget=UnitSelect
    )
    enterprise = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: QuerySet[Unit] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
            self.fields["unit"].empty_label = _("All units")  # type: ignore[attr-defined]
        style_widgets(self)
        self.fields["state"].widget.attrs["class"] = "btn-check"

    def values(self) -> dict[str, Any]:
        """The valid filters (an invalid one is ignored)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return getattr(self, "cleaned_data", {})


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    zone = forms.ModelChoiceField(
        label=_("Zone"), queryset=Zone.objects.filter(is_active=True), required=False
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("All stages")), *Stage.choices], required=False
    )
    steward = forms.ModelChoiceField(label=_("Steward"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, industries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", _("All industries")), *((i, i) for i in industries)]  # type: ignore[attr-defined]
        self.fields["steward"].queryset = stewards()  # type: ignore[attr-defined]
        self.fields["zone"].empty_label = _("All zones")  # type: ignore[attr-defined]
        self.fields["steward"].empty_label = _("Any steward")  # type: ignore[attr-defined]
        style_widgets(self)

    def values(self) -> dict[str, Any]:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return getattr(self, "cleaned_data", {})


class RatesForm(PeriodForm):
    """A month, quarter or year (this month by default), by unit or by zone."""

    by = forms.ChoiceField(
        label=_("Rank"), choices=[("unit", _("By unit")), ("zone", _("By zone"))], required=False
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            data = data.copy()
            if not data.get("period"):
                data["period"] = "month"
        else:
            data = {"period": "month"}
        super().__init__(data, *args, **kwargs)

    @property
    def by_value(self) -> str:
        value = self.data.get("by")
        return value if value in ("unit", "zone") else "unit"


# Enterprises -------------------------------------------------------------------------------------


class EnterpriseForm(VersionedModelForm):
    """Add or edit an enterprise. The code is checked by the service (GB 32100-2015), whose message
    says exactly what is wrong, so the field itself accepts any length."""

    uscc = forms.CharField(
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}
        ),
        help_text=_("18 characters, e.g. 91210213MA0XXXXXXX; the last one is a check character."),
    )

    class Meta:
        model = Enterprise
        fields = ["name", "uscc", "zone", "industry", "stage", "steward", "address", "legal_representative"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["uscc"].label = capfirst(Enterprise._meta.get_field("uscc").verbose_name)
        self.fields["zone"].queryset = Zone.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["steward"].queryset = stewards()  # type: ignore[attr-defined]


class ContactForm(StyledForm):
    name = forms.CharField(label=_("Contact name"), max_length=50, required=False)
    title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("phone"):
            self.add_error("phone", _("Give the contact's phone number."))
        if data.get("phone") and not data.get("name"):
            self.add_error("name", _("Give the contact's name."))
        return data


ContactFormSet = forms.formset_factory(ContactForm, extra=2)
