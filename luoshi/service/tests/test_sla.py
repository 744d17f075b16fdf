"""Response and resolution due times on real working days, pauses, reopen, links, rates."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.core import calendar as workcal
from luoshi.core.models import AuditRecord
from luoshi.notify.models import Notification
from luoshi.service import services, sla
from luoshi.service.models import Rating, RequestState, ServiceRequest, SlaAlert
from luoshi.service.selectors import rate_drilldown, rates

from .conftest import Desk

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
S = RequestState


def t(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, h, mi, tzinfo=SH)


def midnight_after(y: int, m: int, d: int) -> datetime.datetime:
    return datetime.datetime(y, m, d, tzinfo=SH) + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("arrived", "due"),
    [
        (t(2026, 3, 6, 20, 15), midnight_after(2026, 3, 6)),  # Friday evening: still the same day
        (t(2026, 3, 7, 9), midnight_after(2026, 3, 9)),  # Saturday: the next working day, Monday
        (t(2026, 2, 14, 9), midnight_after(2026, 2, 14)),  # make-up Saturday before the Spring Festival
        (t(2026, 2, 15, 9), midnight_after(2026, 2, 24)),  # inside the festival: the first day after it
        (t(2026, 2, 27, 23, 59), midnight_after(2026, 2, 27)),
        (t(2026, 9, 30, 18), midnight_after(2026, 9, 30)),  # the eve of National Day
        (t(2026, 10, 3, 11), midnight_after(2026, 10, 8)),  # a holiday arrival
        (t(2026, 10, 10, 8), midnight_after(2026, 10, 10)),  # make-up Saturday after National Day
    ],
)
def test_response_due(arrived: datetime.datetime, due: datetime.datetime) -> None:
    assert sla.response_due(arrived) == due


@pytest.mark.parametrize(
    ("started", "days", "due"),
    [
        (t(2026, 2, 12), 3, midnight_after(2026, 2, 24)),  # 13, 14 (make-up Sat), 24 Feb
        (t(2026, 9, 29), 3, midnight_after(2026, 10, 9)),  # 30 Sep, 8, 9 Oct
        (t(2026, 10, 9), 1, midnight_after(2026, 10, 10)),  # the make-up Saturday counts
        (t(2026, 10, 4), 2, midnight_after(2026, 10, 10)),  # started on a holiday: count from 8 Oct
    ],
)
def test_resolution_due(started: datetime.datetime, days: int, due: datetime.datetime) -> None:
    assert sla.resolution_due(started, days) == due


def _file(desk: Desk, at: datetime.datetime) -> ServiceRequest:
    with time_machine.travel(at, tick=False):
        return services.request_file(
            actor=desk.user_a,
            enterprise=desk.a,
            category=desk.category,
            title="用地指标咨询",
            description="扩建厂房需要新增用地指标",
        )


def _step(at: datetime.datetime, fn: Callable[..., object], **kwargs: object) -> object:
    with time_machine.travel(at, tick=False):
        return fn(**kwargs)


def _fresh(r: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=r.pk)


def _handle(desk: Desk, r: ServiceRequest, at: datetime.datetime) -> ServiceRequest:
    _step(
        at,
        services.request_dispatch,
        actor=desk.org.steward,
        request=_fresh(r),
        expected_version=None,
        unit=desk.org.bureau,
    )
    _step(at, services.request_acknowledge, actor=desk.org.head, request=_fresh(r), expected_version=None)
    return _fresh(r)


def test_the_stored_due_times_equal_the_sla_functions(desk: Desk) -> None:
    r = _handle(desk, _file(desk, t(2026, 9, 30, 21)), t(2026, 10, 8, 9))
    assert r.response_due_at == sla.response_due(r.received_at) == midnight_after(2026, 9, 30)
    assert r.acknowledged_at > r.response_due_at  # late: acknowledged after the holiday
    assert r.resolution_due_at == sla.resolution_due(r.acknowledged_at, 3) == midnight_after(2026, 10, 12)


def test_pause_and_resume_extend_the_resolution_clock(desk: Desk) -> None:
    r = _handle(desk, _file(desk, t(2026, 3, 2, 9)), t(2026, 3, 2, 10))  # Monday; due end of Thursday 5th
    assert r.resolution_due_at == midnight_after(2026, 3, 5)
    _step(
        t(2026, 3, 3, 9),
        services.request_wait,
        actor=desk.org.head,
        request=r,
        expected_version=r.version,
        needed="请补充营业执照和用地红线图",
    )
    r = _fresh(r)
    assert r.state == S.WAITING and r.paused_at
    with pytest.raises(ValidationError):  # cannot resolve while waiting
        services.request_resolve(actor=desk.org.head, request=r, expected_version=r.version, reply="x")
    _step(
        t(2026, 3, 5, 15),
        services.request_resume,
        actor=desk.user_a,
        request=r,
        expected_version=r.version,
        note="已上传",
        files=[SimpleUploadedFile("红线图.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    r = _fresh(r)
    # Waited Tuesday→Thursday: 2 working days added, so due at the end of Monday 9th.
    assert r.state == S.ACKNOWLEDGED and r.paused_at is None
    assert r.resolution_due_at == midnight_after(2026, 3, 9)
    assert r.pauses.get().ended_at == t(2026, 3, 5, 15)


def test_a_low_rating_reopens_the_request(
    desk: Desk, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    r = _handle(desk, _file(desk, t(2026, 3, 2, 9)), t(2026, 3, 2, 10))
    r, _token = _step(
        t(2026, 3, 3, 16),
        services.request_resolve,
        actor=desk.org.head,
        request=r,
        expected_version=r.version,
        reply="已协调规划部门",
    )  # type: ignore[misc]
    with pytest.raises(ValidationError):  # a low rating needs a comment
        services.request_rate(actor=desk.user_a, request=_fresh(r), stars=2)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _step(
            t(2026, 3, 4, 9),
            services.request_rate,
            actor=desk.user_a,
            request=_fresh(r),
            stars=2,
            comment="只答复了政策，没有解决问题",
        )
    r = _fresh(r)
    assert r.state == S.ACKNOWLEDGED and r.reopen_count == 1 and r.resolved_at is None
    assert r.resolution_due_at == sla.resolution_due(t(2026, 3, 4, 9), 3)
    alerted = set(
        Notification.objects.filter(kind="request_reopened").values_list("recipient__username", flat=True)
    )
    assert alerted == {"head", "steward"}
    r, _token = _step(
        t(2026, 3, 5),
        services.request_resolve,
        actor=desk.org.head,
        request=r,
        expected_version=r.version,
        reply="已落实新增用地指标",
    )  # type: ignore[misc]
    _step(t(2026, 3, 6), services.request_rate, actor=desk.user_a, request=_fresh(r), stars=5, comment="")
    r = _fresh(r)
    assert (r.state, r.stars, r.reopen_count, r.ratings.count()) == (S.RATED, 5, 1, 2)


def test_the_signed_rating_link(desk: Desk) -> None:
    r = _handle(desk, _file(desk, t(2026, 3, 2, 9)), t(2026, 3, 2, 10))
    r, token = _step(
        t(2026, 3, 3),
        services.request_resolve,
        actor=desk.org.head,
        request=r,
        expected_version=r.version,
        reply="已办结",
    )  # type: ignore[misc]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(ValidationError) as tampered_error:
        services.request_rate_by_link(token=tampered, stars=5)
    assert tampered_error.value.code == "invalid"
    with time_machine.travel(t(2026, 4, 3), tick=False), pytest.raises(ValidationError) as expired:
        services.request_rate_by_link(token=token, stars=5)  # 31 days later
    assert expired.value.code == "expired"
    assert _fresh(r).state == S.RESOLVED and not Rating.objects.exists()
    with time_machine.travel(t(2026, 3, 10), tick=False):
        services.request_rate_by_link(token=token, stars=4, comment="满意")
        with pytest.raises(ValidationError) as reused:
            services.request_rate_by_link(token=token, stars=1, comment="再评一次")
        assert reused.value.code == "used"
    rating = Rating.objects.get()
    assert (rating.stars, rating.via, rating.by) == (4, "link", None)


def test_illegal_steps_are_refused_and_change_nothing(desk: Desk) -> None:
    r = _file(desk, t(2026, 3, 2, 9))
    count = AuditRecord.objects.count()
    for call in (
        lambda: services.request_acknowledge(actor=desk.org.head, request=_fresh(r), expected_version=None),
        lambda: services.request_resolve(
            actor=desk.org.head, request=_fresh(r), expected_version=None, reply="x"
        ),
        lambda: services.request_close(actor=desk.org.steward, request=_fresh(r), expected_version=None),
    ):
        with pytest.raises((ValidationError, PermissionDenied)):
            call()
    assert _fresh(r).state == S.RECEIVED and AuditRecord.objects.count() == count


def test_a_wrong_dispatch_can_be_returned(desk: Desk) -> None:
    r = _file(desk, t(2026, 3, 2, 9))
    services.request_dispatch(
        actor=desk.org.steward, request=r, expected_version=r.version, unit=desk.org.zone_office
    )
    with pytest.raises(ValidationError):
        services.request_return(
            actor=desk.org.other_staff, request=_fresh(r), expected_version=None, reason=" "
        )
    services.request_return(
        actor=desk.org.other_staff, request=_fresh(r), expected_version=None, reason="属于招商局职责"
    )
    r = _fresh(r)
    assert (r.state, r.unit, r.return_reason) == (S.RECEIVED, None, "属于招商局职责")


def test_unknown_year_warns(desk: Desk) -> None:
    year = max(workcal.PACKAGE_YEARS) + 1
    with pytest.warns(workcal.UnknownCalendarYear):
        sla.response_due(t(year, 3, 1, 9))


def test_the_sla_sweep_reminds_and_alerts_once(desk: Desk) -> None:
    r = _file(desk, t(2026, 3, 2, 9))
    services.request_dispatch(actor=desk.org.steward, request=r, expected_version=None, unit=desk.org.bureau)
    assert services.sla_sweep(at=t(2026, 3, 2, 12)) == 0
    assert services.sla_sweep(at=t(2026, 3, 2, 22)) == 1  # within 3 hours of midnight: reminder
    assert services.sla_sweep(at=t(2026, 3, 2, 22, 30)) == 0
    assert services.sla_sweep(at=t(2026, 3, 3, 8)) == 1  # breached
    assert services.sla_sweep(at=t(2026, 3, 3, 9)) == 0
    assert set(SlaAlert.objects.values_list("kind", flat=True)) == {"response_reminder", "response_breach"}


def test_the_three_rates_against_hand_computed_figures(desk: Desk) -> None:
    org = desk.org

    def flow(
        arrive: datetime.datetime,
        ack: datetime.datetime | None,
        resolve: datetime.datetime | None,
        stars: int | None,
    ) -> ServiceRequest:
        r = _file(desk, arrive)
        if ack is None:  # dispatched, never acknowledged
            _step(
                arrive,
                services.request_dispatch,
                actor=org.steward,
                request=r,
                expected_version=None,
                unit=org.bureau,
            )
            return r
        r = _handle(desk, r, ack)
        if resolve is not None:
            r = _step(
                resolve,
                services.request_resolve,
                actor=org.head,
                request=r,
                expected_version=None,
                reply="已办结",
            )[0]  # type: ignore[index]
        if stars is not None:
            _step(
                resolve + datetime.timedelta(hours=2),
                services.request_rate,
                actor=desk.user_a,  # type: ignore[operator]
                request=_fresh(r),
                stars=stars,
                comment="" if stars > 3 else "不满意",
            )
        return r

    # March 2026, the bureau: four requests received.
    flow(t(2026, 3, 2, 9), t(2026, 3, 2, 11), t(2026, 3, 3, 10), 5)  # on time, on time, 5★
    flow(t(2026, 3, 3, 9), t(2026, 3, 4, 9), t(2026, 3, 5, 10), 4)  # response late (next day)
    flow(t(2026, 3, 9, 9), t(2026, 3, 9, 10), t(2026, 3, 20, 10), 2)  # resolved late, 2★ → reopened
    flow(t(2026, 3, 10, 9), None, None, None)  # never acknowledged
    (bureau,) = rates(person=org.supervisor, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    assert (bureau.received, bureau.responded_on_time, bureau.response_rate) == (4, 2, Decimal("50.0"))
    # Due in March: the three acknowledged ones; the reopened one is due again in March (new clock)
    # and not yet re-resolved, so 2 of 3 resolved on time.
    assert (bureau.due, bureau.resolved_on_time) == (3, 2)
    assert (bureau.rated, bureau.satisfied, bureau.satisfaction_rate) == (3, 2, Decimal("66.7"))
    assert bureau.stars_avg == Decimal("3.67")
    assert (bureau.resolved, bureau.reopened) == (3, 1)
    march = {"start": datetime.date(2026, 3, 1), "end": datetime.date(2026, 3, 31)}
    assert rate_drilldown(person=org.supervisor, figure="responded", unit=org.bureau, **march).count() == 2
    assert rate_drilldown(person=org.supervisor, figure="satisfied", unit=org.bureau, **march).count() == 2
    # Another unit's staff see none of it.
    assert rates(person=org.other_staff, **march) == []


def test_enterprise_a_sees_nothing_of_enterprise_b(desk: Desk) -> None:
    r = _file(desk, t(2026, 3, 2, 9))
    assert ServiceRequest.objects.visible_to(desk.user_a).filter(pk=r.pk).exists()
    assert not ServiceRequest.objects.visible_to(desk.user_b).filter(pk=r.pk).exists()
    from luoshi.service.models import Enterprise

    assert list(Enterprise.objects.visible_to(desk.user_b)) == [desk.b]
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: B cannot file for A
        services.request_file(
            actor=desk.user_b, enterprise=desk.a, category=desk.category, title="x", description="y"
        )
