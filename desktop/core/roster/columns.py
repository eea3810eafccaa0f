"""The 建档立卡 roster template: sheet names, column headers and the fields they fill.

Headers are matched by their text in any order, so a county that reorders or adds columns still
imports. ``normalize_header`` forgives what people do to headers (full-width brackets, spaces,
line breaks, a ``*`` marking a required column, a unit in brackets), and ``aliases`` accepts the
names older county systems used for the same column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

HOUSEHOLD_SHEET = "户"
MEMBER_SHEET = "成员"
SHEET_ALIASES = {
    HOUSEHOLD_SHEET: ("户", "户信息", "户表", "贫困户", "农户", "户基本信息"),
    MEMBER_SHEET: ("成员", "家庭成员", "成员信息", "成员表", "人员", "家庭成员信息"),
}


@dataclass(frozen=True)
class Column:
    """One column of the template.

    ``kind`` says how a cell is read (see reader.py); ``target`` is where the value goes:
    ``household.<field>``, ``member.<field>``, ``income.<field>``, ``helper.<field>`` or
    ``region.<level>``. ``code_kind`` names the code table for coded columns."""

    header: str
    target: str
    kind: str
    code_kind: str | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 12
    table: str = field(init=False, compare=False)
    field: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        table, name = self.target.split(".", 1)
        object.__setattr__(self, "table", table)  # read for every cell: computed once
        object.__setattr__(self, "field", name)


HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column(
        "户编号",
        "household.number",
        "household_number",
        required=True,
        aliases=("户码", "户号", "农户编号"),
        width=20,
    ),
    Column("县", "region.county", "region", aliases=("县（市、区）", "县区", "县(区)"), width=22),
    Column(
        "乡镇",
        "region.township",
        "region",
        required=True,
        aliases=("乡", "镇", "乡镇（街道）", "乡(镇)"),
        width=22,
    ),
    Column("行政村", "region.village", "region", required=True, aliases=("村", "村委会"), width=24),
    Column(
        "村民小组", "region.group", "region", aliases=("组", "村民组", "自然村（组）"), width=22
    ),
    Column("户主姓名", "household.head_name", "name", aliases=("户主",)),
    Column(
        "联系电话",
        "household.phone",
        "phone",
        aliases=("电话", "联系方式", "手机号", "手机号码"),
        width=15,
    ),
    Column("开户银行", "household.bank_name", "text", aliases=("开户行",), width=18),
    Column(
        "银行账号",
        "household.bank_account",
        "bank",
        aliases=("银行卡号", "账号", "银行账户", "卡号"),
        width=22,
    ),
    Column("贫困户属性", "household.category", "code", "category", width=16),
    Column("识别标准", "household.standard", "code", "standard"),
    Column("主要致贫原因", "household.main_cause", "code", "cause", width=16),
    Column("其他致贫原因", "household.other_causes", "causes", "cause", width=18),
    Column("住房面积", "household.housing_area", "area"),
    Column("危房等级", "household.danger_grade", "code", "danger_grade", aliases=("住房安全等级",)),
    Column("饮水安全", "household.water_safe", "yes_no", aliases=("是否饮水安全",)),
    Column("通生活用电", "household.power_living", "yes_no", aliases=("是否通生活用电",)),
    Column("年度", "income.year", "year", aliases=("收入年度",), width=8),
    Column("工资性收入", "income.wage", "money"),
    Column("生产经营性收入", "income.business", "money", width=14),
    Column("财产性收入", "income.property", "money"),
    Column("转移性收入", "income.transfer", "signed_money"),
    Column("生产经营性支出", "income.business_cost", "money", width=14),
    Column("帮扶责任人", "helper.name", "name", aliases=("帮扶人", "帮扶责任人姓名")),
    Column("帮扶单位", "helper.unit", "text", aliases=("帮扶责任人单位",), width=18),
    Column(
        "帮扶责任人电话",
        "helper.phone",
        "phone",
        aliases=("帮扶人电话", "帮扶责任人联系电话"),
        width=15,
    ),
    Column(
        "状态",
        "household.status",
        "code",
        "household_status",
        aliases=("户状态", "脱贫状态", "贫困户状态"),
    ),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column(
        "户编号",
        "member.household_number",
        "household_number",
        required=True,
        aliases=("户码", "户号", "农户编号"),
        width=20,
    ),
    Column("姓名", "member.name", "name", required=True, aliases=("成员姓名",)),
    Column(
        "公民身份号码",
        "member.id_number",
        "id_number",
        required=True,
        aliases=("身份证号", "身份证号码", "证件号码", "身份证件号码"),
        width=22,
    ),
    Column("性别", "member.gender", "code", "gender", width=6),
    Column(
        "与户主关系",
        "member.relation",
        "code",
        "relation",
        required=True,
        aliases=("与户主的关系", "关系"),
    ),
    Column("民族", "member.ethnicity", "code", "ethnicity", width=8),
    Column("文化程度", "member.education", "code", "education"),
    Column("在校生状况", "member.school_status", "code", "school_status"),
    Column("健康状况", "member.health", "code", "health"),
    Column("劳动技能", "member.labour", "code", "labour", width=18),
    Column("务工状况", "member.work_status", "code", "work_status"),
    Column("务工时间", "member.work_months", "months", aliases=("务工月数", "务工时间（月）")),
)

COLUMNS = {HOUSEHOLD_SHEET: HOUSEHOLD_COLUMNS, MEMBER_SHEET: MEMBER_COLUMNS}

_BRACKETED_TAIL = re.compile(r"[(\[（【][^()\[\]（）【】]*[)\]）】]$")


def normalize_header(text: object) -> str:
    """'公民身份号码 *', '住房面积（m²）' and '联系\\n电话' all reduce to the bare header."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = "".join(folded.split()).strip("*＊:：")
    bare = _BRACKETED_TAIL.sub("", folded)
    return bare or folded


def _lookup(columns: tuple[Column, ...]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            found.setdefault(normalize_header(name), column)
            found.setdefault(unicodedata.normalize("NFKC", "".join(name.split())), column)
    return found


_LOOKUPS = {sheet: _lookup(columns) for sheet, columns in COLUMNS.items()}


def column_for(sheet: str, header: object) -> Column | None:
    """The template column a header cell names, or None for a column we do not know."""
    if header is None:
        return None
    lookup = _LOOKUPS[sheet]
    raw = unicodedata.normalize("NFKC", "".join(str(header).split()))
    return lookup.get(raw) or lookup.get(normalize_header(header))


def sheet_kind(name: str) -> str | None:
    """Which template sheet a worksheet name means (户 or 成员), if any."""
    key = normalize_header(name)
    for sheet, aliases in SHEET_ALIASES.items():
        if key in aliases:
            return sheet
    return None


def header_of(sheet: str, target: str) -> str | None:
    """The template header that fills ``target`` (for naming columns in reports)."""
    return next((c.header for c in COLUMNS[sheet] if c.target == target), None)
