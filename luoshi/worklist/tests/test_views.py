"""The implementation list's pages: who sees what, the whole loop through the forms, refusals that
change nothing, stale edits, and list query counts that do not grow with the rows.

Pages are requested in English (the language cookie) so the assertions can read the messages.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.conftest import SmallOrg, client_for, make_person
from luoshi.org.models import Person
from luoshi.worklist import services
from luoshi.worklist.models import (
    Attachment,
    Directive,
    Escalation,
    Item,
    ItemState,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
)

# A tiny but well-formed PDF: header, one empty page, cross-reference table and trailer.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


def english(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    client.cookies["luoshi_language"] = "en"
    return client


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def url(name: str, *args: object) -> str:
    from django.urls import reverse

    return reverse(f"worklist:{name}", args=args)


def act(client: Client, item: Item, action: str, **fields: object) -> Any:
    """POST an action from the item page, with the version the page showed."""
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{action}-version", Item.objects.get(pk=item.pk).version)
    return client.post(url("item_action", item.pk, action), data)


def this_year_deadline() -> datetime.date:
    today = timezone.localdate()
    return max(datetime.date(today.year, 12, 31), today)


# Who sees which page ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(org: SmallOrg) -> None:
    response = Client().get(url("home"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["enterprise", "nobody"])
def test_people_outside_government_get_404(org: SmallOrg, who: str) -> None:
    client = english(getattr(org, who))
    for name in ("home", "item_list", "mine", "escalations", "promises", "directive_list"):
        assert client.get(url(name)).status_code == 404, name


def test_each_page_renders_for_the_right_people(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=this_year_deadline())
    directive = services.directive_create(
        actor=org.supervisor,
        title="湾北高科技产业集聚区",
        source_kind="meeting",
        source_title="干部大会",
        source_date=timezone.localdate(),
        source_issuer="管委会",
    )
    supervisor, head, staff = english(org.supervisor), english(org.head), english(org.staff)
    for name, args in [
        ("home", ()),
        ("item_list", ()),
        ("item_detail", (item.pk,)),
        ("item_add", ()),
        ("item_edit", (item.pk,)),
        ("mine", ()),
        ("claims", ()),
        ("verification", ()),
        ("escalations", ()),
        ("promises", ()),
        ("directive_list", ()),
        ("directive_detail", (directive.pk,)),
        ("directive_add", ()),
        ("directive_edit", (directive.pk,)),
    ]:
        assert supervisor.get(url(name, *args)).status_code == 200, name
    assert head.get(url("claims")).status_code == 200
    for name in ("home", "item_list", "mine", "escalations", "promises", "directive_list"):
        assert staff.get(url(name)).status_code == 200, name
    assert staff.get(url("item_detail", item.pk)).status_code == 200
    # Seen but not theirs to do: 403.
    assert staff.get(url("claims")).status_code == 403
    assert staff.get(url("verification")).status_code == 403
    assert head.get(url("verification")).status_code == 403
    assert staff.get(url("item_add")).status_code == 403
    assert staff.get(url("item_edit", item.pk)).status_code == 403
    assert head.get(url("directive_add")).status_code == 403
    # A directive with no item this person can see does not exist for them.
    assert staff.get(url("directive_detail", directive.pk)).status_code == 404


def test_staff_of_another_unit_get_404_unless_their_unit_supports_the_item(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline())
    services.report_submit(actor=org.staff, item=item, done="进展", percent=10, files=[pdf()])
    attachment = Attachment.objects.get(item=item)
    other = english(org.other_staff)
    assert other.get(url("item_detail", item.pk)).status_code == 404
    assert other.get(url("attachment", attachment.pk)).status_code == 404
    assert other.post(url("item_action", item.pk, "report"), {}).status_code == 404
    assert str(item.code) not in other.get(url("item_list")).content.decode()

    item = Item.objects.get(pk=item.pk)
    services.item_update(
        actor=org.supervisor,
        item=item,
        expected_version=item.version,
        changes={},
        support_units=[org.zone_office],
    )
    assert other.get(url("item_detail", item.pk)).status_code == 200
    download = other.get(url("attachment", attachment.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    # Seeing is not doing: the supporting unit's staff cannot report on it.
    assert (
        other.post(
            url("item_action", item.pk, "report"), {"report-done": "x", "report-percent": 5}
        ).status_code
        == 403
    )


def test_the_item_page_shows_the_newest_reports_and_fetches_earlier_ones(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    today = timezone.localdate()
    item = make_item(
        deadline=today + datetime.timedelta(days=200), started=today - datetime.timedelta(days=200)
    )
    for week in range(23):
        with time_machine.travel(today - datetime.timedelta(days=7 * (23 - week)), tick=False):
            services.report_submit(actor=org.staff, item=item, done=f"第{week + 1}周推进", percent=week)
    staff = english(org.staff)

    def shown(body: str) -> list[str]:
        return re.findall(r"第(\d+)周推进", body)

    with CaptureQueriesContext(connection) as first_page:
        page = staff.get(url("item_detail", item.pk)).content.decode()
    assert shown(page) == [str(n) for n in range(23, 13, -1)]  # the newest ten, newest first
    assert 'data-testid="report-count">23<' in page
    assert "Show earlier reports (13 more)" in page
    more = f'hx-get="{url("item_reports", item.pk)}?page=2"'
    assert more in page

    second = staff.get(url("item_reports", item.pk) + "?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second
    assert shown(second) == [str(n) for n in range(13, 3, -1)]
    assert "Show earlier reports (3 more)" in second
    last = staff.get(url("item_reports", item.pk) + "?page=3").content.decode()
    assert shown(last) == ["3", "2", "1"] and "more-reports" not in last

    # Reports do not add queries to the item page.
    for week in range(10):
        services.report_submit(actor=org.staff, item=item, done="追加", percent=50 + week)
    with CaptureQueriesContext(connection) as later:
        staff.get(url("item_detail", item.pk))
    assert len(later) == len(first_page)

    # Someone who may not see the item gets no reports either.
    assert english(org.other_staff).get(url("item_reports", item.pk)).status_code == 404


def test_drafts_are_for_supervisors_only(org: SmallOrg) -> None:
    draft = services.item_create(
        actor=org.supervisor,
        title="草稿",
        deadline=this_year_deadline(),
        lead_unit=org.bureau,
        target_text="x",
    )
    assert english(org.supervisor).get(url("item_detail", draft.pk)).status_code == 200
    assert english(org.head).get(url("item_detail", draft.pk)).status_code == 404


# The whole loop through the pages -----------------------------------------------------------------


def test_the_full_loop_through_the_pages(org: SmallOrg) -> None:
    supervisor, head, staff = english(org.supervisor), english(org.head), english(org.staff)
    deadline = this_year_deadline()

    response = supervisor.post(
        url("directive_add"),
        {
            "title": "推进湾北高科技产业集聚区建设",
            "source_kind": "meeting",
            "source_title": "普湾经济区干部大会",
            "source_date": timezone.localdate().isoformat(),
            "source_issuer": "管委会主任",
        },
    )
    directive = Directive.objects.get()
    assert response.status_code == 302 and response["Location"] == url("directive_detail", directive.pk)
    # A directive with no item is a coverage warning on the home page.
    assert directive.title in supervisor.get(url("home")).content.decode()

    page = supervisor.get(url("item_add") + f"?directive={directive.pk}").content.decode()
    assert f'<option value="{directive.pk}" selected>' in page
    response = supervisor.post(
        url("item_add"),
        {
            "directive": directive.pk,
            "title": "湾北科创园一期主体完工",
            "category": "project",
            "lead_unit": org.bureau.pk,
            "support_units": [org.service_centre.pk],
            "leader": org.deputy.pk,
            "target_text": "一期主体结构封顶",
            "deadline": deadline.isoformat(),
            "report_cycle": 7,
        },
    )
    item = Item.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert item.state == ItemState.DRAFT and item.directive == directive
    assert list(item.support_units.all()) == [org.service_centre]

    response = act(supervisor, item, "publish", lead_unit=org.bureau.pk)
    assert response.status_code == 302
    assert Item.objects.get(pk=item.pk).state == ItemState.PUBLISHED

    claims = head.get(url("claims")).content.decode()
    assert item.code in claims
    response = act(head, item, "claim", owner=org.staff.pk)
    assert response.status_code == 302
    item = Item.objects.get(pk=item.pk)
    assert (item.state, item.owner, item.unit_head) == (ItemState.IN_PROGRESS, org.staff, org.head)
    assert item.code in staff.get(url("mine")).content.decode()
    # The owner now sees the directive through its item, counted with the items they can see.
    listing = staff.get(url("directive_list")).content.decode()
    assert directive.title in listing
    assert re.search(r'<td class="text-end">1</td>', listing)

    # The owner reports with a real PDF ...
    response = staff.post(
        url("item_action", item.pk, "report"),
        {
            "report-done": "完成桩基施工",
            "report-percent": 40,
            "report-problems": "",
            "report-next_steps": "主体施工",
            "report-evidence": [pdf("桩基验收.pdf")],
        },
    )
    assert response.status_code == 302
    report = ProgressReport.objects.get(item=item)
    evidence = Attachment.objects.get(report=report)
    assert (report.percent, evidence.file_type, evidence.original_name) == (40, "pdf", "桩基验收.pdf")
    page = staff.get(url("item_detail", item.pk)).content.decode()
    assert url("attachment", evidence.pk) in page and "40%" in page

    # ... and a text file dressed up as a PDF is refused, clearly, and nothing is saved.
    fake = SimpleUploadedFile(
        "验收报告.pdf", b"this is plain text, not a PDF", content_type="application/pdf"
    )
    response = staff.post(
        url("item_action", item.pk, "report"),
        {"report-done": "又一次", "report-percent": 60, "report-evidence": [fake]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="action-error"' in body
    assert "验收报告.pdf" in body and "is not an accepted file" in body
    assert ProgressReport.objects.filter(item=item).count() == 1
    assert Attachment.objects.filter(item=item).count() == 1
    # The typed text survives the refusal, so the owner only has to pick a proper file.
    assert "又一次" in body

    response = staff.post(
        url("item_action", item.pk, "close_out"),
        {
            "close_out-version": Item.objects.get(pk=item.pk).version,
            "close_out-actual_text": "一期主体结构已封顶",
            "close_out-evidence": [pdf("封顶.pdf")],
        },
    )
    assert response.status_code == 302
    item = Item.objects.get(pk=item.pk)
    assert item.state == ItemState.CLOSE_REQUESTED
    assert item.code in supervisor.get(url("verification")).content.decode()

    response = act(supervisor, item, "verify", target_met="yes")
    assert response.status_code == 302
    item = Item.objects.get(pk=item.pk)
    assert (item.state, item.target_met) == (ItemState.CLOSED, True)
    page = supervisor.get(url("item_detail", item.pk)).content.decode()
    assert 'data-light="closed"' in page and "Target met" in page

    # Kept: closed by the deadline with the target met, on the promise page and the unit page.
    promises = supervisor.get(url("promises")).content.decode()
    assert "100.0%" in promises
    drill = supervisor.get(url("promises") + f"?period=year&by=unit&key={org.bureau.pk}").content.decode()
    assert item.code in drill and 'data-kept="1"' in drill
    unit_page = supervisor.get(f"/units/{org.bureau.pk}/").content.decode()
    assert 'data-testid="promise-card"' in unit_page and "100.0%" in unit_page
    person_page = supervisor.get(f"/people/{org.staff.pk}/").content.decode()
    assert 'data-testid="promise-card"' in person_page and "1 of 1" in person_page


def test_an_actions_form_is_fetched_when_its_panel_opens(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline())
    staff = english(org.staff)
    page = staff.get(url("item_detail", item.pk)).content.decode()
    # The page carries the button and where its form comes from, not the form.
    assert 'data-testid="action-report"' in page
    assert f'hx-get="{url("item_action_form", item.pk, "report")}"' in page
    assert 'name="report-done"' not in page
    form = staff.get(url("item_action_form", item.pk, "report"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in form and 'data-testid="action-form-report"' in form
    assert f'action="{url("item_action", item.pk, "report")}"' in form
    assert 'name="report-done"' in form and 'enctype="multipart/form-data"' in form
    # Only the actions the page offers this person, on items they can see.
    assert staff.get(url("item_action_form", item.pk, "verify")).status_code == 404
    assert staff.get(url("item_action_form", item.pk, "no-such-action")).status_code == 404
    assert english(org.other_staff).get(url("item_action_form", item.pk, "report")).status_code == 404
    # A refused action comes back open, with its form and the errors, on the page itself.
    body = act(staff, item, "report", done="", percent=150).content.decode()
    assert 'name="report-done"' in body and 'data-testid="action-error"' in body


# Refusals change nothing --------------------------------------------------------------------------


def test_claiming_twice_shows_the_error_and_changes_nothing(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline())
    before = Item.objects.get(pk=item.pk)
    response = act(english(org.head), item, "claim", owner=org.staff.pk)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="action-error"' in body and "cannot be claimed" in body
    after = Item.objects.get(pk=item.pk)
    assert (after.version, after.state, after.claimed_at) == (before.version, before.state, before.claimed_at)


def test_verifying_an_item_that_was_not_submitted_is_refused(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline())
    version = Item.objects.get(pk=item.pk).version
    response = act(english(org.supervisor), item, "verify", target_met="yes")
    assert response.status_code == 400
    assert "cannot be closed out" in response.content.decode()
    item = Item.objects.get(pk=item.pk)
    assert (item.state, item.version, item.closed_at) == (ItemState.IN_PROGRESS, version, None)


def test_actions_need_the_right_person_and_a_reason(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=this_year_deadline())
    staff = english(org.staff)
    assert act(staff, item, "suspend", reason="资金未到位").status_code == 403
    assert staff.post(url("item_action", item.pk, "nonsense"), {}).status_code == 404
    assert staff.get(url("item_action", item.pk, "report")).status_code == 405
    # No reason, no request: the form says so, and the item is untouched.
    response = act(staff, item, "request_change", kind="suspend", reason="")
    assert response.status_code == 400
    assert Item.objects.get(pk=item.pk).requested_change == ""
    response = act(staff, item, "request_change", kind="suspend", reason="资金未到位")
    assert response.status_code == 302
    page = english(org.supervisor).get(url("item_detail", item.pk)).content.decode()
    assert 'data-testid="pending-request"' in page and "资金未到位" in page
    response = act(english(org.supervisor), item, "decide_change", decision="approve")
    assert response.status_code == 302
    assert Item.objects.get(pk=item.pk).state == ItemState.SUSPENDED


def test_a_stale_action_is_a_conflict(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    item = make_item(deadline=this_year_deadline(), claim=False)
    stale = Item.objects.get(pk=item.pk).version
    services.item_decline(actor=org.head, item=item, expected_version=stale, reason="不属本单位职责")
    services.item_publish(actor=org.supervisor, item=item, expected_version=item.version)
    current = Item.objects.get(pk=item.pk)
    response = english(org.head).post(
        url("item_action", item.pk, "claim"), {"claim-owner": org.staff.pk, "claim-version": stale}
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    after = Item.objects.get(pk=item.pk)
    assert (after.version, after.state, after.owner) == (current.version, ItemState.PUBLISHED, None)


# Two people editing one item ----------------------------------------------------------------------


def test_the_second_of_two_editors_gets_a_conflict_and_the_first_edit_stays(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline())
    colleague = make_person(org.admin, "supervisor2", org.committee, "supervisor")
    first, second = english(org.supervisor), english(colleague)
    form_a = first.get(url("item_edit", item.pk)).content.decode()
    form_b = second.get(url("item_edit", item.pk)).content.decode()
    version = int(re.search(r'name="version" value="(\d+)"', form_a)[1])  # type: ignore[index]
    assert f'name="version" value="{version}"' in form_b

    def edit(client: Client, title: str) -> Any:
        return client.post(
            url("item_edit", item.pk),
            {
                "version": version,
                "title": title,
                "category": "project",
                "lead_unit": org.bureau.pk,
                "leader": org.deputy.pk,
                "target_text": "完成规划编制",
                "deadline": item.deadline.isoformat(),
                "report_cycle": 7,
            },
        )

    assert edit(first, "第一位的修改").status_code == 302
    response = edit(second, "第二位的修改")
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    item = Item.objects.get(pk=item.pk)
    assert item.title == "第一位的修改" and item.version == version + 1


# Milestones and escalations -----------------------------------------------------------------------


def test_milestones_are_planned_and_adjusted_from_the_page(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    item = make_item(deadline=this_year_deadline(), started=timezone.localdate())
    staff = english(org.staff)
    template = MilestoneTemplate.objects.first()
    assert template is not None
    assert act(staff, item, "plan", template=template.pk).status_code == 302
    milestones = list(Milestone.objects.filter(item=item))
    assert len(milestones) == len(template.steps)
    first = milestones[0]
    page = staff.get(url("item_detail", item.pk)).content.decode()
    assert page.count('data-testid="milestone"') == len(milestones)

    saturday = first.due_date - datetime.timedelta(days=(first.due_date.weekday() - 5) % 7)
    from luoshi.core import calendar as workcal

    if not workcal.is_working_day(saturday):
        response = staff.post(
            url("milestone_edit", first.pk),
            {"op": "save", "title": first.title, "due_date": saturday.isoformat(), "version": first.version},
            follow=True,
        )
        assert "is not a working day" in response.content.decode()
        assert Milestone.objects.get(pk=first.pk).due_date == first.due_date
    earlier = workcal.add_working_days(first.due_date, -1)
    staff.post(
        url("milestone_edit", first.pk),
        {"op": "save", "title": "方案编制", "due_date": earlier.isoformat(), "version": first.version},
    )
    changed = Milestone.objects.get(pk=first.pk)
    assert (changed.title, changed.due_date) == ("方案编制", earlier)
    staff.post(url("milestone_edit", first.pk), {"op": "done", "version": changed.version})
    assert Milestone.objects.get(pk=first.pk).done_at is not None
    # Someone who cannot see the item cannot touch its milestones.
    assert english(org.other_staff).post(url("milestone_edit", first.pk), {"op": "undo"}).status_code == 404


def test_escalations_are_acknowledged_with_a_recovery_plan(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    today = timezone.localdate()
    item = make_item(
        deadline=today - datetime.timedelta(days=20), started=today - datetime.timedelta(days=80)
    )
    assert services.escalation_sweep() > 0
    mine = Escalation.objects.filter(recipients=org.staff).get()
    staff = english(org.staff)
    page = staff.get(url("escalations")).content.decode()
    assert item.code in page and 'data-light="red"' in page
    assert (
        english(org.other_staff)
        .post(url("escalation_acknowledge", mine.pk), {"recovery_plan": "x"})
        .status_code
        == 404
    )
    response = staff.post(url("escalation_acknowledge", mine.pk), {"recovery_plan": ""}, follow=True)
    assert "Describe the recovery plan" in response.content.decode()
    assert Escalation.objects.get(pk=mine.pk).acknowledged_at is None
    staff.post(url("escalation_acknowledge", mine.pk), {"recovery_plan": "本周内完成招标"})
    mine = Escalation.objects.get(pk=mine.pk)
    assert mine.acknowledged_by == org.staff and mine.recovery_plan == "本周内完成招标"
    # A supervisor sees every escalation, but acknowledges only those addressed to them.
    response = english(org.supervisor).post(url("escalation_acknowledge", mine.pk), {"recovery_plan": "x"})
    assert response.status_code == 403


# The item list ------------------------------------------------------------------------------------


def test_the_light_filter_is_applied(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    today = timezone.localdate()
    red = make_item(title="逾期事项", deadline=today - datetime.timedelta(days=5))
    green = make_item(
        title="正常事项",
        deadline=today + datetime.timedelta(days=120),
        started=today - datetime.timedelta(days=1),
    )
    grey = make_item(title="待认领事项", deadline=today + datetime.timedelta(days=120), claim=False)
    supervisor = english(org.supervisor)

    def codes(query: str) -> set[str]:
        body = supervisor.get(url("item_list") + query).content.decode()
        return set(re.findall(r"PW-\d{4}-\d{4}", body))

    assert codes("") == {red.code, green.code, grey.code}
    assert codes("?light=red") == {red.code}
    assert codes("?light=green&light=grey") == {green.code, grey.code}
    assert codes("?state=published") == {grey.code}
    assert codes("?q=逾期") == {red.code}
    # htmx asks for the results only; the export link carries the same filters.
    partial = supervisor.get(url("item_list") + "?light=red", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and red.code in partial and green.code not in partial
    assert f'href="{url("item_export")}?light=red"' in partial
    empty = supervisor.get(url("item_list") + "?q=没有这种事项").content.decode()
    assert 'data-testid="empty"' in empty


def test_a_row_of_the_item_table(org: SmallOrg, make_item: Callable[..., Item]) -> None:
    today = timezone.localdate()
    item = make_item(title="<b>招商</b> & 签约", deadline=today + datetime.timedelta(days=90), started=today)
    services.report_submit(actor=org.staff, item=item, done="推进", percent=35)
    unowned = make_item(title="待认领", deadline=today + datetime.timedelta(days=90), claim=False)
    rows = {
        code: row
        for row in re.findall(
            r'<tr data-testid="item-row">.*?</tr>',
            english(org.supervisor).get(url("item_list")).content.decode(),
        )
        for code in re.findall(r"PW-\d{4}-\d{4}", row)[:1]
    }
    row = rows[item.code]
    assert f'href="{url("item_detail", item.pk)}"' in row
    assert "&lt;b&gt;招商&lt;/b&gt; &amp; 签约" in row and "<b>" not in row
    assert item.lead_unit.name in row and item.owner.name in row
    assert f'<td class="text-nowrap small">{item.deadline:%Y-%m-%d}</td>' in row
    assert 'data-state="in_progress"' in row and 'data-light="green"' in row and ">35%<" in row
    row = rows[unowned.code]
    assert '<span class="text-danger">None</span>' in row and ">—<" in row
    assert 'data-light="grey"' in row
    # In Chinese, the words of the row are translated too.
    page = client_for(org.supervisor).get(url("item_list")).content.decode()
    assert '<span class="text-danger">无</span>' in page and ">未启动<" in page


def test_a_units_list_counts_its_items_in_the_page_query(
    org: SmallOrg, make_item: Callable[..., Item]
) -> None:
    today = timezone.localdate()
    for i in range(3):
        make_item(title=f"逾期{i}", deadline=today - datetime.timedelta(days=5 + i))
    make_item(title="正常", deadline=today + datetime.timedelta(days=120), started=today)
    supervisor = english(org.supervisor)
    with CaptureQueriesContext(connection) as queries:
        body = supervisor.get(url("item_list") + f"?unit={org.bureau.pk}&light=red").content.decode()
    assert '<span class="small text-muted" data-testid="result-count">3 items</span>' in body
    assert body.count('data-testid="item-row"') == 3
    item_queries = [q["sql"] for q in queries if 'FROM "worklist_item"' in q["sql"]]
    assert len(item_queries) == 1 and "OVER ()" in item_queries[0], item_queries
    # Nothing matching: no rows, a count of 0 and the empty state.
    body = supervisor.get(url("item_list") + f"?unit={org.zone_office.pk}&light=red").content.decode()
    assert ">0 items<" in body and 'data-testid="empty"' in body


def _item_list_queries(client: Client, query: str = "") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("item_list") + query)
    assert response.status_code == 200
    return len(ctx), response.content.decode().count('data-testid="item-row"')


@pytest.mark.parametrize(
    "query",
    ["", "?light=red&light=green&light=yellow&sort=unit", "?unit=BUREAU&light=red&light=green&light=yellow"],
)
def test_item_list_queries_do_not_grow_with_rows(
    org: SmallOrg, make_item: Callable[..., Item], query: str
) -> None:
    today = timezone.localdate()

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            item = make_item(
                title=f"事项{i:03d}",
                deadline=today + datetime.timedelta(days=(i % 3 - 1) * 40 + 3),
                started=today - datetime.timedelta(days=100),
            )
            if i % 2:
                services.report_submit(actor=org.staff, item=item, done="推进", percent=i % 100)

    query = query.replace("BUREAU", str(org.bureau.pk))
    client = english(org.supervisor)
    add(3, 0)
    client.get(url("item_list"))  # warm the session and caches
    few, rows_few = _item_list_queries(client, query)
    add(27, 3)
    many, rows_many = _item_list_queries(client, query)
    assert rows_few == 3 and rows_many == 30
    assert many == few, (few, many)
