"""Reading a list's filters from a query string (a page's GET) or from the dictionary an export job
kept of it: each filter may come as `name` or `name_id` (the API's spelling), once or repeated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import QueryDict


def param_values(params: Mapping[str, Any], name: str) -> list[str]:
    """Every non-blank value given for `name` or `name_id`, stripped."""
    if isinstance(params, QueryDict):
        values = params.getlist(name) + params.getlist(f"{name}_id")
    else:
        raw = [params.get(name), params.get(f"{name}_id")]
        values = [v for r in raw for v in (r if isinstance(r, list | tuple) else [r])]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def param_first(params: Mapping[str, Any], name: str) -> str:
    """The first of them, or ""."""
    values = param_values(params, name)
    return values[0] if values else ""


def filter_query_string(params: Mapping[str, Any], names: Iterable[str]) -> str:
    """Only the filter parameters `names` of a query string (no page number, no stray keys), encoded."""
    query = QueryDict(mutable=True)
    for name in names:
        for value in param_values(params, name):
            query.appendlist(name, value)
    return query.urlencode()
