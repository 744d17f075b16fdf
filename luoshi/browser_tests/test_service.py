"""In real Chromium, the service desk end to end: on a phone (390×844) the enterprise user files a
request with an attachment; the enterprise's steward dispatches it to 招商局; its head acknowledges
and resolves it (on a desktop); back on the phone the enterprise rates it 2 stars, is asked for a
comment, gives it, and the request is reopened: the unit has it again with a new clock.

The enterprise, its login's membership and the request category are set up through the services
(the category directly: it is configuration without a service), so the flow does not depend on the
demo's random history. Pages are compared with the database and with gettext in Chinese.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from luoshi.notify.models import Notification
from luoshi.org.models import Person, Unit, Zone
from luoshi.service import services
from luoshi.service.models import (
    Category,
    Rating,
    RequestAttachment,
    RequestState,
    ServiceRequest,
)
from luoshi.service.uscc import check_character

from .conftest import PHONE, OpenAs, Shoot, Traffic, assert_clean, open_action, pdf_file, zh

pytestmark = pytest.mark.browser

S = RequestState
ENTERPRISE = "大连普湾氢能装备有限公司"
CATEGORY = "项目用地与规划手续"
TITLE = "厂房扩建用地规划条件何时能出具"
ATTACHMENT = "扩建用地申请-红线图.pdf"
REPLY = "已与自然资源分局对接，规划条件将于下周三前出具，届时专人送达。"
COMPLAINT = "答复只有时间没有经办人联系方式，之前已经推迟过两次。"


def uscc(first17: str) -> str:
    return first17 + check_character(first17)


def expect_state(page: Page, state: str) -> None:
    badge = page.get_by_test_id("request-state").locator("[data-state]")
    expect(badge).to_have_attribute("data-state", state)
    expect(badge).to_have_text(zh(S(state).label))


def expect_success(page: Page, text: str) -> None:
    expect(page.locator("main > .alert-success")).to_contain_text(text)


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways on the phone."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert page.viewport_size is not None
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def test_file_on_a_phone_resolve_rate_two_stars_and_reopen(
    demo: None, live_server: LiveServer, open_as: OpenAs, traffic: Traffic, shoot: Shoot
) -> None:
    base = live_server.url
    steward_person = Person.objects.get(username="steward")
    head_person = Person.objects.get(username="head")
    user = Person.objects.get(username="enterprise")
    bureau = Unit.objects.get(name="招商局")
    zone = Zone.objects.order_by("sort").first()
    assert zone is not None
    category = Category.objects.create(name=CATEGORY, resolution_days=3, default_unit=bureau, sort=99)
    enterprise = services.enterprise_create(
        actor=steward_person,
        name=ENTERPRISE,
        uscc=uscc("91210213MA0PWQN7T"),
        zone=zone,
        industry="新能源装备",
        steward=steward_person,
    )
    services.enterprise_member_set(actor=steward_person, person=user, enterprise=enterprise)

    # 1. On a phone, the enterprise files the request with an attachment ---------------------------
    phone = open_as("enterprise", viewport=PHONE)
    assert phone.viewport_size == PHONE
    phone.goto(base + reverse("service:home"))
    expect(phone.get_by_test_id("portal-enterprise")).to_contain_text(ENTERPRISE)
    expect(phone.get_by_test_id("portal-enterprise")).to_contain_text(steward_person.name)
    assert_fits(phone)
    phone.get_by_test_id("file-request").click()
    form = phone.get_by_test_id("request-form")
    expect(form.get_by_test_id("own-enterprise")).to_have_text(ENTERPRISE)
    form.locator("#id_category").select_option(label=CATEGORY)
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_description").fill(
        "我司计划扩建二期厂房，用地申请已提交一个月，规划条件仍未出具，影响设备进场。"
    )
    attachment = pdf_file(ATTACHMENT, "Site plan", "Phase II workshop")
    form.locator("#id_attachments").set_input_files(attachment)
    assert_fits(phone)
    shoot(phone, "1-phone-filing")
    form.get_by_test_id("submit-request").click()
    sr = ServiceRequest.objects.get(title=TITLE)
    expect(phone).to_have_url(base + reverse("service:request_detail", args=[sr.pk]))
    with translation.override("zh-hans"):
        received = translation.gettext(
            "Your request %(code)s has been received. We respond by the end of the working day."
        ) % {"code": sr.code}
    expect_success(phone, received)
    expect(phone.get_by_test_id("request-code")).to_have_text(sr.code)
    expect_state(phone, S.RECEIVED)
    expect(phone.get_by_test_id("attachment")).to_have_text(ATTACHMENT)
    with phone.expect_download() as download:
        phone.get_by_test_id("attachment").click()
    assert Path(download.value.path()).read_bytes() == attachment["buffer"]
    stored = RequestAttachment.objects.get(request=sr)
    assert (stored.original_name, sr.enterprise, sr.category, sr.filed_by) == (
        ATTACHMENT,
        enterprise,
        category,
        user,
    )
    assert_fits(phone)
    shoot(phone, "2-phone-received")

    # 2. The steward dispatches it to 招商局, whose head acknowledges and resolves it (desktop) ------
    steward = open_as("steward")
    steward.goto(base + reverse("service:request_detail", args=[sr.pk]))
    open_action(steward, "dispatch")
    # The category's usual unit is preselected.
    expect(steward.locator("#id_dispatch-unit")).to_have_value(str(bureau.pk))
    steward.get_by_test_id("action-submit-dispatch").click()
    expect_success(steward, zh("The request has been dispatched. The unit must respond today."))
    expect_state(steward, S.DISPATCHED)
    expect(steward.get_by_test_id("handling-unit")).to_have_text(bureau.name)

    head = open_as("head")
    head.goto(base + reverse("service:unit_queue"))
    expect(head.get_by_test_id("request-row").filter(has_text=TITLE)).to_have_count(1)
    head.goto(base + reverse("service:request_detail", args=[sr.pk]))
    expect_state(head, S.DISPATCHED)
    head.get_by_test_id("action-submit-acknowledge").click()
    expect_success(head, zh("You have acknowledged the request; the resolution clock has started."))
    expect_state(head, S.ACKNOWLEDGED)
    sr.refresh_from_db()
    assert sr.acknowledged_at is not None and sr.resolution_due_at is not None
    open_action(head, "resolve")
    head.locator("#id_resolve-reply").fill(REPLY)
    head.get_by_test_id("action-submit-resolve").click()
    expect_success(head, zh("The request has been resolved; the enterprise has been asked to rate it."))
    expect_state(head, S.RESOLVED)
    expect(head.get_by_test_id("reply")).to_contain_text(REPLY)
    shoot(head, "3-desktop-resolved")

    # 3. Back on the phone: it waits for a rating; 2 stars need a comment, then it reopens ----------
    phone.goto(base + reverse("service:home"))
    todo = phone.get_by_test_id("todo-item").filter(has_text=TITLE)
    expect(todo).to_have_count(1)
    shoot(phone, "4-phone-to-rate")
    todo.click()
    expect_state(phone, S.RESOLVED)
    expect(phone.get_by_test_id("reply")).to_contain_text(REPLY)
    rate = phone.get_by_test_id("action-form-rate")
    expect(rate).to_be_visible()
    stars = rate.get_by_test_id("stars")
    stars.locator(f'label[for="{rate.get_by_test_id("star-2").get_attribute("id")}"]').click()
    expect(rate.get_by_test_id("star-2")).to_be_checked()
    rate.get_by_test_id("action-submit-rate").click()
    # Without a comment the low rating is refused and nothing changes.
    expect(phone.get_by_test_id("field-error-comment")).to_have_text(
        zh("Tell us what was not satisfactory, so the unit can put it right.")
    )
    expect_state(phone, S.RESOLVED)
    assert not Rating.objects.filter(request=sr).exists()
    rate = phone.get_by_test_id("action-form-rate")
    expect(rate.get_by_test_id("star-2")).to_be_checked()
    rate.locator("textarea[name$='comment']").fill(COMPLAINT)
    assert_fits(phone)
    shoot(phone, "5-phone-rating-2-stars")
    rate.get_by_test_id("action-submit-rate").click()

    expect_state(phone, S.ACKNOWLEDGED)
    with translation.override("zh-hans"):
        once = translation.ngettext("Reopened %(counter)s time", "Reopened %(counter)s times", 1) % {
            "counter": 1
        }
    expect(phone.get_by_test_id("reopen-count")).to_have_text(once)
    reopened = phone.get_by_test_id("reopened-by")
    expect(reopened).to_contain_text(COMPLAINT)
    expect(phone.get_by_test_id("action-form-rate")).to_have_count(0)
    assert_fits(phone)
    shoot(phone, "6-phone-reopened")

    sr.refresh_from_db()
    assert (sr.state, sr.reopen_count, sr.stars, sr.resolved_at) == (S.ACKNOWLEDGED, 1, 2, None)
    rating = Rating.objects.get(request=sr)
    assert (rating.stars, rating.comment, rating.by, rating.unit) == (2, COMPLAINT, user, bureau)
    # The unit head and the steward are told.
    told = Notification.objects.filter(kind="request_reopened", recipient__in=[head_person, steward_person])
    assert {n.recipient for n in told} == {head_person, steward_person}

    # The unit has it again, with the complaint in view and the resolve action back.
    head.reload()
    expect_state(head, S.ACKNOWLEDGED)
    expect(head.get_by_test_id("reopened-by")).to_contain_text(COMPLAINT)
    expect(head.get_by_test_id("action-resolve")).to_be_visible()
    shoot(head, "7-desktop-reopened")
    assert_clean(
        traffic,
        allow=[f"400 {base}{reverse('service:request_action', args=[sr.pk, 'rate'])}"],
    )
