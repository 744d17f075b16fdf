"""HTML forms of the organisation pages. They only collect input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import StyledForm, style_widgets

from .models import Person, Role, Unit, Zone


class VersionedModelForm(forms.ModelForm):
    """Carries the version the user read, so a stale save is refused instead of overwriting."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        style_widgets(self)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk and cleaned.get("version") is None:
            # Without the version it was read at, the edit could overwrite someone else's change.
            raise forms.ValidationError(
                _("This form is out of date. Reload the page and make your change again.")
            )
        return cleaned

    def _post_clean(self) -> None:
        # The instance stays untouched: the service applies and validates the changes (and
        # snapshots the record's state before them).
        pass

    def changes(self) -> dict[str, Any]:
        """The edited model fields, for the update service."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}  # type: ignore[union-attr]


class ZoneForm(VersionedModelForm):
    class Meta:
        model = Zone
        fields = ["code", "name", "positioning", "industries", "sort"]
        widgets = {"positioning": forms.Textarea(attrs={"rows": 3})}


class UnitForm(VersionedModelForm):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "zone", "phone", "description", "sort"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["zone"].queryset = Zone.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["parent"].label_from_instance = lambda u: "　" * max(u.depth, 0) + u.name  # type: ignore[attr-defined]


class PersonForm(VersionedModelForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to create the account without a password; it can be set later."),
    )

    class Meta:
        model = Person
        fields = ["username", "name", "email", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["password"]
            self.fields["username"].disabled = True


class PositionForm(StyledForm):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    is_principal = forms.BooleanField(label=_("Principal leader"), required=False)

    def __init__(self, *args: Any, units: Any = None, roles: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if roles is not None:
            self.fields["role"].choices = [(r, label) for r, label in Role.choices if r in roles]  # type: ignore[attr-defined]


PositionFormSet = forms.formset_factory(PositionForm, extra=1, can_delete=True)


class OversightForm(StyledForm):
    units = forms.ModelMultipleChoiceField(
        label=_("Units overseen"),
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )


class PasswordResetForm(StyledForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)


class UnitSelect(forms.Select):
    """The directory's unit filter: every unit the person sees, 500 in a large organisation.

    Its options are written from (id, name) rows: a model instance and a template per option made
    this one field cost more than the rest of the page (see bench/).
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        field = self.choices.field  # type: ignore[attr-defined]  # the field's ModelChoiceIterator
        rows: list[tuple[Any, Any]] = list(self.choices.queryset.values_list("pk", "name"))  # type: ignore[attr-defined]
        if field.empty_label is not None:
            rows.insert(0, ("", field.empty_label))
        selected = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in selected else ""}>{escape(label)}</option>'
            for key, label in rows
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # every value above is escaped


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, widget=UnitSelect
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("All roles")), *Role.choices], required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.visible_to(person).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["unit"].empty_label = _("All units")  # type: ignore[attr-defined]
        style_widgets(self)
