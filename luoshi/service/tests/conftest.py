"""Fixtures for the service desk: two enterprises with their users, a category, a unit to handle."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from luoshi.conftest import SmallOrg, make_person
from luoshi.org.models import Person
from luoshi.service import services
from luoshi.service.models import Category, Enterprise

HUAWEI = "914403001922038216"  # real codes, valid under GB 32100-2015
TENCENT = "9144030071526726XG"
ALIBABA = "91330100716105852F"


@dataclass
class Desk:
    org: SmallOrg
    category: Category  # resolved in 3 working days
    a: Enterprise
    b: Enterprise
    user_a: Person
    user_b: Person


@pytest.fixture
def desk(org: SmallOrg) -> Desk:
    category = Category.objects.create(name="用地规划", resolution_days=3, default_unit=org.bureau)
    a = services.enterprise_create(
        actor=org.steward,
        name="大连甲半导体有限公司",
        uscc=HUAWEI,
        zone=org.zone_a,
        industry="集成电路",
        steward=org.steward,
    )
    b = services.enterprise_create(
        actor=org.steward, name="大连乙建材有限公司", uscc=TENCENT, zone=org.zone_b, industry="绿色建材"
    )
    user_a = make_person(org.admin, "ent_a", None, "enterprise")
    user_b = make_person(org.admin, "ent_b", None, "enterprise")
    services.enterprise_member_set(actor=org.steward, person=user_a, enterprise=a)
    services.enterprise_member_set(actor=org.steward, person=user_b, enterprise=b)
    return Desk(org=org, category=category, a=a, b=b, user_a=user_a, user_b=user_b)
