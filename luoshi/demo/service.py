"""The service-desk demo: about 200 enterprises across the seven zones and 2,000 requests over the
last six months, with realistic times, dispatches, pauses, ratings and a few reopens.

Enterprises and requests are created through the services, so every step carries an audit trail.
Each request is driven through its steps (file, dispatch, acknowledge, wait, resolve, rate, close)
as a plan made relative to today says; the times of the facts are then back-dated with
`queryset.update`, and the due times are recomputed with the SLA functions of the back-dated
facts, so each promise equals what the service would have stored had the step happened then.
Back-dating writes the fact times directly: it is seed data, and the audit trail still records
how each request was handled. Steps a plan puts after this moment simply have not happened yet,
so the queues hold what a working desk holds on any day.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from luoshi.core import calendar as workcal
from luoshi.core.audit import audit_record
from luoshi.notify.models import Notification
from luoshi.org import services as org
from luoshi.org.models import Person, Role, Unit, Zone
from luoshi.service import services, sla
from luoshi.service.models import (
    Category,
    Channel,
    Enterprise,
    Pause,
    Rating,
    RatingLink,
    RequestAttachment,
    RequestState,
    ServiceRequest,
)
from luoshi.service.uscc import CHARSET, check_character, validate_uscc

from . import org as org_data
from .dates import at, recode_by_year, wd
from .documents import pdf_upload, png_upload

S = RequestState
DIVISION = "210213"  # 大连市金州区 (金普新区)
HISTORY_DAYS = 182  # about six months


def _requests() -> int:
    """How many requests the demo files: 2,000 unless the settings ask for fewer
    (LUOSHI_DEMO_REQUESTS; the browser tests load the demo for every test)."""
    return int(getattr(settings, "LUOSHI_DEMO_REQUESTS", 2000))


# (name, resolution days, usual unit, share of requests, other units it goes to: (unit | "zone", weight))
# "zone" is the office of the enterprise's zone.
CATEGORIES: list[tuple[str, int, str, int, list[tuple[str, int]]]] = [
    ("政策咨询", 2, "经济发展局", 22, [("经济发展局", 6), ("财政局", 2), ("zone", 2)]),
    ("用地规划", 5, "自然资源局", 8, [("自然资源局", 7), ("规划建设局", 3)]),
    ("项目审批", 5, "规划建设局", 12, [("规划建设局", 7), ("自然资源局", 1), ("zone", 2)]),
    ("水电气暖", 3, "普湾建设投资有限公司", 14, [("普湾建设投资有限公司", 6), ("zone", 4)]),
    ("人才招聘", 5, "组织人事部", 12, [("组织人事部", 8), ("经济发展局", 2)]),
    ("融资服务", 7, "财政局", 10, [("财政局", 6), ("普湾发展集团有限公司", 4)]),
    ("厂房租赁", 3, "普湾产业园区运营有限公司", 9, [("普湾产业园区运营有限公司", 7), ("zone", 3)]),
    ("其他", 5, "党政办公室", 13, [("zone", 6), ("经济发展局", 2), ("党政办公室", 2)]),
]

# (title, description) per category; {ent} is the enterprise's short name.
TOPICS: dict[str, list[tuple[str, str]]] = {
    "政策咨询": [
        ("咨询高新技术企业认定奖励政策", "{ent}今年申报高新技术企业，想了解区里的认定奖励标准和兑现流程。"),
        ("研发费用加计扣除政策咨询", "企业研发投入增加，咨询研发费用加计扣除的口径和需要准备的台账。"),
        ("稳岗补贴申领条件咨询", "咨询今年失业保险稳岗返还的申领条件、比例和办理时间。"),
        ("外资企业增资扩产扶持政策", "{ent}计划增资扩产，想了解外资到位奖励和设备投资补助政策。"),
        ("专精特新企业培育政策咨询", "企业拟申报省级专精特新中小企业，请告知区级配套奖励。"),
        ("进口设备免税政策咨询", "新购进口生产设备，咨询是否符合鼓励类项目进口设备免税条件。"),
        ("产业扶持资金申报时间", "请问今年产业发展专项资金什么时候开始申报、需要哪些材料。"),
    ],
    "用地规划": [
        ("扩建厂房新增用地指标", "{ent}订单增长，需在现厂区东侧新增约20亩工业用地，咨询指标和供地方式。"),
        ("厂区规划条件调整", "现有厂区容积率偏低，希望调整规划条件建设多层厂房。"),
        ("用地红线核实", "厂区围墙与不动产证红线存在偏差，申请现场核实。"),
        ("临时用地审批", "施工期间需临时占用相邻空地堆放材料，咨询临时用地审批。"),
        ("不动产权证办理进度", "新厂房已竣工验收，不动产权证办理进度较慢，请协调。"),
    ],
    "项目审批": [
        ("技改项目备案咨询", "{ent}拟实施生产线自动化改造，咨询技改项目备案流程。"),
        ("施工许可办理协调", "二期厂房施工图审查已通过，请协调加快施工许可办理。"),
        ("环评审批进度查询", "新增生产线的环评报告已提交一个月，请帮助了解审批进度。"),
        ("消防验收预约", "新建仓库已完工，需预约消防验收，请帮助对接。"),
        ("能评手续办理咨询", "扩产项目年综合能耗增加，咨询节能审查的办理要求。"),
        ("竣工联合验收协调", "厂房即将竣工，申请协调规划、消防、人防联合验收。"),
    ],
    "水电气暖": [
        ("厂区增容用电申请", "{ent}新增设备后用电负荷不足，申请变压器增容。"),
        ("冬季供暖不达标", "办公楼近期室温偏低，供暖效果不达标，请协调热力公司。"),
        ("工业用水水压不足", "厂区工业用水水压偏低，影响冷却系统运行。"),
        ("天然气管道接入", "新建车间需接入天然气管道，请协调燃气公司勘察。"),
        ("园区道路积水", "厂区门前道路雨后积水严重，影响货车通行。"),
        ("停电计划提前告知", "近期多次计划停电通知较晚，影响排产，希望提前告知。"),
        ("路灯损坏维修", "厂区门前路段路灯损坏，夜班员工出行不便。"),
    ],
    "人才招聘": [
        ("技术工人招聘对接", "{ent}急需数控操作工和焊工约30人，希望协助对接招聘渠道。"),
        ("高校毕业生招聘会报名", "希望参加区里组织的高校毕业生专场招聘会。"),
        ("人才公寓申请", "新引进的工程师需要周转住房，咨询人才公寓申请条件。"),
        ("高层次人才认定咨询", "公司研发总监拟申报高层次人才认定，咨询材料要求。"),
        ("外籍员工工作许可办理", "日方派驻技术人员的工作许可即将到期，咨询延期办理。"),
        ("员工子女入学咨询", "外地引进员工子女入学，咨询学位安排政策。"),
    ],
    "融资服务": [
        ("流动资金贷款对接", "{ent}原材料采购资金紧张，希望对接银行流动资金贷款。"),
        ("政府性融资担保申请", "申请政府性融资担保，咨询担保费率和办理流程。"),
        ("知识产权质押融资", "公司拥有多项发明专利，咨询知识产权质押融资。"),
        ("设备融资租赁对接", "新购生产设备金额较大，希望对接融资租赁公司。"),
        ("贷款贴息申请", "咨询中小企业贷款贴息政策的申请条件和时间。"),
    ],
    "厂房租赁": [
        ("标准厂房租赁咨询", "{ent}拟扩大产能，需要租赁约3000平方米标准厂房。"),
        ("厂房租金减免申请", "咨询符合条件企业的厂房租金减免政策。"),
        ("租赁厂房维修", "租赁厂房屋顶漏雨，请园区运营公司尽快维修。"),
        ("仓储用房需求", "需要短期租赁约1000平方米仓储用房。"),
        ("续租合同办理", "厂房租赁合同即将到期，申请办理续租。"),
    ],
    "其他": [
        ("员工通勤公交线路", "园区早晚通勤公交班次少，员工通勤困难，希望增开线路。"),
        ("企业周边环境整治", "厂区周边有垃圾堆放，影响企业形象，请协调清理。"),
        ("门前道路限高调整", "门前道路限高杆影响大型货车进出，申请调整。"),
        ("职工食堂餐饮配套", "园区周边餐饮配套不足，希望引进职工食堂。"),
        ("企业开放日活动支持", "{ent}计划举办客户开放日，希望片区给予支持。"),
        ("快递物流网点设置", "园区内无快递网点，收发样品不便。"),
    ],
}

REPLIES = [
    "已与企业电话沟通，按政策规定予以办理，相关材料已告知企业。",
    "经现场踏勘并会同相关部门研究，问题已解决，请企业确认。",
    "已协调有关单位落实，具体办理结果已书面答复企业。",
    "已完成办理，后续如有需要可随时联系服务专员。",
    "已组织专题对接会，明确办理时限并已完成。",
    "已按企业诉求调整，办理结果已通过服务专员反馈。",
]
WAITING_NEEDS = [
    "请补充提供项目立项备案文件。",
    "请补充近三年财务报表。",
    "请提供厂区平面图及用电负荷清单。",
    "请补充招聘岗位需求明细表。",
    "请提供不动产权证及规划许可证复印件。",
    "请补充营业执照副本和法定代表人身份证明。",
]
RESUME_NOTES = ["已补充相关材料。", "材料已通过服务专员转交。", "已上传补充材料，请查收。"]
LOW_COMMENTS = [
    "答复过于笼统，问题实际没有解决。",
    "承诺的时间没有兑现，现场仍未整改。",
    "只回复了政策文件，没有结合我公司的实际情况。",
    "办理过程中多次让我们重复提交材料，希望简化。",
    "问题反复出现，希望彻底解决。",
]
HIGH_COMMENTS = ["", "", "", "办理及时，非常满意。", "服务专员很负责。", "效率很高，感谢！", "解决得很彻底。"]
RETURN_REASONS = [
    "该事项属于供电公司职责，建议转园区运营公司对接。",
    "该诉求涉及规划条件调整，不属于本单位职责。",
    "企业所在片区有专门对接机制，建议派片区办公室。",
]


# Enterprises --------------------------------------------------------------------------------------


@dataclass
class Kind:
    """One kind of enterprise a zone attracts: trade names, (name suffix, industry), how many."""

    trade_names: str  # space-separated
    suffixes: list[tuple[str, str]]
    count: int
    stages: tuple[int, int, int, int]  # weights of 筹建, 在建, 投产, 成长
    japanese: bool = False
    roads: list[str] = field(default_factory=list)


JAPANESE_NAMES = [
    "山田健一",
    "佐藤浩二",
    "铃木直树",
    "高桥诚",
    "田中裕介",
    "渡边和也",
    "伊藤隆",
    "中村刚",
    "小林正雄",
    "加藤修",
    "吉田哲也",
    "松本健太",
    "井上聪",
    "木村拓也",
    "清水大辅",
]

ENTERPRISE_KINDS: dict[str, list[Kind]] = {
    "xinriben": [
        Kind(
            "丰和 信和 大荣 北辰 日邦 三和 高砂 明和 丸和 协和 共荣 东昭 大洋 千代 山阳 旭东 爱和 精研 日进 光和",
            [
                ("精密部件", "汽车零部件"),
                ("电子", "电子元器件"),
                ("精密机械", "精密机械"),
                ("模具", "模具制造"),
                ("轴承", "轴承"),
                ("电机", "电机"),
                ("树脂制品", "工程塑料制品"),
                ("光学", "光学元件"),
                ("精工", "机械加工"),
            ],
            30,
            (0, 1, 5, 8),
            japanese=True,
            roads=["樱花路", "友谊大街", "振兴路", "东京湾路"],
        ),
        Kind(
            "普驰 湾擎 新源 驭能 智行 睿驰 恒驱 锦程 远航 卓越",
            [
                ("新能源汽车科技", "新能源汽车"),
                ("动力电池", "动力电池"),
                ("智能网联科技", "智能网联汽车"),
                ("汽车电子", "汽车电子"),
                ("电驱动系统", "电驱动系统"),
                ("充电设备", "充电设施"),
            ],
            15,
            (2, 5, 5, 2),
            roads=["汽车产业园一路", "汽车产业园二路", "测试场路"],
        ),
    ],
    "songmudao": [
        Kind(
            "瑞泰 凯信 恒润 华通 金鑫 联化 永泰 润达 瀚海 万福 博达 海泰 天成 松源",
            [
                ("精细化工", "精细化工"),
                ("新材料科技", "新材料"),
                ("化学", "精细化工"),
                ("医药化工", "医药中间体"),
                ("涂料", "涂料"),
                ("催化剂", "催化材料"),
                ("电子化学品", "电子化学品"),
                ("高分子材料", "高分子材料"),
            ],
            30,
            (1, 3, 5, 4),
            roads=["化工园区一路", "化工园区三路", "松岛大街"],
        ),
    ],
    "wanbei": [
        Kind(
            "芯程 湾芯 北芯 芯源 微纳 晶创 鸿芯 睿芯 星辰 云帆 数智 智联 海创 光合 易联",
            [
                ("半导体科技", "集成电路"),
                ("集成电路设计", "集成电路设计"),
                ("半导体设备", "半导体设备"),
                ("微电子", "半导体材料"),
                ("软件", "软件和信息技术服务"),
                ("信息技术", "软件和信息技术服务"),
                ("数据科技", "大数据"),
                ("光电科技", "光电子"),
            ],
            35,
            (3, 5, 5, 3),
            roads=["湾北大道", "创芯路", "北硅谷路"],
        ),
    ],
    "shanhe": [
        Kind(
            "山河 金石 华建 筑邦 绿筑 坚石 宏基 鼎筑 磐石 筑美",
            [
                ("绿色建材", "绿色建材"),
                ("装配式建筑科技", "装配式建筑"),
                ("新型墙材", "新型墙材"),
                ("混凝土", "预拌混凝土"),
                ("建筑构件", "装配式建筑"),
                ("保温材料", "节能保温材料"),
            ],
            20,
            (1, 3, 6, 3),
            roads=["建材路", "山河大街", "绿建路"],
        ),
    ],
    "sanshilipu": [
        Kind(
            "堡港 临港 丰收 鲜达 农丰 金穗 顺达 通达 汇鲜 万家 港城",
            [
                ("农产品批发市场", "农产品批发"),
                ("冷链物流", "冷链物流"),
                ("物流", "商贸物流"),
                ("供应链管理", "供应链"),
                ("农业科技", "农产品加工"),
                ("食品", "农产品加工"),
                ("国际贸易", "商贸"),
            ],
            25,
            (1, 3, 6, 3),
            roads=["临港路", "三十里堡大街", "物流园路"],
        ),
    ],
    "gaotie": [
        Kind(
            "东北亚 博览 汇展 会通 锦华 嘉华 国展 高铁 融通",
            [
                ("会展服务", "会展"),
                ("展览展示", "会展"),
                ("会展中心管理", "会展"),
                ("商业管理", "商贸服务"),
                ("酒店管理", "酒店"),
                ("国际贸易", "商贸服务"),
            ],
            20,
            (2, 4, 5, 2),
            roads=["站前大街", "会展路", "高铁北路"],
        ),
    ],
    "kechuang": [
        Kind(
            "启智 博研 知行 慧谷 科睿 研创 格物 致远 学园 明德",
            [
                ("科技服务", "科技服务"),
                ("检验检测", "检验检测"),
                ("技术研究院", "科研"),
                ("教育科技", "教育培训"),
                ("知识产权服务", "科技服务"),
                ("生物科技", "生物医药研发"),
                ("孵化器管理", "科技孵化"),
            ],
            25,
            (2, 3, 5, 3),
            roads=["学园大道", "科创路", "大学城路"],
        ),
    ],
}

STAGE_VALUES = ["preparing", "building", "operating", "growing"]
CONTACT_TITLES = ["总经理", "行政经理", "财务总监", "厂长", "办公室主任", "人事经理"]

# The demo login `enterprise` (孙伟) acts for this enterprise; its steward is the demo login `steward`.
OWN_ENTERPRISE = ("大连芯程半导体科技有限公司", "wanbei", "集成电路", "growing")


def org_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code (the 9th character)."""
    total = sum(int(c, 36) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(rng: random.Random, used: set[str], *, legacy: bool = False) -> str:
    """A valid code of a company registered in 金普新区: 91 + 210213 + organisation code + check.

    Companies registered since 2015 carry an `MA…` organisation code; older ones a numeric one.
    """
    while True:
        if legacy:
            body = "24" + "".join(rng.choice("0123456789") for _ in range(6))
        else:
            body = "MA0" + "".join(rng.choice(CHARSET) for _ in range(5))
        first17 = "91" + DIVISION + body + org_code_check(body)
        code = first17 + check_character(first17)
        if code not in used:
            used.add(code)
            return validate_uscc(code)


def _stewards() -> list[Person]:
    return list(
        Person.objects.filter(
            positions__role=Role.STEWARD, positions__unit__name="企业服务中心", is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def _load_enterprises(
    actor: Person, rng: random.Random, stewards: list[Person], used_names: set[str]
) -> list[Enterprise]:
    zones = {z.code: z for z in Zone.objects.all()}
    main_steward = next((p for p in stewards if p.username == "steward"), stewards[0])
    others = [p for p in stewards if p != main_steward] or stewards
    used_codes: set[str] = set()
    enterprises = []
    name, zone_code, industry, stage = OWN_ENTERPRISE
    enterprises.append(
        services.enterprise_create(
            actor=main_steward,
            name=name,
            uscc=make_uscc(rng, used_codes),
            zone=zones[zone_code],
            industry=industry,
            stage=stage,
            steward=main_steward,
            address="大连市金普新区湾北核心区创芯路18号",
            legal_representative="周志明",
            contacts=[
                {"name": "孙伟", "title": "行政经理", "phone": "13904116688"},
                {"name": "周志明", "title": "总经理", "phone": "13804112266"},
            ],
        )
    )
    taken = {name}
    for zone_code, kinds in ENTERPRISE_KINDS.items():
        zone = zones[zone_code]
        for kind in kinds:
            for _n in range(kind.count - (1 if zone_code == OWN_ENTERPRISE[1] else 0)):
                while True:
                    trade = rng.choice(kind.trade_names.split())
                    suffix, industry = rng.choice(kind.suffixes)
                    name = f"大连{trade}{suffix}有限公司"
                    if name not in taken:
                        taken.add(name)
                        break
                stage = rng.choices(STAGE_VALUES, weights=kind.stages)[0]
                legacy = kind.japanese and stage == "growing" and rng.random() < 0.7
                representative = (
                    rng.choice(JAPANESE_NAMES)
                    if kind.japanese
                    else _person_name(rng, used_names, unique=False)
                )
                contacts = [
                    {
                        "name": _person_name(rng, used_names, unique=False),
                        "title": title,
                        "phone": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    }
                    for title in rng.sample(CONTACT_TITLES, rng.randint(1, 2))
                ]
                steward = main_steward if rng.random() < 0.35 else rng.choice(others)
                enterprises.append(
                    services.enterprise_create(
                        actor=steward,
                        name=name,
                        uscc=make_uscc(rng, used_codes, legacy=legacy),
                        zone=zone,
                        industry=industry,
                        stage=stage,
                        steward=steward,
                        address=f"大连市金普新区{zone.name}{rng.choice(kind.roads)}{rng.randint(1, 288)}号",
                        legal_representative=representative,
                        contacts=contacts,
                    )
                )
    return enterprises


def _person_name(rng: random.Random, used: set[str], *, unique: bool = True) -> str:
    while True:
        name = rng.choice(org_data.SURNAMES) + "".join(
            rng.choice(org_data.GIVEN) for _ in range(rng.randint(1, 2))
        )
        if not unique or name not in used:
            used.add(name)
            return name


def _enterprise_users(actor: Person, enterprises: list[Enterprise], rng: random.Random) -> dict[int, Person]:
    """The demo login 孙伟 for the first enterprise, and a portal user (no password yet) for some others."""
    users = {}
    own = enterprises[0]
    sun = Person.objects.get(username="enterprise")
    services.enterprise_member_set(actor=own.steward or actor, person=sun, enterprise=own)
    users[own.pk] = sun
    for index, enterprise in enumerate(rng.sample(enterprises[1:], 40), start=1):
        contact = enterprise.contacts.order_by("pk").first()
        person = org.person_create(
            actor=actor,
            username=f"qy{index:03d}",
            name=contact.name if contact else enterprise.name[:10],
            phone=contact.phone if contact else "",
            positions=[
                org.PositionSpec(unit=None, role=Role.ENTERPRISE, title=contact.title if contact else "")
            ],
        )
        services.enterprise_member_set(
            actor=enterprise.steward or actor, person=person, enterprise=enterprise
        )
        users[enterprise.pk] = person
    return users


# Request plans ------------------------------------------------------------------------------------

OFFICE_OPEN, OFFICE_CLOSE = datetime.time(8, 30), datetime.time(17, 30)
ARRIVAL_HOURS = {8: 3, 9: 12, 10: 14, 11: 10, 12: 3, 13: 6, 14: 12, 15: 12, 16: 10, 17: 4}


def _working(day: datetime.date) -> bool:
    return workcal.is_working_day(day)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def _in_office(moment: datetime.datetime) -> bool:
    local = _local(moment)
    return _working(local.date()) and OFFICE_OPEN <= local.time() < OFFICE_CLOSE


def _office_after(moment: datetime.datetime, rng: random.Random, lo: int, hi: int) -> datetime.datetime:
    """When someone at a desk acts on something that came in at `moment`: `lo`–`hi` minutes later
    in office hours, or early on the next working morning."""
    candidate = moment + datetime.timedelta(minutes=rng.randint(lo, hi))
    if _in_office(moment) and _in_office(candidate):
        return candidate
    day = _local(moment).date()
    if _in_office(moment) or _local(moment).time() >= OFFICE_OPEN or not _working(day):
        day = workcal.next_working_day(day + datetime.timedelta(days=1))
    return at(day, 8, 35) + datetime.timedelta(minutes=rng.randint(0, 80))


def _last_day(due: datetime.datetime) -> datetime.date:
    """The working day a due time (midnight after it) belongs to."""
    return _local(due - datetime.timedelta(seconds=1)).date()


def _arrival(rng: random.Random, day: datetime.date) -> datetime.datetime:
    if not _working(day):
        return at(day, rng.randint(9, 19), rng.randint(0, 59))
    roll = rng.random()
    if roll < 0.85:
        hour = rng.choices(list(ARRIVAL_HOURS), weights=list(ARRIVAL_HOURS.values()))[0]
        minute = (
            rng.randint(30, 59) if hour == 8 else rng.randint(0, 29) if hour == 17 else rng.randint(0, 59)
        )
        return at(day, hour, minute)
    if roll < 0.97:
        return at(day, rng.randint(17, 22), rng.randint(31 if roll < 0.9 else 0, 59))
    return at(day, 7, rng.randint(0, 59))


def _moment_between(
    rng: random.Random, start: datetime.datetime, due: datetime.datetime
) -> datetime.datetime:
    """An office moment after `start` and before `due`, more likely early than late."""
    first = _office_after(start, rng, 40, 240)
    if first >= due:
        return start + (due - start) * rng.uniform(0.2, 0.8)
    days = [d for d in _days(_local(first).date(), _last_day(due)) if _working(d)]
    day = days[min(rng.randrange(len(days)), rng.randrange(len(days)))]
    moment = first if day == _local(first).date() else at(day, rng.randint(9, 17), rng.randint(0, 59))
    return min(moment, due - datetime.timedelta(minutes=rng.randint(5, 60)))


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class Step:
    """One step of a request's life, at the time the plan gives it."""

    kind: str  # file, dispatch, return, ack, wait, resume, resolve, rate, close
    at: datetime.datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """One request: who, what, and the steps of its life with their times."""

    enterprise: Enterprise
    category: Category
    channel: str
    title: str
    description: str
    steps: list[Step]
    attach: bool = False


def _dispatch_time(rng: random.Random, received: datetime.datetime) -> datetime.datetime:
    """事不过夜: the service centre passes a request on the day it arrives, before leaving the office
    or, for most evening arrivals, through the steward on duty; others the next working morning."""
    local = _local(received)
    day = local.date()
    if _working(day):
        if local.time() < OFFICE_OPEN:
            return at(day, 8, 35) + datetime.timedelta(minutes=rng.randint(0, 60))
        if local.time() < OFFICE_CLOSE:
            latest = max(received + datetime.timedelta(minutes=5), at(day, 17, 55))
            return min(received + datetime.timedelta(minutes=rng.randint(5, 90)), latest)
        if rng.random() < 0.8:
            return received + datetime.timedelta(minutes=rng.randint(5, 40))
    return _office_after(received, rng, 5, 90)


def _plan_steps(
    rng: random.Random,
    *,
    received: datetime.datetime,
    days: int,
    dispatch_to: Unit,
    wrong_unit: Unit | None,
    scenario: str,
    rate_via_portal: bool,
) -> list[Step]:
    """The life of one request from its arrival; `scenario` makes some stop early or go wrong."""
    steps = [Step("file", received)]
    if scenario == "undispatched":
        return steps
    moment = _dispatch_time(rng, received)
    if wrong_unit is not None:
        steps.append(Step("dispatch", moment, {"unit": wrong_unit}))
        moment = _office_after(moment, rng, 20, 120)
        steps.append(Step("return", moment, {"reason": rng.choice(RETURN_REASONS)}))
        moment = _office_after(moment, rng, 10, 60)
    steps.append(Step("dispatch", moment, {"unit": dispatch_to}))
    if scenario == "unacknowledged":
        return steps
    response_due = sla.response_due(received)
    if rng.random() < 0.95 or scenario == "await_rating":
        ack = moment + datetime.timedelta(minutes=rng.randint(10, 150))
        if ack >= response_due:
            ack = max(
                moment + datetime.timedelta(minutes=2),
                response_due - datetime.timedelta(minutes=rng.randint(15, 90)),
            )
    else:  # late: the next working morning
        ack = max(
            at(wd(_last_day(response_due), 1), rng.randint(8, 10), rng.randint(30, 59)),
            moment + datetime.timedelta(minutes=rng.randint(5, 60)),
        )
    steps.append(Step("ack", ack))
    clock, paused = ack, 0
    if scenario == "long_wait" or rng.random() < 0.12:
        wait = _office_after(ack, rng, 60, 600)
        steps.append(Step("wait", wait, {"needed": rng.choice(WAITING_NEEDS)}))
        if scenario == "long_wait":
            return steps
        resume = _office_after(
            at(wd(_local(wait).date(), rng.randint(1, 5)), rng.randint(9, 20)), rng, 0, 120
        )
        steps.append(Step("resume", resume, {"note": rng.choice(RESUME_NOTES)}))
        paused = workcal.working_days_between(wait, resume)
        clock = resume
    if scenario == "overdue":
        return steps
    for attempt in range(2):
        due = sla.resolution_due(ack if attempt == 0 else clock, days, paused if attempt == 0 else 0)
        if scenario == "await_rating":
            resolved = _office_after(clock, rng, 60, 240)
        elif rng.random() < 0.9:
            resolved = _moment_between(rng, clock, due)
        else:
            resolved = at(wd(_last_day(due), rng.randint(1, 4)), rng.randint(9, 17), rng.randint(0, 59))
        steps.append(Step("resolve", resolved, {"reply": rng.choice(REPLIES)}))
        if scenario == "await_rating" or (scenario != "reopen" and rng.random() < 0.05):
            return steps  # the enterprise has not rated (yet)
        rated = resolved + datetime.timedelta(minutes=rng.randint(90, 3 * 24 * 60))
        if _local(rated).hour < 8 or _local(rated).hour >= 22:
            rated = at(_local(rated).date(), rng.randint(8, 21), rng.randint(0, 59))
        rated = max(rated, resolved + datetime.timedelta(minutes=30))
        low = attempt == 0 and (scenario == "reopen" or rng.random() < 0.05)
        stars = rng.choice([1, 2, 2, 3, 3, 3]) if low else rng.choices([5, 4], weights=[68, 32])[0]
        comment = rng.choice(LOW_COMMENTS) if low else rng.choice(HIGH_COMMENTS)
        via = "portal" if rate_via_portal else "link"
        steps.append(Step("rate", rated, {"stars": stars, "comment": comment, "via": via}))
        if not low:
            break
        clock, paused = rated, 0
    if rng.random() < 0.95:
        steps.append(Step("close", _office_after(steps[-1].at, rng, 60, 3 * 24 * 60)))
    return steps


def _plans(
    rng: random.Random,
    enterprises: list[Enterprise],
    users: dict[int, Person],
    categories: dict[str, Category],
    now: datetime.datetime,
) -> list[Plan]:
    units = {u.name: u for u in Unit.objects.all()}
    offices = {u.zone_id: u for u in Unit.objects.filter(kind="zone_office")}
    today = _local(now).date()
    all_days = [today - datetime.timedelta(days=i) for i in range(HISTORY_DAYS + 1)]
    # More requests on working days, and a little more lately as the desk became known.
    weights = [
        (1.0 if _working(d) else 0.1) * (1.15 - 0.35 * i / HISTORY_DAYS) for i, d in enumerate(all_days)
    ]
    own, others = enterprises[0], enterprises[1:]
    activity = list(itertools.accumulate(rng.lognormvariate(0, 0.8) for _e in others))
    shares = [c[3] for c in CATEGORIES]
    arrivals = []
    for day in rng.choices(all_days, weights=weights, k=max(_requests() - 14, 0)):
        moment = _arrival(rng, day)
        while moment >= now:
            moment = _arrival(rng, day - datetime.timedelta(days=rng.randint(1, 3)))
        arrivals.append((moment, rng.choices(others, cum_weights=activity)[0]))
    # The enterprise the demo login 孙伟 acts for: a dozen requests of its own.
    for back in (170, 151, 128, 110, 96, 71, 58, 43, 30, 21, 14, 9, 4, 1):
        day = today - datetime.timedelta(days=back)
        while not _working(day):
            day -= datetime.timedelta(days=1)
        arrivals.append((at(day, rng.randint(9, 15), rng.randint(0, 59)), own))
    arrivals.sort(key=lambda pair: pair[0])

    scenarios = _scenarios(rng, arrivals, own, now)
    plans = []
    for index, (received, enterprise) in enumerate(arrivals):
        name, days, _usual, _share, routes = CATEGORIES[
            rng.choices(range(len(CATEGORIES)), weights=shares)[0]
        ]
        target = rng.choices([u for u, _w in routes], weights=[w for _u, w in routes])[0]
        unit = offices[enterprise.zone_id] if target == "zone" else units[target]
        wrong = None
        if rng.random() < 0.025:
            wrong = rng.choice(
                [u for n, u in units.items() if n in {"经济发展局", "规划建设局", "财政局"} and u != unit]
            )
        user = users.get(enterprise.pk)
        channel = (
            Channel.PORTAL
            if user and rng.random() < 0.8
            else rng.choices(
                [Channel.WECHAT, Channel.PHONE, Channel.STEWARD, Channel.HOTLINE, Channel.VISIT],
                weights=[30, 30, 20, 10, 10],
            )[0]
        )
        title, description = rng.choice(TOPICS[name])
        short = enterprise.name.removeprefix("大连").removesuffix("有限公司")
        plans.append(
            Plan(
                enterprise=enterprise,
                category=categories[name],
                channel=channel,
                title=title,
                description=description.format(ent=short),
                attach=rng.random() < 0.04,
                steps=_plan_steps(
                    rng,
                    received=received,
                    days=days,
                    dispatch_to=unit,
                    wrong_unit=wrong,
                    scenario=scenarios.get(index, ""),
                    rate_via_portal=bool(user) and channel == Channel.PORTAL,
                ),
            )
        )
    return plans


def _scenarios(
    rng: random.Random,
    arrivals: list[tuple[datetime.datetime, Enterprise]],
    own: Enterprise,
    now: datetime.datetime,
) -> dict[int, str]:
    """A few requests that stop early or go wrong, so the queues and alerts have something to show."""

    def age(index: int) -> float:
        return (now - arrivals[index][0]).total_seconds() / 86400

    others = [i for i, (_t, e) in enumerate(arrivals) if e != own]
    picks: dict[int, str] = {}

    def pick(scenario: str, low: float, high: float, n: int, *, overdue: bool = False) -> None:
        pool: list[int] = []
        for _widen in range(4):  # look further back after a quiet spell (a long holiday)
            pool = [
                i
                for i in others
                if low <= age(i) <= high
                and i not in picks
                and (not overdue or sla.response_due(arrivals[i][0]) < now)
            ]
            if len(pool) >= n:
                break
            high *= 2
        for i in rng.sample(pool, min(n, len(pool))):
            picks[i] = scenario

    pick("undispatched", 0, 3, 3)
    pick("unacknowledged", 0.3, 5, 4, overdue=True)  # 事不过夜 broken: a response breach
    pick("overdue", 6, 25, 8)
    pick("long_wait", 4, 40, 6)
    pick("reopen", 20, 150, 8)
    own_requests = [i for i, (_t, e) in enumerate(arrivals) if e == own]
    picks[own_requests[3]] = "reopen"
    picks[own_requests[-3]] = "long_wait"  # waiting for 孙伟's company to supply something
    picks[own_requests[-2]] = "await_rating"  # resolved, waiting for 孙伟 to rate it
    return picks


# Driving the plans through the services -----------------------------------------------------------


def _handler(unit: Unit, rng: random.Random, cache: dict[int, list[Person]]) -> Person:
    if unit.pk not in cache:
        cache[unit.pk] = list(
            Person.objects.filter(
                positions__unit=unit, positions__role__in=[Role.STAFF, Role.UNIT_HEAD], is_active=True
            )
            .distinct()
            .order_by("pk")
        )
    return rng.choice(cache[unit.pk])


def _drive(
    plan: Plan,
    rng: random.Random,
    *,
    now: datetime.datetime,
    stewards: list[Person],
    user: Person | None,
    handlers: dict[int, list[Person]],
) -> tuple[ServiceRequest, list[Step]]:
    """Take one request through the steps of its plan that have happened by now."""
    steward = plan.enterprise.steward or stewards[0]
    done = [step for step in plan.steps if step.at <= now]
    filer = user if plan.channel == Channel.PORTAL and user else steward
    files = []
    if plan.attach:
        files = (
            [png_upload("现场照片.png")]
            if rng.random() < 0.5
            else [pdf_upload("情况说明.pdf", "Request details")]
        )
    request = services.request_file(
        actor=filer,
        enterprise=plan.enterprise,
        category=plan.category,
        title=plan.title,
        description=plan.description,
        channel=plan.channel,
        files=files,
    )
    handler: Person | None = None
    token = ""
    for step in done[1:]:
        if step.kind == "dispatch":
            dispatcher = steward if rng.random() < 0.7 else rng.choice(stewards)
            services.request_dispatch(
                actor=dispatcher, request=request, expected_version=None, unit=step.data["unit"]
            )
            handler = _handler(step.data["unit"], rng, handlers)
        elif step.kind == "return":
            assert handler is not None
            services.request_return(
                actor=handler, request=request, expected_version=None, reason=step.data["reason"]
            )
        elif step.kind == "ack":
            assert handler is not None
            services.request_acknowledge(actor=handler, request=request, expected_version=None)
        elif step.kind == "wait":
            assert handler is not None
            services.request_wait(
                actor=handler, request=request, expected_version=None, needed=step.data["needed"]
            )
        elif step.kind == "resume":
            assert handler is not None
            services.request_resume(
                actor=user or handler, request=request, expected_version=None, note=step.data["note"]
            )
        elif step.kind == "resolve":
            assert handler is not None
            request, token = services.request_resolve(
                actor=handler, request=request, expected_version=None, reply=step.data["reply"]
            )
        elif step.kind == "rate":
            if step.data["via"] == "portal" and user is not None:
                request = services.request_rate(
                    actor=user, request=request, stars=step.data["stars"], comment=step.data["comment"]
                )
            else:
                request = services.request_rate_by_link(
                    token=token, stars=step.data["stars"], comment=step.data["comment"]
                )
        elif step.kind == "close":
            services.request_close(actor=steward, request=request, expected_version=None)
    return request, done


def _facts(request: ServiceRequest, done: list[Step], days: int) -> dict[str, Any]:
    """The fact times of a request whose steps `done` happened at their planned times, and the
    promises (due times) the SLA functions give for those facts."""
    received = done[0].at
    facts: dict[str, Any] = {
        "received_at": received,
        "response_due_at": sla.response_due(received),
        "created_at": received,
        "updated_at": done[-1].at,
        "dispatched_at": None,
        "acknowledged_at": None,
        "resolution_due_at": None,
        "paused_at": None,
        "resolved_at": None,
        "first_resolved_at": None,
        "rated_at": None,
        "closed_at": None,
    }
    clock: datetime.datetime | None = None
    pauses: list[tuple[datetime.datetime, datetime.datetime | None]] = []
    for step in done[1:]:
        if step.kind == "dispatch":
            facts["dispatched_at"] = step.at
        elif step.kind == "return":
            facts["dispatched_at"] = None
        elif step.kind == "ack":
            facts["acknowledged_at"] = clock = step.at
        elif step.kind == "wait":
            pauses.append((step.at, None))
            facts["paused_at"] = step.at
        elif step.kind == "resume":
            pauses[-1] = (pauses[-1][0], step.at)
            facts["paused_at"] = None
        elif step.kind == "resolve":
            facts["resolved_at"] = step.at
            facts["first_resolved_at"] = facts["first_resolved_at"] or step.at
        elif step.kind == "rate":
            facts["rated_at"] = step.at
            if step.data["stars"] <= services.LOW_RATING:
                facts["resolved_at"], clock = None, step.at
        elif step.kind == "close":
            facts["closed_at"] = step.at
        if clock is not None:
            # The promise in force: the clock's start, extended by the pauses since it that have ended.
            ended = [(start, end) for start, end in pauses if start >= clock and end is not None]
            facts["resolution_due_at"] = sla.resolution_due(clock, days, sla.paused_working_days(ended))
    return facts


def _back_date(requests: list[tuple[ServiceRequest, list[Step], int]]) -> None:
    """Write the planned fact times over the times the services stamped.

    One small UPDATE per row: on SQLite that is several times faster than `bulk_update`, whose
    CASE expressions over a dozen columns cost more to build and run than the rows themselves.
    """
    by_pk = {request.pk: done for request, done, _days in requests}
    for request, done, days in requests:
        ServiceRequest.objects.filter(pk=request.pk).update(**_facts(request, done, days))
    first = min(by_pk)

    def steps(request_id: int, kind: str) -> list[Step]:
        return [step for step in by_pk[request_id] if step.kind == kind]

    # A request's pauses, ratings and rating links were created in the order of its steps.
    seen: collections.Counter[tuple[str, int]] = collections.Counter()

    def nth(table: str, request_id: int) -> int:
        seen[table, request_id] += 1
        return seen[table, request_id] - 1

    for pause in Pause.objects.filter(request_id__gte=first).order_by("request_id", "pk"):
        i = nth("pause", pause.request_id)
        ends = steps(pause.request_id, "resume")
        Pause.objects.filter(pk=pause.pk).update(
            started_at=steps(pause.request_id, "wait")[i].at, ended_at=ends[i].at if i < len(ends) else None
        )
    for rating in Rating.objects.filter(request_id__gte=first).order_by("request_id", "pk"):
        i = nth("rating", rating.request_id)
        Rating.objects.filter(pk=rating.pk).update(rated_at=steps(rating.request_id, "rate")[i].at)
    for link in RatingLink.objects.filter(request_id__gte=first).order_by("request_id", "pk"):
        i = nth("link", link.request_id)
        rates = steps(link.request_id, "rate")
        used = rates[i].at if link.used_at is not None and i < len(rates) else link.used_at
        RatingLink.objects.filter(pk=link.pk).update(
            created_at=steps(link.request_id, "resolve")[i].at, used_at=used
        )
    RequestAttachment.objects.filter(request_id__gte=first).update(
        uploaded_at=Subquery(
            ServiceRequest.objects.filter(pk=OuterRef("request_id")).values("received_at")[:1]
        )
    )


# Inbox --------------------------------------------------------------------------------------------

# The fact each notification about a request announced (the first one known), and the state in
# which it still asks its recipient for something; otherwise it was read long ago.
NOTICE_FACTS: dict[str, tuple[list[str], str | None]] = {
    "request_received": (["received_at"], S.RECEIVED),
    "request_returned": (["received_at"], S.RECEIVED),
    "request_dispatched": (["dispatched_at", "received_at"], S.DISPATCHED),
    "request_acknowledged": (["acknowledged_at", "received_at"], None),
    "request_waiting": (["paused_at", "acknowledged_at", "received_at"], S.WAITING),
    "request_resumed": (["acknowledged_at", "received_at"], None),
    "request_resolved": (["first_resolved_at", "received_at"], S.RESOLVED),
    "request_reopened": (["rated_at", "received_at"], None),
}


def _tidy_inbox(after_pk: int) -> None:
    """Date the notifications the demo's history produced by their facts, and mark those read whose
    request has moved on, so inboxes show what is waiting today rather than six months of news.

    Runs after the commit, once the services' own notifications (posted after commit) exist.
    """
    notices = Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest), pk__gt=after_pk
    )
    request = ServiceRequest.objects.filter(pk=Cast(OuterRef("object_id"), IntegerField()))
    for notice_kind, (facts, open_state) in NOTICE_FACTS.items():
        rows = notices.filter(kind=notice_kind)
        moments = [Subquery(request.values(f)[:1], output_field=DateTimeField()) for f in facts]
        rows.update(created_at=Coalesce(*moments, F("created_at")))
        if open_state is not None:
            rows = rows.exclude(Exists(request.filter(state=open_state)))
        rows.update(read_at=F("created_at") + datetime.timedelta(hours=1))


# Loading ------------------------------------------------------------------------------------------


def _demo_organisation() -> bool:
    """Whether the demo's organisation is in place: the units requests go to, the zones' offices
    and the demo login of the enterprise user."""
    names = {usual for _n, _d, usual, _s, _r in CATEGORIES} | {
        unit for *_rest, routes in CATEGORIES for unit, _w in routes if unit != "zone"
    }
    units = Unit.objects.filter(name__in=names).count() == len(names)
    offices = set(Unit.objects.filter(kind="zone_office").values_list("zone__code", flat=True))
    return (
        units and set(ENTERPRISE_KINDS) <= offices and Person.objects.filter(username="enterprise").exists()
    )


def load_service(*, actor: Person, rng: random.Random) -> bool:
    """Create the demo enterprises and requests unless the service desk holds any. Returns whether
    anything was created."""
    if Enterprise.objects.exists() or Category.objects.exists() or ServiceRequest.objects.exists():
        return False
    stewards = _stewards()
    if not stewards or not _demo_organisation():
        return False  # an organisation of its own, not the demo's: leave the desk empty
    last_notice = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    units = {u.name: u for u in Unit.objects.all()}
    categories = {
        name: Category.objects.create(name=name, resolution_days=days, default_unit=units[usual], sort=sort)
        for sort, (name, days, usual, _share, _routes) in enumerate(CATEGORIES, start=1)
    }
    # Categories are configuration without a service of their own; record their creation all the same.
    for category in categories.values():
        audit_record(actor=actor, obj=category, action="create")
    used_names = set(Person.objects.values_list("name", flat=True))
    enterprises = _load_enterprises(actor, rng, stewards, used_names)
    users = _enterprise_users(actor, enterprises, rng)
    now = timezone.now()
    handlers: dict[int, list[Person]] = {}
    driven = []
    for plan in _plans(rng, enterprises, users, categories, now):
        request, done = _drive(
            plan, rng, now=now, stewards=stewards, user=users.get(plan.enterprise.pk), handlers=handlers
        )
        driven.append((request, done, plan.category.resolution_days))
    _back_date(driven)
    recode_by_year(
        [r for r, _d, _n in driven],
        prefix="SR",
        width=5,
        dated=[_local(done[0].at).date() for _r, done, _n in driven],
    )
    services.sla_sweep()
    transaction.on_commit(lambda: _tidy_inbox(last_notice))
    return True
