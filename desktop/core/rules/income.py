"""Income measurement (收入测算) as the national forms define it.

家庭纯收入 = 工资性收入 + 生产经营性收入 + 财产性收入 + 转移性收入 − 生产经营性支出, and
人均纯收入 = 家庭纯收入 ÷ 家庭人口. The result is compared with the year's poverty line and
monitoring band from the county rule file, so the ledger, the checks and the GUI agree on one
number and one verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from desktop.core.i18n import _
from desktop.core.rules.rulefile import Rules, default_rules

#: The items added up, in the order the forms list them.
INCOME_ITEMS: tuple[str, ...] = ("wage", "business", "property", "transfer")
#: The item subtracted.
COST_ITEM = "business_cost"
ALL_ITEMS: tuple[str, ...] = (*INCOME_ITEMS, COST_ITEM)

ITEM_LABELS: dict[str, str] = {
    "wage": "工资性收入",
    "business": "生产经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
    "business_cost": "生产经营性支出",
}

Position = Literal["below_line", "within_band", "above_band"]


def item_label(item: str) -> str:
    """The Chinese (or English) name of an income item, for forms and reports."""
    return _(ITEM_LABELS[item])


def _amount(items: Mapping[str, object], name: str) -> float:
    value = items.get(name)
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            _("{item}应为数字，现在是“{value}”。").format(item=item_label(name), value=value)
        )
    return float(value)


def net_income(items: Mapping[str, object]) -> float:
    """家庭纯收入: the four income items minus business costs (missing items count as 0)."""
    total = sum(_amount(items, name) for name in INCOME_ITEMS) - _amount(items, COST_ITEM)
    return round(total, 2)


def per_capita(net: float, size: int) -> float:
    """人均纯收入, rounded to the fen. A household of 0 people has no per-capita income."""
    if size <= 0:
        raise ValueError(_("家庭人口为0，无法计算人均纯收入。请先登记家庭成员。"))
    return round(net / size, 2)


def compare_to_line(per_capita_income: float, year: int, rules: Rules | None = None) -> Position:
    """Where a per-capita income stands in ``year``: below the poverty line, within the
    monitoring band (at or above the line, below the band's limit), or above the band."""
    rules = rules or default_rules()
    if per_capita_income < rules.poverty_line(year):
        return "below_line"
    if per_capita_income < rules.monitoring_band(year):
        return "within_band"
    return "above_band"


POSITION_LABELS: dict[str, str] = {
    "below_line": "低于贫困线",
    "within_band": "在监测范围内",
    "above_band": "高于监测标准",
}


def position_label(position: str) -> str:
    return _(POSITION_LABELS[position])


@dataclass(frozen=True, slots=True)
class IncomeVerdict:
    """One year's income measured against that year's line and band, ready to show.

    ``level`` is a Position ('below_line', 'within_band', 'above_band'); when the household has
    no members yet ``per_capita`` is None and ``level`` is ''."""

    year: int
    net: float
    per_capita: float | None
    line: float
    band: float
    level: str
    message: str


def assess(
    year: int, items: Mapping[str, object], size: int, rules: Rules | None = None
) -> IncomeVerdict:
    """Net and per-capita income for ``year`` and where it stands (the income tab and ledger)."""
    rules = rules or default_rules()
    net = net_income(items)
    line, band = rules.poverty_line(year), rules.monitoring_band(year)
    if size <= 0:
        message = _("家庭人口为0，无法计算人均纯收入。请先登记家庭成员。")
        return IncomeVerdict(year, net, None, line, band, "", message)
    value = per_capita(net, size)
    level = compare_to_line(value, year, rules)
    message = {
        "below_line": _("低于{year}年贫困线（{line:g}元）。"),
        "within_band": _("不低于{year}年贫困线（{line:g}元），但低于监测标准（{band:g}元）。"),
        "above_band": _("高于{year}年监测标准（{band:g}元）。"),
    }[level].format(year=year, line=line, band=band)
    return IncomeVerdict(year, net, value, line, band, level, message)
