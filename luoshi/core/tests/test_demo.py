"""The demo data: volumes, a realistic mix, SLA promises equal to the SLA functions of the stored
facts, valid codes, and a second load that changes nothing.

The whole demo is loaded once for the module (it takes a while) into the test database; each test
runs inside it and rolls back its own changes.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from luoshi.core import calendar as workcal
from luoshi.core.models import AuditRecord
from luoshi.core.models import Counter as CodeCounter
from luoshi.core.uploads import detected_type
from luoshi.demo.dates import recode_by_year
from luoshi.demo.documents import pdf_bytes
from luoshi.demo.loader import DemoResult, load_demo
from luoshi.demo.service import make_uscc, org_code_check
from luoshi.investment import services as investment
from luoshi.investment.models import (
    FollowUp,
    MonthlyInvestment,
    Project,
    ProjectDocument,
    StageMove,
    ZoneTarget,
)
from luoshi.investment.selectors import targets
from luoshi.investment.services import REQUIRED_EVIDENCE
from luoshi.investment.stale import annotate_stale
from luoshi.notify.models import Notification
from luoshi.org.models import Person, Zone
from luoshi.service import sla
from luoshi.service.models import (
    Category,
    Enterprise,
    Pause,
    Rating,
    RequestState,
    ServiceRequest,
    SlaAlert,
)
from luoshi.service.uscc import validate_uscc

pytestmark = pytest.mark.django_db
S = RequestState
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoResult]:
    """The full demo (2,000 requests), loaded once; notifications run as they would after commit."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        with override_settings(LUOSHI_DEMO_REQUESTS=2000), TestCase.captureOnCommitCallbacks(execute=True):
            result = load_demo()
        yield result
        transaction.set_rollback(True)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def test_an_empty_database_gets_the_expected_volumes(demo: DemoResult) -> None:
    assert demo.created
    served = Enterprise.objects.filter(steward__isnull=False)
    assert served.count() == 200
    assert set(served.values_list("zone__code", flat=True).distinct()) == {
        "xinriben",
        "sanshilipu",
        "songmudao",
        "kechuang",
        "gaotie",
        "wanbei",
        "shanhe",
    }
    assert ServiceRequest.objects.count() == 2000
    assert Category.objects.count() == 8
    assert all(c.default_unit_id for c in Category.objects.all())
    assert Project.objects.count() == 150
    assert ZoneTarget.objects.filter(year=timezone.localdate().year).count() == 7
    # Loaded through the services: every request and project has its audit trail.
    for model, action in ((ServiceRequest, "file"), (Project, "create"), (Enterprise, "create")):
        audited = AuditRecord.objects.filter(content_type__model=model._meta.model_name, action=action)
        assert audited.values("object_id").distinct().count() >= min(model.objects.count(), 200)


def test_enterprises_fit_their_zones_and_carry_valid_codes(demo: DemoResult) -> None:
    for enterprise in Enterprise.objects.all():
        assert validate_uscc(enterprise.uscc) == enterprise.uscc
    served = Enterprise.objects.filter(steward__isnull=False)
    assert all(uscc.startswith("91210213") for uscc in served.values_list("uscc", flat=True))
    assert served.filter(uscc__startswith="91210213MA").count() > 150  # registered since 2015
    industries = {
        zone: set(served.filter(zone__code=zone).values_list("industry", flat=True))
        for zone in ("xinriben", "songmudao", "wanbei", "shanhe")
    }
    assert {"汽车零部件", "新能源汽车"} <= industries["xinriben"]
    assert "精细化工" in industries["songmudao"]
    assert "集成电路" in industries["wanbei"]
    assert "绿色建材" in industries["shanhe"]
    assert set(served.values_list("stage", flat=True)) == {"preparing", "building", "operating", "growing"}
    assert all(e.contacts.exists() for e in served.prefetch_related("contacts"))
    steward = Person.objects.get(username="steward")
    assert served.filter(steward=steward).count() >= 50  # the demo steward has a good share


