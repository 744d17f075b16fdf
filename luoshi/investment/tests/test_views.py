"""The investment pages: who sees what, moves through the action endpoint (the kanban dialog's and
the project page's), refusals that change nothing, kanban totals, the stale filter, targets, and
query counts that do not grow with the rows.

Pages are requested in English (the language cookie) so the assertions can read the messages.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from luoshi.conftest import SmallOrg
from luoshi.core.models import AuditRecord
from luoshi.investment import services
from luoshi.investment.models import (
    FollowUp,
    MonthlyInvestment,
    Project,
    ProjectDocument,
    StageMove,
    ZoneTarget,
)
from luoshi.org.models import Person
from luoshi.service.models import Enterprise

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)
USCC = "914403001922038216"
HTMX = {"HX-Request": "true"}


def english(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    client.cookies["luoshi_language"] = "en"
    return client


def pdf(name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def url(name: str, *args: object) -> str:
    return reverse(f"investment:{name}", args=args)


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def new(
    org: SmallOrg,
    name: str = "智能网联汽车零部件项目",
    *,
    actor: Person | None = None,
    amount: str = "5000",
    lead_age: int = 5,
    **fields: Any,
) -> Project:
    return services.project_create(
        actor=actor or org.staff,
        name=name,
        investor=fields.pop("investor", "大连甲汽车部件株式会社"),
        origin=fields.pop("origin", "日本"),
        industry=fields.pop("industry", "智能汽车"),
        zone=fields.pop("zone", org.zone_a),
        planned_investment=Decimal(amount),
        lead_on=days_ago(lead_age),
        **fields,
    )


def advance(org: SmallOrg, project: Project, to: str, age: int = 1, **kwargs: object) -> Project:
    """Move a project straight through the service (the setup of a test, not what it checks)."""
    project = Project.objects.get(pk=project.pk)
    return services.project_move(
        actor=kwargs.pop("actor", org.staff),  # type: ignore[arg-type]
        project=project,
        expected_version=project.version,
        to_stage=to,
        moved_on=days_ago(age),
        **kwargs,  # type: ignore[arg-type]
    )


def negotiating(org: SmallOrg, name: str = "洽谈中的项目", **fields: Any) -> Project:
    return advance(org, new(org, name, lead_age=20, **fields), "negotiating", age=10)


def move_post(
    client: Client, project: Project, version: int | None = None, htmx: bool = True, **fields: object
):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {f"move-{k}": v for k, v in fields.items()}
    data["move-version"] = Project.objects.get(pk=project.pk).version if version is None else version
    return client.post(url("project_action", project.pk, "move"), data, headers=HTMX if htmx else None)


def by_testid(html: str, prefix: str) -> dict[str, str]:
    """{suffix: text} of the elements whose data-testid starts with `prefix`."""
    return {
        m.group(1): re.sub(r"<[^>]+>", "", m.group(2)).strip()
        for m in re.finditer(rf'data-testid="{prefix}([\w-]+)"[^>]*>(.*?)</', html, re.S)
    }


# Who sees which page ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(org: SmallOrg) -> None:
    response = Client().get(url("kanban"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["enterprise", "nobody"])
def test_people_outside_government_get_404(org: SmallOrg, who: str) -> None:
    project = new(org)
    doc_project = advance(
        org, project, "signed", contracted_amount=Decimal(5000), documents=[("agreement", pdf())], reason="快"
    )
    document = ProjectDocument.objects.get(project=doc_project)
    client = english(getattr(org, who))
    for page in (
        url("home"),
        url("kanban"),
        url("project_list"),
        url("funnel"),
        url("targets"),
        url("project_add"),
        url("project_detail", project.pk),
        url("project_edit", project.pk),
        url("project_action", project.pk, "move") + "?to=registered",
        url("document", document.pk),
    ):
        assert client.get(page).status_code == 404, page


def test_each_page_renders_for_leaders_and_a_zone_office_sees_its_zone(org: SmallOrg) -> None:
    ours = new(org, "湾北半导体封测项目")
    theirs = new(org, "山河装配式建材项目", actor=org.other_staff, zone=org.zone_b, industry="绿色建材")
    for person in (org.principal, org.deputy, org.supervisor):
        client = english(person)
        for page in (url("home"), url("kanban"), url("project_list"), url("funnel"), url("targets")):
            assert client.get(page).status_code == 200, (person, page)
        listed = client.get(url("project_list")).content.decode()
        board = client.get(url("kanban")).content.decode()
        for project in (ours, theirs):
            assert f'data-pk="{project.pk}"' in listed
            assert f'data-testid="kanban-card-{project.pk}"' in board
            assert client.get(url("project_detail", project.pk)).status_code == 200
    zone_office = english(org.other_staff)
    listed = zone_office.get(url("project_list")).content.decode()
    board = zone_office.get(url("kanban") + f"?zone={org.zone_b.pk}").content.decode()
    assert f'data-pk="{theirs.pk}"' in listed and f'data-pk="{ours.pk}"' not in listed
    assert f"kanban-card-{theirs.pk}" in board and f"kanban-card-{ours.pk}" not in board
    assert zone_office.get(url("project_detail", theirs.pk)).status_code == 200
    assert zone_office.get(url("project_detail", ours.pk)).status_code == 404
    assert zone_office.get(url("project_action", ours.pk, "move") + "?to=negotiating").status_code == 404
    assert zone_office.get(url("kanban") + "?zone=999999").status_code == 404
    # The principal leader sees the project but may not move it: 403, not 404.
    assert (
        english(org.principal).get(url("project_action", ours.pk, "move") + "?to=negotiating").status_code
        == 403
    )


def test_home_shows_the_pipeline_and_the_stale_projects(org: SmallOrg) -> None:
    quiet = new(org, "久未跟进的线索", lead_age=70)
    recent = new(org, "新线索", lead_age=2)
    html = english(org.supervisor).get(url("home")).content.decode()
    assert 'data-testid="record-lead"' in html
    rows = re.findall(r'data-testid="stale-row".*?</li>', html, re.S)
    assert len(rows) == 1 and quiet.name in rows[0] and 'data-stale="red"' in rows[0]
    assert recent.name not in "".join(rows)
    assert by_testid(html, "summary-count-") == {
        "lead": "2",
        "negotiating": "0",
        "signed": "0",
        "registered": "0",
        "started": "0",
        "operating": "0",
    }


# Moving a project through the action endpoint -----------------------------------------------------


def test_the_move_dialog_asks_for_what_the_stage_needs(org: SmallOrg) -> None:
    project = negotiating(org)
    client = english(org.staff)

    def fields(to: str) -> set[str]:
        response = client.get(url("project_action", project.pk, "move") + f"?to={to}", headers=HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html and "data-move-form" in html
        return set(re.findall(r'name="move-(\w+)"', html)) - {"version", "to_stage"}

    assert fields("signed") == {"moved_on", "contracted_amount", "agreement"}
    assert fields("registered") == {
        "moved_on",
        "reason",
        "contracted_amount",
        "licence",
        "uscc",
        "enterprise_name",
    }
    assert fields("started") == {
        "moved_on",
        "reason",
        "contracted_amount",
        "uscc",
        "enterprise_name",
        "permit",
        "photos",
    }
    assert fields("operating") == {"moved_on", "reason", "contracted_amount", "uscc", "enterprise_name"}
    # Backwards or to the same stage there is no form at all.
    for stage in ("lead", "negotiating", "nowhere"):
        assert (
            client.get(url("project_action", project.pk, "move") + f"?to={stage}", headers=HTMX).status_code
            == 404
        )
    # Without htmx the same form is a page of its own.
    page = client.get(url("project_action", project.pk, "move") + "?to=signed").content.decode()
    assert "<html" in page and 'name="move-agreement"' in page


def test_a_move_without_its_evidence_is_refused_and_changes_nothing(org: SmallOrg) -> None:
    project = negotiating(org)
    before = Project.objects.get(pk=project.pk)
    audits = AuditRecord.objects.count()
    client = english(org.staff)
    response = move_post(client, project, to_stage="signed", moved_on=days_ago(1).isoformat())
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="move-error"' in html
    assert "Attach the evidence: Investment agreement." in html
    assert "Give the contracted amount (10k yuan)." in html
    after = Project.objects.get(pk=project.pk)
    assert (after.stage, after.version, after.signed_on) == ("negotiating", before.version, None)
    assert not ProjectDocument.objects.filter(project=project).exists()
    assert StageMove.objects.filter(project=project).count() == 1
    assert AuditRecord.objects.count() == audits
    # The wrong kind of file is no better.
    response = move_post(client, project, to_stage="signed", contracted_amount="8000", licence=pdf())
    assert response.status_code == 400 and Project.objects.get(pk=project.pk).stage == "negotiating"


def test_a_move_with_its_evidence_goes_through(org: SmallOrg) -> None:
    project = negotiating(org)
    client = english(org.staff)
    response = move_post(
        client,
        project,
        to_stage="signed",
        moved_on=days_ago(1).isoformat(),
        contracted_amount="12500",
        agreement=pdf("投资协议.pdf"),
    )
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "message": "The project has moved to “Signed”.",
        "project": project.pk,
    }
    project.refresh_from_db()
    assert (project.stage, project.signed_on, project.contracted_amount) == (
        "signed",
        days_ago(1),
        Decimal("12500"),
    )
    document = ProjectDocument.objects.get(project=project)
    assert (document.kind, document.original_name) == ("agreement", "投资协议.pdf")
    # The project page lists the evidence and hands it out.
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert url("document", document.pk) in page and 'data-status="reached"' in page
    download = client.get(url("document", document.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert english(org.other_staff).get(url("document", document.pk)).status_code == 404


def test_registration_from_the_page_links_the_enterprise_and_skips_need_a_reason(org: SmallOrg) -> None:
    project = negotiating(org)
    client = english(org.staff)
    refused = move_post(
        client,
        project,
        htmx=False,
        to_stage="registered",
        contracted_amount="6000",
        licence=pdf("执照.pdf"),
        uscc=USCC,
    )
    assert refused.status_code == 400
    assert "skips Signed: give the reason." in refused.content.decode()
    assert Project.objects.get(pk=project.pk).stage == "negotiating"
    assert not Enterprise.objects.filter(uscc=USCC).exists()
    done = move_post(
        client,
        project,
        htmx=False,
        to_stage="registered",
        reason="协议与注册同日完成",
        contracted_amount="6000",
        licence=pdf("执照.pdf"),
        uscc=USCC,
        enterprise_name="大连甲汽车部件有限公司",
    )
    assert done.status_code == 302 and done["Location"] == url("project_detail", project.pk)
    project.refresh_from_db()
    assert project.stage == "registered" and project.enterprise is not None
    assert project.enterprise.name == "大连甲汽车部件有限公司"
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert reverse("service:enterprise_detail", args=[project.enterprise.pk]) in page
    assert 'data-testid="timeline-signed" data-status="skipped"' in page and "协议与注册同日完成" in page


def test_a_move_from_a_stale_board_is_a_conflict(org: SmallOrg) -> None:
    project = negotiating(org)
    seen = Project.objects.get(pk=project.pk).version
    services.follow_up_add(
        actor=org.head, project=project, date=days_ago(0), form="phone", people_met="张总", outcome="继续"
    )
    services.project_update(
        actor=org.head, project=project, expected_version=seen, changes={"origin": "韩国"}
    )
    response = move_post(
        english(org.staff), project, version=seen, to_stage="signed", contracted_amount="1", agreement=pdf()
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Project.objects.get(pk=project.pk).stage == "negotiating"
    # The dialog asked with the board's version gets that version back, so the stale click is caught.
    form = english(org.staff).get(
        url("project_action", project.pk, "move") + f"?to=signed&version={seen}", headers=HTMX
    )
    assert f'name="move-version" value="{seen}"' in form.content.decode()


def test_other_actions_from_the_project_page(org: SmallOrg) -> None:
    project = negotiating(org)
    client = english(org.staff)
    action = url("project_action", project.pk, "{}")

    def post(name: str, **fields: object):  # type: ignore[no-untyped-def]
        data = {f"{name}-{k}": v for k, v in fields.items()}
        data.setdefault(f"{name}-version", Project.objects.get(pk=project.pk).version)
        return client.post(action.replace("%7B%7D", name), data)

    response = post(
        "follow_up", date=days_ago(0).isoformat(), form="visit", people_met="李董事长", outcome="确认意向"
    )
    assert response.status_code == 302
    assert FollowUp.objects.get(project=project).people_met == "李董事长"
    refused = post("lost", reason="")
    assert refused.status_code == 400 and "Give the reason the project was lost." in refused.content.decode()
    assert Project.objects.get(pk=project.pk).lost_on is None
    assert post("lost", reason="投资方转投他地").status_code == 302
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert (
        'data-testid="lost-banner"' in page
        and "投资方转投他地" in page
        and 'data-testid="event-lost"' in page
    )
    assert 'data-move-to="signed"' not in page  # a lost project is revived before it moves
    assert post("revive", reason="重新接洽").status_code == 302
    assert Project.objects.get(pk=project.pk).lost_on is None
    # Monthly investment is offered, and accepted, once construction has started.
    assert (
        'data-testid="action-investment"'
        not in client.get(url("project_detail", project.pk)).content.decode()
    )
    assert post("investment", month=days_ago(0).strftime("%Y-%m"), amount="100").status_code == 400
    advance(org, project, "signed", contracted_amount=Decimal(5000), documents=[("agreement", pdf())])
    advance(org, project, "registered", documents=[("licence", pdf())], uscc=USCC)
    advance(org, project, "started", age=0, documents=[("photo", pdf())])
    month = timezone.localdate().replace(day=1)
    assert post("investment", month=month.strftime("%Y-%m"), amount="350.5").status_code == 302
    assert MonthlyInvestment.objects.get(project=project).amount == Decimal("350.5")
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert 'data-testid="invested-total">350.5 10k yuan' in page
    history = client.get(url("project_detail", project.pk) + "?tab=history").content.decode()
    assert 'data-testid="history"' in history


def test_editing_with_a_stale_version_shows_a_conflict_and_changes_nothing(org: SmallOrg) -> None:
    project = new(org)
    client = english(org.staff)
    form = client.get(url("project_edit", project.pk)).content.decode()
    version = int(re.search(r'name="version" value="(\d+)"', form).group(1))  # type: ignore[union-attr]
    services.project_update(
        actor=org.head, project=project, expected_version=version, changes={"origin": "德国"}
    )
    data = {
        "version": version,
        "name": "改名的项目",
        "investor": project.investor,
        "origin": "日本",
        "industry": project.industry,
        "zone": project.zone_id,
        "source": project.source,
        "planned_investment": "5000",
        "unit": project.unit_id,
        "owner": project.owner_id,
    }
    response = client.post(url("project_edit", project.pk), data)
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()
    project.refresh_from_db()
    assert (project.name, project.origin) == ("智能网联汽车零部件项目", "德国")
    data["version"] = project.version
    assert client.post(url("project_edit", project.pk), data).status_code == 302
    assert Project.objects.get(pk=project.pk).name == "改名的项目"


def test_recording_a_lead_from_the_page(org: SmallOrg) -> None:
    client = english(org.other_staff)
    response = client.post(
        url("project_add"),
        {
            "lead_on": days_ago(3).isoformat(),
            "name": "预制构件生产基地",
            "investor": "山河建工集团",
            "origin": "中国",
            "industry": "绿色建材",
            "zone": org.zone_b.pk,
            "source": "visit",
            "planned_investment": "30000",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(name="预制构件生产基地")
    assert (project.owner, project.unit, project.lead_on) == (org.other_staff, org.zone_office, days_ago(3))
    refused = client.post(url("project_add"), {"name": "", "zone": org.zone_b.pk, "planned_investment": "0"})
    assert refused.status_code == 400 and Project.objects.count() == 1


# The kanban and the list --------------------------------------------------------------------------


def test_kanban_columns_show_their_counts_and_totals(org: SmallOrg) -> None:
    for name, amount in (("甲", "5000"), ("乙", "7500")):
        negotiating(org, name, amount=amount)
    new(org, "丙", amount="800.5")
    signed = advance(
        org,
        negotiating(org, "丁", amount="20000"),
        "signed",
        contracted_amount=Decimal(1),
        documents=[("agreement", pdf())],
    )
    new(org, "别区的", actor=org.other_staff, zone=org.zone_b, amount="999")
    html = english(org.supervisor).get(url("kanban") + f"?zone={org.zone_a.pk}").content.decode()
    counts, amounts = by_testid(html, "kanban-count-"), by_testid(html, "kanban-amount-")
    assert counts == {
        "lead": "1",
        "negotiating": "2",
        "signed": "1",
        "registered": "0",
        "started": "0",
        "operating": "0",
    }
    assert amounts["lead"] == "800.5 10k yuan"
    assert amounts["negotiating"] == "1.25 hundred million yuan"  # 12,500 万元
    assert amounts["signed"] == "2 hundred million yuan"
    assert amounts["registered"] == "0 10k yuan"
    overall = english(org.supervisor).get(url("kanban")).content.decode()
    assert by_testid(overall, "kanban-count-")["lead"] == "2"
    assert by_testid(overall, "kanban-amount-")["lead"] == "1,799.5 10k yuan"
    # htmx asks for the board only (the dialog refreshes it after a move).
    board = (
        english(org.supervisor).get(url("kanban") + f"?zone={org.zone_a.pk}", headers=HTMX).content.decode()
    )
    assert "<html" not in board and f'data-testid="kanban-card-{signed.pk}"' in board


def test_the_board_moves_a_card_and_its_totals_change(org: SmallOrg) -> None:
    project = negotiating(org, amount="3000")
    client = english(org.staff)
    board = client.get(url("kanban")).content.decode()
    assert re.search(rf'data-testid="kanban-card-{project.pk}"[^>]*draggable="true"', board)
    assert 'data-testid="move-dialog"' in board
    assert (
        move_post(client, project, to_stage="signed", contracted_amount="3000", agreement=pdf()).status_code
        == 200
    )
    after = client.get(url("kanban"), headers=HTMX).content.decode()
    assert by_testid(after, "kanban-count-")["negotiating"] == "0"
    assert by_testid(after, "kanban-count-")["signed"] == "1"
    assert by_testid(after, "kanban-amount-")["signed"] == "3,000 10k yuan"


def _queries(client: Client, page: str, marker: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page)
    assert response.status_code == 200
    return len(ctx), response.content.decode().count(marker)


@pytest.mark.parametrize(
    ("page", "marker"),
    [
        ("project_list", 'data-testid="project-row"'),
        ("project_list?stale=any&stage=lead&stage=negotiating&amount_min=1", 'data-testid="project-row"'),
        ("kanban", 'data-testid="kanban-card-'),
        ("home", "never-there"),
    ],
)
def test_list_and_kanban_queries_do_not_grow_with_rows(org: SmallOrg, page: str, marker: str) -> None:
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            project = new(
                org, f"项目{i:03d}", lead_age=90 if i % 2 else 3, amount=str(1000 + i), origin=f"国{i % 4}"
            )
            if i % 3 == 0:
                advance(org, project, "negotiating", age=2)
            if i % 5 == 0:
                services.follow_up_add(
                    actor=org.staff,
                    project=project,
                    date=days_ago(1),
                    form="visit",
                    people_met="王",
                    outcome="好",
                )

    client = english(org.supervisor)
    path = url(page.split("?")[0]) + ("?" + page.split("?")[1] if "?" in page else "")
    add(3, 0)
    client.get(path)  # warm the session and caches
    few, rows_few = _queries(client, path, marker)
    add(27, 3)
    many, rows_many = _queries(client, path, marker)
    if marker != "never-there":
        assert rows_many > rows_few > 0
    assert many == few, (few, many)
    print(page, "queries", few)


def test_the_stale_filter(org: SmallOrg) -> None:
    red = new(org, "红色线索", lead_age=70)
    yellow = new(org, "黄色线索", lead_age=40)
    fresh = new(org, "新线索", lead_age=70)
    services.follow_up_add(
        actor=org.staff, project=fresh, date=days_ago(3), form="phone", people_met="赵", outcome="有意向"
    )
    client = english(org.supervisor)

    def listed(query: str) -> set[int]:
        html = client.get(url("project_list") + query).content.decode()
        return {int(pk) for pk in re.findall(r'data-testid="project-row" data-pk="(\d+)"', html)}

    assert listed("") == {red.pk, yellow.pk, fresh.pk}
    assert listed("?stale=any") == {red.pk, yellow.pk}
    assert listed("?stale=red") == {red.pk}
    assert listed("?stale=yellow") == {yellow.pk}
    html = client.get(url("project_list") + "?stale=any").content.decode()
    assert "Quiet for 70 days" in html and "Quiet for 40 days" in html
    # The export link carries the same filters.
    assert f'href="{url("project_export")}?stale=any"' in html
    partial = client.get(url("project_list") + "?stale=red", headers=HTMX).content.decode()
    assert "<html" not in partial and red.name in partial and yellow.name not in partial


def test_the_list_filters(org: SmallOrg) -> None:
    big = new(org, "大项目", amount="50000", origin="韩国", industry="半导体")
    small = new(org, "小项目", amount="300")
    client = english(org.supervisor)

    def names(query: str) -> set[str]:
        html = client.get(url("project_list") + query).content.decode()
        return set(re.findall(r'class="fw-semibold">([^<]+)</a><div class="small text-muted"><code>', html))

    assert names("?amount_min=10000") == {big.name}
    assert names("?amount_max=1000") == {small.name}
    assert names("?origin=韩国") == {big.name}
    assert names("?industry=半导体") == {big.name}
    assert names("?q=小") == {small.name}
    assert names(f"?owner={org.staff.pk}&stage=lead") == {big.name, small.name}
    assert names(f"?zone={org.zone_b.pk}") == set()


# The funnel and the targets -----------------------------------------------------------------------


def test_the_funnel_shows_its_numbers_in_a_table(org: SmallOrg) -> None:
    negotiating(org, "一")
    negotiating(org, "二")
    new(org, "三")
    new(org, "别区", actor=org.other_staff, zone=org.zone_b)
    html = english(org.supervisor).get(url("funnel") + f"?zone={org.zone_a.pk}").content.decode()
    assert by_testid(html, "reached-")["lead"] == "3"
    assert by_testid(html, "reached-")["negotiating"] == "2"
    assert by_testid(html, "conversion-")["negotiating"] == "66.7%"
    assert by_testid(html, "median-")["lead"] == "10"  # 20 days ago → 10 days ago
    assert 'id="funnel-data"' in html and "echarts.min.js" in html
    since = english(org.supervisor).get(url("funnel") + f"?since={days_ago(6).isoformat()}").content.decode()
    assert by_testid(since, "reached-")["lead"] == "2"  # the two recent leads of either zone


def test_targets_are_set_by_supervisors_and_drill_down_to_projects(org: SmallOrg) -> None:
    year = timezone.localdate().year
    project = negotiating(org, "签约项目", amount="15000")
    advance(org, project, "signed", age=0, contracted_amount=Decimal(15000), documents=[("agreement", pdf())])
    data = {
        "zone": org.zone_a.pk,
        "year": year,
        "signed_amount": "30000",
        "started_count": "4",
        "actual_investment": "20000",
        "big_projects": "2",
    }
    assert english(org.staff).post(url("targets") + f"?year={year}", data).status_code == 403
    assert not ZoneTarget.objects.exists()
    client = english(org.supervisor)
    response = client.post(url("targets") + f"?year={year}", data)
    assert response.status_code == 302
    target = ZoneTarget.objects.get(zone=org.zone_a, year=year)
    assert (target.signed_amount, target.big_projects) == (Decimal(30000), 2)
    html = client.get(url("targets") + f"?year={year}").content.decode()
    assert by_testid(html, "percent-")[f"{org.zone_a.pk}-signed_amount"] == "50.0%"
    assert by_testid(html, "percent-")[f"{org.zone_a.pk}-big_projects"] == "50.0%"
    assert by_testid(html, "actual-")[f"{org.zone_a.pk}-signed_amount"] == "1.5 hundred million yuan"
    assert 'id="target-data"' in html and 'data-testid="target-form-' in html
    drill = client.get(
        url("targets") + f"?year={year}&zone={org.zone_a.pk}&metric=big_projects"
    ).content.decode()
    assert (
        'data-testid="drilldown"' in drill
        and drill.count('data-testid="drill-row"') == 1
        and "签约项目" in drill
    )
    empty = client.get(
        url("targets") + f"?year={year}&zone={org.zone_b.pk}&metric=signed_amount"
    ).content.decode()
    assert 'data-testid="drill-row"' not in empty
    # A negative target is refused with the form's message and nothing changes.
    refused = client.post(url("targets") + f"?year={year}", {**data, "started_count": "-1"})
    assert refused.status_code == 400 and ZoneTarget.objects.get(pk=target.pk).started_count == 4
    # A second supervisor working from the page as it was before the first save gets a conflict.
    stale = client.post(
        url("targets") + f"?year={year}", {**data, "version": target.version - 1, "big_projects": "9"}
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    assert ZoneTarget.objects.get(pk=target.pk).big_projects == 2
    fresh = client.post(
        url("targets") + f"?year={year}", {**data, "version": target.version, "big_projects": "3"}
    )
    assert fresh.status_code == 302 and ZoneTarget.objects.get(pk=target.pk).big_projects == 3
    # Staff see the page without the forms.
    staff_page = english(org.staff).get(url("targets")).content.decode()
    assert 'data-testid="target-form-' not in staff_page
