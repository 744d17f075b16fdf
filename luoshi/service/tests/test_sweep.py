"""The SLA sweep at scale: who is told, once each, and in a number of queries that does not grow."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import make_person
from luoshi.notify.models import Notification
from luoshi.service import services
from luoshi.service.models import ServiceRequest, SlaAlert

from .conftest import Desk

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
MONDAY = datetime.datetime(2026, 3, 2, 9, tzinfo=SH)
MONDAY_EVENING = datetime.datetime(2026, 3, 2, 22, tzinfo=SH)  # 2 hours before the response is due
TUESDAY = datetime.datetime(2026, 3, 3, 8, tzinfo=SH)  # the response is overdue


def _file(desk: Desk, *, on_b: bool = False, dispatch: bool = True) -> ServiceRequest:
    with time_machine.travel(MONDAY, tick=False):
        request = services.request_file(
            actor=desk.user_b if on_b else desk.user_a,
            enterprise=desk.b if on_b else desk.a,
            category=desk.category,
            title="用地指标咨询",
            description="扩建厂房需要新增用地指标",
        )
        if dispatch:
            services.request_dispatch(
                actor=desk.org.steward, request=request, expected_version=None, unit=desk.org.bureau
            )
    return request


def _told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_reminder_goes_to_the_unit_and_a_breach_to_its_head_and_the_steward(
    desk: Desk, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_person(desk.org.admin, "bureau_staff", desk.org.bureau, "staff")
    _file(desk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(at=MONDAY_EVENING) == 1
    assert _told("response_reminder") == {"head", "bureau_staff"}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(at=TUESDAY) == 1
    assert _told("response_breach") == {"head", "steward"}  # the staff had the reminder


def test_an_undispatched_breach_goes_to_the_steward_or_else_the_dispatchers(
    desk: Desk, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_person(desk.org.admin, "steward2", desk.org.service_centre, "steward")
    _file(desk, dispatch=False)  # enterprise A has a steward
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(at=TUESDAY) == 1
    assert _told("response_breach") == {"steward"}
    _file(desk, on_b=True, dispatch=False)  # enterprise B has none: every dispatcher is told
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(at=TUESDAY + datetime.timedelta(hours=1)) == 1
    assert Notification.objects.filter(kind="response_breach", recipient__username="steward2").count() == 1


def test_an_alert_another_sweep_recorded_is_not_sent_again(
    desk: Desk, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first, second = _file(desk), _file(desk)
    # An overlapping sweep recorded the first one's breach a moment ago; this one must not repeat it.
    SlaAlert.objects.create(
        request=first,
        kind="response_breach",
        due_at=first.response_due_at,
        sent_at=TUESDAY - datetime.timedelta(seconds=2),
    )
    batch = list(ServiceRequest.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk"))
    with django_capture_on_commit_callbacks(execute=True):
        sent = services._alert_batch(
            batch, "response_breach", "response_due_at", TUESDAY, services._SweepRecipients()
        )
    assert sent == 1
    assert SlaAlert.objects.filter(kind="response_breach").count() == 2
    assert set(Notification.objects.filter(kind="response_breach").values_list("object_id", flat=True)) == {
        str(second.pk)
    }


def test_the_sweep_makes_the_same_queries_whatever_the_number_of_requests(
    desk: Desk, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def sweep(dispatched: int, at: datetime.datetime) -> list[str]:
        for _ in range(dispatched):
            _file(desk)
        _file(desk, dispatch=False)  # its steward is told
        _file(desk, on_b=True, dispatch=False)  # no steward: the dispatchers are
        with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
            assert services.sla_sweep(at=at) == dispatched + 2
        return [
            q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
        ]

    few = sweep(3, TUESDAY)
    many = sweep(30, TUESDAY + datetime.timedelta(hours=1))  # the first ones are not alerted again
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= 15
    assert Notification.objects.filter(kind="response_breach").count() == 2 * (33 + 1) + 2
