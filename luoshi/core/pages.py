"""What the capabilities' pages share: who may see the administration's pages, links that keep the
query, the page to go back to, a form that runs a service, the action buttons of a record's page,
and the period a report page covers.

A page never writes by itself: a form collects the input and a service decides. When the service
refuses, nothing was written (its transaction was rolled back) and the page shows why.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from .errors import Conflict
from .forms import add_service_error

if TYPE_CHECKING:
    from luoshi.org.models import Person

F = TypeVar("F", bound=forms.BaseForm)
R = TypeVar("R")
T = TypeVar("T")


def staff_person(request: HttpRequest) -> Person:
    """The signed-in person, who holds a post in a government unit. The pages of the administration's
    work answer 404 to anyone else (an enterprise's own user): to them they do not exist."""
    person = cast("Person", request.user)
    if not person.scope.internal:
        raise Http404
    return person


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without these parameters and without empty values, for the links
    that keep the rest (the pages of a list, its export)."""
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name not in names:
            for value in values:
                if value:
                    query.appendlist(name, value)
    return query.urlencode()


def next_url(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: its `next` field when that is a page of this site, else `fallback`."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def run_form(
    request: HttpRequest, form: forms.BaseForm, call: Callable[[], T], *, announce_conflict: bool = True
) -> tuple[T | None, int]:
    """Validate a bound form and run its service: (result, 200) when done.

    A refusal lands on the form: (None, 400). When someone else changed the record first the answer
    is (None, 409), and the refusal is also a message, for the page that shows the record as it is
    now (unless `announce_conflict` is false: a dialog that shows the form itself).
    """
    if not form.is_valid():
        return None, 400
    try:
        return call(), 200
    except Conflict as exc:
        add_service_error(form, exc)
        if announce_conflict:
            messages.error(request, str(exc))
        return None, 409
    except ValidationError as exc:
        add_service_error(form, exc)
        return None, 400


@dataclass(frozen=True)
class Action(Generic[R, F]):
    """One thing a person can do to a record from its page: the form it needs, the service it calls
    with the person, the record and the form's data, and what the page says once it is done."""

    form: type[F]
    run: Callable[[Person, R, dict[str, Any]], Any]
    done: str | Promise
    multipart: bool = False


@dataclass(frozen=True)
class ActionButtons:
    """How a record's page lays out its actions: the first forward step offered is the main button,
    the steps that stop or undo work are red, and an action without input is a single button."""

    labels: Mapping[str, str | Promise]
    forward: Collection[str]
    stopping: Collection[str]
    no_input: type[forms.BaseForm]

    def page_forms(
        self,
        actions: Mapping[str, Action[Any, Any]],
        names: Iterable[str],
        build: Callable[[str], forms.BaseForm],
        opened: Collection[str] = (),
    ) -> dict[str, forms.BaseForm | None]:
        """The forms a record's page carries for the actions `names`: those of buttons without input
        (they hold only the version) and of the actions shown open. The others are None: their forms
        are fetched when their panel opens, since built and rendered with the page they cost more
        than the rest of it (selects of every unit, of a unit's people). `build(name)` makes one."""
        return {
            name: build(name) if actions[name].form is self.no_input or name in opened else None
            for name in names
        }

    def context(
        self,
        actions: Mapping[str, Action[Any, Any]],
        offered: Mapping[str, forms.BaseForm | None],
        bound: tuple[str, forms.BaseForm] | None,
        *,
        labels: Mapping[str, str | Promise] | None = None,
        opened: Collection[str] = (),
    ) -> dict[str, Any]:
        """The page's `actions`, one for each form `offered` and in its order, and the one that was
        refused (`bound`: its form with the errors, shown open). An action offered without a form
        (None) has its form fetched when its panel opens. `labels` overrides the usual ones; the
        actions `opened` are shown open anyway."""
        labels = labels or self.labels
        failed = bound[0] if bound else None
        shown = dict(offered)
        if bound is not None and failed in shown:
            shown[bound[0]] = bound[1]
        main = next((name for name in shown if name in self.forward), None)
        buttons = [
            {
                "name": name,
                "label": labels[name],
                "form": form,
                "multipart": actions[name].multipart,
                "simple": actions[name].form is self.no_input,
                "style": "primary"
                if name == main
                else "outline-danger"
                if name in self.stopping
                else "outline-primary",
                "danger": name in self.stopping,
                "open": name == failed or name in opened,
            }
            for name, form in shown.items()
        ]
        return {
            "actions": buttons,
            "failed": failed,
            "failed_form": bound[1] if bound else None,
            "failed_label": labels.get(failed or "", ""),
        }


def period_context(form: Any, *, years_ahead: int = 0, **keep: Any) -> dict[str, Any]:
    """What a page about a month, a quarter or a year shows of its period: the choices, the chosen
    one and its bounds, and `base` (its query, with `keep`) for the links that stay in it.

    `form` is a period form (`bounds()` gives period, year, number, start and end); the years offered
    run from three years back to `years_ahead` after this one.
    """
    period, year, number, start, end = form.bounds()
    today = timezone.localdate()
    base: dict[str, Any] = {"period": period, "year": year, **keep}
    if period in ("month", "quarter"):
        base[period] = number
    return {
        "form": form,
        "period": period,
        "year": year,
        "start": start,
        "end": end,
        "quarters": range(1, 5),
        "months": range(1, 13),
        "quarter_selected": number if period == "quarter" else (today.month - 1) // 3 + 1,
        "month_selected": number if period == "month" else today.month,
        "years": sorted({*range(today.year - 3, today.year + 1 + years_ahead), year}),
        "base": base,
        "base_query": urlencode(base),
    }
