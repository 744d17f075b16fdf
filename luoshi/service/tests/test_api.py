"""The service desk through the JSON API: the lifecycle with a pause, a reopen and a rating by link,
escalation, enterprise isolation, illegal steps, versions, filters, query counts, the three rates."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from luoshi.conftest import make_person
from luoshi.core.models import AuditRecord
from luoshi.org.models import Person
from luoshi.service import services, sla
from luoshi.service.models import (
    Enterprise,
    Rating,
    RatingLink,
    RequestAttachment,
    RequestState,
    ServiceRequest,
)
from luoshi.service.selectors import Rates, rates
from luoshi.service.uscc import check_character, validate_uscc
from luoshi.testing import PDF, As, assert_error, ids, if_match, ok, pdf
from luoshi.worklist.models import Item

from .conftest import ALIBABA, Desk

SH = ZoneInfo("Asia/Shanghai")
API = "/api/service"
S = RequestState
pytestmark = pytest.mark.django_db


def t(m: int, d: int, h: int = 10, mi: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, m, d, h, mi, tzinfo=SH)


def midnight_after(m: int, d: int) -> datetime.datetime:
    return datetime.datetime(2026, m, d, tzinfo=SH) + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_clock(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(t(6, 10), tick=False) as traveller:  # a Wednesday, 10:00
        yield traveller


def at(value: str | None) -> datetime.datetime | None:
    """A time as the API writes it (ISO 8601), to compare with an aware datetime."""
    return None if value is None else datetime.datetime.fromisoformat(value)


def fresh(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=sr.pk)


def usc(n: int) -> str:
    """A valid unified social credit code, the n-th of a made-up series."""
    first17 = f"91210200MA{n:07d}"
    return first17 + check_character(first17)


def request_in(desk: Desk, state: str, *, enterprise: str = "a", at: datetime.datetime | None = None) -> Any:
    """A request driven through the services up to `state`, all at one moment."""
    org = desk.org
    user, ent = (desk.user_a, desk.a) if enterprise == "a" else (desk.user_b, desk.b)
    steps = ["received", "dispatched", "acknowledged", "waiting", "resolved", "rated", "closed"]
    with time_machine.travel(at or t(6, 10, 9), tick=False):
        sr = services.request_file(
            actor=user, enterprise=ent, category=desk.category, title="用地指标咨询", description="扩建厂房"
        )
        upto = steps.index(state)
        if upto >= 1:
            services.request_dispatch(actor=org.steward, request=sr, expected_version=None, unit=org.bureau)
        if upto >= 2:
            services.request_acknowledge(actor=org.head, request=sr, expected_version=None)
        if state == "waiting":
            services.request_wait(actor=org.head, request=sr, expected_version=None, needed="补充材料")
        if upto >= 4:
            services.request_resolve(actor=org.head, request=sr, expected_version=None, reply="已办结")
        if upto >= 5:
            services.request_rate(actor=user, request=fresh(sr), stars=5)
        if upto >= 6:
            services.request_close(actor=org.steward, request=fresh(sr), expected_version=None)
    return fresh(sr)


# The lifecycle ----------------------------------------------------------------------------------


def test_full_lifecycle_with_pause_reopen_and_a_rating_by_link(
    desk: Desk, as_: As, frozen_clock: Any
) -> None:
    org = desk.org
    ent, steward, head = as_(desk.user_a), as_(org.steward), as_(org.head)

    # The enterprise files from its phone, with a file; its own enterprise is the default.
    category = ok(ent.get(f"{API}/categories"))
    assert [(c["id"], c["resolution_days"]) for c in category] == [(desk.category.pk, 3)]
    r = ent.multipart(
        f"{API}/requests",
        {
            "category_id": desk.category.pk,
            "title": "用地指标咨询",
            "description": "扩建厂房需要新增用地",
            "files": [pdf("材料.pdf")],
        },
    )
    filed = ok(r, 201)
    rid = filed["id"]
    assert r["ETag"] == '"1"'
    assert filed["code"].startswith("SR-2026-") and filed["state"] == "received"
    assert filed["enterprise"] == {"id": desk.a.pk, "name": desk.a.name}
    assert filed["channel"] == "portal" and filed["unit"] is None
    assert at(filed["response_due_at"]) == midnight_after(6, 10)  # 事不过夜
    assert filed["due_at"] == filed["response_due_at"] and not filed["overdue"]
    assert [a["original_name"] for a in filed["attachments"]] == ["材料.pdf"]
    assert ids(steward.get(f"{API}/queues/centre")) == {rid}
    assert ids(head.get(f"{API}/queues/unit")) == set()

    # The service centre dispatches; the unit sees it in its queue with the response countdown.
    r = steward.post(f"{API}/requests/{rid}/dispatch", {"unit_id": org.bureau.pk}, **if_match(1))
    assert ok(r)["state"] == "dispatched" and r["ETag"] == '"2"'
    assert ids(steward.get(f"{API}/queues/centre")) == set()
    (row,) = ok(head.get(f"{API}/queues/unit"))["items"]
    assert (row["id"], row["due_at"], row["unit"]["id"]) == (rid, filed["response_due_at"], org.bureau.pk)

    # Acknowledged at once: the resolution clock starts (3 working days: Thu, Fri, Mon).
    body = ok(head.post(f"{API}/requests/{rid}/acknowledge", {"version": 2}))
    assert body["state"] == "acknowledged" and at(body["acknowledged_at"]) == t(6, 10)
    assert at(body["resolution_due_at"]) == midnight_after(6, 15)

    # Waiting for the enterprise on Thursday: the clock stands still until Monday.
    frozen_clock.move_to(t(6, 11))
    body = ok(head.post(f"{API}/requests/{rid}/wait", {"needed": "请补充用地红线图", "version": 3}))
    assert (body["state"], body["paused"], body["overdue"]) == ("waiting", True, False)
    (pause,) = body["pauses"]
    assert (at(pause["started_at"]), pause["ended_at"], pause["reason"]) == (
        t(6, 11),
        None,
        "请补充用地红线图",
    )
    frozen_clock.move_to(t(6, 15))
    body = ok(
        ent.multipart(
            f"{API}/requests/{rid}/resume", {"note": "已上传", "version": "4", "files": [pdf("红线图.pdf")]}
        )
    )
    # Two working days waited (Fri, Mon): due at the end of Wednesday 17th instead of Monday 15th.
    assert body["state"] == "acknowledged" and body["paused_at"] is None
    assert at(body["resolution_due_at"]) == midnight_after(6, 17)
    assert at(body["resolution_due_at"]) == sla.resolution_due(t(6, 10), 3, 2)
    assert at(body["pauses"][0]["ended_at"]) == t(6, 15)
    assert len(body["attachments"]) == 2

    # Resolved with a reply: the answer carries the enterprise's one-time rating link.
    frozen_clock.move_to(t(6, 16))
    r = head.multipart(f"{API}/requests/{rid}/resolve", {"reply": "已协调规划部门", "version": "5"})
    body = ok(r)
    assert body["state"] == "resolved" and body["reply"] == "已协调规划部门"
    assert body["rating_link"].startswith("/service/rate/")
    assert body["rating_api"].startswith(f"{API}/rating-links/")
    first_link_api = body["rating_api"]

    # Two stars from the portal: the request goes back to the unit with a new clock.
    frozen_clock.move_to(t(6, 16, 11))
    r = ent.post(
        f"{API}/requests/{rid}/rate", {"stars": 2, "comment": "只答复了政策，没有解决问题", "version": 6}
    )
    body = ok(r)
    assert (body["state"], body["stars"], body["reopen_count"]) == ("acknowledged", 2, 1)
    assert body["resolved_at"] is None
    assert at(body["resolution_due_at"]) == sla.resolution_due(t(6, 16, 11), 3)
    assert [(x["stars"], x["via"], x["by"]["id"]) for x in body["ratings"]] == [(2, "portal", desk.user_a.pk)]
    assert ids(head.get(f"{API}/queues/unit")) == {rid}

    # Resolved again; this time the enterprise rates through the link, without logging in.
    frozen_clock.move_to(t(6, 17))
    body = ok(
        head.multipart(f"{API}/requests/{rid}/resolve", {"reply": "已落实新增用地指标", "version": "7"})
    )
    link = body["rating_api"]
    assert link != first_link_api
    anonymous = Client()
    shown = ok(anonymous.get(link))
    assert (shown["title"], shown["reply"], shown["can_rate"]) == ("用地指标咨询", "已落实新增用地指标", True)
    assert shown["enterprise"] == desk.a.name and shown["unit"] == org.bureau.name
    assert at(shown["expires_at"]) == (t(6, 17) + datetime.timedelta(days=30))
    frozen_clock.move_to(t(6, 17, 12))
    rated = ok(
        anonymous.post(link, json.dumps({"stars": 5, "comment": "满意"}), content_type="application/json")
    )
    assert (rated["state"], rated["stars"], rated["reopened"]) == ("rated", 5, False)

    frozen_clock.move_to(t(6, 18))
    body = ok(steward.post(f"{API}/requests/{rid}/close", {"note": "回访满意", "version": 9}))
    assert body["state"] == "closed" and at(body["closed_at"]) == t(6, 18)

    detail = ok(ent.get(f"{API}/requests/{rid}"))
    assert detail["reopen_count"] == 1 and detail["stars"] == 5
    assert [(x["stars"], x["via"]) for x in detail["ratings"]] == [(2, "portal"), (5, "link")]
    assert detail["ratings"][1]["by"] is None and detail["ratings"][1]["unit"]["id"] == org.bureau.pk
    assert [e["action"] for e in detail["timeline"]] == [
        "file",
        "dispatch",
        "acknowledge",
        "wait",
        "resume",
        "resolve",
        "reopen",
        "resolve",
        "rate",
        "close",
    ]
    notes = {e["action"]: e["note"] for e in detail["timeline"]}
    assert (notes["wait"], notes["reopen"], notes["close"]) == (
        "请补充用地红线图",
        "只答复了政策，没有解决问题",
        "回访满意",
    )
    assert detail["timeline"][-2]["actor"] is None  # rated through the link
    assert detail["version"] == 10

    # Each attachment downloads for those who see the request.
    for attachment in detail["attachments"]:
        r = ent.get(attachment["url"])
        assert r.status_code == 200 and b"".join(r.streaming_content) == PDF


def test_a_wrong_dispatch_is_returned_for_re_dispatch(desk: Desk, as_: As) -> None:
    sr = request_in(desk, "received")
    org = desk.org
    ok(
        as_(org.steward).post(
            f"{API}/requests/{sr.pk}/dispatch", {"unit_id": org.zone_office.pk, "version": 1}
        )
    )
    other = as_(org.other_staff)
    body = assert_error(
        other.post(f"{API}/requests/{sr.pk}/return", {"reason": " ", "version": 2}), 400, "invalid"
    )
    assert "reason" in body["errors"]
    body = ok(other.post(f"{API}/requests/{sr.pk}/return", {"reason": "属于招商局职责", "version": 2}))
    assert (body["state"], body["unit"], body["return_reason"]) == ("received", None, "属于招商局职责")
    # Returned, it is no longer the zone office's to see; it is back in the centre's queue.
    assert_error(other.get(f"{API}/requests/{sr.pk}"), 404, "not_found")
    assert ids(as_(org.steward).get(f"{API}/queues/centre")) == {sr.pk}


def test_staff_file_on_behalf_of_an_enterprise(desk: Desk, as_: As) -> None:
    steward = as_(desk.org.steward)
    form = {
        "category_id": desk.category.pk,
        "title": "电力增容",
        "description": "电话反映",
        "channel": "phone",
    }
    body = assert_error(steward.multipart(f"{API}/requests", form), 400, "invalid")
    assert "enterprise_id" in body["errors"]
    body = ok(steward.multipart(f"{API}/requests", {**form, "enterprise_id": desk.b.pk}), 201)
    assert (body["enterprise"]["id"], body["channel"], body["filed_by"]["id"]) == (
        desk.b.pk,
        "phone",
        desk.org.steward.pk,
    )
    body = assert_error(
        steward.multipart(f"{API}/requests", {**form, "enterprise_id": desk.b.pk, "channel": "fax"}), 400
    )
    assert "channel" in body["errors"]
    # A zone office sees the enterprises of its zone, but does not file for them.
    r = as_(desk.org.other_staff).multipart(f"{API}/requests", {**form, "enterprise_id": desk.b.pk})
    assert_error(r, 403, "forbidden")
    r = as_(desk.org.other_staff).multipart(f"{API}/requests", {**form, "enterprise_id": desk.a.pk})
    assert_error(r, 404, "not_found")
    assert ServiceRequest.objects.count() == 1


# The one-time rating link -----------------------------------------------------------------------


def test_rating_link_refuses_tampered_expired_and_used_links(desk: Desk, frozen_clock: Any) -> None:
    sr = request_in(desk, "acknowledged")
    _sr, token = services.request_resolve(
        actor=desk.org.head, request=sr, expected_version=None, reply="已办结"
    )
    anonymous = Client()
    url = f"{API}/rating-links/{token}"

    def rate(link: str, body: dict[str, Any]) -> Any:
        return anonymous.post(link, json.dumps(body), content_type="application/json")

    tampered = f"{API}/rating-links/" + token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert_error(anonymous.get(tampered), 400, "invalid")
    assert_error(rate(tampered, {"stars": 5}), 400, "invalid")
    assert_error(anonymous.get(f"{API}/rating-links/not-a-token"), 400, "invalid")

    # A low rating without a comment is refused, and the link stays usable.
    body = assert_error(rate(url, {"stars": 1}), 400, "invalid")
    assert "comment" in body["errors"]
    assert_error(rate(url, {"stars": 9}), 400, "invalid")

    frozen_clock.move_to(t(6, 10) + datetime.timedelta(days=31))
    assert_error(anonymous.get(url), 400, "expired")
    assert_error(rate(url, {"stars": 5}), 400, "expired")
    assert fresh(sr).state == S.RESOLVED and not Rating.objects.exists()

    frozen_clock.move_to(t(6, 20))
    assert ok(rate(url, {"stars": 4}))["state"] == "rated"
    assert_error(anonymous.get(url), 400, "used")
    assert_error(rate(url, {"stars": 1, "comment": "再评一次"}), 400, "used")
    assert list(Rating.objects.values_list("stars", "via")) == [(4, "link")]
    assert RatingLink.objects.get().used_at == t(6, 20)


# Escalation -------------------------------------------------------------------------------------


def test_escalation_to_a_list_item(desk: Desk, as_: As) -> None:
    sr = request_in(desk, "acknowledged")
    org = desk.org
    url = f"{API}/requests/{sr.pk}/escalate"
    assert_error(as_(org.head).post(url, {"deadline": "2026-12-31", "version": sr.version}), 403, "forbidden")
    assert not Item.objects.exists()

    r = as_(org.supervisor).post(
        url, {"deadline": "2026-12-31", "title": "新增用地指标专项"}, **if_match(sr.version)
    )
    body = ok(r)
    item = Item.objects.get()
    assert body["escalated"] is True
    assert body["item"]["id"] == item.pk and body["item"]["code"] == item.code
    assert (body["item"]["title"], body["item"]["state"], body["item"]["deadline"]) == (
        "新增用地指标专项",
        "draft",
        "2026-12-31",
    )
    assert body["item"]["light"]
    assert (item.lead_unit, item.zone, item.category) == (org.bureau, desk.a.zone, "service")
    assert list(ServiceRequest.objects.filter(item=item)) == [fresh(sr)]
    # The enterprise sees that it was escalated, but not the internal item itself.
    mine = ok(as_(desk.user_a).get(f"{API}/requests/{sr.pk}"))
    assert (mine["escalated"], mine["item"]) == (True, None)
    # Once is enough.
    r = as_(org.supervisor).post(url, {"deadline": "2026-12-31", "version": fresh(sr).version})
    assert_error(r, 400, "invalid")
    assert Item.objects.count() == 1


# Access -----------------------------------------------------------------------------------------


def test_enterprise_a_gets_404_for_everything_of_b(desk: Desk, as_: As) -> None:
    theirs = request_in(desk, "resolved", enterprise="b")
    with time_machine.travel(t(6, 10, 11), tick=False):
        filed = services.request_file(
            actor=desk.user_b,
            enterprise=desk.b,
            category=desk.category,
            title="排污许可",
            description="办理排污许可证",
            files=[pdf()],
        )
    attachment = RequestAttachment.objects.get(request=filed)
    mine = request_in(desk, "dispatched")
    a = as_(desk.user_a)
    guessed = ServiceRequest.objects.order_by("-pk").first().pk + 100  # type: ignore[union-attr]

    not_found: list[Any] = []
    for target in (theirs.pk, filed.pk, guessed):
        not_found += [
            a.get(f"{API}/requests/{target}"),
            a.get(f"{API}/requests/{target}/attachments/{attachment.pk}"),
            a.post(f"{API}/requests/{target}/rate", {"stars": 5, "version": 1}),
            a.post(f"{API}/requests/{target}/close", {"version": 1}),
            a.post(f"{API}/requests/{target}/acknowledge", {"version": 1}),
            a.post(f"{API}/requests/{target}/escalate", {"deadline": "2026-12-31", "version": 1}),
            a.multipart(f"{API}/requests/{target}/resume", {"version": "1", "files": [pdf()]}),
            a.multipart(f"{API}/requests/{target}/resolve", {"reply": "x", "version": "1"}),
        ]
    # B's attachment through A's own request, and B's enterprise by id.
    not_found.append(a.get(f"{API}/requests/{mine.pk}/attachments/{attachment.pk}"))
    for target in (desk.b.pk, Enterprise.objects.order_by("-pk").first().pk + 100):  # type: ignore[union-attr]
        not_found.append(a.get(f"{API}/enterprises/{target}"))
        not_found.append(a.patch(f"{API}/enterprises/{target}", {"industry": "x", "version": 1}))
        not_found.append(a.post(f"{API}/enterprises/{target}/members", {"person_id": desk.user_a.pk}))
    not_found.append(
        a.multipart(
            f"{API}/requests",
            {"enterprise_id": desk.b.pk, "category_id": desk.category.pk, "title": "x", "description": "y"},
        )
    )
    not_found.append(a.get(f"{API}/requests/{theirs.code}"))  # not an id at all
    bodies = [assert_error(r, 404, "not_found") for r in not_found]
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == 1  # existing or not, the same answer

    assert ids(a.get(f"{API}/requests")) == {mine.pk}
    assert ids(a.get(f"{API}/requests", {"enterprise_id": desk.b.pk})) == set()
    assert ids(a.get(f"{API}/requests", {"q": "排污"})) == set()
    assert ids(a.get(f"{API}/enterprises")) == {desk.a.pk}
    assert ids(a.get(f"{API}/queues/centre")) == set()
    assert ids(a.get(f"{API}/queues/unit")) == set()
    drill = {"figure": "received", "start": "2026-06-01", "end": "2026-06-30"}
    assert ids(a.get(f"{API}/rates/drilldown", drill)) == {mine.pk}
    assert {row["received"] for row in ok(a.get(f"{API}/rates", {"start": "2026-06-01"}))} == {1}
    # Nothing of B changed.
    assert (fresh(theirs).state, fresh(theirs).version) == (S.RESOLVED, theirs.version)
    assert not Rating.objects.exists()


def test_units_see_only_their_requests_and_only_the_centre_manages_enterprises(desk: Desk, as_: As) -> None:
    org = desk.org
    sr = request_in(desk, "dispatched")
    other = as_(org.other_staff)
    assert_error(other.get(f"{API}/requests/{sr.pk}"), 404, "not_found")
    assert_error(other.post(f"{API}/requests/{sr.pk}/acknowledge", {"version": sr.version}), 404)
    assert ids(other.get(f"{API}/requests")) == set()
    # Seen, but not theirs to do: the unit's head may not dispatch, staff of the unit may not close.
    head = as_(org.head)
    assert_error(
        head.post(f"{API}/requests/{sr.pk}/dispatch", {"unit_id": org.team.pk, "version": sr.version}), 403
    )
    assert_error(as_(desk.user_a).post(f"{API}/requests/{sr.pk}/acknowledge", {"version": sr.version}), 403)
    assert fresh(sr).state == S.DISPATCHED
    new = {"name": "大连丙公司", "uscc": ALIBABA, "zone_id": org.zone_a.pk, "industry": "电商"}
    assert_error(head.post(f"{API}/enterprises", new), 403, "forbidden")
    assert_error(as_(desk.user_a).post(f"{API}/enterprises", new), 403, "forbidden")
    assert_error(
        as_(desk.user_a).patch(f"{API}/enterprises/{desk.a.pk}", {"industry": "x", "version": 1}), 403
    )
    assert not Enterprise.objects.filter(uscc=ALIBABA).exists()


# Illegal steps ----------------------------------------------------------------------------------

ILLEGAL = [
    ("dispatch", "dispatched", "steward", {"unit_id": "bureau"}),
    ("dispatch", "closed", "steward", {"unit_id": "bureau"}),
    ("return", "acknowledged", "head", {"reason": "不属于本单位"}),
    ("acknowledge", "acknowledged", "head", {}),
    ("acknowledge", "resolved", "head", {}),
    ("wait", "dispatched", "head", {"needed": "补充"}),
    ("wait", "waiting", "head", {"needed": "补充"}),
    ("resume", "acknowledged", "head", {"note": "继续"}),
    ("resolve", "dispatched", "head", {"reply": "已办结"}),
    ("resolve", "waiting", "head", {"reply": "已办结"}),
    ("rate", "acknowledged", "user_a", {"stars": 5}),
    ("rate", "rated", "user_a", {"stars": 5}),
    ("close", "resolved", "steward", {}),
    ("close", "received", "steward", {}),
]
MULTIPART = {"resume", "resolve"}


@pytest.mark.parametrize(
    ("action", "state", "who", "payload"), ILLEGAL, ids=[f"{a}-{s}" for a, s, *_ in ILLEGAL]
)
def test_every_illegal_step_is_400_and_changes_nothing(
    desk: Desk, as_: As, action: str, state: str, who: str, payload: dict[str, Any]
) -> None:
    sr = request_in(desk, state)
    assert sr.state == state
    person = getattr(desk, who, None) or getattr(desk.org, who)
    client = as_(person)
    audits, attachments, ratings = (
        AuditRecord.objects.count(),
        RequestAttachment.objects.count(),
        Rating.objects.count(),
    )
    body = {k: getattr(desk.org, v).pk if k == "unit_id" else v for k, v in payload.items()}
    url = f"{API}/requests/{sr.pk}/{action}"
    if action in MULTIPART:
        r = client.multipart(url, {**body, "files": [pdf()]}, **if_match(sr.version))
    else:
        r = client.post(url, body, **if_match(sr.version))
    error = assert_error(r, 400, "invalid")
    after = fresh(sr)
    assert (after.state, after.version, after.unit_id) == (sr.state, sr.version, sr.unit_id), error
    assert AuditRecord.objects.count() == audits
    assert (RequestAttachment.objects.count(), Rating.objects.count()) == (attachments, ratings)


def test_a_bad_file_is_400_and_nothing_is_saved(desk: Desk, as_: As) -> None:
    fake = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    r = as_(desk.user_a).multipart(
        f"{API}/requests",
        {"category_id": desk.category.pk, "title": "x", "description": "y", "files": [fake]},
    )
    assert_error(r, 400, "invalid")
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()


# Versions ---------------------------------------------------------------------------------------


def test_enterprise_edits_need_the_current_version(desk: Desk, as_: As) -> None:
    steward = as_(desk.org.steward)
    url = f"{API}/enterprises/{desk.a.pk}"
    r = steward.get(url)
    version = ok(r)["version"]
    assert r["ETag"] == f'"{version}"'

    first = steward.patch(url, {"stage": "growing", "version": version})
    assert ok(first)["stage"] == "growing" and first["ETag"] == f'"{version + 1}"'
    assert ok(first)["stage_label"]
    assert_error(steward.patch(url, {"industry": "芯片", "version": version}), 409, "conflict")
    assert_error(steward.patch(url, {"industry": "芯片"}, **if_match(version)), 412, "precondition_failed")
    assert_error(steward.patch(url, {"industry": "芯片"}), 428, "version_required")
    assert_error(steward.patch(url, {"industry": None, "version": version + 1}), 422, "invalid_input")
    # An invalid code answers 400 with the validator's own message under errors.uscc.
    bad = desk.a.uscc[:-1] + ("0" if desk.a.uscc[-1] != "0" else "1")
    with pytest.raises(ValidationError) as expected:
        validate_uscc(bad)
    body = assert_error(steward.patch(url, {"uscc": bad}, **if_match(version + 1)), 400, "invalid")
    assert body["errors"]["uscc"] == expected.value.messages
    after = Enterprise.objects.get(pk=desk.a.pk)
    assert (after.industry, after.uscc, after.stage, after.version) == (
        "集成电路",
        desk.a.uscc,
        "growing",
        version + 1,
    )
    # The steward can be removed (null), and a new one must hold a steward's post.
    body = ok(steward.patch(url, {"steward_id": None}, **if_match(version + 1)))
    assert body["steward"] is None
    body = assert_error(steward.patch(url, {"steward_id": desk.org.head.pk, "version": version + 2}), 400)
    assert "steward" in body["errors"]


def test_steps_need_the_current_version(desk: Desk, as_: As) -> None:
    sr = request_in(desk, "dispatched")
    head = as_(desk.org.head)
    url = f"{API}/requests/{sr.pk}/acknowledge"
    assert_error(head.post(url), 428, "version_required")
    assert_error(head.post(url, {}, **if_match(sr.version - 1)), 412, "precondition_failed")
    assert_error(head.post(url, {"version": sr.version + 3}), 409, "conflict")
    assert_error(head.post(url, {}, HTTP_IF_MATCH="abc"), 400)
    assert (fresh(sr).state, fresh(sr).version) == (S.DISPATCHED, sr.version)
    assert ok(head.post(url, {}, **if_match(sr.version)))["state"] == "acknowledged"

    # The rating and the escalation check the version too, though their services take none.
    resolved = request_in(desk, "resolved")
    ent = as_(desk.user_a)
    rate = f"{API}/requests/{resolved.pk}/rate"
    assert_error(ent.post(rate, {"stars": 5}), 428, "version_required")
    assert_error(ent.post(rate, {"stars": 5, "version": resolved.version - 1}), 409, "conflict")
    assert_error(ent.post(rate, {"stars": 5}, **if_match(resolved.version - 1)), 412, "precondition_failed")
    escalate = f"{API}/requests/{resolved.pk}/escalate"
    assert_error(as_(desk.org.supervisor).post(escalate, {"deadline": "2026-12-31", "version": 1}), 409)
    assert not Rating.objects.exists() and not Item.objects.exists()
    assert ok(ent.post(rate, {"stars": 5, "version": resolved.version}))["state"] == "rated"


def test_enterprise_created_with_contacts_and_users_linked(desk: Desk, as_: As) -> None:
    org = desk.org
    steward = as_(org.steward)
    new: dict[str, Any] = {
        "name": "大连丙电子商务有限公司",
        "uscc": ALIBABA.lower(),
        "zone_id": org.zone_a.pk,
        "industry": "电子商务",
        "stage": "building",
        "steward_id": org.steward.pk,
        "contacts": [{"name": "王经理", "title": "总经理", "phone": "13800000000"}],
    }
    bad = {**new, "uscc": ALIBABA[:-1] + "0"}
    body = assert_error(steward.post(f"{API}/enterprises", bad), 400, "invalid")
    with pytest.raises(ValidationError) as expected:
        validate_uscc(bad["uscc"])
    assert body["errors"]["uscc"] == expected.value.messages
    assert_error(steward.post(f"{API}/enterprises", {**new, "uscc": "91330100"}), 400)
    assert_error(steward.post(f"{API}/enterprises", {**new, "stage": "bankrupt"}), 400)
    assert not Enterprise.objects.filter(name=new["name"]).exists()

    r = steward.post(f"{API}/enterprises", new)
    body = ok(r, 201)
    assert body["uscc"] == ALIBABA and r["ETag"] == '"1"'
    assert (body["zone"]["id"], body["stage"], body["steward"]["id"]) == (
        org.zone_a.pk,
        "building",
        org.steward.pk,
    )
    assert body["contacts"] == [{"name": "王经理", "title": "总经理", "phone": "13800000000"}]
    assert_error(steward.post(f"{API}/enterprises", new), 400)  # the same code twice

    user_c = make_person(org.admin, "ent_c", None, "enterprise")
    body = ok(steward.post(f"{API}/enterprises/{body['id']}/members", {"person_id": user_c.pk}))
    assert body["members"] == [{"id": user_c.pk, "name": user_c.name}]
    assert ids(as_(user_c).get(f"{API}/enterprises")) == {body["id"]}
    assert_error(steward.post(f"{API}/enterprises/{body['id']}/members", {"person_id": org.staff.pk}), 400)


# Filters ----------------------------------------------------------------------------------------


def test_enterprise_filters(desk: Desk, as_: As) -> None:
    org = desk.org
    services.enterprise_update(
        actor=org.steward, enterprise=desk.b, expected_version=None, changes={"stage": "building"}
    )
    sup = as_(org.supervisor)
    url = f"{API}/enterprises"
    assert ids(sup.get(url)) == {desk.a.pk, desk.b.pk}
    assert ids(sup.get(url, {"zone_id": org.zone_b.pk})) == {desk.b.pk}
    assert ids(sup.get(url, {"industry": "集成电路"})) == {desk.a.pk}
    assert ids(sup.get(url, {"stage": "building"})) == {desk.b.pk}
    assert ids(sup.get(url, {"steward_id": org.steward.pk})) == {desk.a.pk}  # the steward's enterprises
    assert ids(sup.get(url, {"q": "建材"})) == {desk.b.pk}
    assert ids(sup.get(url, {"q": desk.a.uscc[-6:].lower()})) == {desk.a.pk}
    # A zone office sees the enterprises of its zone.
    assert ids(as_(org.other_staff).get(url)) == {desk.b.pk}


def test_request_filters_and_pages(desk: Desk, as_: As) -> None:
    org = desk.org
    received = request_in(desk, "received")
    acknowledged = request_in(desk, "acknowledged", at=t(6, 10, 8))
    theirs = request_in(desk, "resolved", enterprise="b", at=t(6, 9))
    with time_machine.travel(t(6, 10, 9, 30), tick=False):
        team = services.request_file(
            actor=desk.user_b,
            enterprise=desk.b,
            category=desk.category,
            title="招聘补贴",
            description="稳岗补贴",
        )
        services.request_dispatch(actor=org.steward, request=team, expected_version=None, unit=org.team)
    sup = as_(org.supervisor)
    url = f"{API}/requests"
    rows = ok(sup.get(url))["items"]
    assert [r["id"] for r in rows] == [team.pk, received.pk, acknowledged.pk, theirs.pk]  # newest first
    assert ids(sup.get(url, {"state": ["received", "resolved"]})) == {received.pk, theirs.pk}
    assert ids(sup.get(url, {"unit_id": org.bureau.pk})) == {
        acknowledged.pk,
        theirs.pk,
        team.pk,
    }  # with its team
    assert ids(sup.get(url, {"unit_id": org.team.pk})) == {team.pk}
    assert ids(sup.get(url, {"enterprise_id": desk.b.pk})) == {theirs.pk, team.pk}
    assert ids(sup.get(url, {"q": "招聘"})) == {team.pk}
    assert ids(sup.get(url, {"q": theirs.code})) == {theirs.pk}
    assert ids(sup.get(url, {"unit_id": 999999})) == set()
    assert_error(sup.get(url, {"state": "lost"}), 422, "invalid_input")
    page = ok(sup.get(url, {"page_size": 3, "page": 2}))
    assert page["count"] == 4 and [r["id"] for r in page["items"]] == [theirs.pk]
    # The team's staff see the team's request; the bureau's head sees the bureau and the team.
    assert ids(as_(org.staff).get(url)) == {team.pk}
    assert ids(as_(org.head).get(url)) == {acknowledged.pk, theirs.pk, team.pk}


def test_the_unit_queue_is_ordered_by_what_is_due_soonest(desk: Desk, as_: As, frozen_clock: Any) -> None:
    late = request_in(desk, "dispatched", at=t(6, 8, 9))  # response was due at the end of Monday
    acknowledged = request_in(desk, "acknowledged", at=t(6, 10, 8))  # resolution due 15 June
    waiting = request_in(desk, "waiting", at=t(6, 9, 8))  # paused
    today = request_in(desk, "dispatched")  # response due tonight
    rows = ok(as_(desk.org.head).get(f"{API}/queues/unit"))["items"]
    assert [r["id"] for r in rows] == [late.pk, today.pk, waiting.pk, acknowledged.pk]
    by_id = {r["id"]: r for r in rows}
    assert (by_id[late.pk]["overdue"], by_id[today.pk]["overdue"]) == (True, False)
    assert (by_id[waiting.pk]["paused"], by_id[waiting.pk]["overdue"]) == (True, False)
    assert at(by_id[acknowledged.pk]["due_at"]) == midnight_after(6, 15)


# Query counts -----------------------------------------------------------------------------------


def test_list_endpoints_query_counts_do_not_grow_with_rows(desk: Desk, as_: As) -> None:
    org = desk.org
    made = {"enterprises": 0}

    def add(count: int) -> None:
        for n in range(count):
            with time_machine.travel(t(6, 1 + n % 9, 9, n), tick=False):
                sr = services.request_file(
                    actor=desk.user_a,
                    enterprise=desk.a,
                    category=desk.category,
                    title=f"诉求{n}",
                    description="d",
                )
                if n % 3:
                    services.request_dispatch(
                        actor=org.steward, request=sr, expected_version=None, unit=org.bureau
                    )
            made["enterprises"] += 1
            services.enterprise_create(
                actor=org.steward,
                name=f"大连测试企业{made['enterprises']}",
                uscc=usc(made["enterprises"]),
                zone=org.zone_a,
                industry="装备制造",
                steward=org.steward,
            )

    urls = [
        (f"{API}/requests", {}),
        (f"{API}/requests", {"state": ["received", "dispatched"], "q": "诉求"}),
        (f"{API}/queues/centre", {}),
        (f"{API}/queues/unit", {}),
        (f"{API}/enterprises", {}),
        (f"{API}/rates/drilldown", {"figure": "received", "start": "2026-06-01", "end": "2026-06-30"}),
        (f"{API}/rates", {"start": "2026-06-01", "end": "2026-06-30"}),
    ]

    def measure(who: Person) -> dict[str, tuple[int, int]]:
        api = as_(who)
        api.get(f"{API}/categories")  # the first request of a token also stamps its last use
        counts = {}
        for url, params in urls:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(url, params)
            data = ok(response)
            rows = len(data["items"]) if isinstance(data, dict) else len(data)
            counts[f"{url} {params}"] = (len(queries), rows)
        return counts

    people = (org.supervisor, org.head, desk.user_a)
    add(3)
    few = {p.username: measure(p) for p in people}
    add(27)
    many = {p.username: measure(p) for p in people}
    for person in few:
        for key, (queries, _rows) in few[person].items():
            assert many[person][key][0] == queries, (person, key)
    # …and the lists did grow.
    assert few["supervisor"][f"{API}/requests {{}}"][1] == 3
    assert many["supervisor"][f"{API}/requests {{}}"][1] == 30
    assert many["head"][f"{API}/queues/unit {{}}"][1] == 20
    assert many["supervisor"][f"{API}/enterprises {{}}"][1] == 32


# The three rates --------------------------------------------------------------------------------


def _row(r: Rates) -> dict[str, Any]:
    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "key": r.key,
        "label": r.label,
        "received": r.received,
        "responded_on_time": r.responded_on_time,
        "due": r.due,
        "resolved_on_time": r.resolved_on_time,
        "rated": r.rated,
        "satisfied": r.satisfied,
        "resolved": r.resolved,
        "reopened": r.reopened,
        "response_rate": num(r.response_rate),
        "resolution_rate": num(r.resolution_rate),
        "satisfaction_rate": num(r.satisfaction_rate),
        "reopen_rate": num(r.reopen_rate),
        "stars_avg": num(r.stars_avg),
    }


def test_the_rates_endpoint_equals_the_selector(desk: Desk, as_: As) -> None:
    org = desk.org

    def flow(
        user: Person, ent: Enterprise, unit: Any, arrive: datetime.datetime, ack_after: int, stars: int | None
    ) -> None:
        with time_machine.travel(arrive, tick=False):
            sr = services.request_file(
                actor=user, enterprise=ent, category=desk.category, title="诉求", description="d"
            )
            if unit is None:
                return
            services.request_dispatch(actor=org.steward, request=sr, expected_version=None, unit=unit)
        with time_machine.travel(arrive + datetime.timedelta(hours=ack_after), tick=False):
            services.request_acknowledge(
                actor=org.head if unit != org.zone_office else org.other_staff,
                request=sr,
                expected_version=None,
            )
        if stars is None:
            return
        done = arrive + datetime.timedelta(days=1, hours=ack_after)
        handler = org.head if unit != org.zone_office else org.other_staff
        with time_machine.travel(done, tick=False):
            services.request_resolve(actor=handler, request=fresh(sr), expected_version=None, reply="已办结")
        with time_machine.travel(done + datetime.timedelta(hours=1), tick=False):
            services.request_rate(
                actor=user, request=fresh(sr), stars=stars, comment="" if stars > 3 else "不满意"
            )

    flow(desk.user_a, desk.a, org.bureau, t(5, 6, 9), 1, 5)
    flow(desk.user_a, desk.a, org.bureau, t(5, 7, 9), 30, 2)  # late response, reopened
    flow(desk.user_a, desk.a, org.team, t(5, 11, 9), 2, 4)
    flow(desk.user_b, desk.b, org.zone_office, t(5, 12, 9), 1, 3)
    flow(desk.user_b, desk.b, org.zone_office, t(5, 13, 9), 1, None)
    flow(desk.user_b, desk.b, None, t(5, 14, 9), 0, None)  # never dispatched
    may = {"start": "2026-05-01", "end": "2026-05-31"}
    d = {"start": datetime.date(2026, 5, 1), "end": datetime.date(2026, 5, 31)}
    for person in (org.supervisor, org.head, org.other_staff, desk.user_b):
        api = as_(person)
        for by in ("unit", "zone"):
            expected = [_row(r) for r in rates(person=person, by=by, **d)]
            got = ok(api.get(f"{API}/rates", {**may, "by": by}))
            assert got == expected, (person.username, by)
    # The figures are real ones, not empty lists compared with each other.
    units = {row["key"]: row for row in ok(as_(org.supervisor).get(f"{API}/rates", may))}
    assert (units[org.bureau.pk]["received"], units[org.bureau.pk]["responded_on_time"]) == (2, 1)
    assert units[org.bureau.pk]["reopened"] == 1 and units[None]["received"] == 1
    zones = ok(as_(org.supervisor).get(f"{API}/rates", {**may, "by": "zone"}))
    assert {row["key"]: row["received"] for row in zones} == {org.zone_a.pk: 3, org.zone_b.pk: 3}
    # The default period is this year to date, and a reversed period is malformed.
    assert ok(as_(org.supervisor).get(f"{API}/rates")) == [
        _row(r)
        for r in rates(person=org.supervisor, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 10))
    ]
    assert_error(as_(org.supervisor).get(f"{API}/rates", {"start": "2026-06-01", "end": "2026-05-01"}), 422)
    assert_error(as_(org.supervisor).get(f"{API}/rates", {"by": "person"}), 422)

    # Drill-down: the requests behind a number, as many as the number says.
    sup = as_(org.supervisor)
    for figure, count in (("received", 2), ("responded", 1), ("rated", 2), ("satisfied", 1), ("reopened", 1)):
        rows = ok(sup.get(f"{API}/rates/drilldown", {**may, "figure": figure, "unit_id": org.bureau.pk}))
        assert rows["count"] == count, figure
    rows = ok(sup.get(f"{API}/rates/drilldown", {**may, "figure": "received", "zone_id": org.zone_b.pk}))
    assert rows["count"] == 3
    assert_error(sup.get(f"{API}/rates/drilldown", {**may, "figure": "happiness"}), 422, "invalid_input")


# OpenAPI ----------------------------------------------------------------------------------------


def test_openapi_lists_the_service_paths(desk: Desk) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200, response.content.decode()[:500]
    paths = response.json()["paths"]
    expected = [
        ("/api/service/enterprises", "get"),
        ("/api/service/enterprises", "post"),
        ("/api/service/enterprises/{enterprise_id}", "get"),
        ("/api/service/enterprises/{enterprise_id}", "patch"),
        ("/api/service/enterprises/{enterprise_id}/members", "post"),
        ("/api/service/categories", "get"),
        ("/api/service/requests", "get"),
        ("/api/service/requests", "post"),
        ("/api/service/requests/{request_id}", "get"),
        ("/api/service/requests/{request_id}/attachments/{attachment_id}", "get"),
        ("/api/service/rating-links/{token}", "get"),
        ("/api/service/rating-links/{token}", "post"),
        ("/api/service/queues/centre", "get"),
        ("/api/service/queues/unit", "get"),
        ("/api/service/rates", "get"),
        ("/api/service/rates/drilldown", "get"),
    ]
    for step in (
        "dispatch",
        "return",
        "acknowledge",
        "wait",
        "resume",
        "resolve",
        "rate",
        "close",
        "escalate",
    ):
        expected.append((f"/api/service/requests/{{request_id}}/{step}", "post"))
    for path, method in expected:
        assert method in paths.get(path, {}), (path, method)
        assert paths[path][method]["tags"] == ["service"]
    params = {p["name"] for p in paths["/api/service/requests"]["get"]["parameters"]}
    assert params >= {"state", "unit_id", "enterprise_id", "q", "page", "page_size"}
    params = {p["name"] for p in paths["/api/service/enterprises"]["get"]["parameters"]}
    assert params >= {"zone_id", "industry", "stage", "steward_id", "q"}
    for path in ("/api/service/requests", "/api/service/requests/{request_id}/resolve"):
        form = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
        assert "files" in form, path
    # The rating link is the one part that needs no login.
    assert "security" in paths["/api/service/requests"]["get"]
    assert not paths["/api/service/rating-links/{token}"]["post"].get("security")
