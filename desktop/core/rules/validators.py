"""Checks for the everyday fields of a roster: phone, bank account, numbers, dates, yes/no.

Rosters arrive from Excel, typed by many hands: full-width digits from Chinese input methods,
spaces and dashes for readability, long numbers silently turned into floats by Excel. Each
function here accepts what a cell may really hold, returns the normalised value, and reports what
it cannot fix as a Problem with a sentence the cadre can act on. Nothing here touches a database.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from desktop.core.i18n import _
from desktop.core.rules.problems import Checked, Problem

# --- shared text cleaning (also used by idnumber) ---------------------------------------------

_SPACES = " \t\r\n\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"

# Full-width ASCII (U+FF01..U+FF5E) to ASCII, then spaces and dashes removed, in one translate.
_COMPACT_TABLE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_COMPACT_TABLE.update({ord(ch): None for ch in _SPACES + _DASHES})
_WIDTH_TABLE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE.update({0x3000: 0x20, 0x00A0: 0x20})

# Excel keeps 15 significant digits; any whole number below 10**15 survives a float exactly.
EXCEL_EXACT_LIMIT = 10**15

_NUMERIC_TEXT = re.compile(r"[+-]?\d+(\.\d*)?(E[+-]?\d+)?")


class DigitsLost(ValueError):
    """A long number went through a spreadsheet float and its last digits are gone."""


def compact_text(text: str) -> str:
    """Full-width to half-width, spaces (NBSP, ideographic, zero-width) and dashes removed.

    A leading apostrophe, which Excel users type to force text, is dropped as well."""
    return text.translate(_COMPACT_TABLE).lstrip("'`")


def half_width(text: str) -> str:
    """Full-width to half-width and odd spaces to plain spaces, keeping the spaces."""
    return text.translate(_WIDTH_TABLE).strip()


def digits_of_number(number: int | float | Decimal) -> str:
    """The digits of a whole number a spreadsheet handed us.

    Ints are exact. Floats (Excel's only number type) are exact below 10**15; above that the
    last digits were replaced by zeros when the cell became a number, so we refuse to guess
    (DigitsLost). Fractions and NaN raise ValueError."""
    if isinstance(number, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError("not a whole number")
        if abs(number) >= EXCEL_EXACT_LIMIT:
            raise DigitsLost(repr(number))
        return str(int(number))
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError("not a whole number")
    return str(int(number))


def digits_of_numeric_text(text: str) -> str | None:
    """Digits of text that is a number written the way a float prints ('1.3E+14', '123.0').

    Returns None when the text is not such a number (plain digit strings are left to the
    caller); raises DigitsLost when it has more digits than a float could have kept."""
    upper = text.upper()
    if "." not in upper and "E" not in upper:
        return None
    if _NUMERIC_TEXT.fullmatch(upper) is None:
        return None
    try:
        number = Decimal(upper)
    except InvalidOperation:
        return None
    if number != number.to_integral_value():
        return None
    whole = int(number)
    if abs(whole) >= EXCEL_EXACT_LIMIT:
        raise DigitsLost(text)
    return str(whole)


def mask_middle(text: str, keep_head: int, keep_tail: int) -> str:
    """Replace the middle with stars. Text too short to hide at least half of it (and at least 4
    characters) is hidden whole, so a mask never gives away most of a short or truncated number."""
    n = len(text)
    if n - keep_head - keep_tail < max(4, n // 2):
        return "*" * n
    return text[:keep_head] + "*" * (n - keep_head - keep_tail) + text[n - keep_tail :]


# --- phone -------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_3 = re.compile(r"(010|02\d)([1-9]\d{6,7})")
_LANDLINE_4 = re.compile(r"(0[3-9]\d{2})([1-9]\d{6,7})")
_LOCAL_ONLY = re.compile(r"[2-9]\d{6,7}")
_PHONE_SEPARATORS = re.compile(r"[/、,，;；|]|\d\s*或\s*\d")


def validate_phone(raw: object, *, required: bool = True) -> Checked[str]:
    """A China mobile (11 digits, 13–19) or a landline with area code.

    Normalised forms: mobiles '13800138000', landlines '0851-12345678' (3-digit area codes for
    Beijing 010 and 02x, 4 digits elsewhere)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            return Checked(
                None, [Problem("phone.empty", _("联系电话为空，请填写手机号或带区号的固定电话。"))]
            )
        return Checked(None, [])
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            text = digits_of_number(raw)
        except ValueError:
            return Checked(None, [_phone_format_problem()])
    elif isinstance(raw, str):
        if _PHONE_SEPARATORS.search(half_width(raw)):
            return Checked(
                None,
                [
                    Problem(
                        "phone.multiple",
                        _("联系电话一栏只能填一个号码。请保留最常用的一个，其余写到备注里。"),
                    )
                ],
            )
        text = compact_text(raw).replace("(", "").replace(")", "")
        try:
            numeric = digits_of_numeric_text(text)
        except DigitsLost:
            numeric = None
        if numeric is not None:
            text = numeric
    else:
        return Checked(None, [_phone_format_problem()])

    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86") and _MOBILE.fullmatch(text[2:]):
        text = text[2:]

    if _MOBILE.fullmatch(text):
        return Checked(text, [])
    for pattern in (_LANDLINE_3, _LANDLINE_4):
        match = pattern.fullmatch(text)
        if match:
            return Checked(f"{match.group(1)}-{match.group(2)}", [])
    if _LOCAL_ONLY.fullmatch(text):
        return Checked(
            text,
            [
                Problem(
                    "phone.no_area_code",
                    _("固定电话缺少区号。请在号码前加上区号，例如 0851-12345678。"),
                )
            ],
        )
    if text.isascii() and text.isdigit() and text.startswith("1") and len(text) != 11:
        return Checked(
            text,
            [
                Problem(
                    "phone.mobile_length",
                    _("手机号应为11位数字，现在是{n}位。请向本人核实号码。").format(n=len(text)),
                )
            ],
        )
    return Checked(text or None, [_phone_format_problem()])


def _phone_format_problem() -> Problem:
    return Problem(
        "phone.format",
        _("联系电话格式不对。请填写11位手机号，或带区号的固定电话，例如 0851-12345678。"),
    )


def mask_phone(phone: str) -> str:
    """For public notices: mobiles as 138****5678, landlines keep the area code and last 4."""
    checked = validate_phone(phone, required=False)
    value = checked.value
    if checked.ok and value:
        if "-" in value:
            area, local = value.split("-", 1)
            return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
        return value[:3] + "****" + value[7:]
    return mask_middle(compact_text(phone), 0, 4)


# --- bank account ------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The mod-10 check most bank cards carry in their last digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def validate_bank_account(raw: object, *, required: bool = True) -> Checked[str]:
    """A bank card or passbook (折) account of 16–19 digits, spaces removed.

    A failed Luhn check is only a warning: many rural credit cooperative passbook numbers do not
    carry a Luhn digit, and refusing them would block direct payments to the household."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            return Checked(
                None, [Problem("bank.empty", _("银行账号为空，请对照存折或银行卡填写。"))]
            )
        return Checked(None, [])
    lost = Problem(
        "bank.excel_number",
        _(
            "银行账号已被 Excel 转成数字，末几位已丢失，无法自动恢复。"
            "请对照存折或银行卡重新录入，并把这一列设为“文本”格式。"
        ),
    )
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            text = digits_of_number(raw)
        except DigitsLost:
            return Checked(None, [lost])
        except ValueError:
            return Checked(None, [_bank_characters_problem()])
    elif isinstance(raw, str):
        text = compact_text(raw)
        try:
            numeric = digits_of_numeric_text(text)
        except DigitsLost:
            return Checked(None, [lost])
        if numeric is not None:
            text = numeric
    else:
        return Checked(None, [_bank_characters_problem()])

    if not (text.isascii() and text.isdigit()):
        return Checked(text, [_bank_characters_problem()])
    if not 16 <= len(text) <= 19:
        return Checked(
            text,
            [
                Problem(
                    "bank.length",
                    _("银行账号应为16到19位数字，现在是{n}位。请对照存折或银行卡核对。").format(
                        n=len(text)
                    ),
                )
            ],
        )
    if not luhn_ok(text):
        return Checked(
            text,
            [
                Problem(
                    "bank.luhn",
                    _(
                        "银行账号没有通过银行卡校验。若是农村信用社存折号码可以忽略；"
                        "若是银行卡，请逐位核对。"
                    ),
                    "warning",
                )
            ],
        )
    return Checked(text, [])


def _bank_characters_problem() -> Problem:
    return Problem(
        "bank.characters",
        _("银行账号只能由数字组成。请对照存折或银行卡重新填写。"),
    )


def mask_bank_account(account: str) -> str:
    """First 4 and last 4 digits, the rest as stars: 6222***********1234."""
    return mask_middle(compact_text(account), 4, 4)


# --- numbers -----------------------------------------------------------------------------------


def _format_number(number: float) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def validate_number_range(
    value: object,
    minimum: float | None,
    maximum: float | None,
    field_label: str,
    *,
    required: bool = True,
) -> Checked[float]:
    """A number (int, float, Decimal, or text such as '1,234.5' or full-width '１２') within
    [minimum, maximum]; either bound may be None. Text keeps int-ness: '12' gives 12."""
    number: float
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            return Checked(
                None,
                [Problem("number.empty", _("{field}为空，请填写数字。").format(field=field_label))],
            )
        return Checked(None, [])
    not_a_number = Problem(
        "number.format",
        _("{field}应为数字（不带单位），现在是“{text}”。").format(field=field_label, text=value),
    )
    if isinstance(value, bool):
        return Checked(None, [not_a_number])
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, Decimal):
        number = float(value)
    elif isinstance(value, str):
        text = compact_text(value).replace(",", "").replace("，", "")
        try:
            number = int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            return Checked(None, [not_a_number])
        if not text.isascii():
            return Checked(None, [not_a_number])
    else:
        return Checked(None, [not_a_number])
    if isinstance(number, float) and not math.isfinite(number):
        return Checked(None, [not_a_number])

    too_small = minimum is not None and number < minimum
    too_big = maximum is not None and number > maximum
    if not (too_small or too_big):
        return Checked(number, [])
    shown = _format_number(number)
    if minimum is not None and maximum is not None:
        message = _("{field}应在{minimum}到{maximum}之间，现在是{value}。请核对。").format(
            field=field_label,
            minimum=_format_number(minimum),
            maximum=_format_number(maximum),
            value=shown,
        )
    elif too_small:
        message = _("{field}不能小于{minimum}，现在是{value}。请核对。").format(
            field=field_label, minimum=_format_number(minimum or 0), value=shown
        )
    else:
        message = _("{field}不能大于{maximum}，现在是{value}。请核对。").format(
            field=field_label, maximum=_format_number(maximum or 0), value=shown
        )
    return Checked(number, [Problem("number.range", message)])


# --- dates -------------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1900-03-01 because Excel counts 1900-02-29
_EXCEL_MAX_SERIAL = (date(9999, 12, 31) - _EXCEL_EPOCH).days
_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def excel_serial_to_date(serial: float) -> date | None:
    """Excel's 1900 date system, including its fictional 1900-02-29 (serial 60, refused)."""
    whole = math.floor(serial)
    if whole < 1 or whole > _EXCEL_MAX_SERIAL or whole == 60:
        return None
    if whole < 60:
        return _EXCEL_EPOCH + timedelta(days=whole + 1)
    return _EXCEL_EPOCH + timedelta(days=whole)


def parse_date(raw: object, field_label: str | None = None) -> date | Problem:
    """A date from whatever a cell holds: date/datetime, '2024-03-05', '2024/3/5',
    '2024.3.5', '2024年3月5日', '20240305' (text or number), or an Excel serial number."""
    label = field_label or _("日期")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Problem(
            "date.empty", _("{field}为空，请填写日期，例如 2024-03-05。").format(field=label)
        )
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text: str
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if isinstance(raw, float) and not math.isfinite(raw):
            return _date_format_problem(label, str(raw))
        if 10_000_000 <= raw <= 99_999_999 and float(raw).is_integer():
            text = str(int(raw))  # 20240305 typed into a number cell
        else:
            day = excel_serial_to_date(raw)
            if day is None:
                return _date_format_problem(label, str(raw))
            return day
    elif isinstance(raw, str):
        text = half_width(raw).replace(" ", "") if "年" in raw else half_width(raw)
    else:
        return _date_format_problem(label, str(raw))

    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day_of_month = (int(g) for g in match.groups())
            try:
                return date(year, month, day_of_month)
            except ValueError:
                return Problem(
                    "date.invalid",
                    _(
                        "{field}“{text}”不是真实存在的日期（请看月份和日子，例如平年2月没有29日）。请核对。"
                    ).format(field=label, text=text),
                )
    return _date_format_problem(label, text)


def _date_format_problem(label: str, text: str) -> Problem:
    return Problem(
        "date.format",
        _("{field}“{text}”无法识别。请写成 2024-03-05 或 2024年3月5日。").format(
            field=label, text=text
        ),
    )


# --- yes / no ----------------------------------------------------------------------------------

_YES = frozenset({"是", "有", "Y", "YES", "T", "TRUE", "1", "√", "✓", "✔", "对"})
_NO = frozenset({"否", "无", "没有", "N", "NO", "F", "FALSE", "0", "×", "✗", "✘", "不是"})


def parse_yes_no(raw: object, field_label: str | None = None) -> bool | Problem:
    """是/否 and the other ways people write it: Y/N, yes/no, true/false, 1/0, √/×, 有/无."""
    label = field_label or _("该项")
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Problem("yes_no.empty", _("{field}为空，请填写“是”或“否”。").format(field=label))
    if isinstance(raw, str):
        key = compact_text(raw).upper()
        if key in _YES:
            return True
        if key in _NO:
            return False
    return Problem(
        "yes_no.format",
        _("{field}只能填“是”或“否”，现在是“{text}”。").format(field=label, text=raw),
    )
