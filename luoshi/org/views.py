"""Organisation pages: zones, the unit tree, the person directory, and the account page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.core.access import get_visible_or_404, require
from luoshi.core.audit import history_of
from luoshi.core.errors import Conflict
from luoshi.core.forms import add_service_error, style_widgets
from luoshi.core.views import paginate

from . import services
from .access import can_change_person, can_manage_org, can_manage_people_in
from .forms import (
    OversightForm,
    PasswordResetForm,
    PersonForm,
    PersonSearchForm,
    PositionFormSet,
    UnitForm,
    ZoneForm,
)
from .models import ApiToken, Person, Unit, Zone
from .selectors import person_list, unit_list, zone_list


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """What a locked account sees (django-axes calls this)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed logins: this account is locked for %(minutes)s minutes. "
        "Try again later or ask the supervision office."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "locked", "message": message, "errors": None}, status=429)
    return render(request, "registration/login.html", {"locked_message": message, "form": None}, status=429)


def _detail_context(request: HttpRequest, obj: Any, **extra: Any) -> dict[str, Any]:
    tab = request.GET.get("tab", "overview")
    context = {"object": obj, "tab": tab, **extra}
    if tab == "history":
        context["history"] = history_of(obj)
    return context


def _saved(request: HttpRequest, form: Any, call: Any) -> Any:
    """Run a service for a valid form; a refusal or a conflict lands on the form and nothing changes."""
    try:
        return call()
    except (ValidationError, Conflict) as exc:
        add_service_error(form, exc)
        if isinstance(exc, Conflict):
            messages.error(request, str(exc))
        return None


# Zones -------------------------------------------------------------------------------------------


@login_required
def zone_list_view(request: HttpRequest) -> HttpResponse:
    zones = zone_list(person=request.user)  # type: ignore[arg-type]
    return render(request, "org/zone_list.html", {"zones": zones, "can_manage": can_manage_org(request.user)})  # type: ignore[arg-type]


@login_required
def zone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    zone = get_visible_or_404(Zone.objects.all(), request.user, pk=pk)  # type: ignore[arg-type]
    units = unit_list(person=request.user).filter(zone=zone)  # type: ignore[arg-type]
    context = _detail_context(request, zone, units=units, can_manage=can_manage_org(request.user))  # type: ignore[arg-type]
    return render(request, "org/zone_detail.html", context)


@login_required
def zone_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    zone = get_visible_or_404(Zone.objects.all(), person, pk=pk) if pk else None
    require(can_manage_org(person), person, "manage_org", zone)
    form = ZoneForm(request.POST or None, instance=zone)
    if request.method == "POST" and form.is_valid():
        if zone is None:
            fields = {k: v for k, v in form.changes().items()}
            saved = _saved(request, form, lambda: services.zone_create(actor=person, **fields))
        else:
            saved = _saved(
                request,
                form,
                lambda: services.zone_update(
                    actor=person,
                    zone=zone,
                    expected_version=form.cleaned_data["version"],
                    changes=form.changes(),
                ),
            )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("org:zone_detail", saved.pk)
    return render(request, "org/object_edit.html", {"form": form, "object": zone, "kind": _("zone")})


# Units -------------------------------------------------------------------------------------------


