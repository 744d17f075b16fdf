"""The item lifecycle, backward scheduling, escalation and promise-keeping, through the services."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.conftest import SmallOrg, make_person
from luoshi.core.audit import history_of
from luoshi.core.errors import Conflict
from luoshi.core.models import AuditRecord
from luoshi.notify.models import Notification
from luoshi.worklist import services
from luoshi.worklist.models import Escalation, Item, ItemState, MilestoneTemplate
from luoshi.worklist.selectors import promise_items, promise_rates

from .conftest import moment, report_on

D = datetime.date
pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "佐证.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def draft(org: SmallOrg, **fields: object) -> Item:
    return services.item_create(
        actor=org.supervisor,
        title=fields.pop("title", "大连前沿半导体科技创新中心"),  # type: ignore[arg-type]
        deadline=fields.pop("deadline", D(2026, 12, 31)),  # type: ignore[arg-type]
        target_text="中心挂牌运营",
        **fields,
    )


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


# Lifecycle ---------------------------------------------------------------------------------------


def test_codes_are_sequential_per_year(org: SmallOrg) -> None:
    with time_machine.travel(moment(D(2026, 3, 2)), tick=False):
        a, b = draft(org), draft(org)
    assert (a.code, b.code) == ("PW-2026-0001", "PW-2026-0002")


def test_full_lifecycle_and_audit(
    org: SmallOrg, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    item = draft(org, lead_unit=org.bureau, leader=org.deputy, support_units=[org.zone_office])
    item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    item = services.item_claim(actor=org.head, item=item, expected_version=item.version, owner=org.staff)
    assert item.state == ItemState.IN_PROGRESS and item.chain_complete
    services.report_submit(actor=org.staff, item=item, done="完成选址", percent=30, files=[pdf()])
    item = services.item_submit_close_out(
        actor=org.staff,
        item=fresh(item),
        expected_version=fresh(item).version,
        actual_text="已挂牌",
        files=[pdf()],
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        item = services.item_verify(
            actor=org.supervisor, item=item, expected_version=item.version, target_met=True
        )
    assert item.state == ItemState.CLOSED and item.target_met is True and item.closed_at
    actions = list(history_of(item).values_list("action", flat=True))
    assert actions[::-1] == ["create", "publish", "claim", "close_out_submit", "close_out_approve"]
    assert Notification.objects.filter(recipient=org.staff, kind="item_closed").exists()


def test_claim_without_a_leader_waits_for_the_chain(org: SmallOrg) -> None:
    item = draft(org, lead_unit=org.bureau)  # nobody oversees the bureau in the small org
    item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    item = services.item_claim(actor=org.head, item=item, expected_version=item.version, owner=org.staff)
    assert item.state == ItemState.CLAIMED and item.leader is None
    with pytest.raises(ValidationError, match="责任链"):
        services.item_start(actor=org.head, item=item, expected_version=item.version)
    item = services.item_assign(
        actor=org.supervisor, item=item, expected_version=item.version, leader=org.deputy
    )
    item = services.item_start(actor=org.head, item=item, expected_version=item.version)
    assert item.state == ItemState.IN_PROGRESS


def test_claim_defaults_the_leader_who_oversees_the_unit(org: SmallOrg) -> None:
    item = draft(org, lead_unit=org.zone_office)
    item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    head = make_person(org.admin, "zhead", org.zone_office, "unit_head")
    item = services.item_claim(actor=head, item=item, expected_version=item.version, owner=org.other_staff)
    assert item.leader == org.deputy and item.state == ItemState.IN_PROGRESS


@pytest.mark.parametrize(
    ("state_setup", "call"),
    [
        (
            "draft",
            lambda org, i: services.item_claim(
                actor=org.head, item=i, expected_version=i.version, owner=org.staff
            ),
        ),
        (
            "draft",
            lambda org, i: services.item_start(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "draft",
            lambda org, i: services.item_verify(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "published",
            lambda org, i: services.item_publish(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "published",
            lambda org, i: services.item_start(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "published",
            lambda org, i: services.item_resume(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "running",
            lambda org, i: services.item_claim(
                actor=org.head, item=i, expected_version=i.version, owner=org.staff
            ),
        ),
        (
            "running",
            lambda org, i: services.item_decline(
                actor=org.head, item=i, expected_version=i.version, reason="x"
            ),
        ),
        (
            "running",
            lambda org, i: services.item_verify(actor=org.supervisor, item=i, expected_version=i.version),
        ),
        (
            "running",
            lambda org, i: services.item_return(
                actor=org.supervisor, item=i, expected_version=i.version, reason="x"
            ),
        ),
        ("closed", lambda org, i: services.report_submit(actor=org.staff, item=i, done="x", percent=1)),
        (
            "closed",
            lambda org, i: services.item_suspend(
                actor=org.supervisor, item=i, expected_version=i.version, reason="x"
            ),
        ),
        (
            "closed",
            lambda org, i: services.item_cancel(
                actor=org.supervisor, item=i, expected_version=i.version, reason="x"
            ),
        ),
        (
            "closed",
            lambda org, i: services.item_update(
                actor=org.supervisor, item=i, expected_version=i.version, changes={"title": "y"}
            ),
        ),
        (
            "closed",
            lambda org, i: services.item_submit_close_out(
                actor=org.staff, item=i, expected_version=i.version, actual_text="x", files=[pdf()]
            ),
        ),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    org: SmallOrg, state_setup: str, call: Callable[[SmallOrg, Item], object]
) -> None:
    item = draft(org, lead_unit=org.bureau, leader=org.deputy)
    if state_setup != "draft":
        item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    if state_setup in ("running", "closed"):
        item = services.item_claim(actor=org.head, item=item, expected_version=item.version, owner=org.staff)
    if state_setup == "closed":
        item = services.item_submit_close_out(
            actor=org.staff, item=item, expected_version=item.version, actual_text="ok", files=[pdf()]
        )
        item = services.item_verify(
            actor=org.supervisor, item=item, expected_version=item.version, target_met=True
        )
    before = (item.state, item.version, AuditRecord.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        call(org, fresh(item))
    assert excinfo.value.messages  # a clear message for the person
    after = fresh(item)
    assert (after.state, after.version, AuditRecord.objects.count()) == before


def test_only_the_right_people_act(org: SmallOrg) -> None:
    item = draft(org, lead_unit=org.bureau, leader=org.deputy)
    with pytest.raises(PermissionDenied):
        services.item_publish(actor=org.head, item=item, expected_version=item.version)
    item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    with pytest.raises(PermissionDenied):  # not the head of the lead unit
        services.item_claim(actor=org.staff, item=item, expected_version=item.version, owner=org.staff)
    with pytest.raises(ValidationError, match="owner"):  # the owner must belong to the lead unit
        services.item_claim(actor=org.head, item=item, expected_version=item.version, owner=org.other_staff)
    item = services.item_claim(
        actor=org.head, item=fresh(item), expected_version=fresh(item).version, owner=org.staff
    )
    with pytest.raises(PermissionDenied):
        services.report_submit(actor=org.other_staff, item=item, done="x", percent=5)
    with pytest.raises(PermissionDenied):
        services.item_verify(actor=org.head, item=item, expected_version=item.version)


def test_decline_and_republish(org: SmallOrg) -> None:
    item = draft(org, lead_unit=org.bureau, leader=org.deputy)
    item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    with pytest.raises(ValidationError):
        services.item_decline(actor=org.head, item=item, expected_version=item.version, reason="  ")
    item = services.item_decline(
        actor=org.head, item=fresh(item), expected_version=item.version, reason="不属于本局职责"
    )
    assert item.state == ItemState.DECLINED and item.state_reason == "不属于本局职责"
    item = services.item_publish(
        actor=org.supervisor, item=item, expected_version=item.version, lead_unit=org.zone_office
    )
    assert item.state == ItemState.PUBLISHED and item.lead_unit == org.zone_office


def test_suspension_needs_a_supervisors_approval(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 12, 31))
    item = services.item_request_change(
        actor=org.staff,
        item=item,
        expected_version=item.version,
        kind="suspend",
        reason="规划调整，待上级批复",
    )
    assert item.state == ItemState.IN_PROGRESS and item.requested_change == "suspend"
    with pytest.raises(PermissionDenied):
        services.item_decide_change(actor=org.head, item=item, expected_version=item.version, approve=True)
    with pytest.raises(ValidationError):  # rejecting needs a note
        services.item_decide_change(
            actor=org.supervisor, item=item, expected_version=item.version, approve=False
        )
    item = services.item_decide_change(
        actor=org.supervisor, item=fresh(item), expected_version=item.version, approve=True
    )
    assert item.state == ItemState.SUSPENDED and item.state_reason == "规划调整，待上级批复"
    item = services.item_resume(actor=org.supervisor, item=item, expected_version=item.version)
    assert item.state == ItemState.IN_PROGRESS
    item = services.item_cancel(
        actor=org.supervisor, item=item, expected_version=item.version, reason="并入其他事项"
    )
    assert item.state == ItemState.CANCELLED


def test_stale_edit_is_a_conflict(org: SmallOrg) -> None:
    item = draft(org)
    first, second = fresh(item), fresh(item)
    services.item_update(
        actor=org.supervisor, item=first, expected_version=first.version, changes={"title": "甲"}
    )
    with pytest.raises(Conflict):
        services.item_update(
            actor=org.supervisor, item=second, expected_version=second.version, changes={"title": "乙"}
        )
    assert fresh(item).title == "甲"


def test_evidence_type_is_checked_by_content(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 12, 31))
    fake = SimpleUploadedFile("报告.pdf", b"just text, not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="文件类型不受支持"):
        services.report_submit(actor=org.staff, item=item, done="x", percent=10, files=[fake])
    assert not item.reports.exists() and not item.attachments.exists()
    renamed = SimpleUploadedFile("照片.png", PDF, content_type="image/png")
    with pytest.raises(ValidationError, match="实际内容为 pdf"):
        services.report_submit(actor=org.staff, item=item, done="x", percent=10, files=[renamed])
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (20 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="不得超过20 MB"):
        services.report_submit(actor=org.staff, item=item, done="x", percent=10, files=[big])
    assert not item.reports.exists()


def test_quantitative_target_is_met_by_the_numbers(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(
        deadline=D(2026, 12, 31),
        target_metric="签约项目",
        target_value=Decimal("10"),
        target_unit="个",
        target_text="",
    )
    with pytest.raises(ValidationError, match="actual_value"):
        services.item_submit_close_out(
            actor=org.staff, item=item, expected_version=item.version, files=[pdf()]
        )
    item = services.item_submit_close_out(
        actor=org.staff,
        item=fresh(item),
        expected_version=item.version,
        actual_value=Decimal("8"),
        files=[pdf()],
    )
    item = services.item_verify(
        actor=org.supervisor, item=item, expected_version=item.version, target_met=True
    )
    assert item.target_met is False  # 8 of 10: the numbers decide, not the verifier


# Backward scheduling -----------------------------------------------------------------------------


def test_backward_scheduling_across_the_spring_festival(org: SmallOrg) -> None:
    item = draft(org, deadline=D(2026, 2, 27))
    milestones = services.milestones_plan(
        actor=org.supervisor,
        item=item,
        steps=[
            {"title": "验收", "offset": 0},
            {"title": "评审", "offset": 3},
            {"title": "方案", "offset": 5},
        ],
    )
    assert [m.due_date for m in milestones] == [D(2026, 2, 27), D(2026, 2, 24), D(2026, 2, 13)]
    # 24 Feb minus two more working days skips the whole festival and lands on the make-up Saturday.
    assert services.schedule_backwards(D(2026, 2, 24), [{"title": "x", "offset": 1}])[0][1] == D(2026, 2, 14)


def test_backward_scheduling_across_national_day_with_a_template(org: SmallOrg) -> None:
    template = MilestoneTemplate.objects.get(name="一般事项")  # offsets 20, 10, 0
    item = draft(org, deadline=D(2026, 10, 16))
    milestones = services.milestones_plan(actor=org.supervisor, item=item, template=template)
    dates = [m.due_date for m in milestones]
    # Back from 16 Oct: 10 working days skip National Day and count the make-up Saturday (10 Oct);
    # 20 skip the Mid-Autumn holiday and count the make-up Sunday (20 Sep).
    assert dates == [D(2026, 9, 14), D(2026, 9, 28), D(2026, 10, 16)]
    from luoshi.core.calendar import is_working_day

    assert all(is_working_day(d) for d in dates)


def test_a_deadline_on_a_holiday_plans_the_last_step_on_the_working_day_before(org: SmallOrg) -> None:
    item = draft(org, deadline=D(2026, 10, 5))
    (milestone,) = services.milestones_plan(
        actor=org.supervisor, item=item, steps=[{"title": "完成", "offset": 0}]
    )
    assert milestone.due_date == D(2026, 9, 30)


def test_adjusting_a_milestone_is_audited_and_checked(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 12, 31))
    (milestone,) = services.milestones_plan(
        actor=org.staff, item=item, steps=[{"title": "中期评估", "offset": 30}]
    )
    with pytest.raises(ValidationError, match="不是工作日"):
        services.milestone_update(
            actor=org.staff,
            milestone=milestone,
            expected_version=milestone.version,
            changes={"due_date": D(2026, 10, 3)},
        )
    with pytest.raises(ValidationError, match="due_date"):
        services.milestone_update(
            actor=org.staff,
            milestone=milestone,
            expected_version=milestone.version,
            changes={"due_date": D(2027, 1, 4)},
        )
    services.milestone_update(
        actor=org.staff,
        milestone=milestone,
        expected_version=milestone.version,
        changes={"due_date": D(2026, 10, 10)},
    )
    record = history_of(milestone).get()
    assert record.before["due_date"] != record.after["due_date"] == "2026-10-10"


# Escalation --------------------------------------------------------------------------------------


def test_escalation_levels_timing_and_idempotency(
    org: SmallOrg, make_item: Callable[..., Item], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    item = make_item(deadline=D(2026, 3, 6), started=D(2026, 2, 2))  # deadline Friday 6 March
    for day in (D(2026, 2, 9), D(2026, 2, 26), D(2026, 3, 5)):
        report_on(org, item, day)
    sweep = lambda day: services.escalation_sweep(at=moment(day, 9))  # noqa: E731
    assert sweep(D(2026, 3, 6)) == 0  # due today: not red
    assert sweep(D(2026, 3, 7)) == 0  # red since Saturday, but no working day has passed
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert sweep(D(2026, 3, 9)) == 1  # Monday: 1 working day red → owner and unit head
    assert sweep(D(2026, 3, 9)) == 0  # idempotent
    level1 = Escalation.objects.get(item=item, level=1)
    assert set(level1.recipients.all()) == {org.staff, org.head}
    assert Notification.objects.filter(recipient=org.staff, kind="item_escalated").count() == 1
    assert sweep(D(2026, 3, 10)) == 0
    assert sweep(D(2026, 3, 11)) == 1  # 3 working days → the leader in charge
    assert list(Escalation.objects.get(item=item, level=2).recipients.all()) == [org.deputy]
    assert sweep(D(2026, 3, 16)) == 0  # 6 working days (red since Saturday the 7th)
    assert sweep(D(2026, 3, 17)) == 1  # 7 → the principal leaders
    assert list(Escalation.objects.get(item=item, level=3).recipients.all()) == [org.principal]
    assert sweep(D(2026, 3, 30)) == 0
    assert Escalation.objects.filter(item=item).count() == 3
    assert AuditRecord.objects.filter(action="escalate").count() == 3


def test_a_sweep_that_was_missed_catches_up_at_once(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 3, 6), started=D(2026, 2, 2))
    report_on(org, item, D(2026, 3, 5))
    assert services.escalation_sweep(at=moment(D(2026, 3, 20))) == 3
    assert services.escalation_sweep(at=moment(D(2026, 3, 20))) == 0


def test_acknowledging_an_escalation(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=D(2026, 3, 6), started=D(2026, 2, 2))
    report_on(org, item, D(2026, 3, 5))
    services.escalation_sweep(at=moment(D(2026, 3, 9)))
    escalation = Escalation.objects.get(item=item)
    with pytest.raises(PermissionDenied):
        services.escalation_acknowledge(actor=org.deputy, escalation=escalation, recovery_plan="x")
    with pytest.raises(ValidationError):
        services.escalation_acknowledge(actor=org.staff, escalation=escalation, recovery_plan=" ")
    services.escalation_acknowledge(
        actor=org.staff, escalation=escalation, recovery_plan="本周五前完成剩余工作"
    )
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == org.staff and escalation.recovery_plan


# Promise-keeping ---------------------------------------------------------------------------------


def test_promise_keeping_rate_against_hand_computed_figures(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    def close(item: Item, on: D, met: bool) -> None:
        with time_machine.travel(moment(on), tick=False):
            i = services.item_submit_close_out(
                actor=org.staff,
                item=fresh(item),
                expected_version=fresh(item).version,
                actual_text="完成",
                files=[pdf()],
            )
            services.item_verify(actor=org.supervisor, item=i, expected_version=i.version, target_met=met)

    kept = make_item(deadline=D(2026, 3, 31), started=D(2026, 1, 5))
    close(kept, D(2026, 3, 30), True)  # on time, met: kept
    late = make_item(deadline=D(2026, 3, 31), started=D(2026, 1, 5))
    close(late, D(2026, 4, 2), True)  # late: not kept
    missed = make_item(deadline=D(2026, 3, 20), started=D(2026, 1, 5))
    close(missed, D(2026, 3, 19), False)  # target not met: not kept
    make_item(deadline=D(2026, 3, 25), started=D(2026, 1, 5))  # still open: not kept
    make_item(deadline=D(2026, 4, 15), started=D(2026, 1, 5))  # due outside the period

    march = {"start": D(2026, 3, 1), "end": D(2026, 3, 31)}
    (by_unit,) = promise_rates(person=org.supervisor, by="unit", **march)
    assert (by_unit.label, by_unit.due, by_unit.kept, by_unit.rate) == ("招商局", 4, 1, Decimal("25.0"))
    (by_person,) = promise_rates(person=org.supervisor, by="person", **march)
    assert (by_person.key, by_person.due, by_person.kept) == (org.staff.pk, 4, 1)
    drill = dict(promise_items(person=org.supervisor, **march).values_list("pk", "kept"))
    assert drill == {
        kept.pk: True,
        late.pk: False,
        missed.pk: False,
        **{pk: False for pk in Item.objects.filter(deadline=D(2026, 3, 25)).values_list("pk", flat=True)},
    }


# Access ------------------------------------------------------------------------------------------


def test_staff_see_only_their_units_items_unless_supporting(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=D(2026, 12, 31))
    visible = lambda person: Item.objects.visible_to(person).filter(pk=item.pk).exists()  # noqa: E731
    assert visible(org.staff) and visible(org.head) and visible(org.supervisor) and visible(org.principal)
    assert not visible(org.other_staff) and not visible(org.enterprise) and not visible(org.nobody)
    item.support_units.add(org.zone_office)
    assert visible(org.other_staff)
    assert visible(org.deputy)  # the item's leader in charge
    hidden_draft = draft(org, lead_unit=org.bureau)
    assert not Item.objects.visible_to(org.head).filter(pk=hidden_draft.pk).exists()
