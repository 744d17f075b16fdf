"""The implementation-list demo: the seed's directives decomposed into about 40 items.

Items are created through the services, then their history (start, reports, milestones done,
close-out) is back-dated relative to today, so the demo always shows a realistic mix of green,
yellow and red lights. Back-dating writes the fact timestamps directly: it is seed data, and the
audit trail still records how each item was created.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from luoshi.org.models import Person, Role, Unit, Zone
from luoshi.worklist import services
from luoshi.worklist.models import Directive, Item, ItemState, Milestone, MilestoneTemplate, ProgressReport

from . import directives as seed
from .dates import at as _at
from .dates import wd as _wd

# (directive index, title, lead unit, zone code, supporting units, category, template, target, scenario)
# target: (metric, value, unit) or a qualitative text. Scenarios are explained in _SCENARIOS.
ITEMS: list[tuple[int, str, str, str | None, list[str], str, str, Any, str]] = [
    (
        0,
        "党代会精神专题学习全覆盖",
        "党政办公室",
        None,
        ["组织人事部"],
        "team",
        "一般事项",
        ("参学干部", 100, "%"),
        "closed_kept",
    ),
    (
        0,
        "党代会精神转化为年度重点任务清单",
        "督查室",
        None,
        [],
        "reform",
        "制度政策类",
        "形成普湾落实清单并全部分解到单位",
        "closed_kept",
    ),
    (
        1,
        "认领金普新区“工程项目清单”任务",
        "督查室",
        None,
        ["经济发展局"],
        "reform",
        "一般事项",
        "全部认领并建立台账",
        "green",
    ),
    (
        1,
        "建立落实清单红黄绿灯督办机制",
        "督查室",
        None,
        [],
        "reform",
        "制度政策类",
        "督办机制印发实施",
        "close_requested",
    ),
    (
        2,
        "深化法定机构改革实施方案",
        "组织人事部",
        None,
        ["党政办公室"],
        "reform",
        "制度政策类",
        "方案经党委审议通过",
        "red_report",
    ),
    (
        2,
        "2.0版考核制度体系设计",
        "组织人事部",
        None,
        ["督查室"],
        "reform",
        "制度政策类",
        "考核办法及指标库印发",
        "yellow_milestone",
    ),
    (
        2,
        "绩效考核指标数据化采集",
        "组织人事部",
        None,
        ["督查室", "经济发展局"],
        "reform",
        "一般事项",
        ("自动采集指标占比", 80, "%"),
        "green",
    ),
    (
        3,
        "“猛虎扑食”招商引资百日攻坚",
        "招商局",
        None,
        ["新日本工业团地片区管理办公室", "湾北核心区片区管理办公室"],
        "investment",
        "招商引资类",
        ("签约项目", 20, "个"),
        "yellow_report",
    ),
    (
        3,
        "重点项目开工建设攻坚",
        "经济发展局",
        None,
        ["规划建设局"],
        "project",
        "项目建设类",
        ("新开工项目", 12, "个"),
        "green",
    ),
    (
        3,
        "招商引资项目全流程台账",
        "招商局",
        None,
        [],
        "investment",
        "一般事项",
        "项目台账上线运行",
        "closed_late",
    ),
    (
        4,
        "“五星级”服务品牌建设方案",
        "企业服务中心",
        None,
        ["党政办公室"],
        "service",
        "制度政策类",
        "品牌方案发布并推行",
        "green",
    ),
    (
        4,
        "企业诉求“事不过夜”响应机制",
        "企业服务中心",
        None,
        [],
        "service",
        "一般事项",
        ("当日响应率", 95, "%"),
        "closed_kept",
    ),
    (
        4,
        "企业全生命周期服务链条梳理",
        "企业服务中心",
        None,
        ["招商局"],
        "service",
        "一般事项",
        "形成服务事项清单和流程图",
        "yellow_deadline",
    ),
    (
        4,
        "从企业不满意的地方改起专项行动",
        "企业服务中心",
        None,
        ["经济发展局"],
        "service",
        "一般事项",
        ("整改问题", 50, "项"),
        "red_milestone",
    ),
    (
        5,
        "湾北高科技产业集聚区总体规划编制",
        "规划建设局",
        "wanbei",
        ["湾北核心区片区管理办公室"],
        "planning",
        "制度政策类",
        "规划成果通过专家评审",
        "green",
    ),
    (
        5,
        "大连前沿半导体科技创新中心建设",
        "湾北核心区片区管理办公室",
        "wanbei",
        ["招商局", "普湾发展集团有限公司"],
        "project",
        "项目建设类",
        "创新中心挂牌运营",
        "yellow_milestone",
    ),
    (
        5,
        "共建大连集成电路现代产业学院",
        "金普科创学园片区管理办公室",
        "kechuang",
        ["湾北核心区片区管理办公室"],
        "project",
        "一般事项",
        "与大连理工大学签署共建协议",
        "red_report",
    ),
    (
        5,
        "高科技和信息产业人才公寓配套",
        "普湾发展集团有限公司",
        "wanbei",
        ["规划建设局"],
        "project",
        "项目建设类",
        ("建成公寓", 500, "套"),
        "green",
    ),
    (
        5,
        "半导体产业链招商图谱",
        "招商局",
        "wanbei",
        ["湾北核心区片区管理办公室"],
        "investment",
        "一般事项",
        "招商图谱及目标企业清单",
        "published",
    ),
    (
        6,
        "智能网联汽车测试场建设",
        "新日本工业团地片区管理办公室",
        "xinriben",
        ["规划建设局"],
        "project",
        "项目建设类",
        "测试场一期投入使用",
        "green",
    ),
    (
        6,
        "新能源汽车研发示范基地招商",
        "招商局",
        "xinriben",
        ["新日本工业团地片区管理办公室"],
        "investment",
        "招商引资类",
        ("签约企业", 3, "家"),
        "yellow_deadline",
    ),
    (
        6,
        "汽车产业培训中心筹建",
        "新日本工业团地片区管理办公室",
        "xinriben",
        ["组织人事部"],
        "project",
        "一般事项",
        "培训中心挂牌",
        "draft",
    ),
    (
        7,
        "新日本工业团地国际化提升规划",
        "新日本工业团地片区管理办公室",
        "xinriben",
        ["规划建设局"],
        "planning",
        "制度政策类",
        "国际化提升规划印发",
        "green",
    ),
    (
        7,
        "日式风情小镇一期建设",
        "普湾建设投资有限公司",
        "xinriben",
        ["新日本工业团地片区管理办公室"],
        "project",
        "项目建设类",
        "一期主体完工",
        "red_milestone",
    ),
    (
        7,
        "大连市农产品一级批发市场谋划",
        "三十里堡临港工业区片区管理办公室",
        "sanshilipu",
        ["经济发展局"],
        "planning",
        "一般事项",
        "完成可研报告并报批",
        "green",
    ),
    (
        7,
        "临港贸易集散中心物流园招商",
        "招商局",
        "sanshilipu",
        ["三十里堡临港工业区片区管理办公室"],
        "investment",
        "招商引资类",
        ("签约物流企业", 5, "家"),
        "closed_kept",
    ),
    (
        7,
        "“小而美”精细化工企业招引",
        "招商局",
        "songmudao",
        ["松木岛化工园区片区管理办公室"],
        "investment",
        "招商引资类",
        ("落地企业", 6, "家"),
        "green",
    ),
    (
        7,
        "东北最大精细化工产业基地规划",
        "松木岛化工园区片区管理办公室",
        "songmudao",
        ["规划建设局"],
        "planning",
        "制度政策类",
        "产业基地规划获批",
        "yellow_report",
    ),
    (
        7,
        "化工园区安全环保提升工程",
        "松木岛化工园区片区管理办公室",
        "songmudao",
        ["自然资源局"],
        "project",
        "项目建设类",
        "通过省级化工园区复核",
        "red_deadline",
    ),
    (
        7,
        "金普科创学园产学研协同平台",
        "金普科创学园片区管理办公室",
        "kechuang",
        ["经济发展局"],
        "project",
        "一般事项",
        "平台上线并引入高校院所",
        "green",
    ),
    (
        7,
        "东北亚国际会展中心前期论证",
        "高铁核心区片区管理办公室",
        "gaotie",
        ["规划建设局", "招商局"],
        "planning",
        "一般事项",
        "完成项目建议书",
        "yellow_deadline",
    ),
    (
        7,
        "高铁核心区展贸集群招商",
        "招商局",
        "gaotie",
        ["高铁核心区片区管理办公室"],
        "investment",
        "招商引资类",
        ("签约展贸企业", 8, "家"),
        "red_report",
    ),
    (
        7,
        "山河绿色建材产业园招商",
        "招商局",
        "shanhe",
        ["山河建材产业园片区管理办公室"],
        "investment",
        "招商引资类",
        ("落地企业", 4, "家"),
        "green",
    ),
    (
        7,
        "装配式建筑示范项目",
        "山河建材产业园片区管理办公室",
        "shanhe",
        ["规划建设局"],
        "project",
        "项目建设类",
        ("装配率", 60, "%"),
        "close_requested",
    ),
    (
        7,
        "绿色建材产品认证服务",
        "山河建材产业园片区管理办公室",
        "shanhe",
        ["企业服务中心"],
        "service",
        "一般事项",
        "认证服务窗口开通",
        "suspended",
    ),
    (
        8,
        "“五个一流”战狼团队建设方案",
        "党政办公室",
        None,
        ["组织人事部"],
        "team",
        "制度政策类",
        "方案印发并开展评比",
        "green",
    ),
    (
        8,
        "“说了”和“做了”零距离承诺公示",
        "督查室",
        None,
        [],
        "reform",
        "一般事项",
        "各单位承诺事项全部公示",
        "red_deadline",
    ),
    (
        8,
        "责任链闭环管理制度",
        "督查室",
        None,
        ["组织人事部"],
        "reform",
        "制度政策类",
        "制度印发实施",
        "closed_late",
    ),
    (
        9,
        "“规定动作”学习计划（政策文件、党章党规、公文写作）",
        "党政办公室",
        None,
        [],
        "team",
        "一般事项",
        ("完成学习人次", 300, "人次"),
        "green",
    ),
    (
        9,
        "“自选动作”专业能力培训",
        "组织人事部",
        None,
        ["招商局", "企业服务中心"],
        "team",
        "一般事项",
        ("培训场次", 12, "场"),
        "yellow_report",
    ),
]


# How each scenario sets the deadline and the dates of the facts, relative to today.
def _plan(scenario: str, today: datetime.date, rng: random.Random) -> dict[str, Any]:
    span = rng.randint(70, 120)
    base = {
        "start": today - datetime.timedelta(days=span),
        "deadline": today + datetime.timedelta(days=rng.randint(40, 150)),
        "last_report": _wd(today, -rng.randint(0, 2)),
        "milestones_done_before": today,
    }
    if scenario == "yellow_deadline":
        base["deadline"] = _wd(today, 2)
    elif scenario == "red_deadline":
        base["deadline"] = _wd(today, -4)
    elif scenario == "yellow_report":
        base["last_report"] = _wd(today, -1) - datetime.timedelta(days=7)
    elif scenario == "red_report":
        base["last_report"] = today - datetime.timedelta(days=rng.randint(16, 24))
    elif scenario == "yellow_milestone":
        base["milestone_soon"] = _wd(today, 2)
    elif scenario == "red_milestone":
        base["milestone_overdue"] = _wd(today, -rng.randint(4, 9))
    elif scenario in ("closed_kept", "closed_late", "close_requested"):
        base["deadline"] = (
            _wd(today, -rng.randint(5, 25)) if scenario != "close_requested" else _wd(today, 10)
        )
        base["start"] = base["deadline"] - datetime.timedelta(days=span)
        base["last_report"] = _wd(base["deadline"], -3)
        offset = {"closed_kept": -2, "closed_late": 3, "close_requested": -8}[scenario]
        base["submitted"] = _wd(base["deadline"], offset) if scenario != "close_requested" else _wd(today, -1)
    return base


def _person(unit: Unit, role: str) -> Person | None:
    return (
        Person.objects.filter(positions__unit=unit, positions__role=role, is_active=True)
        .order_by("pk")
        .first()
    )


def load_worklist(*, actor: Person, rng: random.Random) -> bool:
    """Create the demo directives and items unless they exist. Returns whether anything was created."""
    if Directive.objects.exists():
        return False
    supervisor = Person.objects.filter(positions__role=Role.SUPERVISOR).order_by("pk").first() or actor
    today = timezone.localdate()
    committee = Unit.objects.get(kind="committee")
    meeting_day = (
        datetime.date(today.year, 7, 31)
        if today >= datetime.date(today.year, 8, 1)
        else datetime.date(today.year - 1, 7, 31)
    )
    directives = [
        services.directive_create(
            actor=supervisor,
            title=d["title"],
            text=d["text"],
            source_kind="meeting",
            source_title=seed.SOURCE_MEETING,
            source_date=meeting_day,
            source_issuer=seed.SOURCE_ISSUER,
            issuing_unit=committee,
            due_date=datetime.date(meeting_day.year + 1, 6, 30),
        )
        for d in seed.DIRECTIVES
    ]
    # A directive from a leader's instruction that nobody has decomposed yet: a coverage warning.
    services.directive_create(
        actor=supervisor,
        title="谋划建设湾北“城市亮点”",
        source_kind="instruction",
        source_title="主要领导批示",
        source_date=today - datetime.timedelta(days=3),
        source_issuer="管委会主任",
        issuing_unit=committee,
    )
    units = {u.name: u for u in Unit.objects.all()}
    zones = {z.code: z for z in Zone.objects.all()}
    templates = {t.name: t for t in MilestoneTemplate.objects.all()}
    for index, title, lead, zone, support, category, template, target, scenario in ITEMS:
        _load_item(
            actor=supervisor,
            today=today,
            rng=rng,
            directive=directives[index],
            title=title,
            lead=units[lead],
            zone=zones.get(zone or ""),
            support=[units[n] for n in support],
            category=category,
            template=templates[template],
            target=target,
            scenario=scenario,
        )
    # The back-dated milestones and reports above were written directly: keep the facts the lights read.
    Item.objects.all().refresh_facts()
    services.escalation_sweep()
    return True


def _load_item(
    *,
    actor: Person,
    today: datetime.date,
    rng: random.Random,
    directive: Directive,
    title: str,
    lead: Unit,
    zone: Zone | None,
    support: list[Unit],
    category: str,
    template: MilestoneTemplate,
    target: Any,
    scenario: str,
) -> None:
    plan = _plan(scenario, today, rng)
    target_fields: dict[str, Any] = (
        {"target_metric": target[0], "target_value": Decimal(target[1]), "target_unit": target[2]}
        if isinstance(target, tuple)
        else {"target_text": target}
    )
    item = services.item_create(
        actor=actor,
        title=title,
        deadline=plan["deadline"],
        directive=directive,
        category=category,
        zone=zone,
        lead_unit=lead,
        support_units=support,
        start_date=plan["start"],
        **target_fields,
    )
    if scenario == "draft":
        return
    steps = [s for s in template.steps if _wd(plan["deadline"], -int(s["offset"])) >= plan["start"]]
    services.milestones_plan(actor=actor, item=item, steps=steps or template.steps[-1:])
    item = services.item_publish(actor=actor, item=item, expected_version=item.version)
    Item.objects.filter(pk=item.pk).update(published_at=_at(plan["start"] - datetime.timedelta(days=3)))
    if scenario == "published":
        return
    head, owner = _person(lead, Role.UNIT_HEAD), _person(lead, Role.STAFF) or _person(lead, Role.STEWARD)
    if head is None or owner is None:
        return
    item = services.item_claim(
        actor=head, item=Item.objects.get(pk=item.pk), expected_version=item.version + 0, owner=owner
    )
    Item.objects.filter(pk=item.pk).update(claimed_at=_at(plan["start"]), started_at=_at(plan["start"], 11))
    _back_date_history(item, owner, plan, rng)
    item.refresh_from_db()
    if scenario in ("closed_kept", "closed_late", "close_requested"):
        _close(actor, item, owner, plan, scenario)
    elif scenario == "suspended":
        item = services.item_request_change(
            actor=owner,
            item=item,
            expected_version=item.version,
            kind="suspend",
            reason="企业认证标准调整，待省级主管部门明确",
        )
        services.item_decide_change(actor=actor, item=item, expected_version=item.version, approve=True)


def _back_date_history(item: Item, owner: Person, plan: dict[str, Any], rng: random.Random) -> None:
    """Weekly reports from the start to the last report, and milestones done on time up to today."""
    day, reports, percent = plan["start"] + datetime.timedelta(days=7), [], 5
    last = plan["last_report"]
    span = max((plan["deadline"] - plan["start"]).days, 1)
    behind = 15 if plan.get("milestone_overdue") or plan["deadline"] < last else 0

    def on_pace(day: datetime.date) -> int:
        """Percent complete about in step with the time elapsed (behind for the late ones)."""
        share = 100 * (day - plan["start"]).days // span
        return max(5, min(95, share - behind + rng.randint(-6, 4)))

    phrases = [
        "完成现场踏勘和资料收集",
        "召开专题推进会，明确分工",
        "对接相关企业和部门",
        "形成阶段性成果初稿",
        "征求各方意见并修改完善",
        "协调解决用地和资金问题",
    ]
    while day <= last:
        percent = max(percent, on_pace(day))
        reports.append(
            ProgressReport(
                item=item,
                author=owner,
                reported_at=_at(day, 16),
                reported_on=day,
                done=rng.choice(phrases),
                problems=rng.choice(["", "", "部分手续办理进度偏慢", "需要上级部门协调"]),
                next_steps=rng.choice(["按计划推进下一节点", "加快推进前期手续", "组织专家论证"]),
                percent=percent,
            )
        )
        day += datetime.timedelta(days=7)
    if not reports or reports[-1].reported_on != last:
        reports.append(
            ProgressReport(
                item=item,
                author=owner,
                reported_at=_at(last, 16),
                reported_on=last,
                done="按节点推进",
                percent=max(percent, on_pace(last)),
            )
        )
    ProgressReport.objects.bulk_create(reports)
    milestones = list(item.milestones.order_by("due_date"))
    overdue, soon = plan.get("milestone_overdue"), plan.get("milestone_soon")
    for m in milestones:
        if overdue and m is milestones[0]:
            Milestone.objects.filter(pk=m.pk).update(due_date=overdue)
        elif soon and m is milestones[0]:
            Milestone.objects.filter(pk=m.pk).update(due_date=soon)
        elif m.due_date < plan["milestones_done_before"]:
            Milestone.objects.filter(pk=m.pk).update(done_at=_at(m.due_date, 15))


def _close(actor: Person, item: Item, owner: Person, plan: dict[str, Any], scenario: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = SimpleUploadedFile("成果佐证.pdf", b"%PDF-1.4\n% demo evidence\n1 0 obj<<>>endobj\n%%EOF\n")
    Milestone.objects.filter(item=item).update(done_at=_at(plan["submitted"], 9))
    value = item.target_value if item.target_value is not None else None
    item = services.item_submit_close_out(
        actor=owner,
        item=item,
        expected_version=item.version,
        actual_value=value,
        actual_text="目标任务已完成，成果经单位审核",
        files=[evidence],
    )
    Item.objects.filter(pk=item.pk).update(close_requested_at=_at(plan["submitted"], 17))
    if scenario == "close_requested":
        return
    item.refresh_from_db()
    item = services.item_verify(actor=actor, item=item, expected_version=item.version, target_met=True)
    closed = _wd(plan["submitted"], 1)
    Item.objects.filter(pk=item.pk).update(closed_at=_at(closed, 10), state=ItemState.CLOSED)
