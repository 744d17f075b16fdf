"""Stage rules, loss and revival, stale thresholds, funnel and target arithmetic, registration."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.conftest import SmallOrg
from luoshi.core.audit import history_of
from luoshi.core.models import AuditRecord
from luoshi.investment import services
from luoshi.investment.models import Project, StageMove
from luoshi.investment.selectors import ProjectFilters, funnel, kanban, project_list, targets
from luoshi.service.models import Enterprise

D = datetime.date
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
HUAWEI = "914403001922038216"


def doc(kind: str, name: str = "协议.pdf") -> tuple[str, SimpleUploadedFile]:
    return kind, SimpleUploadedFile(name, PDF)


NEW_YEAR_LEAD = D(2026, 1, 5)


def new(org: SmallOrg, lead_on: D = NEW_YEAR_LEAD, amount: str = "5000", **fields: object) -> Project:
    return services.project_create(
        actor=org.staff,
        name=fields.pop("name", "智能网联汽车零部件项目"),
        investor="大连甲汽车部件株式会社",  # type: ignore[arg-type]
        origin="日本",
        industry="智能汽车",
        zone=fields.pop("zone", org.zone_a),
        planned_investment=Decimal(amount),  # type: ignore[arg-type]
        lead_on=lead_on,
        **fields,
    )


def move(org: SmallOrg, project: Project, to: str, on: D, **kwargs: object) -> Project:
    project = Project.objects.get(pk=project.pk)
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(12), tzinfo=SH), tick=False):
        return services.project_move(
            actor=org.staff,
            project=project,
            expected_version=project.version,
            to_stage=to,
            moved_on=on,
            **kwargs,
        )  # type: ignore[arg-type]


def test_a_lead_is_recorded_with_its_owner_and_unit(org: SmallOrg) -> None:
    project = new(org)
    assert (project.stage, project.owner, project.unit) == ("lead", org.staff, org.team)
    assert project.code.startswith("ZS-")
    assert [r.action for r in history_of(project)] == ["create"]


def test_each_stage_needs_its_evidence(org: SmallOrg) -> None:
    p = new(org)
    p = move(org, p, "negotiating", D(2026, 2, 2))
    with pytest.raises(ValidationError) as missing:
        move(org, p, "signed", D(2026, 3, 2))
    assert set(missing.value.message_dict) == {"documents", "contracted_amount"}
    with pytest.raises(ValidationError) as wrong_kind:
        move(org, p, "signed", D(2026, 3, 2), contracted_amount=Decimal("8000"), documents=[doc("photo")])
    assert set(wrong_kind.value.message_dict) == {"documents"}
    p = move(org, p, "signed", D(2026, 3, 2), contracted_amount=Decimal("8000"), documents=[doc("agreement")])
    assert (p.stage, p.signed_on, p.contracted_amount) == ("signed", D(2026, 3, 2), Decimal("8000"))
    with pytest.raises(ValidationError) as no_code:
        move(org, p, "registered", D(2026, 4, 1), documents=[doc("licence", "执照.pdf")])
    assert "uscc" in no_code.value.message_dict
    with pytest.raises(ValidationError) as bad_code:
        move(org, p, "registered", D(2026, 4, 1), documents=[doc("licence")], uscc="914403001922038217")
    assert "uscc" in bad_code.value.message_dict
    p = move(
        org,
        p,
        "registered",
        D(2026, 4, 1),
        documents=[doc("licence")],
        uscc=HUAWEI,
        enterprise_name="大连甲汽车部件有限公司",
    )
    enterprise = Enterprise.objects.get(uscc=HUAWEI)
    assert (
        p.enterprise == enterprise
        and enterprise.zone == org.zone_a
        and enterprise.name == "大连甲汽车部件有限公司"
    )
    with pytest.raises(ValidationError):
        move(org, p, "started", D(2026, 5, 6))
    p = move(org, p, "started", D(2026, 5, 6), documents=[doc("photo", "现场.pdf")])
    p = move(org, p, "operating", D(2026, 9, 1))
    assert p.stage == "operating"
    assert list(p.moves.values_list("to_stage", flat=True)) == [
        "negotiating",
        "signed",
        "registered",
        "started",
        "operating",
    ]


def test_registration_links_an_existing_enterprise(org: SmallOrg) -> None:
    existing = Enterprise.objects.create(name="已登记企业", uscc=HUAWEI, zone=org.zone_b, industry="x")
    p = move(
        org,
        new(org),
        "registered",
        D(2026, 3, 2),
        reason="外资项目直接注册",
        contracted_amount=Decimal("100"),
        documents=[doc("licence")],
        uscc=HUAWEI.lower(),
    )
    assert p.enterprise == existing and Enterprise.objects.count() == 1


def test_skipping_needs_a_reason(org: SmallOrg) -> None:
    p = new(org)
    with pytest.raises(ValidationError) as excinfo:
        move(org, p, "signed", D(2026, 2, 2), contracted_amount=Decimal("100"), documents=[doc("agreement")])
    assert "reason" in excinfo.value.message_dict
    p = move(
        org,
        p,
        "signed",
        D(2026, 2, 2),
        contracted_amount=Decimal("100"),
        documents=[doc("agreement")],
        reason="老客户增资，未经洽谈直接签约",
    )
    assert p.stage == "signed" and p.negotiating_on is None
    assert StageMove.objects.get(project=p).reason == "老客户增资，未经洽谈直接签约"


def test_moves_go_forward_with_sane_dates(org: SmallOrg) -> None:
    p = move(org, new(org, lead_on=D(2026, 3, 2)), "negotiating", D(2026, 3, 9))
    versions = (p.version, AuditRecord.objects.count())
    with pytest.raises(ValidationError):
        move(org, p, "lead", D(2026, 3, 10))  # backwards
    with pytest.raises(ValidationError):
        move(org, p, "negotiating", D(2026, 3, 10))  # same stage
    with pytest.raises(ValidationError) as early:
        move(org, p, "signed", D(2026, 3, 5), contracted_amount=Decimal("1"), documents=[doc("agreement")])
    assert "moved_on" in early.value.message_dict
    assert (Project.objects.get(pk=p.pk).version, AuditRecord.objects.count()) == versions


def test_lost_and_revived(org: SmallOrg) -> None:
    p = move(org, new(org), "negotiating", D(2026, 2, 2))
    with pytest.raises(ValidationError):
        services.project_mark_lost(actor=org.staff, project=p, expected_version=p.version, reason=" ")
    p = services.project_mark_lost(
        actor=org.staff, project=p, expected_version=p.version, reason="投资方转投他市"
    )
    assert p.lost_on and p.lost_reason == "投资方转投他市"
    with pytest.raises(ValidationError):
        move(org, p, "signed", D(2026, 3, 2), contracted_amount=Decimal("1"), documents=[doc("agreement")])
    assert not project_list(person=org.supervisor).filter(pk=p.pk).exists()  # lost ones are hidden by default
    p = services.project_revive(
        actor=org.staff,
        project=Project.objects.get(pk=p.pk),
        expected_version=p.version,
        reason="投资方重新接洽",
    )
    assert p.lost_on is None and p.stage == "negotiating"
    assert list(StageMove.objects.filter(project=p).values_list("kind", flat=True)) == [
        "move",
        "lost",
        "revive",
    ]


def test_stale_thresholds_at_their_boundaries(org: SmallOrg) -> None:
    p = new(org, lead_on=D(2026, 1, 5))
    services.follow_up_add(
        actor=org.staff,
        project=p,
        date=D(2026, 3, 2),
        form="visit",
        people_met="田中部长",
        outcome="介绍园区政策",
    )

    def stale(day: D) -> str:
        return project_list(person=org.supervisor, today=day).get(pk=p.pk).stale

    assert stale(D(2026, 4, 1)) == ""  # 30 days after the follow-up: not yet
    assert stale(D(2026, 4, 2)) == "yellow"  # 31 days
    assert stale(D(2026, 5, 1)) == "yellow"  # 60 days
    assert stale(D(2026, 5, 2)) == "red"  # 61 days
    # A move restarts the count: the stage was reached after the last follow-up.
    move(org, p, "negotiating", D(2026, 4, 20))
    assert stale(D(2026, 5, 2)) == ""
    assert stale(D(2026, 5, 21)) == "yellow"
    # Signed projects never go stale.
    move(org, p, "signed", D(2026, 5, 25), contracted_amount=Decimal("10"), documents=[doc("agreement")])
    assert stale(D(2026, 12, 31)) == ""
    assert (
        project_list(
            person=org.supervisor, filters=ProjectFilters(stale="any"), today=D(2026, 12, 31)
        ).count()
        == 0
    )


def test_the_stale_sweep_alerts_once_per_quiet_spell(org: SmallOrg) -> None:
    p = new(org, lead_on=D(2026, 1, 5))
    assert services.stale_sweep(today=D(2026, 2, 20)) == 0  # 46 days: yellow only
    assert services.stale_sweep(today=D(2026, 3, 7)) == 1  # 61 days: red
    assert services.stale_sweep(today=D(2026, 3, 8)) == 0
    with time_machine.travel(datetime.datetime(2026, 3, 9, 10, tzinfo=SH), tick=False):
        services.follow_up_add(
            actor=org.staff, project=p, date=D(2026, 3, 9), form="phone", people_met="x", outcome="y"
        )
    assert services.stale_sweep(today=D(2026, 5, 10)) == 1  # a new quiet spell


def test_funnel_arithmetic(org: SmallOrg) -> None:
    a = move(
        org, new(org, name="甲", lead_on=D(2026, 1, 1)), "negotiating", D(2026, 1, 11)
    )  # 10 days as a lead
    a = move(
        org, a, "signed", D(2026, 2, 10), contracted_amount=Decimal("20000"), documents=[doc("agreement")]
    )
    b = move(org, new(org, name="乙", lead_on=D(2026, 1, 1)), "negotiating", D(2026, 1, 21))  # 20 days
    move(org, new(org, name="丙", lead_on=D(2026, 1, 1)), "negotiating", D(2026, 1, 31))  # 30 days
    new(org, name="丁", lead_on=D(2026, 1, 1))
    steps = {s.stage: s for s in funnel(person=org.supervisor)}
    assert [steps[s].reached for s in ("lead", "negotiating", "signed", "registered")] == [4, 3, 1, 0]
    assert steps["negotiating"].conversion == Decimal("75.0")
    assert steps["signed"].conversion == Decimal("33.3")
    assert steps["registered"].conversion == Decimal("0.0")
    assert steps["lead"].median_days == 20  # 10, 20, 30
    assert steps["negotiating"].median_days == 30  # only 甲 moved on
    assert b.stage == "negotiating"


def test_targets_against_hand_computed_figures(org: SmallOrg) -> None:
    services.target_set(
        actor=org.supervisor,
        zone=org.zone_a,
        year=2026,
        signed_amount=Decimal("50000"),
        started_count=4,
        actual_investment=Decimal("20000"),
        big_projects=2,
    )
    with pytest.raises(PermissionDenied):
        services.target_set(
            actor=org.staff,
            zone=org.zone_a,
            year=2026,
            signed_amount=Decimal(1),
            started_count=1,
            actual_investment=Decimal(1),
            big_projects=1,
        )
    big = move(
        org,
        new(org, name="大项目"),
        "signed",
        D(2026, 3, 10),
        contracted_amount=Decimal("15000"),
        documents=[doc("agreement")],
        reason="直接签约",
    )
    move(
        org,
        new(org, name="小项目"),
        "signed",
        D(2026, 5, 10),
        contracted_amount=Decimal("5000"),
        documents=[doc("agreement")],
        reason="直接签约",
    )
    move(
        org,
        new(org, name="元旦签约", lead_on=D(2025, 12, 1)),
        "signed",
        D(2026, 1, 1),
        contracted_amount=Decimal("30000"),
        documents=[doc("agreement")],
        reason="直接签约",
    )
    big = move(org, big, "registered", D(2026, 4, 1), documents=[doc("licence")], uscc=HUAWEI)
    big = move(org, big, "started", D(2026, 4, 20), documents=[doc("permit")])
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=SH), tick=False):
        services.investment_record(actor=org.staff, project=big, month=D(2026, 4, 15), amount=Decimal("3000"))
        services.investment_record(actor=org.staff, project=big, month=D(2026, 5, 1), amount=Decimal("4500"))
        services.investment_record(
            actor=org.staff, project=big, month=D(2026, 5, 1), amount=Decimal("4000")
        )  # corrected
    (row,) = [r for r in targets(person=org.supervisor, year=2026) if r.zone == org.zone_a]
    assert row.signed_amount == Decimal("50000")  # 15000 + 5000 + 30000 (1 Jan counts)
    assert row.big_projects == 2  # 15000 and 30000 are above 1 亿元
    assert row.started_count == 1
    assert row.actual_investment == Decimal("7000")
    assert row.percent("signed_amount") == Decimal("100.0")
    assert row.percent("actual_investment") == Decimal("35.0")
    assert row.monthly["actual_investment"][3:6] == [Decimal("3000"), Decimal("7000"), Decimal("7000")]
    assert row.monthly["signed_amount"][0] == Decimal("30000")


def test_kanban_columns_count_and_total(org: SmallOrg) -> None:
    new(org, amount="100")
    new(org, amount="250")
    move(org, new(org, amount="1000"), "negotiating", D(2026, 2, 2))
    columns = {c.stage: c for c in kanban(person=org.supervisor, zone=org.zone_a)}
    assert (columns["lead"].count, columns["lead"].amount) == (2, Decimal("350"))
    assert (columns["negotiating"].count, columns["negotiating"].amount) == (1, Decimal("1000"))
    assert columns["signed"].count == 0 and columns["signed"].cards == []


def test_access_zone_staff_leaders_and_enterprises(org: SmallOrg) -> None:
    in_b = new(org, name="山河项目", zone=org.zone_b)
    in_b_by_zone_office = services.project_create(
        actor=org.other_staff,
        name="片区自招项目",
        investor="x",
        origin="中国大陆",
        industry="建材",
        zone=org.zone_b,
        planned_investment=Decimal("10"),
    )
    visible = lambda person, p: Project.objects.visible_to(person).filter(pk=p.pk).exists()  # noqa: E731
    assert visible(org.other_staff, in_b) and visible(org.other_staff, in_b_by_zone_office)  # their zone
    assert visible(org.staff, in_b)  # their own unit's project
    assert not visible(org.staff, in_b_by_zone_office)
    assert visible(org.deputy, in_b_by_zone_office) and visible(org.principal, in_b)  # leaders see all
    assert not visible(org.enterprise, in_b) and not visible(org.nobody, in_b)
    with pytest.raises(PermissionDenied):
        services.follow_up_add(
            actor=org.steward, project=in_b, date=D(2026, 1, 6), form="visit", people_met="x", outcome="y"
        )
