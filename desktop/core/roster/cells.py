"""Reading one roster cell: what it means, what was fixed on the way, what cannot be used.

Each reader takes the raw cell value (str, int, float, bool, datetime or None) and returns
``Read(value, issues)``. Fixes that recover the exact value (full-width digits, '1,200', ' 3000 元',
an ID typed as a number that still has all its digits) are notes; values that cannot be used are
errors, and the value is then None so nothing wrong is written.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules import idnumber, validators
from desktop.core.rules.problems import Problem

_CAUSE_SEPARATORS = re.compile(r"[、,，;；/／\s]+")
_UNIT_SUFFIX = re.compile(r"(元|人民币|平方米|平米|㎡|m²|m2|亩|个月|月|年)$", re.IGNORECASE)
_REGION_WITH_CODE = re.compile(r"^(.*?)[(（\[【]\s*(\d{6,14})\s*[)）\]】]$")
_DIGITS = re.compile(r"^\d+$")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_NUMBER_LENGTH = 32


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning | note
    code: str
    message: str


@dataclass
class Read:
    value: Any
    issues: list[Issue] = field(default_factory=list)


def _error(code: str, message: str) -> Issue:
    return Issue("error", code, message)


def _note(code: str, message: str) -> Issue:
    return Issue("note", code, message)


def _from_problems(problems: list[Problem]) -> list[Issue]:
    return [Issue(p.severity, p.code, p.message) for p in problems]


def blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def text(raw: object, limit: int = 200) -> Read:
    """Free text: trimmed, full-width letters and digits folded; numbers written as digits."""
    if blank(raw):
        return Read(None)
    if isinstance(raw, bool):
        return Read(_("是") if raw else _("否"))
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = validators.half_width(str(raw))
    if len(value) > limit:
        return Read(None, [_error("text.too_long", _("内容太长（最多{n}个字）。").format(n=limit))])
    return Read(value)


def name(raw: object) -> Read:
    """A person's name: '张 三' becomes '张三' (spaces inside Chinese names are typing noise)."""
    read = text(raw, 40)
    if read.value is None:
        return read
    value = read.value
    if _CJK.search(value) and _SPACES.search(value):
        compact = _SPACES.sub("", value)
        return Read(compact, [_note("name.spaces", _("已去掉姓名中的空格。"))])
    return read


def household_number(raw: object) -> Read:
    """户编号 as text: digits that Excel stored as a number are turned back into text."""
    if blank(raw):
        return Read(None, [_error("number.empty", _("户编号为空。每户都要有户编号。"))])
    issues: list[Issue] = []
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            value = validators.digits_of_number(raw)
        except validators.DigitsLost:
            return Read(
                None,
                [
                    _error(
                        "number.excel_number",
                        _(
                            "户编号已被 Excel 转成数字，末几位已丢失，无法自动恢复。"
                            "请把这一列设为“文本”格式后重新录入。"
                        ),
                    )
                ],
            )
        except ValueError:
            return Read(None, [_error("number.format", _("户编号应为文字或整数。"))])
        if isinstance(raw, float):
            issues.append(_note("number.from_number", _("户编号以数字保存，已还原为文本。")))
    else:
        original = str(raw)
        value = "".join(validators.half_width(original).split())
        if value != original.strip():
            issues.append(_note("number.cleaned", _("已去掉户编号中的空格或全角字符。")))
    if len(value) > MAX_NUMBER_LENGTH:
        return Read(None, [_error("number.too_long", _("户编号太长（最多32个字符）。"))])
    return Read(value, issues)


def code(kind: str, raw: object) -> Read:
    """A coded cell: the label (or an alias, or the code itself) → the stored code."""
    if blank(raw):
        return Read(None)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    found = codes.code_for_label(kind, raw if isinstance(raw, str | int) else str(raw))
    if found is None:
        return Read(None, [_error("code.unknown", _unknown_code_message(kind))])
    return Read(found)


def _unknown_code_message(kind: str) -> str:
    entries = codes.codes(kind)
    shown = "、".join(entry.label_zh for entry in entries[:14])
    if len(entries) > 14:
        shown += _(" 等")
    return _("不是有效的{kind}。可填：{choices}。").format(
        kind=codes.kind_label(kind, "zh_CN"), choices=shown
    )


def causes(raw: object) -> Read:
    """Up to two other causes, separated by 、 , ， ; or spaces."""
    if blank(raw):
        return Read([])
    parts = [p for p in _CAUSE_SEPARATORS.split(str(raw).strip()) if p]
    found: list[str] = []
    for part in parts:
        cause = codes.code_for_label("cause", part)
        if cause is None:
            return Read(
                None,
                [
                    _error(
                        "causes.unknown",
                        _("“{part}”不是有效的致贫原因。").format(part=part)
                        + _unknown_code_message("cause"),
                    )
                ],
            )
        if cause not in found:
            found.append(cause)
    if len(found) > 2:
        return Read(
            None,
            [_error("causes.too_many", _("其他致贫原因最多填两项，用“、”隔开。"))],
        )
    return Read(found)