def test_requests_show_a_realistic_mix(demo: DemoResult) -> None:
    states = Counter(ServiceRequest.objects.values_list("state", flat=True))
    assert set(states) == set(S.values)
    assert states[S.CLOSED] > 1000
    for open_state in (S.RECEIVED, S.DISPATCHED, S.WAITING):
        assert states[open_state] >= 3
    assert states[S.ACKNOWLEDGED] >= 10

    stars = Counter(Rating.objects.values_list("stars", flat=True))
    rated = sum(stars.values())
    assert (stars[4] + stars[5]) / rated > 0.9
    low = stars[1] + stars[2] + stars[3]
    assert low >= 10
    # Every low rating reopened its request; most were resolved again since.
    reopened = ServiceRequest.objects.filter(reopen_count__gt=0)
    assert sum(reopened.values_list("reopen_count", flat=True)) == low
    assert reopened.filter(state__in=[S.RATED, S.CLOSED]).count() > low / 2

    requests = list(ServiceRequest.objects.all())
    arrivals = [_local(r.received_at) for r in requests]
    office = [
        a
        for a in arrivals
        if workcal.is_working_day(a.date()) and datetime.time(8) <= a.time() < datetime.time(18)
    ]
    assert 0.7 < len(office) / len(arrivals) < 0.95  # mostly working hours, some evenings and weekends
    assert any(not workcal.is_working_day(a.date()) for a in arrivals)
    assert min(arrivals).date() <= timezone.localdate() - datetime.timedelta(days=150)

    acknowledged = [r for r in requests if r.acknowledged_at]
    on_time = [r for r in acknowledged if r.acknowledged_at <= r.response_due_at]  # type: ignore[operator]
    assert 0.85 < len(on_time) / len(acknowledged) < 1  # mostly the same day, some late
    resolved = [r for r in requests if r.resolved_at]
    in_time = [r for r in resolved if r.resolved_at <= r.resolution_due_at]  # type: ignore[operator]
    assert 0.8 < len(in_time) / len(resolved) < 1
    assert AuditRecord.objects.filter(action="return", content_type__model="servicerequest").exists()
    assert len({r.unit_id for r in requests if r.unit_id}) >= 12  # dispatched to many units
    alerts = set(SlaAlert.objects.values_list("kind", flat=True))
    assert {"response_breach", "resolution_breach"} <= alerts


def test_every_fact_is_in_order_and_every_due_time_is_the_sla_of_the_facts(demo: DemoResult) -> None:
    now = timezone.now()
    requests = ServiceRequest.objects.select_related("category").prefetch_related("pauses", "ratings")
    for r in requests:
        facts = [r.received_at, r.dispatched_at, r.acknowledged_at, r.first_resolved_at, r.closed_at]
        known = [f for f in facts if f is not None]
        assert known == sorted(known) and known[-1] <= now, r.code
        assert r.response_due_at == sla.response_due(r.received_at), r.code
        if r.acknowledged_at is None:
            assert r.resolution_due_at is None, r.code
            continue
        lows = [rating.rated_at for rating in r.ratings.all() if rating.stars <= 3]
        clock = max(lows) if lows else r.acknowledged_at
        ended = [(p.started_at, p.ended_at) for p in r.pauses.all() if p.started_at >= clock and p.ended_at]
        expected = sla.resolution_due(clock, r.category.resolution_days, sla.paused_working_days(ended))
        assert r.resolution_due_at == expected, r.code
        if r.state == S.WAITING:
            assert r.paused_at == max(p.started_at for p in r.pauses.all())
        if r.stars is not None:
            assert r.rated_at == max(rating.rated_at for rating in r.ratings.all())
    for pause in Pause.objects.select_related("request"):
        assert pause.request.acknowledged_at <= pause.started_at  # type: ignore[operator]
        assert pause.ended_at is None or pause.started_at < pause.ended_at <= now


def test_codes_follow_the_order_and_year_of_the_facts(demo: DemoResult) -> None:
    for model, prefix, dated in (
        (ServiceRequest, "SR", lambda r: _local(r.received_at).date()),
        (Project, "ZS", lambda p: p.lead_on),
    ):
        rows = sorted(model.objects.all(), key=lambda row: (dated(row), row.pk))  # type: ignore[attr-defined]
        numbers: dict[int, list[int]] = {}
        for row in rows:
            match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d+)", row.code)
            assert match and int(match[1]) == dated(row).year, row.code
            numbers.setdefault(int(match[1]), []).append(int(match[2]))
        for year, seen in numbers.items():
            assert seen == list(range(1, len(seen) + 1))
            assert CodeCounter.objects.get(series=f"{prefix}-{year}").last == len(seen)


