"""In real Chromium, the implementation list end to end: a supervisor writes a directive and an item
and publishes it; the unit head claims it and names the owner; the owner reports with a PDF as
evidence and submits the close-out; the supervisor verifies it. Then the item list with its lights.

Each person works in a browser context of their own. What the pages show is compared with the
database and with what gettext gives for the active language (Chinese by default).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from luoshi.core import calendar as workcal
from luoshi.core.models import AuditRecord
from luoshi.demo import org as demo_data
from luoshi.demo.documents import pdf_bytes
from luoshi.org.models import Person, Unit, Zone
from luoshi.worklist.lights import Light
from luoshi.worklist.models import Attachment, AttachmentKind, Directive, Item, ItemState
from luoshi.worklist.selectors import ItemFilters, item_list, light_counts

from .conftest import OpenAs, Shoot, Traffic, assert_clean, open_action, pdf_file, zh

pytestmark = pytest.mark.browser

S = ItemState
DIRECTIVE_TITLE = "落实新区招商引资三年行动计划"
ITEM_TITLE = "引进新能源汽车零部件配套项目"
REPORT_PDF = "签约进展佐证.pdf"
CLOSE_OUT_PDF = "销号佐证-签约协议.pdf"


def state_of(page: Page) -> str | None:
    return page.get_by_test_id("item-state").locator("[data-state]").get_attribute("data-state")


def expect_state(page: Page, state: str) -> None:
    badge = page.get_by_test_id("item-state").locator("[data-state]")
    expect(badge).to_have_attribute("data-state", state)
    expect(badge).to_have_text(zh(S(state).label))


def expect_success(page: Page, msgid: str) -> None:
    expect(page.locator("main > .alert-success")).to_contain_text(zh(msgid))


def open_from_queue(page: Page, base: str, queue: str, title: str) -> None:
    """Find the item in one of the queues and open it from there."""
    page.goto(base + reverse(queue))
    row = page.get_by_test_id("item-row").filter(has_text=title)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=title).click()
    expect(page.get_by_test_id("item-title")).to_have_text(title)


def test_directive_to_verified_close_out_and_the_lights(
    demo: None, live_server: LiveServer, open_as: OpenAs, traffic: Traffic, shoot: Shoot
) -> None:
    base = live_server.url
    today = timezone.localdate()
    deadline = workcal.add_working_days(today, 30)
    investment_bureau = Unit.objects.get(name="招商局")
    authority = Unit.objects.get(name=demo_data.AUTHORITY)
    zone = Zone.objects.order_by("sort").first()
    assert zone is not None
    head = Person.objects.get(username="head")
    owner = Person.objects.get(username="staff")
    deputy = Person.objects.get(username="deputy")

    # 1. The supervisor writes the directive, decomposes it into an item and publishes it -----------
    supervisor = open_as("supervisor")
    supervisor.goto(base + reverse("worklist:directive_list"))
    supervisor.locator(f'main a[href="{reverse("worklist:directive_add")}"]').click()
    form = supervisor.get_by_test_id("directive-form")
    form.locator("#id_title").fill(DIRECTIVE_TITLE)
    form.locator("#id_text").fill("各单位认领招商任务，明确责任人和完成时限，按月报告进展。")
    form.locator("#id_source_kind").select_option("meeting")
    form.locator("#id_source_title").fill("普湾经济区干部大会")
    form.locator("#id_source_date").fill((today - datetime.timedelta(days=3)).isoformat())
    form.locator("#id_source_issuer").fill("管委会主任")
    form.locator("#id_issuing_unit").select_option(str(authority.pk))
    form.get_by_role("button", name=zh("Save")).click()
    directive = Directive.objects.get(title=DIRECTIVE_TITLE)
    expect(supervisor).to_have_url(base + reverse("worklist:directive_detail", args=[directive.pk]))
    expect(supervisor.get_by_test_id("directive-title")).to_have_text(DIRECTIVE_TITLE)
    assert directive.source_kind == "meeting" and directive.issuing_unit == authority

    supervisor.get_by_test_id("add-item-under").click()
    form = supervisor.get_by_test_id("item-form")
    expect(form.locator("#id_directive")).to_have_value(str(directive.pk))
    form.locator("#id_title").fill(ITEM_TITLE)
    form.locator("#id_category").select_option("investment")
    form.locator("#id_zone").select_option(str(zone.pk))
    form.locator("#id_lead_unit").select_option(str(investment_bureau.pk))
    form.locator("#id_target_metric").fill("签约项目")
    form.locator("#id_target_value").fill("3")
    form.locator("#id_target_unit").fill("个")
    form.locator("#id_start_date").fill(today.isoformat())
    form.locator("#id_deadline").fill(deadline.isoformat())
    form.locator("#id_report_cycle").select_option("14")
    form.get_by_role("button", name=zh("Save")).click()
    item = Item.objects.get(title=ITEM_TITLE)
    expect(supervisor).to_have_url(base + reverse("worklist:item_detail", args=[item.pk]))
    expect(supervisor.get_by_test_id("item-code")).to_have_text(item.code)
    expect_state(supervisor, S.DRAFT)
    assert item.directive == directive and item.deadline == deadline and item.target_value == 3
    # No one is named yet: the chain says so.
    expect(supervisor.get_by_test_id("chain")).to_contain_text(zh("Not named yet"))

    open_action(supervisor, "publish")
    expect(supervisor.locator("#id_publish-lead_unit")).to_have_value(str(investment_bureau.pk))
    supervisor.get_by_test_id("action-submit-publish").click()
    expect_success(supervisor, "The item has been published to its lead unit for claiming.")
    expect_state(supervisor, S.PUBLISHED)
    shoot(supervisor, "1-published")

    # 2. The head of 招商局 finds it in the claim queue, claims it and names the owner ---------------
    unit_head = open_as("head")
    open_from_queue(unit_head, base, "worklist:claims", ITEM_TITLE)
    open_action(unit_head, "claim")
    owner_select = unit_head.locator("#id_claim-owner")
    # Only members of the lead unit can be chosen.
    members = owner_select.locator("option:not([value=''])")
    expect(members).to_have_count(Person.objects.filter(positions__unit=investment_bureau).distinct().count())
    owner_select.select_option(str(owner.pk))
    unit_head.get_by_test_id("action-submit-claim").click()
    expect_success(unit_head, "You have claimed the item.")
    # The deputy oversees 招商局, so the chain is whole and the work starts at once.
    expect_state(unit_head, S.IN_PROGRESS)
    chain = unit_head.get_by_test_id("chain")
    for person in (deputy, head, owner):
        expect(chain.get_by_role("link", name=person.name)).to_be_visible()
    expect(unit_head.get_by_test_id("item-light").locator("[data-light]")).to_have_attribute(
        "data-light", Light.GREEN
    )
    item.refresh_from_db()
    assert (item.unit_head, item.owner, item.leader) == (head, owner, deputy)
    shoot(unit_head, "2-claimed")

    # 3. The owner reports with evidence, then submits the close-out ---------------------------------
    staff = open_as("staff")
    open_from_queue(staff, base, "worklist:mine", ITEM_TITLE)
    open_action(staff, "report")
    staff.locator("#id_report-done").fill("与两家零部件企业完成技术洽谈，一家已签订框架协议。")
    staff.locator("#id_report-percent").fill("60")
    staff.locator("#id_report-problems").fill("用地指标待落实。")
    staff.locator("#id_report-next_steps").fill("协调自然资源分局办理用地预审。")
    report_pdf = pdf_file(REPORT_PDF, "Framework agreement signed", "Puwan Economic Zone")
    staff.locator("#id_report-evidence").set_input_files(report_pdf)
    staff.get_by_test_id("action-submit-report").click()
    expect_success(staff, "Your progress report has been saved.")
    report = staff.get_by_test_id("report")
    expect(report).to_have_count(1)
    expect(report).to_contain_text("60%")
    expect(report).to_contain_text("用地指标待落实。")
    evidence = report.get_by_test_id("evidence")
    expect(evidence).to_contain_text(REPORT_PDF)
    # The file that comes back is the file that went in.
    with staff.expect_download() as download:
        evidence.click()
    assert download.value.suggested_filename == REPORT_PDF
    assert Path(download.value.path()).read_bytes() == report_pdf["buffer"]
    stored = Attachment.objects.get(item=item, kind=AttachmentKind.REPORT)
    assert (stored.original_name, stored.file_type, stored.uploaded_by) == (REPORT_PDF, "pdf", owner)

    open_action(staff, "close_out")
    staff.locator("#id_close_out-actual_value").fill("3")
    staff.locator("#id_close_out-actual_text").fill("签约新能源汽车零部件配套项目3个，协议总投资12亿元。")
    staff.locator("#id_close_out-evidence").set_input_files(
        pdf_file(CLOSE_OUT_PDF, "Three projects signed", "Total 1.2 billion yuan")
    )
    staff.get_by_test_id("action-submit-close_out").click()
    expect_success(staff, "The close-out has been submitted for verification.")
    expect_state(staff, S.CLOSE_REQUESTED)
    close_out = staff.get_by_test_id("close-out")
    expect(close_out.get_by_test_id("evidence")).to_have_text(CLOSE_OUT_PDF)
    # Nothing more to do for the owner until the supervision office decides.
    expect(staff.get_by_test_id("action-close_out")).to_have_count(0)
    shoot(staff, "3-close-out-submitted")

    # 4. The supervisor verifies it from the verification queue ---------------------------------------
    open_from_queue(supervisor, base, "worklist:verification", ITEM_TITLE)
    expect(supervisor.get_by_test_id("close-out")).to_contain_text(CLOSE_OUT_PDF)
    open_action(supervisor, "verify")
    supervisor.get_by_test_id("action-submit-verify").click()
    expect_success(supervisor, "The item has been closed out.")
    expect_state(supervisor, S.CLOSED)
    expect(supervisor.get_by_test_id("item-light").locator("[data-light]")).to_have_attribute(
        "data-light", Light.CLOSED
    )
    verdict = supervisor.get_by_test_id("close-out")
    expect(verdict).to_contain_text(zh("Target met"))
    expect(supervisor.get_by_test_id("actions")).to_have_count(0)
    item.refresh_from_db()
    assert item.state == S.CLOSED and item.target_met is True and item.actual_value == 3
    closed_files = Attachment.objects.filter(item=item, kind=AttachmentKind.CLOSE_OUT)
    assert [(a.original_name, a.file_type) for a in closed_files] == [(CLOSE_OUT_PDF, "pdf")]
    assert closed_files[0].size == len(pdf_bytes("Three projects signed", "Total 1.2 billion yuan"))
    # One audit record per step, each by the person who took it.
    steps = list(
        AuditRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(Item), object_id=str(item.pk)
        )
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert steps == [
        ("create", "supervisor"),
        ("publish", "supervisor"),
        ("claim", "head"),
        ("close_out_submit", "staff"),
        ("close_out_approve", "supervisor"),
    ], steps
    shoot(supervisor, "4-item-closed")

    # The item list: the demo's back-dated items show every light, and the page agrees with the selector.
    me = Person.objects.get(username="supervisor")
    counts = light_counts(item_list(person=me))
    for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.CLOSED):
        assert counts[light] >= 1, counts
    total = sum(counts.values())
    assert total <= 50, "the list no longer fits on one page: count per page instead"
    supervisor.goto(base + reverse("worklist:item_list"))
    table = supervisor.get_by_test_id("item-table")
    expect(table.get_by_test_id("item-row")).to_have_count(total)
    for shown, n in counts.items():
        expect(table.locator(f'[data-light="{shown}"]')).to_have_count(n)
    ours = table.get_by_test_id("item-row").filter(has_text=ITEM_TITLE)
    expect(ours.locator("[data-light]")).to_have_attribute("data-light", Light.CLOSED)
    expect(ours.locator("[data-state]")).to_have_attribute("data-state", S.CLOSED)
    expect(supervisor.get_by_test_id("light-rules")).to_be_visible()
    shoot(supervisor, "5-list-with-lights")

    # Filtering by red keeps exactly the red items, in place.
    with supervisor.expect_response(
        lambda r: "light=red" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        supervisor.get_by_test_id("light-filter-red").click()
    expect(table.get_by_test_id("item-row")).to_have_count(counts[Light.RED])
    expect(table.locator('[data-light]:not([data-light="red"])')).to_have_count(0)
    expect(supervisor).to_have_url(re.compile(r"light=red"))
    shoot(supervisor, "6-list-red-only")

    # "More filters" fetches its panel when first opened; choosing an owner narrows the red items.
    owner = Person.objects.get(username="staff")
    expected = item_list(person=me, filters=ItemFilters(lights=[Light.RED], owner=owner)).count()
    supervisor.locator('a[href="#more-filters"]').click()
    owners = supervisor.get_by_test_id("more-filters").locator("select[name=owner]")
    expect(owners).to_be_visible()
    with supervisor.expect_response(
        lambda r: f"owner={owner.pk}" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        owners.select_option(str(owner.pk))
    expect(table.get_by_test_id("item-row")).to_have_count(expected)
    expect(supervisor).to_have_url(re.compile(rf"owner={owner.pk}"))
    shoot(supervisor, "6b-list-more-filters")

    # The item page, as the owner sees it now.
    staff.goto(base + reverse("worklist:item_detail", args=[item.pk]))
    expect_state(staff, S.CLOSED)
    shoot(staff, "7-item-page")
    assert state_of(staff) == S.CLOSED

    # An item with a long history shows its newest ten reports and fetches earlier ones on request.
    busy = (
        Item.objects.annotate(n=Count("reports"))
        .filter(n__gt=10)
        .order_by("-n", "pk")
        .values_list("pk", "n")
        .first()
    )
    assert busy is not None, "the demo has no item with more than ten reports"
    busy_pk, n = busy
    supervisor.goto(base + reverse("worklist:item_detail", args=[busy_pk]))
    reports = supervisor.get_by_test_id("reports")
    expect(reports.get_by_test_id("report")).to_have_count(10)
    reports.get_by_test_id("more-reports").click()
    expect(reports.get_by_test_id("report")).to_have_count(min(n, 20))
    expect(reports.get_by_test_id("more-reports")).to_have_count(1 if n > 20 else 0)
    assert_clean(traffic)