def number(
    raw: object, header: str, minimum: float | None = 0, maximum: float | None = None
) -> Read:
    """A number from a number cell or from text such as '1,200', '１２００' or ' 3000 元'."""
    if blank(raw):
        return Read(None)
    issues: list[Issue] = []
    value: Any = raw
    if isinstance(raw, str):
        cleaned = unicodedata.normalize("NFKC", raw).strip()
        cleaned = "".join(cleaned.split())
        cleaned = _UNIT_SUFFIX.sub("", cleaned)
        value = cleaned
    elif isinstance(raw, datetime | date):
        return Read(
            None, [_error("number.format", _("{field}应为数字，现在是日期。").format(field=header))]
        )
    checked = validators.validate_number_range(value, minimum, maximum, header, required=False)
    if checked.problems:
        return Read(None, _from_problems(checked.problems))
    result = checked.value
    if isinstance(result, float) and result.is_integer():
        result = int(result)
    if isinstance(raw, str) and str(result) != raw.strip():
        issues.append(
            _note(
                "number.from_text", _("已把“{text}”读作 {value}。").format(text=raw, value=result)
            )
        )
    return Read(result, issues)


def whole_number(raw: object, header: str, minimum: int, maximum: int) -> Read:
    read = number(raw, header, minimum, maximum)
    if read.value is None:
        return read
    if isinstance(read.value, float) and not read.value.is_integer():
        return Read(None, [_error("number.whole", _("{field}应为整数。").format(field=header))])
    return Read(int(read.value), read.issues)


def year(raw: object, header: str) -> Read:
    """A year such as 2023; a date cell or '2023年' gives its year (noted)."""
    if isinstance(raw, datetime | date):
        return Read(
            raw.year, [_note("year.from_date", _("日期已读作年度 {year}。").format(year=raw.year))]
        )
    return whole_number(raw, header, 2000, date.today().year + 1)


def yes_no(raw: object, header: str) -> Read:
    if blank(raw):
        return Read(None)
    parsed = validators.parse_yes_no(raw, header)
    if isinstance(parsed, Problem):
        return Read(None, _from_problems([parsed]))
    return Read(parsed)


def phone(raw: object) -> Read:
    checked = validators.validate_phone(raw, required=False)
    if not checked.ok:
        return Read(None, _from_problems(checked.problems))
    issues = _from_problems(checked.problems)
    if checked.value is not None and _as_text(raw) != checked.value:
        issues.append(
            _note("phone.cleaned", _("电话号码已整理为 {value}。").format(value=checked.value))
        )
    return Read(checked.value, issues)


def bank_account(raw: object) -> Read:
    checked = validators.validate_bank_account(raw, required=False)
    if not checked.ok:
        return Read(None, _from_problems(checked.problems))
    issues = _from_problems(checked.problems)
    if checked.value is not None and _as_text(raw) != checked.value:
        issues.append(
            _note("bank.cleaned", _("银行账号已整理为 {value}。").format(value=checked.value))
        )
    return Read(checked.value, issues)


def id_number(raw: object) -> Read:
    """公民身份号码 through the shared normaliser; a blank cell is a warning (newborns)."""
    if blank(raw):
        return Read(
            None,
            [
                Issue(
                    "warning",
                    "id.empty",
                    _("公民身份号码为空。请尽快对照户口簿补录，否则无法查重。"),
                )
            ],
        )
    normalised = idnumber.normalise_id_text(raw)
    issues = [_note("id.fixed", change) for change in normalised.changed]
    issues += _from_problems(normalised.problems)
    if not normalised.ok:
        return Read(None, issues)
    return Read(normalised.value, issues)


def region(raw: object) -> Read:
    """'新寨村', '新寨村(520102001001)', '新寨村（520102001001）' or just '520102001001'.

    The value is (name or None, code or None)."""
    if blank(raw):
        return Read(None)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
            return Read(None, [_error("region.format", _("区划应填写名称，或“名称(12位代码)”。"))])
        return Read((None, str(int(raw))))
    value = validators.half_width(str(raw))
    match = _REGION_WITH_CODE.match(value)
    if match:
        region_name = match.group(1).strip() or None
        return Read((region_name, match.group(2)))
    compact = "".join(value.split())
    if _DIGITS.match(compact) and len(compact) >= 6:
        return Read((None, compact))
    if len(value) > 60:
        return Read(None, [_error("text.too_long", _("区划名称太长。"))])
    return Read((value, None))


def _as_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()
