"""The kanban at scale: each column's newest cards with their stale state, in three queries, and a
zone's projects seen exactly as `visible_to` decides."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import SmallOrg
from luoshi.investment import services
from luoshi.investment.models import Project
from luoshi.investment.selectors import ProjectFilters, kanban, project_list

from .test_services import SH, new

D = datetime.date
pytestmark = pytest.mark.django_db
TODAY = D(2026, 5, 20)


def _touch(org: SmallOrg, project: Project, on: D) -> None:
    """A follow-up on `on`, and an edit of the project at noon that day (its latest change)."""
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(12), tzinfo=SH), tick=False):
        services.follow_up_add(
            actor=org.staff, project=project, date=on, form="phone", people_met="王总", outcome="有意向"
        )
        project = Project.objects.get(pk=project.pk)
        services.project_update(
            actor=org.staff,
            project=project,
            expected_version=project.version,
            changes={"description": f"{on} 回访"},
        )


def _leads(org: SmallOrg, n: int) -> list[Project]:
    with time_machine.travel(datetime.datetime(2026, 1, 5, 9, tzinfo=SH), tick=True):
        return [new(org, amount=str(100 + i)) for i in range(n)]


def test_the_cards_are_the_newest_of_each_column_with_their_stale_state(org: SmallOrg) -> None:
    leads = _leads(org, 5)
    for day, project in enumerate(leads[:3], start=1):
        _touch(org, project, D(2026, 5, day))  # the three touched last are the newest, 3 first
    (column, *_rest) = kanban(person=org.supervisor, zone=org.zone_a, per_column=3, today=TODAY)
    assert column.count == 5 and column.amount == Decimal(100 + 101 + 102 + 103 + 104)
    assert [c.pk for c in column.cards] == [leads[2].pk, leads[1].pk, leads[0].pk]
    # The same state the project list derives: touched in May is fresh; untouched since January is red.
    expected = {p.pk: p.stale for p in project_list(person=org.supervisor, today=TODAY)}
    assert all(card.stale == expected[card.pk] == "" for card in column.cards)
    (all_cards, *_rest) = kanban(person=org.supervisor, zone=org.zone_a, per_column=5, today=TODAY)
    assert {c.pk: c.stale for c in all_cards.cards} == expected
    assert expected[leads[4].pk] == "red"


def test_no_cards_asked_for_means_only_the_totals(org: SmallOrg) -> None:
    _leads(org, 2)
    assert org.supervisor.scope.everything  # worked out once per person, before the board
    with CaptureQueriesContext(connection) as captured:
        (column, *_rest) = kanban(person=org.supervisor, zone=org.zone_a, per_column=0, today=TODAY)
    assert (column.count, column.cards, len(captured.captured_queries)) == (2, [], 1)


@pytest.mark.parametrize("person", ["supervisor", "other_staff", "staff", "head"])
def test_the_board_makes_three_queries_whatever_the_number_of_projects(org: SmallOrg, person: str) -> None:
    who = getattr(org, person)
    assert who.scope.internal  # worked out once per person, before the board

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            kanban(person=who, zone=org.zone_b, today=TODAY)
        return len(captured.captured_queries)

    new(org, zone=org.zone_b)
    few = queries()
    for _ in range(12):
        new(org, zone=org.zone_b)
    assert few == queries() == 3


@pytest.mark.parametrize("person", ["supervisor", "principal", "other_staff", "staff", "head", "enterprise"])
def test_a_zone_is_seen_as_visible_to_says(org: SmallOrg, person: str) -> None:
    who = getattr(org, person)
    new(org, name="甲片区项目", zone=org.zone_a)
    new(org, name="乙片区招商局项目", zone=org.zone_b)  # owned by the bureau's staff, in zone B
    services.project_create(
        actor=org.other_staff,
        name="乙片区自招项目",
        investor="x",
        origin="中国大陆",
        industry="建材",
        zone=org.zone_b,
        planned_investment=Decimal("10"),
    )
    for zone in (org.zone_a, org.zone_b):
        in_zone = set(Project.objects.visible_in_zone(who, zone).values_list("pk", flat=True))
        assert in_zone == set(Project.objects.visible_to(who).filter(zone=zone).values_list("pk", flat=True))
        listed = project_list(person=who, filters=ProjectFilters(zone=zone), today=TODAY)
        assert set(listed.values_list("pk", flat=True)) == in_zone