@login_required
def unit_list_view(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    units = list(unit_list(person=person, include_inactive=request.GET.get("inactive") == "1"))
    visible = {u.pk for u in units}
    children: dict[int, list[Unit]] = {}
    for u in sorted(units, key=lambda u: (u.sort, u.name)):
        children.setdefault(u.parent_id or 0, []).append(u)
    # One flat list in tree order with each unit's depth: rendering 500 nested includes is slow.
    rows: list[tuple[Unit, int]] = []

    def walk(unit: Unit, depth: int) -> None:
        rows.append((unit, depth))
        for child in children.get(unit.pk, []):
            walk(child, depth + 1)

    for root in sorted(units, key=lambda u: (u.sort, u.name)):
        if root.parent_id not in visible:  # a unit whose parent is out of view starts its own branch
            walk(root, 0)
    return render(
        request,
        "org/unit_list.html",
        {"rows": rows, "count": len(units), "can_manage": can_manage_org(person)},
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.select_related("zone", "parent"), person, pk=pk)
    people = person_list(person=person, unit=unit)
    context = _detail_context(
        request,
        unit,
        children=unit_list(person=person).filter(parent=unit),
        people=paginate(request, people),
        leaders=Person.objects.filter(oversights__unit=unit, is_active=True),
        can_manage=can_manage_org(person),
        can_add_people=can_manage_people_in(person, unit),
    )
    return render(request, "org/unit_detail.html", context)


@login_required
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.all(), person, pk=pk) if pk else None
    require(can_manage_org(person), person, "manage_org", unit)
    initial = {"parent": request.GET.get("parent")} if unit is None else None
    form = UnitForm(request.POST or None, instance=unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        if unit is None:
            saved = _saved(request, form, lambda: services.unit_create(actor=person, **form.changes()))
        else:
            saved = _saved(
                request,
                form,
                lambda: services.unit_update(
                    actor=person,
                    unit=unit,
                    expected_version=form.cleaned_data["version"],
                    changes=form.changes(),
                ),
            )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("org:unit_detail", saved.pk)
    return render(request, "org/object_edit.html", {"form": form, "object": unit, "kind": _("unit")})


@login_required
@require_POST
def unit_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    unit = get_visible_or_404(Unit.objects.all(), person, pk=pk)
    try:
        services.unit_deactivate(actor=person, unit=unit, expected_version=_int(request.POST.get("version")))
        messages.success(request, _("The unit has been deactivated."))
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("org:unit_detail", unit.pk)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# People ------------------------------------------------------------------------------------------


@login_required
def person_list_view(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    form = PersonSearchForm(request.GET or None, person=person)
    filters = form.cleaned_data if form.is_valid() else {}
    people = person_list(
        person=person,
        q=filters.get("q") or "",
        unit=filters.get("unit"),
        role=filters.get("role") or "",
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": paginate(request, people),
        "query": query.urlencode(),
        "can_add": can_manage_org(person) or bool(person.scope.head_of_unit_ids),
    }
    template = "org/partials/person_table.html" if request.htmx else "org/person_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=pk)
    context = _detail_context(
        request,
        target,
        positions=target.positions.select_related("unit", "unit__zone"),
        oversees=target.oversights.select_related("unit"),
        can_change=can_change_person(actor, target),
        can_manage=can_manage_org(actor),
    )
    return render(request, "org/person_detail.html", context)


def _position_formset(request: HttpRequest, actor: Person, target: Person | None) -> Any:
    if can_manage_org(actor):
        units, roles = Unit.objects.filter(is_active=True), None
    else:
        units = Unit.objects.filter(pk__in=actor.scope.head_of_unit_ids, is_active=True)
        roles = services.UNIT_HEAD_GRANTABLE
    initial = (
        [
            {"unit": p.unit_id, "role": p.role, "title": p.title, "is_principal": p.is_principal}
            for p in target.positions.all()
        ]
        if target
        else []
    )
    return PositionFormSet(
        request.POST or None, initial=initial, prefix="pos", form_kwargs={"units": units, "roles": roles}
    )


def _position_specs(formset: Any) -> list[services.PositionSpec]:
    return [
        services.PositionSpec(
            unit=f.cleaned_data.get("unit"),
            role=f.cleaned_data["role"],
            title=f.cleaned_data.get("title", ""),
            is_principal=f.cleaned_data.get("is_principal", False),
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("role")
    ]


@login_required
def person_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=pk) if pk else None
    if target is not None:
        require(can_change_person(actor, target), actor, "change_person", target)
    else:
        require(can_manage_org(actor) or bool(actor.scope.head_of_unit_ids), actor, "add_person")
    form = PersonForm(request.POST or None, instance=target)
    formset = _position_formset(request, actor, target)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        specs = _position_specs(formset)
        if target is None:
            data = form.cleaned_data
            saved = _saved(
                request,
                form,
                lambda: services.person_create(
                    actor=actor,
                    username=data["username"],
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    password=data.get("password") or None,
                    positions=specs,
                ),
            )
        else:
            changes = {k: v for k, v in form.changes().items() if k != "username"}
            saved = _saved(
                request,
                form,
                lambda: services.person_update(
                    actor=actor,
                    person=target,
                    expected_version=form.cleaned_data["version"],
                    changes=changes,
                    positions=specs,
                ),
            )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("org:person_detail", saved.pk)
    return render(request, "org/person_edit.html", {"form": form, "formset": formset, "object": target})


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=pk)
    try:
        services.person_deactivate(
            actor=actor, person=target, expected_version=_int(request.POST.get("version"))
        )
        messages.success(request, _("The person has been deactivated."))
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("org:person_detail", target.pk)


@login_required
def person_oversight(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Person = request.user  # type: ignore[assignment]
    leader = get_visible_or_404(Person.objects.all(), actor, pk=pk)
    require(can_manage_org(actor), actor, "manage_org", leader)
    form = OversightForm(
        request.POST or None, initial={"units": list(leader.oversights.values_list("unit_id", flat=True))}
    )
    if request.method == "POST" and form.is_valid():
        units = list(form.cleaned_data["units"])
        if _saved(request, form, lambda: services.oversight_set(actor=actor, leader=leader, units=units)):
            messages.success(request, _("Saved."))
            return redirect("org:person_detail", leader.pk)
    return render(request, "org/object_edit.html", {"form": form, "object": leader, "kind": _("oversight")})


@login_required
def person_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Person = request.user  # type: ignore[assignment]
    target = get_visible_or_404(Person.objects.all(), actor, pk=pk)
    require(can_change_person(actor, target), actor, "change_person", target)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        if _saved(
            request, form, lambda: services.person_set_password(actor=actor, person=target, password=password)
        ):
            messages.success(request, _("The password has been set."))
            return redirect("org:person_detail", target.pk)
    return render(request, "org/object_edit.html", {"form": form, "object": target, "kind": _("password")})


# The person's own account -------------------------------------------------------------------------


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Change one's password (which ends one's other sessions) and manage API tokens."""
    person: Person = request.user  # type: ignore[assignment]
    password_form = PasswordChangeForm(person, request.POST if "old_password" in request.POST else None)
    style_widgets(password_form)
    new_key = None
    token_error = None
    if request.method == "POST":
        if "old_password" in request.POST and password_form.is_valid():
            new_password = password_form.cleaned_data["new_password1"]
            saved = _saved(
                request,
                password_form,
                lambda: services.person_set_password(actor=person, person=person, password=new_password),
            )
            if saved:
                # Keeps this session; every other session of the person is ended by the new hash.
                update_session_auth_hash(request, saved)
                messages.success(
                    request, _("Your password has been changed. Your other sessions have been logged out.")
                )
                return redirect("account")
        elif "token_name" in request.POST:
            try:
                _token, new_key = services.token_create(actor=person, name=request.POST["token_name"])
            except ValidationError as exc:
                token_error = " ".join(exc.messages)
    tokens = ApiToken.objects.filter(person=person)
    return render(
        request,
        "org/account.html",
        {
            "password_form": password_form,
            "tokens": tokens,
            "new_key": new_key,
            "token_error": token_error,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    token = ApiToken.objects.filter(pk=pk, person=person).first()
    if token is None:
        from django.http import Http404

        raise Http404
    services.token_revoke(actor=person, token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("account")
