"""The demo organisation, taken from the report of the zone's cadre meeting (seed/)."""

from __future__ import annotations

ZONES = [
    # (code, name, positioning, industries)
    (
        "xinriben",
        "新日本工业团地",
        "以国际化视野高标准打造新日本工业团地，建设具有沉浸式体验的日式风情小镇；深耕汽车产业园，打造智能汽车、新能源汽车研发、示范、测试、培训全链条园区。",
        "日资制造、智能汽车、新能源汽车",
    ),
    (
        "sanshilipu",
        "三十里堡临港工业区",
        "积极谋划大连市农产品一级批发市场，发展成为辐射带动大连市全域的贸易集散中心。",
        "农产品批发、商贸物流",
    ),
    (
        "songmudao",
        "松木岛化工园区",
        "集聚更多“小而美”的新材料及精细化工企业，加速产业能级提升，打造“东北最大精细化工产业基地”。",
        "精细化工、新材料",
    ),
    (
        "kechuang",
        "金普科创学园",
        "利用好“金字招牌”，以科技创新、高等教育为核心，打造产学研高度协同的智慧、共享、开放、生态型学园。",
        "高等教育、科研院所、科技服务",
    ),
    (
        "gaotie",
        "高铁核心区",
        "谋划建设大连东北亚国际会展中心，打造大连市规模最大、承载力最强、功能配套最齐全，多业态组合、多目的地聚合的东北亚展贸集群。",
        "会展、商贸服务",
    ),
    (
        "wanbei",
        "湾北核心区",
        "探索建设高科技产业集聚区，以打造高科技和信息产业人才集中地为目标导向，建设“大连前沿半导体科技创新中心”，打造“中国北硅谷”。",
        "半导体、集成电路、信息技术",
    ),
    (
        "shanhe",
        "山河建材产业园",
        "深挖市场潜力，打造绿色建材产业，加快推进装配式建筑发展步伐。",
        "绿色建材、装配式建筑",
    ),
]

AUTHORITY = "金普新区"
COMMITTEE = "普湾经济区管理委员会"

# (name, short name, kind, zone code or None)
UNITS = [
    ("党政办公室", "党政办", "department", None),
    ("督查室", "督查室", "department", None),
    ("组织人事部", "组织人事部", "department", None),
    ("招商局", "招商局", "department", None),
    ("经济发展局", "经发局", "department", None),
    ("规划建设局", "规建局", "department", None),
    ("财政局", "财政局", "department", None),
    ("企业服务中心", "企服中心", "department", None),
    ("自然资源局", "自然资源局", "department", None),
    ("新日本工业团地片区管理办公室", "新日本片区办", "zone_office", "xinriben"),
    ("三十里堡临港工业区片区管理办公室", "三十里堡片区办", "zone_office", "sanshilipu"),
    ("松木岛化工园区片区管理办公室", "松木岛片区办", "zone_office", "songmudao"),
    ("金普科创学园片区管理办公室", "科创学园片区办", "zone_office", "kechuang"),
    ("高铁核心区片区管理办公室", "高铁片区办", "zone_office", "gaotie"),
    ("湾北核心区片区管理办公室", "湾北片区办", "zone_office", "wanbei"),
    ("山河建材产业园片区管理办公室", "山河片区办", "zone_office", "shanhe"),
    ("普湾发展集团有限公司", "普湾发展集团", "soe", None),
    ("普湾建设投资有限公司", "普湾建投", "soe", None),
    ("普湾产业园区运营有限公司", "园区运营公司", "soe", None),
]

DEMO_PASSWORD = "puwan-demo-2026"

# The demo logins, one per role: (username, name, role label, unit or None, role, title, principal)
DEMO_LOGINS = [
    ("leader", "王振华", "主要领导", COMMITTEE, "leader", "管委会主任", True),
    ("deputy", "李建明", "分管领导", COMMITTEE, "leader", "管委会副主任", False),
    ("supervisor", "周敏", "督查室", "督查室", "supervisor", "督查室主任", False),
    ("head", "陈刚", "单位负责人", "招商局", "unit_head", "招商局局长", False),
    ("staff", "刘洋", "工作人员", "招商局", "staff", "招商专员", False),
    ("steward", "赵丽", "企业服务专员", "企业服务中心", "steward", "企业服务专员", False),
    ("enterprise", "孙伟", "企业用户", None, "enterprise", "企业联系人", False),
]

# The deputy director oversees these units (分管).
DEPUTY_OVERSEES = [
    "招商局",
    "湾北核心区片区管理办公室",
    "新日本工业团地片区管理办公室",
    "高铁核心区片区管理办公室",
]

SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞宇浩然晨旭东海波宁欣怡佳琪子涵梓轩俊杰思远志强雪梅玉兰丹丹春燕"

# The other leaders in charge, so every unit has one: (username, name, title, units overseen).
OTHER_LEADERS = [
    (
        "zhangzy",
        "张志远",
        "管委会副主任",
        [
            "经济发展局",
            "规划建设局",
            "自然资源局",
            "松木岛化工园区片区管理办公室",
            "山河建材产业园片区管理办公室",
            "普湾建设投资有限公司",
        ],
    ),
    (
        "liuht",
        "刘海涛",
        "管委会副主任",
        [
            "企业服务中心",
            "组织人事部",
            "党政办公室",
            "督查室",
            "财政局",
            "三十里堡临港工业区片区管理办公室",
            "金普科创学园片区管理办公室",
            "普湾发展集团有限公司",
            "普湾产业园区运营有限公司",
        ],
    ),
]