def test_the_enterprise_login_has_its_own_requests(demo: DemoResult) -> None:
    sun = Person.objects.get(username="enterprise")
    own = ServiceRequest.objects.visible_to(sun)
    assert own.count() >= 10
    assert {r.enterprise.steward.username for r in own.select_related("enterprise__steward")} == {"steward"}  # type: ignore[union-attr]
    assert own.filter(state=S.RESOLVED).exists()  # waiting for 孙伟's rating
    assert own.filter(state=S.WAITING).exists()  # waiting for 孙伟's company to supply something
    assert own.filter(state=S.CLOSED).exists()
    assert Rating.objects.filter(request__in=own, via="portal", by=sun).exists()


def test_inboxes_hold_what_is_waiting_today(demo: DemoResult) -> None:
    steward = Person.objects.get(username="steward")
    unread = Notification.objects.filter(recipient=steward, read_at__isnull=True)
    assert Notification.objects.filter(recipient=steward).count() > 500  # six months of news …
    assert unread.count() < 60  # … but only today's business is unread
    waiting = set(ServiceRequest.objects.filter(state=S.RECEIVED).values_list("pk", flat=True))
    for notice in unread.filter(kind="request_received"):
        assert int(notice.object_id) in waiting
    created = list(Notification.objects.filter(recipient=steward).values_list("created_at", flat=True))
    assert min(created) < timezone.now() - datetime.timedelta(days=120)


def test_projects_show_the_pipeline_with_evidence_staleness_and_losses(demo: DemoResult) -> None:
    today = timezone.localdate()
    projects = Project.objects.all()
    assert set(projects.values_list("stage", flat=True)) == {
        "lead",
        "negotiating",
        "signed",
        "registered",
        "started",
        "operating",
    }
    assert {"日本", "中国大陆", "德国", "中国香港"} <= set(projects.values_list("origin", flat=True))
    assert projects.filter(zone__code="xinriben", origin="日本").count() >= 10  # Japanese manufacturers
    assert set(projects.values_list("unit__kind", flat=True)) == {"department", "zone_office"}
    assert all(p.leader_id for p in projects)
    assert min(projects.values_list("lead_on", flat=True)) <= today - datetime.timedelta(days=365)

    stale = Counter(annotate_stale(Project.objects.all(), today).values_list("stale", flat=True))
    assert stale["yellow"] >= 3 and stale["red"] >= 3

    lost = projects.filter(lost_on__isnull=False)
    assert lost.count() >= 4 and all(p.lost_reason for p in lost)
    revived = StageMove.objects.filter(kind="revive")
    assert revived.count() == 1 and revived.get().moved_on < today

    for move in StageMove.objects.filter(kind="move").prefetch_related("documents"):
        needed = REQUIRED_EVIDENCE.get(move.to_stage)
        if needed:
            assert needed & {d.kind for d in move.documents.all()}, move.project_id
        assert move.created_at.date() <= today
    skips = StageMove.objects.filter(kind="move").exclude(reason="")
    assert skips.count() >= 3
    for document in ProjectDocument.objects.all()[:40]:
        with document.file.open("rb") as handle:
            assert detected_type(handle) in ("pdf", "png")  # type: ignore[arg-type]

    registered = projects.filter(registered_on__isnull=False) | projects.filter(started_on__isnull=False)
    assert registered.filter(enterprise__isnull=True).count() == 0
    assert registered.filter(enterprise__steward__isnull=False).exists()  # an enterprise already served
    assert registered.filter(enterprise__steward__isnull=True).exists()  # one created at registration

    for row in MonthlyInvestment.objects.select_related("project"):
        assert row.project.stage in ("started", "operating")
        assert row.project.started_on.replace(day=1) <= row.month <= today  # type: ignore[union-attr]
    assert FollowUp.objects.filter(date__gt=today).count() == 0
    assert FollowUp.objects.count() > 500


def test_zone_targets_stand_at_different_percentages(demo: DemoResult) -> None:
    leader = Person.objects.get(username="leader")
    rows = targets(person=leader, year=timezone.localdate().year)
    percents = [p for row in rows if (p := row.percent("signed_amount")) is not None]
    assert len(percents) == 7
    # Early in January most zones have nothing yet this year; later they spread out.
    moving = [p for p in percents if p > 0]
    assert len(set(percents)) >= min(4, len(moving) + 1)
    assert not moving or max(percents) >= min(percents) + Decimal(5)


