"""Accountability measures as data (DOMAIN.md, "Accountability measures"), with statutory ranges by grade."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class MeasureKind:
    code: str
    label: str
    family: str
    family_label: str
    period_months: int | None = None  # how long a 政务处分 weighs on a career (公职人员政务处分法 Art 8)
    permanent: bool = False  # weighs without end (开除: no 处分期间, the post is gone)
    needs_person: bool = False
    needs_article: bool = False
    needs_amount: bool = False
    channel: str = ""  # DESIGN §6: exactly one per form
    fits: frozenset = frozenset()  # subject kinds the form applies to (SubjectKind below)


class Channel:
    """DESIGN §6 measure channels, with the report section each belongs to."""

    CRIMINAL = "criminal"
    PARTY_DISCIPLINE = "party_discipline"
    GOVERNMENT_SANCTION = "government_sanction"
    ACCOUNTABILITY = "accountability"
    ORGANISATIONAL = "organisational"
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    MARKET_BAN = "market_ban"
    CREDIT = "credit"


CHANNELS = {
    Channel.CRIMINAL: "刑事",
    Channel.PARTY_DISCIPLINE: "党纪",
    Channel.GOVERNMENT_SANCTION: "政务",
    Channel.ACCOUNTABILITY: "问责",
    Channel.ORGANISATIONAL: "组织处理",
    Channel.ADMINISTRATIVE_PENALTY: "行政处罚",
    Channel.MARKET_BAN: "行业禁入",
    Channel.CREDIT: "信用惩戒",
}

# The report's three handling sections (DOMAIN.md, "Handling by channel").
SECTIONS = [
    ("judicial", "司法机关已采取措施的人员", (Channel.CRIMINAL,)),
    (
        "officials",
        "有关公职人员",
        (
            Channel.PARTY_DISCIPLINE,
            Channel.GOVERNMENT_SANCTION,
            Channel.ACCOUNTABILITY,
            Channel.ORGANISATIONAL,
        ),
    ),
    ("others", "有关单位和其他人员", (Channel.ADMINISTRATIVE_PENALTY, Channel.MARKET_BAN, Channel.CREDIT)),
]
SECTION_OF = {channel: code for code, _, channels in SECTIONS for channel in channels}


class SubjectKind:
    """Whom a record is about, for the fit of a measure."""

    PUBLIC_PERSON = "public_person"  # a person of a public body (党政机关、事业单位、基层组织)
    ENTERPRISE_PERSON = "enterprise_person"  # an enterprise's person, or another person (房东、包工头)
    ENTERPRISE = "enterprise"  # an enterprise as such (单位责任)
    PARTY_ORG = "party_org"  # a party organisation (问责条例: 检查、通报、改组)
    PUBLIC_BODY = "public_body"  # a government department or other public body as such


SUBJECT_KIND_LABELS = {
    SubjectKind.PUBLIC_PERSON: "公职人员",
    SubjectKind.ENTERPRISE_PERSON: "企业人员或其他人员",
    SubjectKind.ENTERPRISE: "生产经营单位",
    SubjectKind.PARTY_ORG: "党组织",
    SubjectKind.PUBLIC_BODY: "党政机关（单位）",
}

_PUBLIC = frozenset({SubjectKind.PUBLIC_PERSON})
_ENT_PERSON = frozenset({SubjectKind.ENTERPRISE_PERSON})
_ENTERPRISE = frozenset({SubjectKind.ENTERPRISE})
_PERSONS = frozenset({SubjectKind.PUBLIC_PERSON, SubjectKind.ENTERPRISE_PERSON})


def _family(family, family_label, rows, **common):
    return [
        MeasureKind(code, label, family, family_label, **{**common, **extra}) for code, label, extra in rows
    ]


CATALOGUE: list[MeasureKind] = [
    # 《中国共产党问责条例》(2019)
    *_family(
        "accountability",
        "问责",
        [
            ("acc_inspection", "检查（党组织）", {"fits": frozenset({SubjectKind.PARTY_ORG})}),
            ("acc_notice_org", "通报（党组织）", {"fits": frozenset({SubjectKind.PARTY_ORG})}),
            ("acc_reorganise", "改组（党组织）", {"fits": frozenset({SubjectKind.PARTY_ORG})}),
            ("acc_notice", "通报", {"needs_person": True, "fits": _PUBLIC}),
            ("acc_admonish", "诫勉", {"needs_person": True, "fits": _PUBLIC}),
            ("acc_org_handling", "组织调整或者组织处理", {"needs_person": True, "fits": _PUBLIC}),
            ("acc_discipline", "纪律处分", {"needs_person": True, "fits": _PUBLIC}),
        ],
        channel=Channel.ACCOUNTABILITY,
    ),
    # 《中国共产党纪律处分条例》
    *_family(
        "party_discipline",
        "党纪处分",
        [
            ("party_warning", "警告", {}),
            ("party_serious_warning", "严重警告", {}),
            ("party_post_removal", "撤销党内职务", {}),
            ("party_probation", "留党察看", {}),
            ("party_expulsion", "开除党籍", {}),
        ],
        needs_person=True,
        channel=Channel.PARTY_DISCIPLINE,
        fits=_PERSONS,
    ),
    # 《公职人员政务处分法》Art 7-8, with the period each weighs.
    *_family(
        "gov_sanction",
        "政务处分",
        [
            ("gov_warning", "警告", {"period_months": 6}),
            ("gov_demerit", "记过", {"period_months": 12}),
            ("gov_major_demerit", "记大过", {"period_months": 18}),
            ("gov_demotion", "降级", {"period_months": 24}),
            ("gov_dismissal", "撤职", {"period_months": 24}),
            ("gov_expulsion", "开除", {"permanent": True}),
        ],
        needs_person=True,
        channel=Channel.GOVERNMENT_SANCTION,
        fits=_PUBLIC,
    ),
    # 安委〔2018〕2号 and the 2018 规定's 问责 chapter.
    *_family(
        "leadership",
        "领导干部问责方式",
        [
            (
                "interview",
                "约谈",
                {
                    "channel": Channel.ACCOUNTABILITY,
                    "fits": frozenset(
                        {SubjectKind.PUBLIC_PERSON, SubjectKind.PUBLIC_BODY, SubjectKind.PARTY_ORG}
                    ),
                },
            ),
            ("suspend_for_review", "停职检查", {"needs_person": True}),
            ("reassign", "调整职务", {"needs_person": True}),
            ("order_resign", "责令辞职", {"needs_person": True}),
            ("demote", "降职", {"needs_person": True}),
            ("remove_from_post", "免职", {"needs_person": True}),
        ],
        channel=Channel.ORGANISATIONAL,
        fits=_PUBLIC,
    ),
    # 安全生产法 Art 94, 95, 113, 114.
    *_family(
        "enterprise_penalty",
        "生产经营单位及其负责人处罚",
        [
            (
                "principal_fine",
                "主要负责人罚款（上一年年收入百分比）",
                {"needs_person": True, "needs_amount": True, "fits": _ENT_PERSON},
            ),
            (
                "person_fine",
                "有关人员罚款",
                {"needs_person": True, "needs_amount": True, "fits": _ENT_PERSON},
            ),
            ("enterprise_fine", "生产经营单位罚款", {"needs_amount": True}),
            ("suspend_production", "责令停产停业整顿", {}),
            ("license_suspend", "暂扣有关证照", {}),
            ("license_revoke", "吊销有关证照", {}),
            ("qualification_revoke", "吊销技术服务机构资质（安全生产法第92条）", {}),
            ("close_down", "予以关闭", {}),
            (
                "industry_ban",
                "行业禁入（5年内不得担任主要负责人；重大、特别重大事故终身不得担任本行业主要负责人）",
                {"needs_person": True, "channel": Channel.MARKET_BAN, "fits": _ENT_PERSON},
            ),
            (
                "body_ban",
                "技术服务机构禁入（不得再从事安全评价、检测检验等技术服务）",
                {"channel": Channel.MARKET_BAN},
            ),
            (
                "practitioner_ban",
                "从业人员终身禁入（不得再从事安全评价、检测检验工作）",
                {"needs_person": True, "channel": Channel.MARKET_BAN, "fits": _ENT_PERSON},
            ),
        ],
        channel=Channel.ADMINISTRATIVE_PENALTY,
        fits=_ENTERPRISE,
    ),
    # 刑法: referral to the judiciary names the article.
    *_family(
        "judicial",
        "移送司法",
        [("judicial_referral", "移送司法机关", {"needs_article": True, "needs_person": True})],
        channel=Channel.CRIMINAL,
        fits=_PERSONS,
    ),
    # 应急管理部令第11号 (2023): listed for 3 years.
    *_family(
        "credit",
        "失信惩戒",
        [("dishonest_list", "列入安全生产严重失信主体名单（3年）", {"period_months": 36})],
        channel=Channel.CREDIT,
        fits=frozenset({SubjectKind.ENTERPRISE, SubjectKind.ENTERPRISE_PERSON}),
    ),
]

BY_CODE = {kind.code: kind for kind in CATALOGUE}
assert all(kind.channel in CHANNELS and kind.fits for kind in CATALOGUE), "every form has a channel and fits"

CRIMINAL_ARTICLES = {
    "134": "重大责任事故罪",
    "134-2": "强令、组织他人违章冒险作业罪",
    "134-1": "危险作业罪",
    "135": "重大劳动安全事故罪",
    "136": "危险物品肇事罪",
    "137": "工程重大安全事故罪",
    "139": "消防责任事故罪",
    "139-1": "不报、谎报安全事故罪",
    "397": "玩忽职守罪/滥用职权罪",
    "229": "提供虚假证明文件罪/出具证明文件重大失实罪",
    "138": "教育设施重大安全事故罪",
    "146": "生产、销售不符合安全标准的产品罪",
    "385": "受贿罪",
    "389": "行贿罪",
    "293": "寻衅滋事罪",
    "402": "徇私舞弊不移交刑事案件罪",
}

# 安全生产法 Art 95: the principal's fine as a share of last year's income, by grade.
PRINCIPAL_FINE_SHARE = {"general": 40, "larger": 60, "major": 80, "especially_major": 100}
# 安全生产法 Art 114: the enterprise's fine by grade (×2-5 when especially serious).
ENTERPRISE_FINE_RANGE = {
    "general": (Decimal("300000"), Decimal("1000000")),
    "larger": (Decimal("1000000"), Decimal("2000000")),
    "major": (Decimal("2000000"), Decimal("10000000")),
    "especially_major": (Decimal("10000000"), Decimal("20000000")),
}


def label_of(code: str) -> str:
    kind = BY_CODE.get(code)
    return f"{kind.family_label}：{kind.label}" if kind else code


def channel_of(code: str) -> str:
    kind = BY_CODE.get(code)
    return kind.channel if kind else ""


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    families: dict[str, list[tuple[str, str]]] = {}
    for kind in CATALOGUE:
        families.setdefault(kind.family_label, []).append((kind.code, kind.label))
    return list(families.items())


def suggested_ranges(grade: str | None) -> dict:
    """What the statutes suggest for an accident of this grade (shown next to the measure form)."""
    if not grade:
        return {}
    low, high = ENTERPRISE_FINE_RANGE[grade]
    return {
        "principal_fine_percent_of_income": PRINCIPAL_FINE_SHARE[grade],
        "enterprise_fine_yuan": [str(low), str(high)],
        "enterprise_fine_especially_serious_yuan": [str(low * 2), str(high * 5)],
        "industry_ban": "终身不得担任本行业主要负责人"
        if grade in ("major", "especially_major")
        else "5年内不得担任任何生产经营单位主要负责人",
    }
