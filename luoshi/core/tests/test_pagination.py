"""The paginator that reads the total with the page gives exactly the pages Django's gives."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import SmallOrg
from luoshi.core.views import TotalWithPage
from luoshi.org.models import Unit

pytestmark = pytest.mark.django_db


def shown(page: Any) -> list[Any]:
    return [row["pk"] if isinstance(row, dict) else row.pk for row in page.object_list]


@pytest.mark.parametrize("as_rows", [False, True])
def test_every_page_number_gives_what_djangos_paginator_gives(org: SmallOrg, as_rows: bool) -> None:
    units = Unit.objects.order_by("path")
    if as_rows:
        units = units.values("pk", "name")  # type: ignore[assignment]
    total = units.count()
    assert total >= 5
    per_page = 2
    last = (total + per_page - 1) // per_page
    for number in [None, "", "abc", "-3", 0, 1, 2, last, last + 1, 99]:
        expected = Paginator(units, per_page).get_page(number)
        page = TotalWithPage(units, per_page).get_page(number)
        assert (page.number, shown(page)) == (expected.number, shown(expected)), number
        assert page.paginator.count == total and page.paginator.num_pages == last, number
        assert (page.has_next(), page.start_index(), page.end_index()) == (
            expected.has_next(),
            expected.start_index(),
            expected.end_index(),
        )


def test_a_page_in_range_takes_one_query_and_nothing_matching_gives_an_empty_first_page(
    org: SmallOrg,
) -> None:
    units = Unit.objects.order_by("path")
    with CaptureQueriesContext(connection) as queries:
        page = TotalWithPage(units, 2).get_page(2)
    assert len(queries) == 1 and "COUNT(" in queries[0]["sql"] and "OVER ()" in queries[0]["sql"]
    assert len(page.object_list) == 2

    empty = TotalWithPage(units.filter(name="没有这个单位"), 2).get_page(3)
    assert (empty.number, list(empty.object_list), empty.paginator.count) == (1, [], 0)
