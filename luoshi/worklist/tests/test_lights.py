"""Light rules at their boundaries, with a frozen clock, on real working days."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.conftest import SmallOrg
from luoshi.worklist import services
from luoshi.worklist.lights import Light, filter_light, light
from luoshi.worklist.models import Item
from luoshi.worklist.selectors import light_counts

from .conftest import moment, report_on

D = datetime.date
pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: D, hour: int = 10) -> datetime.datetime:
    return moment(day, hour)


def test_deadline_inside_national_day(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 10, 3), started=D(2026, 9, 24))  # a holiday Saturday
    report_on(org, item, D(2026, 9, 24))
    # 25-27 Sep are the Mid-Autumn holiday: three working days from 25 Sep reach 30 Sep only.
    assert light(item, at(D(2026, 9, 25))) == Light.GREEN
    # From 28 Sep, three working days reach 8 Oct, past the deadline: due soon.
    assert light(item, at(D(2026, 9, 28))) == Light.YELLOW
    assert light(item, at(D(2026, 10, 3))) == Light.YELLOW  # due today is not yet overdue
    assert light(item, at(D(2026, 10, 4))) == Light.RED


def test_milestone_due_on_a_make_up_saturday(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1))
    services.milestones_plan(actor=org.staff, item=item, steps=[{"title": "方案评审", "offset": 0}])
    milestone = item.milestones.get()
    services.milestone_update(
        actor=org.staff,
        milestone=milestone,
        expected_version=milestone.version,
        changes={"due_date": D(2026, 10, 10)},
    )
    for day in (D(2026, 9, 28), D(2026, 10, 8)):
        report_on(org, item, day)
    assert light(item, at(D(2026, 9, 29))) == Light.GREEN  # 3 working days from 29 Sep reach 9 Oct
    assert light(item, at(D(2026, 9, 30))) == Light.YELLOW  # ... from 30 Sep they reach the Saturday
    assert light(item, at(D(2026, 10, 10))) == Light.YELLOW  # due today
    assert light(item, at(D(2026, 10, 11))) == Light.RED  # passed undone
    milestone.refresh_from_db()
    with __import__("time_machine").travel(at(D(2026, 10, 11)), tick=False):
        services.milestone_complete(actor=org.staff, milestone=milestone, expected_version=milestone.version)
    assert light(item, at(D(2026, 10, 12))) == Light.GREEN


def test_report_lateness_on_ordinary_days(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 6, 30), started=D(2026, 2, 27))
    report_on(org, item, D(2026, 3, 2))  # Monday; the next weekly report is due Monday 9 March
    assert light(item, at(D(2026, 3, 9))) == Light.GREEN
    assert light(item, at(D(2026, 3, 10))) == Light.YELLOW  # 1 working day late
    assert light(item, at(D(2026, 3, 11))) == Light.YELLOW  # 2 working days late
    assert light(item, at(D(2026, 3, 12))) == Light.RED  # more than 2
    report_on(org, item, D(2026, 3, 12))
    assert (
        light(
            item,
            at(
                D(
                    2026,
                    3,
                    12,
                ),
                18,
            ),
        )
        == Light.GREEN
    )


def test_report_lateness_across_the_spring_festival(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 6, 30), started=D(2026, 2, 2))
    report_on(org, item, D(2026, 2, 9))  # due again 16 Feb, inside the festival
    assert light(item, at(D(2026, 2, 14))) == Light.GREEN  # the make-up Saturday: not due yet
    assert light(item, at(D(2026, 2, 23))) == Light.GREEN  # holidays do not count as late
    assert light(item, at(D(2026, 2, 24))) == Light.YELLOW  # first working day after it
    assert light(item, at(D(2026, 2, 25))) == Light.YELLOW
    assert light(item, at(D(2026, 2, 26))) == Light.RED


def test_grey_closed_and_awaiting_verification(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    unclaimed = make_item(deadline=D(2026, 3, 31), started=D(2026, 3, 2), claim=False)
    assert light(unclaimed, at(D(2026, 4, 15))) == Light.GREY  # not started, however late

    item = make_item(deadline=D(2026, 3, 31), started=D(2026, 3, 2))
    report_on(org, item, D(2026, 3, 27))
    evidence = SimpleUploadedFile("验收报告.pdf", PDF, content_type="application/pdf")
    with __import__("time_machine").travel(at(D(2026, 3, 30)), tick=False):
        services.item_submit_close_out(
            actor=org.staff,
            item=item,
            expected_version=item.version,
            actual_text="规划已编制完成",
            files=[evidence],
        )
    assert (
        light(item, at(D(2026, 4, 20))) == Light.GREEN
    )  # submitted in time; waiting on the supervision office
    assert set(lights_filtered_as_annotated(at(D(2026, 4, 20))).values()) == {"grey", "green"}
    with __import__("time_machine").travel(at(D(2026, 4, 21)), tick=False):
        services.item_verify(actor=org.supervisor, item=item, expected_version=item.version, target_met=True)
    assert light(item, at(D(2026, 4, 22))) == Light.CLOSED

    late = make_item(deadline=D(2026, 3, 31), started=D(2026, 3, 2), title="逾期提交的事项")
    report_on(org, late, D(2026, 3, 30))
    with __import__("time_machine").travel(at(D(2026, 4, 2)), tick=False):
        evidence = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
        services.item_submit_close_out(
            actor=org.staff, item=late, expected_version=late.version, actual_text="完成", files=[evidence]
        )
    assert light(late, at(D(2026, 4, 3))) == Light.RED
    # The filters agree with the annotation on a verified close-out and one submitted late.
    assert set(lights_filtered_as_annotated(at(D(2026, 4, 22))).values()) == {"grey", "closed", "red"}


def lights_filtered_as_annotated(when: datetime.datetime) -> dict[int, str]:
    """Every item's light at `when`, after checking that filtering by each light keeps exactly the
    items annotated with it, and that the counts by light agree."""
    annotated = dict(Item.objects.with_light(when).values_list("pk", "light"))
    for name in Light.values:
        filtered = set(filter_light(Item.objects.all(), [name], when).values_list("pk", flat=True))
        assert filtered == {pk for pk, value in annotated.items() if value == name}, name
    counts = light_counts(Item.objects.with_light(when))
    assert counts == {name: list(annotated.values()).count(name) for name in Light.values}
    return annotated


def test_filter_agrees_with_the_annotation(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    items = [
        make_item(deadline=D(2026, 10, 3), started=D(2026, 9, 1)),
        make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1)),
        make_item(deadline=D(2026, 9, 29), started=D(2026, 9, 1)),
        make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1), claim=False),
    ]
    report_on(org, items[0], D(2026, 9, 28))
    report_on(org, items[1], D(2026, 9, 28))
    annotated = lights_filtered_as_annotated(at(D(2026, 9, 30)))
    assert set(annotated.values()) >= {"red", "yellow", "grey"}


def test_the_kept_facts_follow_every_change_to_milestones_and_reports(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    """Today's light reads the next milestone and the last report kept on the item; every service
    that changes them keeps them equal to what the history gives, and so today's light equal to the
    light the history gives for this moment."""
    from django.utils import timezone

    from luoshi.worklist.models import first_undone_due, last_report_on

    item = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1))

    def check(due: D | None, reported: D | None) -> None:
        kept = Item.objects.annotate(due=first_undone_due(), reported=last_report_on()).get(pk=item.pk)
        assert (kept.next_milestone_due, kept.last_report_on) == (due, reported)
        assert (kept.due, kept.reported) == (due, reported)
        assert light(item) == light(item, timezone.now())

    check(None, None)
    services.milestones_plan(
        actor=org.staff, item=item, steps=[{"title": "方案", "offset": 10}, {"title": "验收", "offset": 0}]
    )
    first, last = item.milestones.order_by("due_date")
    check(first.due_date, None)
    report_on(org, item, D(2026, 9, 7))
    check(first.due_date, D(2026, 9, 7))
    services.milestone_complete(actor=org.staff, milestone=first, expected_version=first.version)
    check(last.due_date, D(2026, 9, 7))
    services.milestone_update(
        actor=org.staff, milestone=last, expected_version=last.version, changes={"due_date": D(2026, 12, 1)}
    )
    check(D(2026, 12, 1), D(2026, 9, 7))
    first.refresh_from_db()
    services.milestone_complete(actor=org.staff, milestone=first, expected_version=first.version, done=False)
    assert first.due_date > D(2026, 12, 1)  # undone again, but the moved one is due first
    check(D(2026, 12, 1), D(2026, 9, 7))
    report_on(org, item, D(2026, 9, 14))
    check(D(2026, 12, 1), D(2026, 9, 14))
