"""In real Chromium, the pipeline board: the person responsible drags a project's card from 洽谈
(negotiating) to 签约 (signed), is asked in the dialog for the evidence the stage needs, is refused
without it, gives the contracted amount and the signed agreement (a real PDF), and sees the two
columns' counts and totals change without a page reload.

The expected counts and totals come from the kanban selector, before and after; amounts are
compared as the board writes them (万元 / 亿元) in the active language.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from luoshi.core.audit import history_of
from luoshi.investment import services
from luoshi.investment.models import DocumentKind, Project, Stage
from luoshi.investment.selectors import kanban
from luoshi.investment.templatetags.investment_tags import wan
from luoshi.org.models import Person, Zone

from .conftest import OpenAs, Shoot, Traffic, assert_clean, pdf_file, zh

pytestmark = pytest.mark.browser

PLANNED = Decimal("36000")  # 3.6 亿元
CONTRACTED = Decimal("32000")
AGREEMENT = "氢能电堆项目投资协议.pdf"


def board_totals(person: Person) -> dict[str, tuple[int, Decimal]]:
    return {column.stage: (column.count, column.amount) for column in kanban(person=person)}


def zh_wan(amount: Decimal) -> str:
    with translation.override("zh-hans"):
        return wan(amount)


def expect_column(page: Page, stage: str, count: int, amount: Decimal) -> None:
    expect(page.get_by_test_id(f"kanban-count-{stage}")).to_have_text(str(count))
    expect(page.get_by_test_id(f"kanban-amount-{stage}")).to_have_text(zh_wan(amount))


def card_in(page: Page, stage: str, project: Project) -> Locator:
    return page.get_by_test_id(f"kanban-column-{stage}").get_by_test_id(f"kanban-card-{project.pk}")


def test_drag_from_negotiating_to_signed_with_the_evidence(
    demo: None, live_server: LiveServer, open_as: OpenAs, traffic: Traffic, shoot: Shoot
) -> None:
    base = live_server.url
    owner = Person.objects.get(username="staff")
    zone = Zone.objects.order_by("sort").first()
    assert zone is not None
    today = timezone.localdate()
    project = services.project_create(
        actor=owner,
        name="氢燃料电池电堆生产基地",
        investor="大连氢能动力科技有限公司",
        origin="北京",
        industry="新能源",
        zone=zone,
        planned_investment=PLANNED,
        lead_on=today - datetime.timedelta(days=40),
    )
    project = services.project_move(
        actor=owner,
        project=project,
        expected_version=project.version,
        to_stage=Stage.NEGOTIATING,
        moved_on=today - datetime.timedelta(days=20),
    )
    before = board_totals(owner)
    negotiating, signed = before[Stage.NEGOTIATING], before[Stage.SIGNED]

    page = open_as("staff")
    page.goto(base + reverse("investment:kanban"))
    for stage, (count, amount) in before.items():
        expect_column(page, stage, count, amount)
    card = card_in(page, Stage.NEGOTIATING, project)
    expect(card).to_be_visible()
    expect(card).to_have_attribute("draggable", "true")
    shoot(page, "1-board-before")

    # Drag the card onto 签约: the dialog asks for what signing needs.
    card.drag_to(page.get_by_test_id(f"kanban-column-{Stage.SIGNED}"))
    dialog = page.get_by_test_id("move-dialog")
    expect(dialog).to_be_visible()
    form = dialog.get_by_test_id("move-form")
    expect(form).to_have_attribute("data-to-stage", Stage.SIGNED)
    expect(form.locator("#id_move-contracted_amount")).to_be_visible()
    expect(form.locator("#id_move-agreement")).to_be_attached()
    expect(form.locator("#id_move-moved_on")).to_have_value(today.isoformat())
    # While the dialog is open the card waits in the column it was dropped on.
    expect(card_in(page, Stage.SIGNED, project)).to_be_visible()

    # Without the evidence the move is refused, nothing changes, and the card goes back.
    form.get_by_test_id("move-submit").click()
    error = dialog.get_by_test_id("move-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(zh("Give the contracted amount (10k yuan)."))
    with translation.override("zh-hans"):
        attach = translation.gettext("Attach the evidence: %(kinds)s.") % {
            "kinds": DocumentKind.AGREEMENT.label
        }
    expect(error).to_contain_text(attach)
    expect(card_in(page, Stage.NEGOTIATING, project)).to_be_visible()
    expect_column(page, Stage.NEGOTIATING, *negotiating)
    expect_column(page, Stage.SIGNED, *signed)
    project.refresh_from_db()
    assert (project.stage, project.contracted_amount, project.documents.count()) == (
        Stage.NEGOTIATING,
        None,
        0,
    )
    shoot(page, "2-refused-without-evidence")

    # With the contracted amount and the signed agreement it moves.
    form = dialog.get_by_test_id("move-form")
    form.locator("#id_move-contracted_amount").fill(str(CONTRACTED))
    agreement = pdf_file(AGREEMENT, "Investment agreement", "Hydrogen fuel cell stacks", "Signed")
    form.locator("#id_move-agreement").set_input_files(agreement)
    shoot(page, "3-dialog-with-evidence")
    page.evaluate("() => { window.__sameDocument = true; }")
    form.get_by_test_id("move-submit").click()
    expect(dialog).to_be_hidden()
    with translation.override("zh-hans"):
        done = translation.gettext("The project has moved to “%(stage)s”.") % {"stage": Stage.SIGNED.label}
    expect(page.get_by_test_id("move-done")).to_have_text(done)

    # The two columns' counts and totals moved by this project; the others did not change.
    expect_column(page, Stage.NEGOTIATING, negotiating[0] - 1, negotiating[1] - PLANNED)
    expect_column(page, Stage.SIGNED, signed[0] + 1, signed[1] + PLANNED)
    after = board_totals(owner)
    assert after[Stage.NEGOTIATING] == (negotiating[0] - 1, negotiating[1] - PLANNED)
    assert after[Stage.SIGNED] == (signed[0] + 1, signed[1] + PLANNED)
    for stage, (count, amount) in before.items():
        if stage not in (Stage.NEGOTIATING, Stage.SIGNED):
            assert after[stage] == (count, amount)
            expect_column(page, stage, count, amount)
    expect(card_in(page, Stage.SIGNED, project)).to_be_visible()
    expect(card_in(page, Stage.NEGOTIATING, project)).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument === true"), "the move reloaded the page"
    shoot(page, "4-board-after")

    project.refresh_from_db()
    assert (project.stage, project.signed_on, project.contracted_amount) == (Stage.SIGNED, today, CONTRACTED)
    documents = list(project.documents.all())
    assert [(d.kind, d.original_name, d.size) for d in documents] == [
        (DocumentKind.AGREEMENT, AGREEMENT, len(agreement["buffer"]))
    ]
    assert [(r.action, r.actor) for r in history_of(project)] == [
        ("move", owner),
        ("move", owner),
        ("create", owner),
    ]

    # The card's menu on the refreshed board offers only the later stages, at the new version.
    card_in(page, Stage.SIGNED, project).get_by_test_id(f"card-menu-{project.pk}").click()
    menu = card_in(page, Stage.SIGNED, project).locator("[data-move-menu]")
    expect(menu).to_be_visible()
    later = [Stage.REGISTERED, Stage.STARTED, Stage.OPERATING]
    with translation.override("zh-hans"):
        expect(menu.locator("a[data-move-to]")).to_have_text([str(s.label) for s in later])
    registered = menu.locator(f"a[data-move-to={Stage.REGISTERED}]")
    expect(registered).to_have_attribute(
        "href",
        f"{reverse('investment:project_action', args=[project.pk, 'move'])}?to={Stage.REGISTERED}&version={project.version}",
    )
    shoot(page, "4b-card-menu")
    registered.click()
    form = dialog.get_by_test_id("move-form")
    expect(form).to_have_attribute("data-to-stage", Stage.REGISTERED)
    # Once the dialog is open its first field has the focus, and Escape closes it, moving nothing.
    expect(form.locator("#id_move-moved_on")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The project page shows the signing with its evidence and the contracted amount.
    card_in(page, Stage.SIGNED, project).get_by_role("link", name=project.name).click()
    expect(page.get_by_test_id("project-name")).to_have_text(project.name)
    expect(page.get_by_test_id("contracted-amount")).to_have_text(zh_wan(CONTRACTED))
    signing = page.get_by_test_id(f"timeline-{Stage.SIGNED}")
    expect(signing).to_contain_text(today.isoformat())
    expect(signing.get_by_test_id("evidence")).to_have_text(AGREEMENT)
    expect(page.get_by_test_id("documents").get_by_test_id("document")).to_contain_text(AGREEMENT)
    shoot(page, "5-project-page")
    assert_clean(
        traffic, allow=[f"400 {base}{reverse('investment:project_action', args=[project.pk, 'move'])}"]
    )