def test_a_second_load_creates_nothing(demo: DemoResult) -> None:
    models = [
        Enterprise,
        Category,
        ServiceRequest,
        Rating,
        Pause,
        SlaAlert,
        Project,
        StageMove,
        FollowUp,
        MonthlyInvestment,
        ZoneTarget,
        ProjectDocument,
        Notification,
        AuditRecord,
        Person,
    ]
    before = {m.__name__: m.objects.count() for m in models}  # type: ignore[attr-defined]
    with TestCase.captureOnCommitCallbacks(execute=True):
        again = load_demo()
    assert not again.created
    assert {m.__name__: m.objects.count() for m in models} == before  # type: ignore[attr-defined]


def test_codes_of_another_year_are_renumbered_in_that_year(demo: DemoResult) -> None:
    """Loaded early in a year, the demo's records of the year before get that year's codes."""
    staff, zone = Person.objects.get(username="staff"), Zone.objects.get(code="wanbei")

    def last(series: str) -> int:
        counter = CodeCounter.objects.filter(series=series).first()
        return counter.last if counter else 0

    def new(name: str, lead_on: datetime.date | None = None) -> Project:
        return investment.project_create(
            actor=staff,
            name=name,
            investor="大连甲投资有限公司",
            origin="中国大陆",
            industry="新材料",
            zone=zone,
            planned_investment=Decimal(1000),
            lead_on=lead_on,
        )

    before_2026, before_2027 = last("ZS-2026"), last("ZS-2027")
    with time_machine.travel(datetime.datetime(2027, 1, 5, 10, tzinfo=SH), tick=False):
        leads = [datetime.date(2026, 12, 20), datetime.date(2026, 12, 28), datetime.date(2027, 1, 4)]
        projects = [new(f"项目{i}", day) for i, day in enumerate(leads)]
        assert all(p.code.startswith("ZS-2027-") for p in projects)
        recode_by_year(projects, prefix="ZS", width=4, dated=leads)
        later = new("后来的项目")
    assert [Project.objects.get(pk=p.pk).code for p in projects] == [
        f"ZS-2026-{before_2026 + 1:04d}",
        f"ZS-2026-{before_2026 + 2:04d}",
        f"ZS-2027-{before_2027 + 1:04d}",
    ]
    assert later.code == f"ZS-2027-{before_2027 + 2:04d}"


def test_generated_codes_and_documents_are_real() -> None:
    # The organisation code's own check character (GB 11714), on real companies' codes.
    for real in ("914403001922038216", "9144030071526726XG", "91330100716105852F"):
        assert org_code_check(real[8:16]) == real[16]
    import random

    rng, used = random.Random(1), set[str]()
    codes = [make_uscc(rng, used, legacy=i % 2 == 0) for i in range(200)]
    assert len(set(codes)) == 200
    for code in codes:
        assert validate_uscc(code) == code and code.startswith("91210213")
        assert org_code_check(code[8:16]) == code[16]
    pdf = pdf_bytes("Investment agreement", "(demo)")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf)]
    assert [pdf[o : o + 8] for o in offsets] == [b"%d 0 obj\n" % n for n in range(1, 6)]
    start = int(re.search(rb"startxref\n(\d+)", pdf)[1])  # type: ignore[index]
    assert pdf[start : start + 4] == b"xref"


def test_the_list_items_keep_the_facts_of_their_milestones_and_reports(demo: DemoResult) -> None:
    """The demo writes back-dated milestones and reports directly, then refreshes what the items keep:
    each item's kept facts are those of its history, and today's lights (read from the kept facts)
    are those the history gives for this moment, with red, yellow and green all present."""
    from luoshi.worklist.models import Item, first_undone_due, last_report_on

    items = Item.objects.annotate(derived_due=first_undone_due(), derived_report=last_report_on())
    assert [(i.code, i.next_milestone_due, i.last_report_on) for i in items] == [
        (i.code, i.derived_due, i.derived_report) for i in items
    ]
    now = timezone.now()
    today = dict(Item.objects.with_light().values_list("code", "light"))
    assert today == dict(Item.objects.with_light(now).values_list("code", "light"))
    assert {"red", "yellow", "green"} <= set(today.values())
