"""Fixtures for the implementation list: items driven through the real services at chosen moments."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine

from luoshi.conftest import SmallOrg
from luoshi.worklist import services
from luoshi.worklist.models import Item

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def make_item(org: SmallOrg) -> Callable[..., Item]:
    """Create, publish and claim an item (so it is in progress) on `started`, with the deadline given."""

    def make(
        *, deadline: datetime.date, started: datetime.date | None = None, claim: bool = True, **fields: object
    ) -> Item:
        started = started or deadline - datetime.timedelta(days=60)
        with time_machine.travel(moment(started), tick=False):
            item = services.item_create(
                actor=org.supervisor,
                title=fields.pop("title", "湾北高科技产业集聚区规划"),  # type: ignore[arg-type]
                deadline=deadline,
                lead_unit=org.bureau,
                leader=org.deputy,
                target_text=fields.pop("target_text", "完成规划编制"),
                **fields,
            )
            item = services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
            if claim:
                item = services.item_claim(
                    actor=org.head, item=item, expected_version=item.version, owner=org.staff
                )
        return item

    return make


def report_on(org: SmallOrg, item: Item, day: datetime.date, percent: int = 50) -> None:
    with time_machine.travel(moment(day), tick=False):
        services.report_submit(actor=org.staff, item=item, done="推进中", percent=percent)
