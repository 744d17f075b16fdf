"""The service desk's pages: the whole flow through the forms, who sees what (enterprise A never sees
B), the one-time rating link, refusals that change nothing, stale versions, and list query counts
that do not grow with the rows.

Pages are requested in English (the language cookie) so the assertions can read the messages.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.conftest import make_person
from luoshi.core.models import AuditRecord
from luoshi.notify.models import Notification
from luoshi.org.models import Person
from luoshi.service import services
from luoshi.service.models import (
    Category,
    Enterprise,
    Rating,
    RatingLink,
    RequestAttachment,
    RequestState,
    ServiceRequest,
)
from luoshi.worklist.models import Item

from .conftest import ALIBABA, Desk

S = RequestState
SH = ZoneInfo("Asia/Shanghai")
# Tuesday 3 March 2026, 09:00: an ordinary working day.
MORNING = datetime.datetime(2026, 3, 3, 9, 0, tzinfo=SH)

# A tiny but well-formed PDF and PNG.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f2a3c30000000049454e44ae426082"
)


def english(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    client.cookies["luoshi_language"] = "en"
    return client


def url(name: str, *args: object) -> str:
    return reverse(f"service:{name}", args=args)


def pdf(name: str = "证明材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name: str = "现场照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def fresh(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=sr.pk)


def act(client: Client, sr: ServiceRequest, action: str, **fields: object) -> Any:
    """POST an action from the request page, with the version the page showed."""
    data: dict[str, object] = {f"{action}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{action}-version", fresh(sr).version)
    return client.post(url("request_action", sr.pk, action), data)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def file_request(
    desk: Desk, enterprise: Enterprise | None = None, title: str = "厂房用地规划调整"
) -> ServiceRequest:
    enterprise = enterprise or desk.a
    user = desk.user_a if enterprise == desk.a else desk.user_b
    return services.request_file(
        actor=user,
        enterprise=enterprise,
        category=desk.category,
        title=title,
        description="二期厂房需要调整用地规划。",
        files=[pdf()],
    )


def acknowledged(desk: Desk, sr: ServiceRequest) -> ServiceRequest:
    sr = services.request_dispatch(
        actor=desk.org.steward, request=sr, expected_version=sr.version, unit=desk.org.bureau
    )
    return services.request_acknowledge(actor=desk.org.head, request=sr, expected_version=sr.version)


def resolved(desk: Desk, sr: ServiceRequest) -> tuple[ServiceRequest, str]:
    sr = acknowledged(desk, sr)
    return services.request_resolve(
        actor=desk.org.head, request=sr, expected_version=sr.version, reply="已协调完成。"
    )


# Who sees which page ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(desk: Desk) -> None:
    for name in (
        "home",
        "request_list",
        "request_new",
        "centre_queue",
        "unit_queue",
        "rates",
        "enterprise_list",
    ):
        response = Client().get(url(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name


def test_people_without_a_post_get_404(desk: Desk) -> None:
    client = english(desk.org.nobody)
    for name in (
        "home",
        "request_list",
        "request_new",
        "centre_queue",
        "unit_queue",
        "rates",
        "enterprise_list",
    ):
        assert client.get(url(name)).status_code == 404, name


def test_each_page_renders_for_the_right_people(desk: Desk, clock: object) -> None:
    sr = file_request(desk)
    steward, head, ent = english(desk.org.steward), english(desk.org.head), english(desk.user_a)
    for name, args in [
        ("home", ()),
        ("request_list", ()),
        ("request_new", ()),
        ("request_detail", (sr.pk,)),
        ("centre_queue", ()),
        ("unit_queue", ()),
        ("rates", ()),
        ("enterprise_list", ()),
        ("my_enterprises", ()),
        ("enterprise_detail", (desk.a.pk,)),
        ("enterprise_add", ()),
        ("enterprise_edit", (desk.a.pk,)),
    ]:
        assert steward.get(url(name, *args)).status_code == 200, name
    for name in ("home", "unit_queue", "rates", "request_list", "enterprise_list"):
        assert head.get(url(name)).status_code == 200, name
    assert 'data-testid="unit-summary"' in text(head.get(url("home")))
    assert 'data-testid="rates-link"' in text(head.get(url("home")))
    # The service centre's page is for dispatchers; a unit head may see it is there but not use it.
    assert head.get(url("centre_queue")).status_code == 403
    assert head.get(url("enterprise_add")).status_code == 403
    # The enterprise user: the portal, their own requests and enterprise; no internal page.
    home = text(ent.get(url("home")))
    assert 'data-testid="file-request"' in home and "大连甲半导体有限公司" in home
    for name, args in [
        ("request_list", ()),
        ("request_new", ()),
        ("request_detail", (sr.pk,)),
        ("enterprise_detail", (desk.a.pk,)),
    ]:
        assert ent.get(url(name, *args)).status_code == 200, name
    for name in (
        "centre_queue",
        "unit_queue",
        "rates",
        "enterprise_list",
        "my_enterprises",
        "enterprise_add",
    ):
        assert ent.get(url(name)).status_code == 404, name
    assert ent.get(url("enterprise_edit", desk.a.pk)).status_code == 404


# The whole flow, as the enterprise, the steward and the unit see it ---------------------------------


def test_the_whole_flow_through_the_pages(
    desk: Desk, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    org = desk.org

    def clients() -> tuple[Client, Client, Client]:
        # Sessions end after 30 idle minutes, and the clock moves on between the steps.
        return english(desk.user_a), english(org.steward), english(org.head)

    ent, steward, head = clients()

    # 1. The enterprise files a request from the portal, with two attachments.
    form = text(ent.get(url("request_new")))
    assert 'name="enterprise"' not in form and 'name="channel"' not in form  # their own, by the portal
    assert 'enctype="multipart/form-data"' in form and "multiple" in form
    response = ent.post(
        url("request_new"),
        {
            "category": desk.category.pk,
            "title": "二期厂房用地规划调整",
            "description": "二期厂房需要调整用地规划，请协调。",
            "attachments": [pdf(), png()],
        },
    )
    assert response.status_code == 302
    sr = ServiceRequest.objects.get(title="二期厂房用地规划调整")
    assert response["Location"] == url("request_detail", sr.pk)
    assert sr.enterprise == desk.a and sr.channel == "portal" and sr.state == S.RECEIVED
    assert sorted(sr.attachments.values_list("original_name", flat=True)) == ["现场照片.png", "证明材料.pdf"]
    detail = text(ent.get(url("request_detail", sr.pk)))
    assert sr.code in detail and 'data-sla="green"' in detail  # 15 hours to respond
    assert "15 hours left" in detail

    # 2. The steward finds it in the service-centre queue and dispatches it; the usual unit is preselected.
    clock.shift(datetime.timedelta(minutes=30))
    ent, steward, head = clients()
    queue = text(steward.get(url("centre_queue")))
    assert sr.code in queue and "30 minutes" in queue
    assert 'data-testid="action-dispatch"' in text(steward.get(url("request_detail", sr.pk)))
    form = text(steward.get(url("request_action_form", sr.pk, "dispatch")))
    assert re.search(rf'<option value="{org.bureau.pk}" selected>', form)
    assert act(steward, sr, "dispatch", unit=org.bureau.pk).status_code == 302
    assert fresh(sr).state == S.DISPATCHED and fresh(sr).unit == org.bureau
    assert sr.code not in text(steward.get(url("centre_queue")))

    # 3. The unit head sees it in the unit queue with its countdown, and acknowledges it.
    clock.shift(datetime.timedelta(hours=1))
    ent, steward, head = clients()
    unit_page = text(head.get(url("unit_queue")))
    assert sr.code in unit_page and 'data-sla="green"' in unit_page
    assert act(head, sr, "acknowledge").status_code == 302
    sr = fresh(sr)
    assert sr.state == S.ACKNOWLEDGED and sr.resolution_due_at is not None

    # 4. … and resolves it with a reply and a file.
    clock.shift(datetime.timedelta(hours=5))
    ent, steward, head = clients()
    response = head.post(
        url("request_action", sr.pk, "resolve"),
        {
            "resolve-version": sr.version,
            "resolve-reply": "已协调规划部门，调整方案已批复。",
            "resolve-attachments": [pdf("批复.pdf")],
        },
    )
    assert response.status_code == 302
    sr = fresh(sr)
    assert sr.state == S.RESOLVED and sr.reply.startswith("已协调")

    # 5. The portal asks the enterprise to rate; they give 2 stars with a comment.
    portal = text(ent.get(url("home")))
    assert 'data-testid="todo-item"' in portal and "How did we do?" in portal
    page = text(ent.get(url("request_detail", sr.pk)))
    assert 'data-testid="action-form-rate"' in page and "3 stars or less needs a comment" in page
    clock.shift(datetime.timedelta(days=1))
    ent, steward, head = clients()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(ent, sr, "rate", stars=2, comment="只答复了政策，没有解决问题")
    assert response.status_code == 302

    # 6. Reopened: back with the unit, counted, and the unit head and the steward are alerted.
    sr = fresh(sr)
    assert sr.state == S.ACKNOWLEDGED and sr.reopen_count == 1 and sr.stars == 2
    alerted = set(
        Notification.objects.filter(kind="request_reopened").values_list("recipient__username", flat=True)
    )
    assert alerted == {"head", "steward"}
    followed = ent.get(url("request_detail", sr.pk), follow=True)
    page = text(followed)
    assert 'data-testid="reopen-count"' in page and "Reopened 1 time" in page
    kinds = re.findall(r'data-testid="event" data-kind="(\w+)"', page)
    assert kinds == ["file", "dispatch", "acknowledge", "resolve", "reopen"]
    assert "只答复了政策，没有解决问题" in page
    # Every file can be downloaded by the enterprise, from the timeline and the attachments card.
    for attachment in sr.attachments.all():
        assert f'href="{url("attachment", attachment.pk)}"' in page
        assert ent.get(url("attachment", attachment.pk)).status_code == 200
    assert text(head.get(url("unit_queue"))).count(sr.code) == 1
    history = text(steward.get(url("request_detail", sr.pk) + "?tab=history"))
    assert 'data-testid="history"' in history


def test_the_enterprise_supplies_what_the_unit_asked_for(desk: Desk, clock: time_machine.Traveller) -> None:
    sr = acknowledged(desk, file_request(desk))
    head, ent = english(desk.org.head), english(desk.user_a)
    assert act(head, sr, "wait", needed="请补充土地证复印件").status_code == 302
    assert fresh(sr).state == S.WAITING
    portal = text(ent.get(url("home")))
    assert "请补充土地证复印件" in portal and "Supply it" in portal
    page = text(ent.get(url("request_detail", sr.pk)))
    assert 'data-testid="needed"' in page and 'data-testid="action-form-resume"' in page
    assert 'data-sla="paused"' in page
    clock.shift(datetime.timedelta(days=1))
    head, ent = english(desk.org.head), english(desk.user_a)
    response = ent.post(
        url("request_action", sr.pk, "resume"),
        {
            "resume-version": fresh(sr).version,
            "resume-note": "已上传土地证",
            "resume-attachments": [pdf("土地证.pdf")],
        },
    )
    assert response.status_code == 302
    sr = fresh(sr)
    assert sr.state == S.ACKNOWLEDGED and sr.attachments.filter(original_name="土地证.pdf").exists()
    page = text(head.get(url("request_detail", sr.pk)))
    assert re.findall(r'data-kind="(\w+)"', page)[-2:] == ["wait", "resume"]
    assert "已上传土地证" in page and "请补充土地证复印件" in page


def test_staff_file_on_behalf_of_an_enterprise(desk: Desk, clock: object) -> None:
    steward = english(desk.org.steward)
    form = text(steward.get(url("request_new") + f"?enterprise={desk.a.pk}"))
    assert 'name="channel"' in form and f'<option value="{desk.a.pk}" selected>' in form
    response = steward.post(
        url("request_new"),
        {
            "enterprise": desk.b.pk,
            "category": desk.category.pk,
            "channel": "phone",
            "title": "电话反映：道路积水",
            "description": "厂区门前道路积水严重。",
        },
    )
    assert response.status_code == 302
    sr = ServiceRequest.objects.get(title="电话反映：道路积水")
    assert sr.enterprise == desk.b and sr.channel == "phone" and sr.filed_by == desk.org.steward
    # The service's own messages say what is missing.
    response = steward.post(
        url("request_new"), {"enterprise": desk.a.pk, "category": desk.category.pk, "channel": "phone"}
    )
    assert response.status_code == 400
    assert "Give the request a short title." in text(response)
    # A staff member who neither dispatches nor stewards an enterprise may not file for one.
    assert english(desk.org.staff).get(url("request_new")).status_code == 403


def test_a_bad_attachment_is_refused_and_nothing_is_filed(desk: Desk, clock: object) -> None:
    response = english(desk.user_a).post(
        url("request_new"),
        {
            "category": desk.category.pk,
            "title": "附件有问题",
            "description": "描述",
            "attachments": [
                SimpleUploadedFile("合同.pdf", b"not a pdf at all", content_type="application/pdf")
            ],
        },
    )
    assert response.status_code == 400
    assert "is not an accepted file" in text(response)
    assert not ServiceRequest.objects.filter(title="附件有问题").exists()


# Enterprise A never sees enterprise B -------------------------------------------------------------


def test_enterprise_a_gets_404_for_everything_of_enterprise_b(desk: Desk, clock: object) -> None:
    mine = file_request(desk, desk.a, "甲企业的诉求")
    theirs, _token = resolved(desk, file_request(desk, desk.b, "乙企业的诉求"))
    their_file = theirs.attachments.get()
    a = english(desk.user_a)
    assert a.get(url("request_detail", theirs.pk)).status_code == 404
    assert a.get(url("attachment", their_file.pk)).status_code == 404
    assert a.get(url("enterprise_detail", desk.b.pk)).status_code == 404
    assert a.get(url("request_list") + f"?enterprise={desk.b.pk}").status_code == 404
    for action in ("rate", "resume", "dispatch", "acknowledge"):
        before = fresh(theirs).version
        assert act(a, theirs, action, stars=5).status_code == 404
        assert fresh(theirs).version == before
    # Guessed ids, existing or not, answer the same.
    top_request = ServiceRequest.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    top_file = RequestAttachment.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    for guess in range(1, top_request + 4):
        if guess != mine.pk:
            assert a.get(url("request_detail", guess)).status_code == 404, guess
    mine_files = set(mine.attachments.values_list("pk", flat=True))
    for guess in range(1, top_file + 4):
        if guess not in mine_files:
            assert a.get(url("attachment", guess)).status_code == 404, guess
    for guess in range(1, Enterprise.objects.order_by("-pk").first().pk + 4):  # type: ignore[union-attr]
        if guess != desk.a.pk:
            assert a.get(url("enterprise_detail", guess)).status_code == 404, guess
    # Lists and searches show only their own.
    for page in (a.get(url("home")), a.get(url("request_list")), a.get(url("request_list") + "?q=乙企业")):
        assert theirs.code not in text(page) and "乙企业的诉求" not in text(page)
    assert mine.code in text(a.get(url("request_list")))
    # And B sees A's file no more than A sees B's.
    b = english(desk.user_b)
    assert b.get(url("attachment", mine.attachments.get().pk)).status_code == 404
    assert b.get(url("attachment", their_file.pk)).status_code == 200


# The one-time rating link -------------------------------------------------------------------------


def test_rating_by_link(desk: Desk, clock: time_machine.Traveller) -> None:
    sr, token = resolved(desk, file_request(desk))
    anonymous = english(None)
    page = anonymous.get(url("rate_by_link", token))
    assert page.status_code == 200
    body = text(page)
    assert sr.title in body and "已协调完成。" in body and 'data-testid="star-5"' in body
    assert "3 stars or less needs a comment" in body
    # A low rating without a comment is refused with the rule; the link stays usable.
    refused = anonymous.post(url("rate_by_link", token), {"stars": 3})
    assert refused.status_code == 400
    assert "Tell us what was not satisfactory" in text(refused)
    assert fresh(sr).state == S.RESOLVED and RatingLink.objects.get().used_at is None
    done = anonymous.post(url("rate_by_link", token), {"stars": 5, "comment": "很满意"})
    assert done.status_code == 200 and 'data-testid="thanks"' in text(done)
    assert 'data-testid="reopened"' not in text(done)
    assert fresh(sr).state == S.RATED and Rating.objects.get().via == "link"
    # Used: refused on a page of its own.
    used = anonymous.get(url("rate_by_link", token))
    assert used.status_code == 400 and "already been used" in text(used)
    assert anonymous.post(url("rate_by_link", token), {"stars": 1, "comment": "x"}).status_code == 400
    assert Rating.objects.count() == 1
    # Tampered.
    tampered = token[:-3] + ("abc" if token[-3:] != "abc" else "xyz")
    response = anonymous.get(url("rate_by_link", tampered))
    assert response.status_code == 400 and "This rating link is not valid." in text(response)
    assert anonymous.get(url("rate_by_link", "rubbish")).status_code == 400


def test_an_expired_link_and_a_low_rating_by_link(desk: Desk, clock: time_machine.Traveller) -> None:
    first, old_token = resolved(desk, file_request(desk, title="第一件"))
    second, token = resolved(desk, file_request(desk, title="第二件"))
    clock.shift(datetime.timedelta(days=29))
    low = english(None).post(url("rate_by_link", token), {"stars": 2, "comment": "还没解决"})
    assert low.status_code == 200 and 'data-testid="reopened"' in text(low)
    assert "goes back to the unit" in text(low)
    assert fresh(second).state == S.ACKNOWLEDGED and fresh(second).reopen_count == 1
    clock.shift(datetime.timedelta(days=2))
    expired = english(None).get(url("rate_by_link", old_token))
    assert expired.status_code == 400 and "has expired" in text(expired)
    assert fresh(first).state == S.RESOLVED


# Refusals change nothing ---------------------------------------------------------------------------


def test_illegal_actions_show_the_error_and_change_nothing(desk: Desk, clock: object) -> None:
    sr = file_request(desk)
    sr = services.request_dispatch(
        actor=desk.org.steward, request=sr, expected_version=sr.version, unit=desk.org.bureau
    )
    head = english(desk.org.head)
    audit_rows = AuditRecord.objects.count()
    version = fresh(sr).version
    # Resolving before acknowledging: the state forbids it.
    response = act(head, sr, "resolve", reply="直接办结")
    assert response.status_code == 400
    page = text(response)
    assert 'data-testid="action-error"' in page and "Nothing was changed." in page
    assert "so it cannot be resolved" in page
    # Returning without a reason: the service says what is missing.
    response = act(head, sr, "return", reason="")
    assert response.status_code == 400
    assert "Say why the request is not for your unit." in text(response)
    assert fresh(sr).version == version and fresh(sr).state == S.DISPATCHED
    assert AuditRecord.objects.count() == audit_rows
    # Rating 2 stars without a comment.
    sr = services.request_acknowledge(actor=desk.org.head, request=fresh(sr), expected_version=version)
    sr, _token = services.request_resolve(
        actor=desk.org.head, request=sr, expected_version=sr.version, reply="好"
    )
    response = act(english(desk.user_a), sr, "rate", stars=2, comment="")
    assert response.status_code == 400
    assert "Tell us what was not satisfactory" in text(response)
    assert fresh(sr).state == S.RESOLVED and not Rating.objects.exists()
    # Seen but not allowed: the enterprise may not dispatch, the unit may not rate.
    back_to_new = file_request(desk, title="另一件")
    assert act(english(desk.user_a), back_to_new, "dispatch", unit=desk.org.bureau.pk).status_code == 403
    assert act(head, sr, "rate", stars=5).status_code == 403
    assert fresh(back_to_new).state == S.RECEIVED and fresh(sr).state == S.RESOLVED
    assert english(desk.org.steward).post(url("request_action", sr.pk, "explode")).status_code == 404


def test_an_actions_form_is_fetched_when_its_panel_opens(desk: Desk, clock: object) -> None:
    sr = file_request(desk)
    steward = english(desk.org.steward)
    page = text(steward.get(url("request_detail", sr.pk)))
    # The page carries the button and where its form comes from, not the form with its units.
    assert 'data-testid="action-dispatch"' in page
    assert f'hx-get="{url("request_action_form", sr.pk, "dispatch")}"' in page
    assert 'name="dispatch-unit"' not in page
    form = text(steward.get(url("request_action_form", sr.pk, "dispatch"), HTTP_HX_REQUEST="true"))
    assert "<html" not in form and 'data-testid="action-form-dispatch"' in form
    assert f'action="{url("request_action", sr.pk, "dispatch")}"' in form
    assert f'<option value="{desk.org.bureau.pk}" selected>' in form  # the category's usual unit
    # Only the actions the page offers this person, on requests they can see.
    assert steward.get(url("request_action_form", sr.pk, "resolve")).status_code == 404
    assert steward.get(url("request_action_form", sr.pk, "no-such-action")).status_code == 404
    assert english(desk.user_b).get(url("request_action_form", sr.pk, "dispatch")).status_code == 404
    # A refused action comes back open, with its form and the errors, on the page itself.
    body = text(act(steward, sr, "dispatch", unit=""))
    assert 'name="dispatch-unit"' in body and 'data-testid="action-error"' in body
    # The enterprise's own steps are open on its page, with their forms.
    sr, _token = resolved(desk, fresh(sr))
    page = text(english(desk.user_a).get(url("request_detail", sr.pk)))
    assert 'data-testid="action-form-rate"' in page and 'name="rate-stars"' in page


def test_a_stale_version_shows_the_conflict(desk: Desk, clock: object) -> None:
    sr = file_request(desk)
    seen = sr.version
    # Meanwhile the request went to the bureau and came back.
    sr = services.request_dispatch(
        actor=desk.org.steward, request=sr, expected_version=sr.version, unit=desk.org.team
    )
    services.request_return(
        actor=desk.org.staff, request=sr, expected_version=sr.version, reason="不属于本科"
    )
    response = english(desk.org.steward).post(
        url("request_action", sr.pk, "dispatch"),
        {"dispatch-version": seen, "dispatch-unit": desk.org.bureau.pk},
    )
    assert response.status_code == 409
    assert "changed by someone else" in text(response)
    sr = fresh(sr)
    assert sr.state == S.RECEIVED and sr.unit is None


def test_escalating_to_a_list_item(desk: Desk, clock: object) -> None:
    sr = acknowledged(desk, file_request(desk))
    supervisor = english(desk.org.supervisor)
    assert 'data-testid="action-escalate"' in text(supervisor.get(url("request_detail", sr.pk)))
    assert 'data-testid="action-form-escalate"' in text(
        supervisor.get(url("request_action_form", sr.pk, "escalate"))
    )
    head = english(desk.org.head)
    assert 'data-testid="action-escalate"' not in text(head.get(url("request_detail", sr.pk)))
    assert head.get(url("request_action_form", sr.pk, "escalate")).status_code == 404
    response = act(
        supervisor, sr, "escalate", deadline="2026-06-30", title="二期用地规划调整专项", lead_unit=""
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert fresh(sr).item == item and item.lead_unit == desk.org.bureau
    page = text(supervisor.get(url("request_detail", sr.pk)))
    assert item.code in page and 'data-testid="linked-item"' in page


# Lists, queues and rates ---------------------------------------------------------------------------


def test_request_list_filters(desk: Desk, clock: object) -> None:
    new = file_request(desk, desk.a, "新的诉求")
    handled = acknowledged(desk, file_request(desk, desk.b, "处理中的诉求"))
    steward = english(desk.org.steward)

    def codes(query: str) -> set[str]:
        return set(re.findall(r"SR-\d{4}-\d{5}", text(steward.get(url("request_list") + query))))

    assert codes("") == {new.code, handled.code}
    assert codes("?state=received") == {new.code}
    assert codes(f"?unit={desk.org.bureau.pk}") == {handled.code}
    assert codes(f"?enterprise={desk.b.pk}") == {handled.code}
    assert codes("?q=新的") == {new.code}
    partial = text(steward.get(url("request_list") + "?state=acknowledged", HTTP_HX_REQUEST="true"))
    assert "<html" not in partial and handled.code in partial and new.code not in partial
    # A unit person sees only what was dispatched to them.
    assert set(re.findall(r"SR-\d{4}-\d{5}", text(english(desk.org.head).get(url("request_list"))))) == {
        handled.code
    }


def test_unit_queue_countdown_colours(desk: Desk, clock: time_machine.Traveller) -> None:
    late = file_request(desk, title="逾期的")
    late = services.request_dispatch(
        actor=desk.org.steward, request=late, expected_version=late.version, unit=desk.org.bureau
    )
    clock.shift(datetime.timedelta(hours=13))  # 22:00, two hours before the end of the day
    soon = file_request(desk, title="快到期的")
    services.request_dispatch(
        actor=desk.org.steward, request=soon, expected_version=soon.version, unit=desk.org.bureau
    )
    clock.shift(datetime.timedelta(hours=3))  # 01:00 next day: both are overdue
    page = text(english(desk.org.head).get(url("unit_queue")))
    assert page.count('data-sla="red"') == 2 and "overdue by 1 hour" in page
    clock.shift(datetime.timedelta(hours=-3))
    page = text(english(desk.org.head).get(url("unit_queue")))
    assert page.count('data-sla="yellow"') == 2 and "2 hours left" in page
    clock.shift(datetime.timedelta(hours=-12))
    assert 'data-sla="green"' in text(english(desk.org.head).get(url("unit_queue")))


def test_rates_page_shows_definitions_and_drills_down(desk: Desk, clock: time_machine.Traveller) -> None:
    on_time, _t = resolved(desk, file_request(desk, title="按时的"))
    services.request_rate(actor=desk.user_a, request=fresh(on_time), stars=5, comment="好")
    unhappy, _t = resolved(desk, file_request(desk, title="不满意的"))
    services.request_rate(actor=desk.user_a, request=fresh(unhappy), stars=1, comment="不行")
    file_request(desk, title="未派单的")
    steward = english(desk.org.steward)
    page = text(steward.get(url("rates") + "?period=month&year=2026&month=3"))
    assert 'data-testid="definitions"' in page
    assert "requests acknowledged on time ÷ requests received in the period" in page
    assert "ratings of 4–5 stars ÷ ratings given in the period" in page
    bureau_row = re.search(rf'data-key="{desk.org.bureau.pk}">(.*?)</tr>', page, re.S)
    assert bureau_row and "100.0%" in bureau_row.group(1) and "50.0%" in bureau_row.group(1)
    assert 'data-key="none"' in page  # the undispatched request counts as received, with no unit
    base = f"?period=month&year=2026&month=3&by=unit&key={desk.org.bureau.pk}"

    def drilled(figure: str) -> set[str]:
        body = text(steward.get(url("rates") + f"{base}&figure={figure}"))
        return set(re.findall(r'data-testid="drill-row">\s*<td[^>]*><a[^>]*>(SR-[\d-]+)<', body))

    assert drilled("satisfied") == {on_time.code}
    assert drilled("unsatisfied") == {unhappy.code}
    assert drilled("rated") == {on_time.code, unhappy.code}
    assert drilled("reopened") == {unhappy.code}
    assert drilled("received") == {on_time.code, unhappy.code}
    # By zone.
    page = text(steward.get(url("rates") + "?period=month&year=2026&month=3&by=zone"))
    assert "湾北核心区" in page and f'data-key="{desk.a.zone_id}"' in page
    assert steward.get(url("rates") + "?figure=received&key=abc").status_code == 404


def _count(client: Client, path: str, marker: str = 'data-testid="request-row"') -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx), text(response).count(marker)


@pytest.mark.parametrize(
    ("who", "page", "state", "marker"),
    [
        ("steward", "request_list", None, 'data-testid="request-row"'),
        ("steward", "centre_queue", None, 'data-testid="request-row"'),
        ("head", "unit_queue", "dispatched", 'data-testid="request-row"'),
        ("head", "unit_queue", "waiting", 'data-testid="request-row"'),
        ("user_a", "home", None, 'data-testid="request-row"'),
        ("user_a", "home", "resolved", 'data-testid="todo-item"'),
        ("steward", "enterprise_list", None, 'data-testid="enterprise-row"'),
        ("steward", "home", "dispatched", 'data-testid="centre-summary"'),
        ("head", "home", "dispatched", 'data-testid="unit-summary"'),
    ],
)
def test_list_queries_do_not_grow_with_rows(
    desk: Desk, clock: object, who: str, page: str, state: str | None, marker: str
) -> None:
    org = desk.org

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            if page == "enterprise_list":
                make_enterprise(desk, i)
                continue
            sr = file_request(desk, title=f"诉求{i:03d}")
            if state in ("dispatched", "waiting", "resolved"):
                sr = services.request_dispatch(
                    actor=org.steward, request=sr, expected_version=sr.version, unit=org.bureau
                )
            if state in ("waiting", "resolved"):
                sr = services.request_acknowledge(actor=org.head, request=sr, expected_version=sr.version)
            if state == "waiting":
                services.request_wait(
                    actor=org.head, request=sr, expected_version=sr.version, needed=f"材料{i}"
                )
            if state == "resolved":
                services.request_resolve(actor=org.head, request=sr, expected_version=sr.version, reply="好")

    client = english(getattr(desk, who) if who.startswith("user") else getattr(org, who))
    add(3, 0)
    client.get(url(page))  # warm the session and caches
    few, rows_few = _count(client, url(page), marker)
    add(27, 3)
    many, rows_many = _count(client, url(page), marker)
    if page == "enterprise_list":
        assert (rows_few, rows_many) == (5, 32)
    elif marker in ('data-testid="centre-summary"', 'data-testid="unit-summary"'):
        assert rows_few == rows_many == 1
    elif (who, marker) == ("user_a", 'data-testid="request-row"'):
        assert (rows_few, rows_many) == (3, 20)  # the portal shows 20 a page
    else:
        assert (rows_few, rows_many) == (3, 30)
    assert many == few, (few, many)


def make_enterprise(desk: Desk, i: int) -> Enterprise:
    """An enterprise with a valid code (the check character computed), a request and a contact."""
    from luoshi.service.uscc import validate_uscc

    stem = f"91210213MA{i:07d}"
    for check in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        try:
            code = validate_uscc(stem + check)
            break
        except Exception:  # not this check character: try the next one
            continue
    enterprise = services.enterprise_create(
        actor=desk.org.steward,
        name=f"大连测试企业{i:03d}有限公司",
        uscc=code,
        zone=desk.org.zone_a,
        industry="装备制造",
        steward=desk.org.steward,
        contacts=[{"name": "王经理", "title": "经理", "phone": "0411-1234567"}],
    )
    services.request_file(
        actor=desk.org.steward,
        enterprise=enterprise,
        category=desk.category,
        title="咨询",
        description="咨询政策",
    )
    return enterprise


# Enterprises ----------------------------------------------------------------------------------------


def test_enterprise_pages(desk: Desk, clock: object) -> None:
    sr = file_request(desk)
    steward = english(desk.org.steward)
    page = text(steward.get(url("enterprise_detail", desk.a.pk)))
    assert desk.a.uscc in page and sr.code in page and 'data-testid="projects"' in page
    assert "Ent_A" in page  # the portal user
    assert 'data-testid="history"' in text(steward.get(url("enterprise_detail", desk.a.pk) + "?tab=history"))
    # Filters.
    listing = text(steward.get(url("enterprise_list") + f"?zone={desk.org.zone_b.pk}"))
    assert desk.b.name in listing and desk.a.name not in listing
    listing = text(steward.get(url("enterprise_list") + "?q=9144030071526726"))
    assert desk.b.name in listing and desk.a.name not in listing
    listing = text(steward.get(url("enterprise_list") + f"?steward={desk.org.steward.pk}&industry=集成电路"))
    assert desk.a.name in listing and desk.b.name not in listing
    mine = text(steward.get(url("my_enterprises")))
    assert desk.a.name in mine and desk.b.name not in mine  # B has no steward
    # A unit head sees the enterprises of their requests and zones only.
    assert english(desk.org.other_staff).get(url("enterprise_detail", desk.a.pk)).status_code == 404
    assert english(desk.org.other_staff).get(url("enterprise_detail", desk.b.pk)).status_code == 200


def test_enterprise_add_and_edit(desk: Desk, clock: object) -> None:
    steward = english(desk.org.steward)
    data = {
        "name": "大连丙精细化工有限公司",
        "uscc": ALIBABA[:-1] + "0",  # a wrong check character
        "zone": desk.org.zone_a.pk,
        "industry": "精细化工",
        "stage": "building",
        "steward": desk.org.steward.pk,
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "李总",
        "contacts-0-title": "总经理",
        "contacts-0-phone": "13800000000",
    }
    response = steward.post(url("enterprise_add"), data)
    assert response.status_code == 400
    body = text(response)
    # The validator's precise message, under the code field.
    assert re.search(
        r'invalid-feedback d-block" data-testid="field-error-uscc">The check character is wrong', body
    )
    assert "“F”" in body
    too_long = steward.post(url("enterprise_add"), {**data, "uscc": ALIBABA + "1"})
    assert "has 18 characters; this one has 19" in text(too_long)
    assert not Enterprise.objects.filter(name=data["name"]).exists()
    response = steward.post(url("enterprise_add"), {**data, "uscc": ALIBABA.lower()})
    assert response.status_code == 302
    created = Enterprise.objects.get(name=data["name"])
    assert created.uscc == ALIBABA and created.contacts.get().name == "李总"
    # Edit with the version read; a stale second save is refused.
    form = {
        "name": created.name,
        "uscc": created.uscc,
        "zone": desk.org.zone_b.pk,
        "industry": "精细化工",
        "stage": "operating",
        "steward": desk.org.steward.pk,
    }
    assert (
        steward.post(url("enterprise_edit", created.pk), {**form, "version": created.version}).status_code
        == 302
    )
    created.refresh_from_db()
    assert created.zone == desk.org.zone_b and created.stage == "operating"
    stale = steward.post(
        url("enterprise_edit", created.pk), {**form, "version": created.version - 1, "industry": "化工"}
    )
    assert stale.status_code == 400 and "changed by someone else" in text(stale)
    created.refresh_from_db()
    assert created.industry == "精细化工"
    # Only the service centre edits.
    assert english(desk.org.head).get(url("enterprise_add")).status_code == 403


def test_a_portal_user_without_an_enterprise(desk: Desk) -> None:
    loose = make_person(desk.org.admin, "loose", None, "enterprise")
    client = english(loose)
    assert 'data-testid="portal-unlinked"' in text(client.get(url("home")))
    assert 'data-testid="portal-unlinked"' in text(client.get(url("request_new")))
    assert client.post(url("request_new"), {"category": desk.category.pk, "title": "x"}).status_code == 200
    assert not ServiceRequest.objects.exists()
    assert Category.objects.count() == 1


def test_the_timeline_tells_every_step(desk: Desk, clock: time_machine.Traveller) -> None:
    org = desk.org
    sr = file_request(desk)
    steps = [
        lambda r: services.request_dispatch(
            actor=org.steward, request=r, expected_version=r.version, unit=org.team
        ),
        lambda r: services.request_return(
            actor=org.staff, request=r, expected_version=r.version, reason="不属于本科"
        ),
        lambda r: services.request_dispatch(
            actor=org.steward, request=r, expected_version=r.version, unit=org.bureau
        ),
        lambda r: services.request_acknowledge(actor=org.head, request=r, expected_version=r.version),
        lambda r: services.request_wait(
            actor=org.head, request=r, expected_version=r.version, needed="补充材料"
        ),
        lambda r: services.request_resume(
            actor=desk.user_a, request=r, expected_version=r.version, note="已补充"
        ),
        lambda r: services.request_resolve(
            actor=org.head, request=r, expected_version=r.version, reply="已办结"
        )[0],
        lambda r: services.request_rate(actor=desk.user_a, request=r, stars=5, comment="很好"),
    ]
    for run in steps:
        clock.shift(datetime.timedelta(minutes=10))
        sr = run(fresh(sr))
    steward = english(org.steward)
    page = text(steward.get(url("request_detail", sr.pk)))
    assert 'data-testid="action-close"' in page  # rated: the follow-up call, then close
    assert act(steward, sr, "close", note="电话回访，企业满意").status_code == 302
    page = text(english(desk.user_a).get(url("request_detail", sr.pk)))
    kinds = re.findall(r'data-testid="event" data-kind="(\w+)"', page)
    assert kinds == [
        "file",
        "dispatch",
        "return",
        "dispatch",
        "acknowledge",
        "wait",
        "resume",
        "resolve",
        "rate",
        "close",
    ]
    for said in (
        "不属于本科",
        "补充材料",
        "已补充",
        "已办结",
        "很好",
        "电话回访，企业满意",
        "招商一科",
        "招商局",
    ):
        assert said in page, said
    assert fresh(sr).state == S.CLOSED
    # The enterprise does not get the administration's audit tab.
    assert 'data-testid="history"' not in text(
        english(desk.user_a).get(url("request_detail", sr.pk) + "?tab=history")
    )
    assert 'data-testid="history"' not in text(
        english(desk.user_a).get(url("enterprise_detail", desk.a.pk) + "?tab=history")
    )


def test_a_request_without_an_audit_trail_is_told_from_its_facts(desk: Desk, clock: object) -> None:
    """Requests loaded in bulk (no service call, so no trail) still show their story."""
    received = MORNING - datetime.timedelta(days=3)
    sr = ServiceRequest.objects.create(
        code="SR-2026-09999",
        enterprise=desk.a,
        category=desk.category,
        title="批量导入的诉求",
        description="历史数据",
        filed_by=desk.user_a,
        state=S.RATED,
        unit=desk.org.bureau,
        received_at=received,
        response_due_at=received + datetime.timedelta(hours=10),
        dispatched_at=received + datetime.timedelta(hours=1),
        acknowledged_at=received + datetime.timedelta(hours=2),
        resolution_due_at=received + datetime.timedelta(days=3),
        resolved_at=received + datetime.timedelta(days=1),
        rated_at=received + datetime.timedelta(days=2),
        reply="历史答复",
        stars=4,
    )
    Rating.objects.create(
        request=sr, stars=4, comment="不错", rated_at=sr.rated_at, unit=desk.org.bureau, via="link"
    )
    page = text(english(desk.user_a).get(url("request_detail", sr.pk)))
    kinds = re.findall(r'data-testid="event" data-kind="(\w+)"', page)
    assert kinds == ["file", "dispatch", "acknowledge", "resolve", "rate"]
    assert "历史答复" in page and "不错" in page and "through the one-time link" in page
