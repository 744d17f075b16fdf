"""The bulk paths the benchmarks called for: they must do exactly what the one-at-a-time paths do.

- `item_publish_many` (the Excel import's publishing) against `item_publish`;
- the escalation sweep's bulk writes: audit rows, recipients and inbox entries per escalation,
  and its working-day count across holidays;
- the unit filter (led or supported, as a UNION) and the light filter's state pre-condition;
- the filter form's selects written from rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from luoshi.conftest import SmallOrg, client_for
from luoshi.core import calendar as workcal
from luoshi.core.audit import history_of
from luoshi.core.errors import Conflict, DraftRejected
from luoshi.core.models import AuditRecord
from luoshi.notify.models import Notification
from luoshi.notify.services import Message, notification_post_many
from luoshi.worklist import services
from luoshi.worklist.forms import ItemFilterForm
from luoshi.worklist.lights import LIGHT_STATES, Light, filter_light, light
from luoshi.worklist.models import Directive, Escalation, Item, ItemState
from luoshi.worklist.selectors import ItemFilters, item_list

from .conftest import moment, report_on

D = datetime.date
pytestmark = pytest.mark.django_db


def draft(org: SmallOrg, title: str, **fields: object) -> Item:
    return services.item_create(
        actor=org.supervisor,
        title=title,
        deadline=D(2026, 12, 31),
        target_text="完成",
        lead_unit=fields.pop("lead_unit", org.bureau),
        **fields,
    )


# Publishing many -----------------------------------------------------------------------------------


def test_publishing_many_is_publishing_each(
    org: SmallOrg, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    one = draft(org, "甲", support_units=[org.zone_office])
    many = [draft(org, "乙", support_units=[org.zone_office]), draft(org, "丙", lead_unit=org.zone_office)]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.item_publish(actor=org.supervisor, item=one, expected_version=one.version)
        services.item_publish_many(actor=org.supervisor, items=many)
    for item in [one, *many]:
        stored = Item.objects.get(pk=item.pk)
        assert (stored.state, stored.version, stored.state_reason) == (ItemState.PUBLISHED, 2, "")
        assert stored.published_at is not None and item.version == 2
    single, bulk = (history_of(i).get(action="publish") for i in (one, many[0]))
    # The same audit row: who, and the item before and after, support units included.
    assert (bulk.actor, bulk.before["state"], bulk.after["state"]) == (org.supervisor, "draft", "published")
    assert bulk.after["support_units"] == single.after["support_units"] == [org.zone_office.pk]
    assert set(bulk.before) == set(single.before) and set(bulk.after) == set(single.after)
    # The lead unit's head hears of each, as with item_publish.
    told = Notification.objects.filter(kind="item_published")
    assert told.filter(recipient=org.head).count() == 2
    heads = services._heads_of(org.zone_office)  # whom item_publish would tell
    assert {n.recipient for n in told.filter(object_id=str(many[1].pk))} == set(heads)


def test_publishing_many_refuses_all_and_names_the_item(org: SmallOrg) -> None:
    good, published = draft(org, "甲"), draft(org, "乙")
    services.item_publish(actor=org.supervisor, item=published, expected_version=published.version)
    with pytest.raises(DraftRejected) as refused:
        services.item_publish_many(actor=org.supervisor, items=[good, published])
    assert refused.value.index == 1
    assert Item.objects.get(pk=good.pk).state == ItemState.DRAFT


def test_publishing_many_refuses_a_stale_item(org: SmallOrg) -> None:
    item = draft(org, "甲")
    stale = Item.objects.get(pk=item.pk)
    services.item_update(
        actor=org.supervisor, item=item, expected_version=item.version, changes={"title": "新"}
    )
    with pytest.raises(Conflict):
        services.item_publish_many(actor=org.supervisor, items=[stale])
    assert Item.objects.get(pk=item.pk).state == ItemState.DRAFT


def test_posting_many_notifications_skips_the_inactive_and_duplicates(org: SmallOrg) -> None:
    org.other_staff.is_active = False
    org.other_staff.save()
    item = draft(org, "甲")
    notification_post_many(
        [
            Message(recipients=[org.staff, org.staff, org.other_staff], kind="k", title="一", obj=item),
            Message(recipients=[org.head], kind="k", title="二" * 300),
        ]
    )
    rows = list(Notification.objects.filter(kind="k").order_by("pk"))
    assert [(n.recipient, n.title[:1], n.object_id) for n in rows] == [
        (org.staff, "一", str(item.pk)),
        (org.head, "二", ""),
    ]
    assert len(rows[1].title) == 200


# The sweep -------------------------------------------------------------------------------------------


def test_the_sweep_writes_one_audit_row_and_inbox_entry_per_escalation(
    org: SmallOrg, make_item: Callable[..., Item], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    items = [make_item(deadline=D(2026, 3, 6), started=D(2026, 2, 2), title=f"事项{n}") for n in range(3)]
    for item in items:
        report_on(org, item, D(2026, 3, 5))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert services.escalation_sweep(at=moment(D(2026, 3, 20)), chunk=2) == 9  # 3 levels each
    assert services.escalation_sweep(at=moment(D(2026, 3, 20)), chunk=2) == 0
    rows = AuditRecord.objects.filter(action="escalate")
    assert rows.count() == 9
    row = rows.get(object_id=str(Escalation.objects.get(item=items[0], level=1).pk))
    assert row.after["recipients"] == [org.staff.pk, org.head.pk]
    assert row.after["red_working_days"] == workcal.working_days_between(D(2026, 3, 7), D(2026, 3, 20))
    assert row.after["level"] == 1 and row.after["red_since"] == "2026-03-07"
    escalated = Notification.objects.filter(kind="item_escalated")
    assert escalated.filter(recipient=org.staff).count() == 3
    assert escalated.filter(recipient=org.principal).count() == 3
    assert "10" in escalated.filter(recipient=org.principal).first().title  # type: ignore[union-attr]


def test_red_working_days_are_counted_across_holidays() -> None:
    count = services._WorkingDaysUntil(D(2026, 10, 12))
    # Asked in any order, the walk gives what working_days_between gives, over National Day.
    for start in (D(2026, 10, 9), D(2026, 9, 20), D(2026, 10, 1), D(2025, 12, 30), D(2026, 10, 12)):
        assert count(start) == workcal.working_days_between(start, D(2026, 10, 12)), start
    assert count(D(2026, 10, 20)) == workcal.working_days_between(D(2026, 10, 20), D(2026, 10, 12))


# Filters ---------------------------------------------------------------------------------------------


def test_the_unit_filter_takes_led_and_supported_items_of_the_subtree(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    led = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1))  # led by the bureau
    team_supports = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1), support_units=[org.team])
    draft_supported = draft(org, "乙", lead_unit=org.zone_office, support_units=[org.team])
    draft(org, "丙", lead_unit=org.zone_office)
    when = moment(D(2026, 12, 1))

    def found(unit: object, **filters: object) -> set[Item]:
        chosen = ItemFilters(unit=unit, **filters)  # type: ignore[arg-type]
        return set(item_list(person=org.supervisor, filters=chosen, at=when))

    assert found(org.bureau) == {led, team_supports, draft_supported}
    assert found(org.team) == {team_supports, draft_supported}
    # With a light, the states it implies narrow the unit's items first; the answer is the same.
    assert found(org.bureau, lights=["red"]) == {led, team_supports}  # no report since September
    assert found(org.team, lights=["red"]) == {team_supports}
    assert found(org.team, lights=["grey"]) == {draft_supported}
    assert found(org.bureau, lights=["red"], states=[ItemState.CLAIMED]) == set()
    assert found(org.bureau, lights=["red", "grey"], states=[ItemState.DRAFT]) == {draft_supported}
    # The bureau's head sees all the bureau's items but no draft, and of the zone office's only
    # those the bureau supports: the list answers as `visible_to` does, for units inside their reach
    # (where it skips that test) and outside it.
    published = draft(org, "丁", lead_unit=org.zone_office, support_units=[org.team])
    services.item_publish(actor=org.supervisor, item=published, expected_version=published.version)
    draft(org, "戊", lead_unit=org.zone_office)
    for unit in (org.bureau, org.team, org.zone_office):
        listed = set(item_list(person=org.head, filters=ItemFilters(unit=unit), at=when))
        assert listed == found(unit) & set(Item.objects.visible_to(org.head)), unit
    assert set(item_list(person=org.head, filters=ItemFilters(unit=org.zone_office))) == {published}


def test_the_gathered_reach_is_the_reach(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    """`visible_to(person, gathered=True)` (a UNION of the parts of their reach) is the same set as the
    default condition, for every kind of person and every way an item can be theirs."""
    make_item(deadline=D(2026, 12, 31))  # led by the bureau, owned by its team's staff
    items = [
        draft(org, "支持", lead_unit=org.service_centre, support_units=[org.team]),
        draft(org, "片区", lead_unit=org.service_centre, zone=org.zone_b),
        draft(org, "分管", lead_unit=org.service_centre, leader=org.deputy),
        draft(org, "办公室", lead_unit=org.zone_office),
    ]
    services.item_publish_many(actor=org.supervisor, items=items)
    draft(org, "草稿", lead_unit=org.zone_office, support_units=[org.team])  # seen by supervisors only
    people = [
        "supervisor",
        "principal",
        "deputy",
        "head",
        "staff",
        "other_staff",
        "steward",
        "enterprise",
        "nobody",
    ]
    for who in people:
        person = getattr(org, who)
        walked = set(Item.objects.visible_to(person))
        assert set(Item.objects.visible_to(person, gathered=True)) == walked, who
        listed = set(item_list(person=person))  # gathered for all but those who see everything
        assert listed == walked, who
    assert len(Item.objects.visible_to(org.staff)) == 2  # their own item and the one their team supports
    assert not Item.objects.visible_to(org.enterprise, gathered=True).exists()


def test_the_states_of_each_light_cover_its_items(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    make_item(deadline=D(2026, 10, 3), started=D(2026, 9, 1))
    make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1), claim=False)
    green = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1))
    report_on(org, green, D(2026, 9, 28))
    when = moment(D(2026, 9, 30))
    for name, shown in Item.objects.with_light(when).values_list("state", "light"):  # type: ignore[misc]
        assert name in LIGHT_STATES[shown]
    assert {Light.RED, Light.YELLOW, Light.GREEN} & {
        light for light in Item.objects.with_light(when).values_list("light", flat=True)
    }
    assert set(filter_light(Item.objects.all(), ["grey"], when)) == set(
        Item.objects.filter(state="published")
    )


def test_the_filter_selects_offer_rows_and_keep_a_choice_outside_them(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    directive = services.directive_create(
        actor=org.supervisor,
        title="部署<b>一</b>",
        source_kind="meeting",
        source_title="主任办公会议",
        source_date=D(2026, 8, 1),
        source_issuer="主任",
    )
    # Owned by org.staff.
    item = make_item(deadline=D(2026, 12, 31), started=D(2026, 9, 1), directive=directive)
    other = make_item(deadline=D(2026, 12, 30), started=D(2026, 9, 1))
    form = ItemFilterForm({"unit": org.zone_office.pk, "owner": org.staff.pk}, person=org.supervisor)
    assert form.is_valid(), form.errors
    owners = str(form["owner"])
    # With a unit chosen its people are offered; a chosen owner from elsewhere stays, selected.
    assert f'<option value="{org.other_staff.pk}">' in owners
    assert f'<option value="{org.staff.pk}" selected>' in owners
    units = str(ItemFilterForm({"unit": org.team.pk}, person=org.supervisor)["unit"])
    assert f'<option value="{org.team.pk}" selected>' in units
    assert f">{'　' * 3}{org.team.name}</option>" in units  # indented by its depth
    # Directives are not offered as a select (they are thousands): a directive's items come from its
    # page, and the list shows that filter as a chip which removes it.
    supervisor = client_for(org.supervisor)
    page = supervisor.get("/worklist/items/").content.decode()
    assert 'data-testid="directive-filter"' not in page and other.code in page and item.code in page
    page = supervisor.get(f"/worklist/items/?directive={directive.pk}&sort=code").content.decode()
    assert 'data-testid="directive-filter"' in page and "部署&lt;b&gt;一&lt;/b&gt;" in page
    assert f'<input type="hidden" name="directive" value="{directive.pk}"' in page
    assert item.code in page and other.code not in page
    assert 'href="/worklist/items/?sort=code" title=' in page  # the chip's way out keeps the rest
    # "More filters" (state, leader, owner, deadline) is fetched when first opened, with the list's
    # filters: the owners offered are the chosen unit's people. With one of its filters set, the
    # panel comes with the page.
    assert 'name="owner"' not in page and 'hx-get="/worklist/items/filters/"' in page
    panel = supervisor.get("/worklist/items/filters/", {"unit": org.zone_office.pk}).content.decode()
    assert f'<option value="{org.other_staff.pk}">' in panel and f'value="{org.staff.pk}"' not in panel
    assert 'name="state"' in panel and "<html" not in panel
    page = supervisor.get(f"/worklist/items/?owner={org.staff.pk}").content.decode()
    assert f'<option value="{org.staff.pk}" selected>' in page and "/worklist/items/filters/" not in page
    # A directive that does not exist (or is out of sight) is said, and the list is not narrowed by it.
    page = supervisor.get("/worklist/items/?directive=99999").content.decode()
    assert 'data-testid="directive-filter-error"' in page and "选择一个有效的选项" in page
    assert item.code in page and other.code in page
    detail = supervisor.get(f"/worklist/directives/{directive.pk}/").content.decode()
    assert f"/worklist/items/?directive={directive.pk}&amp;light={light(item)}" in detail


def test_a_report_cycle_outside_the_choices_is_never_late(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=D(2026, 12, 31), started=D(2026, 3, 2))
    Item.objects.filter(pk=item.pk).update(report_cycle=5)  # not a choice: no report is ever due
    when = moment(D(2026, 9, 1))
    assert Item.objects.with_light(when).values_list("light", flat=True).get(pk=item.pk) == Light.GREEN
    assert set(filter_light(Item.objects.all(), ["green"], when)) == {item}
    Item.objects.filter(pk=item.pk).update(report_cycle=7)
    assert set(filter_light(Item.objects.all(), ["red"], when)) == {item}


def test_visible_directives_are_those_of_visible_items(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    def directive(title: str) -> object:
        return services.directive_create(
            actor=org.supervisor,
            title=title,
            source_kind="meeting",
            source_title="主任办公会议",
            source_date=D(2026, 8, 1),
            source_issuer="主任",
        )

    led, supported, zoned, drafted, none = (directive(t) for t in ("牵头", "配合", "片区", "草稿", "无"))
    make_item(deadline=D(2026, 12, 31), directive=led)
    other = draft(org, "配合事项", lead_unit=org.zone_office, directive=supported, support_units=[org.team])
    services.item_publish(actor=org.supervisor, item=other, expected_version=other.version)
    zone_item = draft(org, "片区事项", lead_unit=org.zone_office, zone=org.zone_b, directive=zoned)
    services.item_publish(actor=org.supervisor, item=zone_item, expected_version=zone_item.version)
    draft(org, "草稿事项", directive=drafted)
    assert none is not None
    people = [org.supervisor, org.head, org.staff, org.other_staff, org.deputy, org.principal, org.steward]
    for person in people:
        expected = {i.directive_id for i in Item.objects.visible_to(person).exclude(directive=None)}
        visible = set(Directive.objects.visible_to(person).values_list("pk", flat=True))
        if person.scope.everything:
            assert visible == set(Directive.objects.values_list("pk", flat=True))
        else:
            assert visible == expected, person
    assert Directive.objects.visible_to(org.enterprise).count() == 0
    assert set(Directive.objects.visible_to(org.staff)) >= {
        led,
        supported,
    }  # a team member: led and supported
