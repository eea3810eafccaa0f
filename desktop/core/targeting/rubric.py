"""The quantified scoring rubric ("四看法" / "五看五比"): a county-editable points table.

No national points table exists, so the rubric is a TOML file: indicators with a weight, each
derived from a named household metric (metrics.py) through options with points. A cadre who saw
something the data does not show may answer an indicator by hand (an override); the breakdown
says which answers were derived and which were given. More points = more in need; villages rank
their applicants by the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.facts import HouseholdFacts
from desktop.core.targeting.metrics import METRICS, TEXT_METRICS
from desktop.core.targeting.tomlfile import Checker, Where, read_toml


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    points: float
    equals: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    otherwise: bool = False

    def matches(self, value: float | str | None) -> bool:
        if self.otherwise:
            return True
        if value is None:
            return False
        if self.equals:
            return str(value) in self.equals
        number = float(value)
        return (self.minimum is None or number >= self.minimum) and (
            self.maximum is None or number < self.maximum
        )


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    weight: float
    metric: str
    options: tuple[Option, ...]
    manual: bool = True

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class Rubric:
    path: Path
    name: str
    indicators: tuple[Indicator, ...]

    @property
    def max_score(self) -> float:
        return round(sum(i.weight * max(o.points for o in i.options) for i in self.indicators), 2)


@dataclass(frozen=True)
class IndicatorScore:
    """One line of the breakdown."""

    indicator: str
    label: str
    option: str | None
    option_label: str
    points: float
    weight: float
    weighted: float
    value: float | str | None
    manual: bool
    reason: str


@dataclass(frozen=True)
class HouseholdScore:
    household_id: str
    number: str
    head_name: str
    total: float
    max_score: float
    breakdown: tuple[IndicatorScore, ...]
    complete: bool  # every indicator answered (derived or by hand)
    rank: int = 0


# ----------------------------------------------------------------------------- loading
def load_rubric(path: Path | str) -> Rubric:
    document, locator = read_toml(path)
    check = Checker(locator)
    check.only_known(document, (), ("rubric", "indicators"))
    head = check.table(document.get("rubric"), ("rubric",))
    check.only_known(head, ("rubric",), ("name", "note"))
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for index, item in enumerate(check.array(document.get("indicators"), ("indicators",))):
        where: Where = ("indicators", index)
        check.only_known(item, where, ("code", "label", "weight", "metric", "manual", "options"))
        code = check.text(item, where, "code")
        if code in seen:
            raise check.fail((*where, "code"), _("指标代码“{code}”重复。").format(code=code))
        seen.add(code)
        metric = check.text(item, where, "metric")
        if metric not in METRICS:
            raise check.fail(
                (*where, "metric"),
                _("“{metric}”不是可用的数据项。可用：{known}。").format(
                    metric=metric, known="、".join(METRICS)
                ),
            )
        weight = float(check.number(item, where, "weight"))
        if weight <= 0:
            raise check.fail((*where, "weight"), _("权重应大于0。"))
        options = _options(check, item.get("options"), where, metric)
        indicators.append(
            Indicator(
                code=code,
                label=check.text(item, where, "label"),
                weight=weight,
                metric=metric,
                options=options,
                manual=check.flag(item, where, "manual", True),
            )
        )
    return Rubric(Path(path), check.text(head, ("rubric",), "name"), tuple(indicators))


def _options(check: Checker, value: object, where: Where, metric: str) -> tuple[Option, ...]:
    items = check.array(value, (*where, "options"))
    options: list[Option] = []
    codes: set[str] = set()
    for index, item in enumerate(items):
        at: Where = (*where, "options", index)
        check.only_known(item, at, ("code", "label", "points", "equals", "min", "max", "otherwise"))
        code = check.text(item, at, "code")
        if code in codes:
            raise check.fail((*at, "code"), _("选项代码“{code}”重复。").format(code=code))
        codes.add(code)
        equals = tuple(check.strings(item, at, "equals"))
        low = check.number(item, at, "min", minimum=-1e12) if "min" in item else None
        high = check.number(item, at, "max", minimum=-1e12) if "max" in item else None
        otherwise = check.flag(item, at, "otherwise")
        if equals and metric not in TEXT_METRICS:
            raise check.fail(
                (*at, "equals"),
                _("数据项“{metric}”是数字，请用 min / max 而不是 equals。").format(metric=metric),
            )
        if (low is not None or high is not None) and metric in TEXT_METRICS:
            raise check.fail(
                (*at, "min" if low is not None else "max"),
                _("数据项“{metric}”是代码，请用 equals 列出代码。").format(metric=metric),
            )
        if not (equals or low is not None or high is not None or otherwise):
            raise check.fail(at, _("选项要写明条件：equals、min / max，或 otherwise = true。"))
        if low is not None and high is not None and low >= high:
            raise check.fail((*at, "min"), _("“min”应小于“max”。"))
        options.append(
            Option(
                code=code,
                label=check.text(item, at, "label"),
                points=float(check.number(item, at, "points")),
                equals=equals,
                minimum=float(low) if low is not None else None,
                maximum=float(high) if high is not None else None,
                otherwise=otherwise,
            )
        )
    return tuple(options)


# ----------------------------------------------------------------------------- scoring
def score(
    rubric: Rubric,
    facts: HouseholdFacts,
    today: date,
    answers: Mapping[str, str] | None = None,
) -> HouseholdScore:
    """Score one household; ``answers`` maps indicator code → option code given by hand."""
    answers = answers or {}
    unknown = [code for code in answers if not any(i.code == code for i in rubric.indicators)]
    if unknown:
        raise ServiceError(_("评分表中没有指标“{code}”。").format(code="、".join(unknown)))
    lines: list[IndicatorScore] = []
    for indicator in rubric.indicators:
        value = METRICS[indicator.metric](facts, today)
        given = answers.get(indicator.code)
        option: Option | None
        if given is not None:
            if not indicator.manual:
                raise ServiceError(
                    _("指标“{label}”只能由数据计算，不能手工填写。").format(label=indicator.label)
                )
            option = indicator.option(given)
            if option is None:
                raise ServiceError(
                    _("指标“{label}”没有选项“{option}”。可用：{known}。").format(
                        label=indicator.label,
                        option=given,
                        known="、".join(o.code for o in indicator.options),
                    )
                )
            reason = _("手工评定")
        else:
            option = next((o for o in indicator.options if o.matches(value)), None)
            reason = (
                _("由数据得出（{value}）").format(value=_shown(value))
                if option is not None
                else _("缺少数据，需手工评定")
            )
        points = option.points if option else 0.0
        lines.append(
            IndicatorScore(
                indicator=indicator.code,
                label=indicator.label,
                option=option.code if option else None,
                option_label=option.label if option else "",
                points=points,
                weight=indicator.weight,
                weighted=round(points * indicator.weight, 2),
                value=value,
                manual=given is not None,
                reason=reason,
            )
        )
    household = facts.household
    return HouseholdScore(
        household_id=facts.id,
        number=str(household.get("number") or ""),
        head_name=str(household.get("head_name") or ""),
        total=round(sum(line.weighted for line in lines), 2),
        max_score=rubric.max_score,
        breakdown=tuple(lines),
        complete=all(line.option is not None for line in lines),
    )


def rank(scores: list[HouseholdScore]) -> list[HouseholdScore]:
    """Highest total first (ties share a rank, then household number order)."""
    ordered = sorted(scores, key=lambda s: (-s.total, s.number))
    ranked: list[HouseholdScore] = []
    for position, item in enumerate(ordered, start=1):
        same = ranked and ranked[-1].total == item.total
        ranked.append(replace(item, rank=ranked[-1].rank if same else position))
    return ranked


def _shown(value: float | str | None) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
