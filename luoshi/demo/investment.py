"""The investment demo: about 150 projects across the seven zones, each fitting its zone, moving
through the pipeline over the last eighteen months, with evidence, follow-ups, monthly investment,
a few losses (one revived) and this year's zone targets.

Projects are created and moved through the services, which take the date of each stage and each
follow-up as given, so most of the history is dated by the services themselves. What they stamp
with the current time (when a move or a follow-up was recorded, when a document was uploaded,
the date of a revival) is back-dated afterwards with `queryset.update`: it is seed data, and the
audit trail still records how each project was entered.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from luoshi.investment import services
from luoshi.investment.models import (
    STAGES,
    DocumentKind,
    FollowUp,
    MonthlyInvestment,
    Project,
    ProjectDocument,
    Source,
    Stage,
    StageMove,
    ZoneTarget,
)
from luoshi.investment.selectors import BIG_PROJECT
from luoshi.org.models import Oversight, Person, Role, Unit, Zone
from luoshi.service.models import Enterprise

from .dates import at, recode_by_year
from .documents import pdf_upload, png_upload
from .service import JAPANESE_NAMES, make_uscc

HISTORY_DAYS = 540  # about eighteen months

# Investors by origin: (origin, how an investor's name is written; {x} is a trade name).
INVESTOR_FORMS = {
    "日本": "日本{x}株式会社",
    "韩国": "韩国{x}株式会社",
    "中国香港": "{x}（香港）投资有限公司",
    "德国": "德国{x}集团",
    "美国": "美国{x}公司",
    "新加坡": "新加坡{x}控股有限公司",
    "中国大陆": "{city}{x}集团有限公司",
}
CITIES = ["上海", "深圳", "北京", "沈阳", "大连", "杭州", "苏州", "青岛", "天津", "合肥"]


@dataclass
class ProjectKind:
    """The projects a zone attracts: trade names, (project, industry, company name) triples, where
    investors come from, the usual planned investment (万元) and how many."""

    trade_names: str  # space-separated
    products: list[tuple[str, str, str]]
    origins: dict[str, int]
    investment: tuple[int, int]
    count: int
    unit_names: list[str] = field(default_factory=list)  # besides 招商局 and the zone office


PROJECT_KINDS: dict[str, list[ProjectKind]] = {
    "xinriben": [
        ProjectKind(
            "丰和 信和 大荣 北辰 日邦 三和 明和 协和 共荣 东昭 大洋 千代 旭东 日进",
            [
                ("精密汽车零部件生产基地项目", "汽车零部件", "精密部件"),
                ("电子元器件生产项目", "电子元器件", "电子"),
                ("精密模具制造项目", "模具制造", "模具"),
                ("工业机器人减速机项目", "精密机械", "精密机械"),
                ("车用电机生产线项目", "电机", "电机"),
                ("日式风情小镇商业配套项目", "商业服务", "商业管理"),
            ],
            {"日本": 1},
            (3000, 30000),
            18,
        ),
        ProjectKind(
            "普驰 湾擎 新源 驭能 智行 睿驰 恒驱 锦程 远航",
            [
                ("新能源汽车电驱动系统项目", "新能源汽车", "电驱动科技"),
                ("动力电池模组项目", "动力电池", "动力电池"),
                ("智能网联汽车测试验证中心项目", "智能网联汽车", "智能网联科技"),
                ("汽车电子控制器项目", "汽车电子", "汽车电子"),
                ("充换电设备制造项目", "充电设施", "充电设备"),
                ("新能源汽车研发示范培训基地项目", "新能源汽车", "新能源汽车科技"),
            ],
            {"中国大陆": 6, "德国": 2, "日本": 1, "韩国": 1},
            (8000, 80000),
            12,
        ),
    ],
    "songmudao": [
        ProjectKind(
            "瑞泰 凯信 恒润 华通 联化 永泰 润达 瀚海 博达 天成",
            [
                ("高纯电子化学品项目", "电子化学品", "电子化学品"),
                ("医药中间体项目", "医药中间体", "医药化工"),
                ("特种涂料项目", "涂料", "涂料"),
                ("高性能催化剂项目", "催化材料", "催化剂"),
                ("可降解高分子材料项目", "高分子材料", "高分子材料"),
                ("精细化工新材料产业化项目", "新材料", "新材料科技"),
            ],
            {"中国大陆": 5, "日本": 2, "德国": 2, "韩国": 1, "新加坡": 1},
            (5000, 60000),
            20,
        ),
    ],
    "wanbei": [
        ProjectKind(
            "芯程 湾芯 北芯 芯源 微纳 晶创 鸿芯 睿芯 云帆 数智 海创",
            [
                ("12英寸晶圆封装测试项目", "集成电路", "半导体科技"),
                ("集成电路设计中心项目", "集成电路设计", "集成电路设计"),
                ("半导体设备零部件项目", "半导体设备", "半导体设备"),
                ("第三代半导体材料项目", "半导体材料", "微电子材料"),
                ("工业软件研发中心项目", "软件和信息技术服务", "软件"),
                ("数据中心项目", "大数据", "数据科技"),
            ],
            {"中国大陆": 5, "美国": 1, "中国香港": 1, "新加坡": 1, "韩国": 1, "日本": 1},
            (5000, 120000),
            24,
        ),
        ProjectKind(
            "芯谷 北硅 晶源",
            [
                ("创新中心芯片设计孵化项目", "集成电路", "芯片科技"),
                ("创新中心EDA工具研发项目", "集成电路设计", "电子设计自动化"),
                ("创新中心半导体人才实训基地项目", "科技服务", "半导体教育科技"),
            ],
            {"中国大陆": 3, "美国": 1},
            (1000, 8000),
            6,
        ),
    ],
    "shanhe": [
        ProjectKind(
            "金石 华建 筑邦 绿筑 坚石 宏基 鼎筑 磐石",
            [
                ("装配式建筑PC构件生产基地项目", "装配式建筑", "建筑构件"),
                ("绿色建材产业园项目", "绿色建材", "绿色建材"),
                ("新型墙体材料项目", "新型墙材", "新型墙材"),
                ("节能保温材料项目", "节能保温材料", "保温材料"),
                ("钢结构装配式住宅部品项目", "装配式建筑", "钢结构"),
            ],
            {"中国大陆": 8, "中国香港": 1, "德国": 1},
            (3000, 25000),
            16,
        ),
    ],
    "sanshilipu": [
        ProjectKind(
            "丰收 鲜达 农丰 金穗 顺达 通达 汇鲜 万家 港城",
            [
                ("农产品批发交易区项目", "农产品批发", "农产品市场管理"),
                ("冷链物流园项目", "冷链物流", "冷链物流"),
                ("临港贸易集散中心项目", "商贸物流", "物流"),
                ("农产品加工配送中心项目", "农产品加工", "农业科技"),
                ("跨境电商供应链项目", "供应链", "供应链管理"),
            ],
            {"中国大陆": 7, "中国香港": 2, "新加坡": 2},
            (3000, 50000),
            20,
        ),
    ],
    "gaotie": [
        ProjectKind(
            "博览 汇展 会通 锦华 嘉华 国展 融通",
            [
                ("品牌展会落地运营项目", "会展", "会展运营管理"),
                ("展贸综合体项目", "商贸服务", "商业管理"),
                ("会展配套酒店项目", "酒店", "酒店管理"),
                ("国际商品展示交易中心项目", "商贸服务", "国际贸易"),
                ("会议会展服务总部项目", "会展", "会展服务"),
            ],
            {"中国大陆": 6, "中国香港": 2, "新加坡": 2},
            (5000, 80000),
            16,
        ),
    ],
    "kechuang": [
        ProjectKind(
            "启智 博研 知行 慧谷 科睿 研创 格物 致远",
            [
                ("集成电路现代产业学院项目", "高等教育", "教育科技"),
                ("新材料联合实验室项目", "科研", "新材料研究院"),
                ("产学研协同创新中心项目", "科技服务", "科技服务"),
                ("检验检测公共服务平台项目", "检验检测", "检验检测"),
                ("大学科技园孵化器项目", "科技孵化", "孵化器管理"),
                ("生物医药研发中心项目", "生物医药研发", "生物科技"),
            ],
            {"中国大陆": 9, "德国": 1},
            (2000, 30000),
            18,
        ),
    ],
}
UNIVERSITY_INVESTORS = [
    "大连理工大学",
    "东北财经大学",
    "大连海事大学",
    "辽宁师范大学",
    "中国科学院大连化学物理研究所",
]

LOSS_REASONS = [
    "投资方战略调整，转投东南亚生产基地。",
    "用地指标短期内无法落实，企业选择其他园区。",
    "环评要求未能满足，项目终止。",
    "竞争地区给出更优惠条件，企业选择落户外地。",
    "投资方资金链紧张，项目暂停。",
    "市场需求下滑，企业推迟投资计划。",
]
REVIVAL_REASON = "投资方完成新一轮融资，重新启动洽谈。"
SKIPS = {
    (Stage.LEAD, Stage.SIGNED): "在投洽会现场直接签约，前期洽谈由集团总部与管委会完成。",
    (Stage.SIGNED, Stage.STARTED): "增资扩产项目，企业已在区内注册，签约后即开工建设。",
    (Stage.NEGOTIATING, Stage.REGISTERED): "投资方先行注册项目公司，投资协议与注册同步完成。",
}
OUTCOMES: dict[str, list[str]] = {
    Stage.LEAD: [
        "初步介绍园区产业定位和政策，投资方表示有兴趣。",
        "收到投资方项目概况材料，正在研判。",
        "投资方来区考察，参观了片区标准厂房。",
        "通过商会对接，约定下月赴企业总部拜访。",
    ],
    Stage.NEGOTIATING: [
        "就用地面积和供地方式进行磋商，基本达成一致。",
        "讨论投资协议文本，对税收贡献条款有分歧。",
        "投资方提出配套人才公寓需求，已向领导汇报。",
        "双方就投资强度和达产时间进行了深入沟通。",
        "投资方董事会原则同意在普湾落地。",
    ],
    Stage.SIGNED: ["协调项目公司注册事宜。", "对接设计单位，开展规划方案设计。"],
    Stage.REGISTERED: ["协调施工许可办理。", "推进土地摘牌和规划许可。"],
    Stage.STARTED: [
        "现场查看施工进度，主体结构按计划推进。",
        "协调解决施工用电问题。",
        "设备采购合同已签订。",
    ],
    Stage.OPERATING: ["了解投产后运行情况，企业反映用工紧张。", "协调办理达产验收。"],
}
NEXT_STEPS = [
    "整理项目材料报分管领导。",
    "下周安排视频会议继续洽谈。",
    "准备投资协议草案。",
    "邀请投资方参加项目推介会。",
    "对接自然资源局核实用地条件。",
    "跟进施工进度。",
    "",
]
PEOPLE_MET = ["董事长", "总经理", "中国区总裁", "投资总监", "项目负责人", "副总经理"]


@dataclass
class ProjectPlan:
    """One project: its facts and the dates of its history, all relative to today."""

    name: str
    investor: str
    origin: str
    industry: str
    zone: Zone
    unit: Unit
    owner: Person
    leader: Person | None
    source: str
    planned: Decimal
    moves: list[tuple[str, datetime.date]]  # (stage reached, date), lead first
    skips: dict[str, str] = field(default_factory=dict)  # stage → reason for skipping into it
    contracted: Decimal | None = None
    enterprise: Enterprise | None = None  # an enterprise already served: an expansion
    enterprise_name: str = ""
    follow_ups: list[datetime.date] = field(default_factory=list)
    lost: tuple[datetime.date, str] | None = None
    revived_on: datetime.date | None = None
    after_revival: list[tuple[str, datetime.date]] = field(default_factory=list)


def _people(unit: Unit) -> list[Person]:
    return list(
        Person.objects.filter(
            positions__unit=unit, positions__role__in=[Role.STAFF, Role.UNIT_HEAD], is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def _leader_of(unit: Unit) -> Person | None:
    oversight = Oversight.objects.filter(unit=unit).select_related("leader").order_by("pk").first()
    return oversight.leader if oversight else None


STEP_DAYS: dict[str, tuple[int, int]] = {  # days spent in a stage before the next one: (shortest, longest)
    Stage.LEAD: (10, 60),
    Stage.NEGOTIATING: (30, 150),
    Stage.SIGNED: (15, 75),
    Stage.REGISTERED: (20, 120),
    Stage.STARTED: (120, 330),
}
GOES_ON: dict[str, float] = {
    Stage.LEAD: 0.8,
    Stage.NEGOTIATING: 0.7,
    Stage.SIGNED: 0.9,
    Stage.REGISTERED: 0.85,
    Stage.STARTED: 0.8,
}


def _stage_dates(
    rng: random.Random, lead_on: datetime.date, today: datetime.date
) -> list[tuple[str, datetime.date]]:
    """The stages a project reached by today and when, from its lead date."""
    moves = [(Stage.LEAD.value, lead_on)]
    day = lead_on
    for stage, following in itertools.pairwise(STAGES):
        if rng.random() > GOES_ON[stage]:
            break
        day = day + datetime.timedelta(days=rng.randint(*STEP_DAYS[stage]))
        if day > today - datetime.timedelta(days=2):
            break
        moves.append((following, day))
    return moves


def _follow_up_dates(
    rng: random.Random, moves: list[tuple[str, datetime.date]], until: datetime.date
) -> list[datetime.date]:
    """Follow-ups every week or few while courting the investor, about monthly once signed."""
    dates = []
    for i, (stage, start) in enumerate(moves):
        end = moves[i + 1][1] if i + 1 < len(moves) else until
        gap = (7, 24) if stage in (Stage.LEAD, Stage.NEGOTIATING) else (20, 45)
        day = start + datetime.timedelta(days=rng.randint(2, gap[1]))
        while day <= end:
            dates.append(day)
            day += datetime.timedelta(days=rng.randint(*gap))
    return dates


def _plans(rng: random.Random, today: datetime.date) -> list[ProjectPlan]:
    zones = {z.code: z for z in Zone.objects.all()}
    bureau = Unit.objects.get(name="招商局")
    offices = {u.zone_id: u for u in Unit.objects.filter(kind="zone_office")}
    people = {u.pk: _people(u) for u in [bureau, *offices.values()]}
    leaders = {u.pk: _leader_of(u) for u in [bureau, *offices.values()]}
    staff_login = Person.objects.filter(username="staff").first()
    served = list(Enterprise.objects.select_related("zone").order_by("pk"))
    taken_names = set(Enterprise.objects.values_list("name", flat=True))
    plans = []
    for zone_code, kinds in PROJECT_KINDS.items():
        zone = zones[zone_code]
        # Expansions (增资扩产) of enterprises the service desk already serves in the zone.
        expandable = [e for e in served if e.zone_id == zone.pk and e.stage in ("operating", "growing")]
        rng.shuffle(expandable)
        for kind in kinds:
            for _n in range(kind.count):
                origin = rng.choices(list(kind.origins), weights=list(kind.origins.values()))[0]
                trade = rng.choice(kind.trade_names.split())
                product, industry, business = rng.choice(kind.products)
                if zone_code == "kechuang" and origin == "中国大陆" and rng.random() < 0.5:
                    investor = rng.choice(UNIVERSITY_INVESTORS)
                else:
                    investor = INVESTOR_FORMS[origin].format(x=trade, city=rng.choice(CITIES))
                expansion = expandable.pop() if expandable and rng.random() < 0.2 else None
                if expansion is not None:
                    # The enterprise itself invests; a Japanese-run one counts as Japanese capital.
                    short = expansion.name.removeprefix("大连").removesuffix("有限公司")
                    name, industry, investor = f"{short}增资扩产项目", expansion.industry, expansion.name
                    if expansion.legal_representative in JAPANESE_NAMES:
                        origin = "日本"
                else:
                    name = f"{trade}{product}"
                unit = bureau if rng.random() < 0.5 else offices[zone.pk]
                owner = (
                    staff_login
                    if unit == bureau and staff_login and rng.random() < 0.4
                    else rng.choice(people[unit.pk])
                )
                lead_on = today - datetime.timedelta(days=int(HISTORY_DAYS * rng.random() ** 0.8) + 3)
                low, high = kind.investment
                planned = Decimal(round(rng.uniform(low, high) / 100) * 100)
                plan = ProjectPlan(
                    name=name,
                    investor=investor,
                    origin=origin,
                    industry=industry,
                    zone=zone,
                    unit=unit,
                    owner=owner,
                    leader=leaders[unit.pk] or leaders[bureau.pk],
                    source=rng.choices([s.value for s in Source], weights=[30, 20, 15, 10, 5, 15, 5])[0],
                    planned=planned,
                    moves=_stage_dates(rng, lead_on, today),
                    enterprise=expansion,
                )
                if len(plan.moves) > 2 and rng.random() < 0.5:
                    plan.contracted = Decimal(round(float(planned) * rng.uniform(0.8, 1.2) / 100) * 100)
                else:
                    plan.contracted = planned
                if expansion is None:
                    enterprise_name = f"大连{trade}{business}有限公司"
                    while enterprise_name in taken_names:
                        enterprise_name = f"大连{trade}{rng.choice('新恒盛达泰华')}{business}有限公司"
                    taken_names.add(enterprise_name)
                    plan.enterprise_name = enterprise_name
                plans.append(plan)
    _shape(rng, plans, today)
    return plans


def _shape(rng: random.Random, plans: list[ProjectPlan], today: datetime.date) -> None:
    """Skips, losses, one revival, and the follow-ups that leave some leads stale."""
    for plan in plans:
        stages = [s for s, _d in plan.moves]
        if plan.enterprise is not None and Stage.STARTED in stages and rng.random() < 0.6:
            plan.moves = [m for m in plan.moves if m[0] != Stage.REGISTERED]
            plan.skips[Stage.STARTED] = SKIPS[Stage.SIGNED, Stage.STARTED]
        elif Stage.SIGNED in stages and rng.random() < 0.05:
            plan.moves = [m for m in plan.moves if m[0] != Stage.NEGOTIATING]
            plan.skips[Stage.SIGNED] = SKIPS[Stage.LEAD, Stage.SIGNED]
        elif Stage.REGISTERED in stages and plan.enterprise is None and rng.random() < 0.04:
            plan.moves = [m for m in plan.moves if m[0] != Stage.SIGNED]
            plan.skips[Stage.REGISTERED] = SKIPS[Stage.NEGOTIATING, Stage.REGISTERED]

    # Lost: projects that stopped early, some time ago.
    candidates = [
        p
        for p in plans
        if p.moves[-1][0] in (Stage.LEAD, Stage.NEGOTIATING, Stage.SIGNED)
        and (today - p.moves[-1][1]).days > 90
    ]
    lost = rng.sample(candidates, min(7, len(candidates)))
    for plan in lost:
        lost_on = plan.moves[-1][1] + datetime.timedelta(days=rng.randint(30, 80))
        plan.lost = (min(lost_on, today - datetime.timedelta(days=5)), rng.choice(LOSS_REASONS))
    # One lost in negotiation comes back after new financing and has just signed.
    revivable = [p for p in lost if p.lost and p.lost[0] <= today - datetime.timedelta(days=70)]
    revived = next((p for p in revivable if p.moves[-1][0] == Stage.NEGOTIATING), None)
    if revived is not None and revived.lost is not None:
        revived.lost = (revived.lost[0], LOSS_REASONS[4])
        revived.revived_on = today - datetime.timedelta(days=rng.randint(25, 45))
        revived.after_revival = [(Stage.SIGNED.value, today - datetime.timedelta(days=rng.randint(5, 12)))]

    # Follow-ups; a few courted projects have gone quiet: yellow after 30 days, red after 60.
    courting = [p for p in plans if p.lost is None and p.moves[-1][0] in (Stage.LEAD, Stage.NEGOTIATING)]
    quiet: dict[int, int] = {}
    rng.shuffle(courting)
    for plan in courting:
        days = rng.randint(35, 55) if len(quiet) % 2 else rng.randint(65, 110)
        # It reached its stage before it went quiet, so the silence is its own.
        if (today - plan.moves[-1][1]).days >= days + 5 and len(quiet) < 16:
            quiet[id(plan)] = days
    for plan in plans:
        until = today
        if plan.lost is not None:
            until = plan.lost[0] - datetime.timedelta(days=rng.randint(5, 25))
        if id(plan) in quiet:
            until = today - datetime.timedelta(days=quiet[id(plan)])
        dates = _follow_up_dates(rng, plan.moves, until)
        if id(plan) in quiet:
            dates = [d for d in dates if d <= until] + [until]
        elif plan.lost is None and plan.moves[-1][0] in (Stage.LEAD, Stage.NEGOTIATING):
            # Kept warm: a recent contact.
            dates.append(today - datetime.timedelta(days=rng.randint(0, 20)))
        if plan.revived_on is not None:
            dates += [plan.revived_on + datetime.timedelta(days=rng.randint(1, 6))]
            dates += [d for _s, d in plan.after_revival]
        plan.follow_ups = sorted({d for d in dates if d <= today and d >= plan.moves[0][1]})


def _evidence(stage: str, day: datetime.date, rng: random.Random) -> list[tuple[str, Any]]:
    """The documents a move to `stage` on `day` comes with: tiny but real PDFs and photos."""
    signed_on = f"Puwan Economic Zone, {day:%Y-%m-%d}"
    if stage == Stage.SIGNED:
        return [(DocumentKind.AGREEMENT, pdf_upload("投资协议.pdf", "Investment agreement", signed_on))]
    if stage == Stage.REGISTERED:
        return [(DocumentKind.LICENCE, pdf_upload("营业执照.pdf", "Business licence", signed_on))]
    if stage == Stage.STARTED:
        documents: list[tuple[str, Any]] = [
            (DocumentKind.PERMIT, pdf_upload("施工许可证.pdf", "Construction permit", signed_on))
        ]
        if rng.random() < 0.5:
            documents.append((DocumentKind.PHOTO, png_upload("开工现场.png", (150, 120, 90))))
        return documents
    if stage == Stage.OPERATING and rng.random() < 0.5:
        return [(DocumentKind.OTHER, pdf_upload("投产仪式.pdf", "Commissioning ceremony", signed_on))]
    return []


def _load_project(
    plan: ProjectPlan, rng: random.Random, used_codes: set[str], today: datetime.date
) -> Project:
    owner = plan.owner
    project = services.project_create(
        actor=owner,
        name=plan.name,
        investor=plan.investor,
        origin=plan.origin,
        industry=plan.industry,
        zone=plan.zone,
        planned_investment=plan.planned,
        owner=owner,
        unit=plan.unit,
        lead_on=plan.moves[0][1],
        leader=plan.leader,
        source=plan.source,
        expected_output=(plan.planned * Decimal(rng.choice(["0.8", "1.2", "1.5", "2"]))).quantize(Decimal(1)),
        expected_jobs=max(20, int(float(plan.planned) / 100 * rng.uniform(0.5, 2))),
        description=f"{plan.investor}在{plan.zone.name}投资建设{plan.name.removesuffix('项目')}。",
    )
    for day in plan.follow_ups:
        stage = next((s for s, d in reversed(plan.moves) if d <= day), Stage.LEAD)
        services.follow_up_add(
            actor=owner,
            project=project,
            date=day,
            form=rng.choices(["visit", "meeting", "phone", "video"], weights=[4, 3, 4, 2])[0],
            people_met=f"{plan.investor}{rng.choice(PEOPLE_MET)}",
            outcome=rng.choice(OUTCOMES[stage]),
            next_step=rng.choice(NEXT_STEPS),
        )
    for stage, day in plan.moves[1:]:
        project = _move(project, plan, stage, day, rng, used_codes)
    if plan.lost is not None:
        lost_on, reason = plan.lost
        project = services.project_mark_lost(
            actor=owner, project=project, expected_version=project.version, reason=reason, lost_on=lost_on
        )
        if plan.revived_on is not None:
            project = services.project_revive(
                actor=owner, project=project, expected_version=project.version, reason=REVIVAL_REASON
            )
            StageMove.objects.filter(project=project, kind="revive").update(moved_on=plan.revived_on)
            for stage, day in plan.after_revival:
                project = _move(project, plan, stage, day, rng, used_codes)
    if project.stage in (Stage.STARTED, Stage.OPERATING):
        _invest(project, plan, rng, today)
    return project


def _move(
    project: Project,
    plan: ProjectPlan,
    stage: str,
    day: datetime.date,
    rng: random.Random,
    used_codes: set[str],
) -> Project:
    extra: dict[str, Any] = {}
    if STAGES.index(stage) >= STAGES.index(Stage.SIGNED) and project.contracted_amount is None:
        extra["contracted_amount"] = plan.contracted
    if STAGES.index(stage) >= STAGES.index(Stage.REGISTERED) and project.enterprise_id is None:
        if plan.enterprise is not None:
            extra["uscc"] = plan.enterprise.uscc
        else:
            extra["uscc"] = make_uscc(rng, used_codes)
            extra["enterprise_name"] = plan.enterprise_name
    return services.project_move(
        actor=plan.owner,
        project=project,
        expected_version=project.version,
        to_stage=stage,
        moved_on=day,
        reason=plan.skips.get(stage, ""),
        documents=_evidence(stage, day, rng),
        **extra,
    )


def _invest(project: Project, plan: ProjectPlan, rng: random.Random, today: datetime.date) -> None:
    """The amounts invested month by month since construction started."""
    assert project.started_on is not None
    start = project.started_on.replace(day=1)
    end = (project.operating_on or today).replace(day=1)
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    share = rng.uniform(0.85, 1.05) if project.operating_on else rng.uniform(0.25, 0.8)
    total = float(plan.contracted or plan.planned) * share
    weights = [rng.uniform(0.5, 1.5) for _m in months]
    for month, weight in zip(months, weights, strict=True):
        amount = Decimal(round(total * weight / sum(weights), -1)).quantize(Decimal("0.01"))
        services.investment_record(actor=plan.owner, project=project, month=month, amount=amount)


def _back_date(plans: list[tuple[Project, ProjectPlan]], enterprises_before: set[int]) -> None:
    """Date when each record was entered by the facts it records."""
    for project, plan in plans:
        days = [plan.moves[-1][1], *plan.follow_ups, *(d for _s, d in plan.after_revival)]
        if plan.lost is not None:
            days.append(plan.revived_on or plan.lost[0])
        last = max(days)
        Project.objects.filter(pk=project.pk).update(
            # Never later than now, or the card would stay on top of a column all day.
            created_at=at(plan.moves[0][1], 10),
            updated_at=min(at(last, 16), timezone.now()),
        )
        if (
            project.enterprise_id
            and project.enterprise_id not in enterprises_before
            and project.registered_on
        ):
            Enterprise.objects.filter(pk=project.enterprise_id).update(
                created_at=at(project.registered_on, 11), updated_at=at(project.registered_on, 11)
            )
    for move in StageMove.objects.filter(project__in=[p for p, _plan in plans]).only("pk", "moved_on"):
        moment = at(move.moved_on, 15)
        StageMove.objects.filter(pk=move.pk).update(created_at=moment)
        ProjectDocument.objects.filter(move_id=move.pk).update(uploaded_at=moment)
    for follow_up in FollowUp.objects.filter(project__in=[p for p, _plan in plans]).only("pk", "date"):
        FollowUp.objects.filter(pk=follow_up.pk).update(created_at=at(follow_up.date, 17))


def _amount_target(actual: Decimal, share: float, floor: int) -> Decimal:
    """A target (万元, in steps of 5,000) that `actual` is `share` of, and at least `floor`."""
    return Decimal(max(math.ceil(float(actual) / share / 5000) * 5000, floor))


def _count_target(actual: int, share: float, floor: int) -> int:
    return max(math.ceil(actual / share), floor)


def _targets(actor: Person, rng: random.Random, today: datetime.date) -> None:
    """This year's targets for each zone, sized so that the zones stand at different percentages
    of them, around the share of the year gone by."""
    year = today.year
    elapsed = max((today - datetime.date(year, 1, 1)).days / 365, 0.15)
    factors = [1.3, 1.12, 1.0, 0.9, 0.78, 0.66, 0.52]
    rng.shuffle(factors)
    for zone, factor in zip(Zone.objects.order_by("sort", "pk"), factors, strict=False):
        projects = Project.objects.filter(zone=zone)
        signed = projects.filter(signed_on__year=year)
        signed_amount = signed.aggregate(s=Sum("contracted_amount"))["s"] or Decimal(0)
        started_count = projects.filter(started_on__year=year).count()
        invested = MonthlyInvestment.objects.filter(project__zone=zone, month__year=year).aggregate(
            s=Sum("amount")
        )["s"] or Decimal(0)
        big = signed.filter(contracted_amount__gte=BIG_PROJECT).count()
        share = elapsed * factor
        target = services.target_set(
            actor=actor,
            zone=zone,
            year=year,
            signed_amount=_amount_target(signed_amount, share * rng.uniform(0.8, 1.2), 20000),
            started_count=_count_target(started_count, share * rng.uniform(0.8, 1.2), 2),
            actual_investment=_amount_target(invested, share * rng.uniform(0.8, 1.2), 10000),
            big_projects=_count_target(big, share * rng.uniform(0.8, 1.2), 1),
        )
        set_on = at(min(today, datetime.date(year, 1, 20)), 10)  # set at the start of the year
        ZoneTarget.objects.filter(pk=target.pk).update(created_at=set_on, updated_at=set_on)


def load_investment(*, actor: Person, rng: random.Random) -> bool:
    """Create the demo projects and targets unless investment holds any. Returns whether anything
    was created."""
    if Project.objects.exists() or ZoneTarget.objects.exists():
        return False
    offices = set(Unit.objects.filter(kind="zone_office").values_list("zone__code", flat=True))
    if not Unit.objects.filter(name="招商局").exists() or not set(PROJECT_KINDS) <= offices:
        return False  # an organisation of its own, not the demo's
    today = timezone.localdate()
    enterprises_before = set(Enterprise.objects.values_list("pk", flat=True))
    used_codes = set(Enterprise.objects.values_list("uscc", flat=True))
    plans = sorted(_plans(rng, today), key=lambda p: p.moves[0][1])
    loaded = [(_load_project(plan, rng, used_codes, today), plan) for plan in plans]
    _back_date(loaded, enterprises_before)
    recode_by_year(
        [p for p, _plan in loaded], prefix="ZS", width=4, dated=[plan.moves[0][1] for _p, plan in loaded]
    )
    leader = (
        Person.objects.filter(positions__role=Role.LEADER, positions__is_principal=True)
        .order_by("pk")
        .first()
        or actor
    )
    _targets(leader, rng, today)
    services.stale_sweep(today=today)
    return True
