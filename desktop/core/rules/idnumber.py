"""Chinese resident ID numbers (公民身份号码, GB 11643-1999) and 20-digit disability card numbers.

Layout of the 18 characters: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd = male, even = female), and a check character computed from the first 17 (ISO 7064 MOD 11-2).
The old 15-digit numbers drop the century and the check character. A 残疾人证号 is the holder's
18-character ID followed by the disability category (1–7) and grade (1–4).

``validate_id`` is called on every member in bulk checks (tens of thousands at once), so its
valid path allocates nothing and stays in the low microseconds. ``normalise_id_text`` is the
forgiving front door for roster cells and form fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from desktop.core.i18n import _
from desktop.core.rules.problems import Problem, has_errors
from desktop.core.rules.validators import (
    DigitsLost,
    compact_text,
    digits_of_number,
    digits_of_numeric_text,
    mask_middle,
)

IdKind = Literal["id18", "disability20"]
Gender = Literal["M", "F"]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# sum(w * (ord(c) - 48)) == sum(w * ord(c)) - 48 * sum(w): lets us weight the raw bytes.
_ASCII_ZERO_OFFSET = 48 * sum(WEIGHTS)
_LAST_CHARS = frozenset("0123456789X")

# First two digits: provinces, autonomous regions, municipalities; 71 Taiwan, 81/82 Hong Kong and
# Macao, 83 the residence permits issued to Taiwan residents.
PROVINCE_CODES = frozenset(
    f"{code}"
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    )
)

# 残疾类别 (GB/T 26341-2010): the 19th digit of a 残疾人证号; the 20th is the grade 1–4.
DISABILITY_CATEGORIES = {
    "1": "视力残疾",
    "2": "听力残疾",
    "3": "言语残疾",
    "4": "肢体残疾",
    "5": "智力残疾",
    "6": "精神残疾",
    "7": "多重残疾",
}
_EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True, slots=True)
class NormalisedId:
    """What a cell or form field held, cleaned up.

    ``value`` is the normalised text (kept even when problems remain, so the person fixing it
    sees what was read) or None when nothing usable is left. ``changed`` lists what was fixed
    automatically, in sentences a cadre can read in an import report. ``original`` is the input
    as text, so nothing the user gave us is lost."""

    value: str | None
    kind: IdKind | None
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    original: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None and not has_errors(self.problems)


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(_("计算校验位需要17位数字。"))
    return CHECK_CHARS[(sum(map(int.__mul__, first17.encode(), WEIGHTS)) - _ASCII_ZERO_OFFSET) % 11]


def upgrade_15_to_18(old: str) -> str:
    """The 18-digit number for a 15-digit one: '19' after the area code, then the check digit.

    15-digit numbers were issued only to people born in the 1900s, so the century is always 19."""
    if len(old) != 15 or not (old.isascii() and old.isdigit()):
        raise ValueError(_("只有15位数字的旧身份证号才能升级为18位。"))
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_digit(first17)


def validate_id(value: str, *, today: date | None = None) -> list[Problem]:
    """Problems with a normalised 18-character ID or 20-digit disability card number.

    Checks length, characters, province code, birth date (a real date, not in the future, not
    before 1900) and the check character; for a disability card also category and grade.
    Returns an empty list for a valid number."""
    n = len(value)
    if n != 18 and n != 20:
        return [_length_problem(n)]
    first17 = value[:17]
    if not (first17.isascii() and first17.isdigit()) or value[17] not in _LAST_CHARS:
        return [_characters_problem()]
    tail = value[18:]
    if tail and not (tail.isascii() and tail.isdigit()):
        return [_characters_problem()]

    problems: list[Problem] = []
    if first17[:2] not in PROVINCE_CODES:
        problems.append(
            Problem(
                "id.area",
                _(
                    "身份证号前两位“{code}”不是有效的省份代码。请对照户口簿或身份证核对前几位。"
                ).format(code=first17[:2]),
            )
        )
    year = int(first17[6:10])
    try:
        born = date(year, int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        problems.append(
            Problem(
                "id.birth_invalid",
                _("身份证号第7到14位应是出生日期，但“{text}”不是真实的日期。请核对这几位。").format(
                    text=first17[6:14]
                ),
            )
        )
    else:
        if year < _EARLIEST_BIRTH_YEAR:
            problems.append(
                Problem(
                    "id.birth_too_early",
                    _("身份证号中的出生年份{year}早于1900年。请核对第7到10位。").format(year=year),
                )
            )
        elif born > (today or date.today()):
            problems.append(
                Problem(
                    "id.birth_future",
                    _("身份证号中的出生日期{birth}晚于今天。请核对第7到14位。").format(
                        birth=born.isoformat()
                    ),
                )
            )
    if check_digit(first17) != value[17]:
        problems.append(
            Problem(
                "id.checksum",
                _("身份证号校验不通过，说明其中至少有一位录错了。请对照身份证逐位核对。"),
            )
        )
    if tail and (tail[0] not in DISABILITY_CATEGORIES or tail[1] not in "1234"):
        problems.append(
            Problem(
                "id.disability_code",
                _(
                    "残疾人证号最后两位应为残疾类别（1–7）和残疾等级（1–4），现在是“{tail}”。"
                    "请对照残疾人证核对。"
                ).format(tail=tail),
            )
        )
    return problems


def _length_problem(n: int) -> Problem:
    return Problem(
        "id.length",
        _("身份证号应为18位（残疾人证号为20位），现在是{n}位。请对照户口簿或身份证核对。").format(
            n=n
        ),
    )


def _characters_problem() -> Problem:
    return Problem(
        "id.characters",
        _("身份证号只能由数字组成，只有第18位可以是X。请对照户口簿或身份证核对。"),
    )


def _excel_problem() -> Problem:
    return Problem(
        "id.excel_number",
        _(
            "身份证号已被 Excel 转成数字，末几位已丢失，无法自动恢复。"
            "请对照户口簿或身份证重新录入，并把这一列设为“文本”格式。"
        ),
    )


def normalise_id_text(raw: object, *, today: date | None = None) -> NormalisedId:
    """Clean what a roster cell or form field holds into an ID number and report what is wrong.

    Accepts text with spaces, tabs, NBSP or dashes, full-width digits and ｘ/Ｘ, lowercase x,
    ints (exact), floats from Excel (exact only up to 15 digits; longer ones have lost digits),
    scientific-notation text, 15-digit old numbers (upgraded to 18) and 20-digit disability
    card numbers (the embedded ID is validated)."""
    original = "" if raw is None else str(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return NormalisedId(
            None,
            None,
            [
                Problem(
                    "id.empty",
                    _(
                        "公民身份号码为空。请对照户口簿或身份证填写；"
                        "持残疾人证的可填20位残疾人证号。"
                    ),
                )
            ],
            [],
            original,
        )
    changed: list[str] = []
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            text = digits_of_number(raw)
        except DigitsLost:
            return NormalisedId(None, None, [_excel_problem()], [], original)
        except ValueError:
            return NormalisedId(None, None, [_characters_problem()], [], original)
        if not isinstance(raw, int):
            changed.append(_("已把 Excel 数字格式的号码还原为文本。"))
    elif isinstance(raw, str):
        stripped = raw.strip()
        text = compact_text(stripped)
        if any("\uff01" <= ch <= "\uff5e" for ch in stripped):
            changed.append(_("已把全角字符改为半角。"))
        if len(text) != len(stripped.lstrip("'`")):
            changed.append(_("已去掉号码中的空格或横线。"))
        try:
            numeric = digits_of_numeric_text(text)
        except DigitsLost:
            return NormalisedId(None, None, [_excel_problem()], changed, original)
        if numeric is not None:
            text = numeric
            changed.append(_("已把 Excel 数字格式的号码还原为文本。"))
        if "x" in text:
            text = text.replace("x", "X")
            changed.append(_("已把小写x改为大写X。"))
    else:
        return NormalisedId(None, None, [_characters_problem()], [], original)

    if len(text) == 15 and text.isascii() and text.isdigit():
        text = upgrade_15_to_18(text)
        changed.append(_("15位身份证号已升级为18位。"))

    problems = validate_id(text, today=today)
    if (
        problems
        and len(text) == 18
        and text.endswith("000")
        and any(p.code == "id.checksum" for p in problems)
    ):
        # Excel keeps 15 significant digits and pads with zeros: a failed check on a number
        # ending in 000 is almost always that, and retyping digit by digit is the fix.
        problems = [p for p in problems if p.code != "id.checksum"] + [_excel_problem()]
    kind: IdKind | None = "id18" if len(text) == 18 else "disability20" if len(text) == 20 else None
    return NormalisedId(text, kind, problems, changed, original)


def _birth_digits(id_number: str) -> str:
    n = len(id_number)
    if n == 18 or n == 20:
        digits = id_number[6:14]
    elif n == 15:
        digits = "19" + id_number[6:12]
    else:
        digits = ""
    if not (len(digits) == 8 and digits.isascii() and digits.isdigit()):
        raise ValueError(_("无法从这个号码读出出生日期：身份证号应为18位。"))
    return digits


def birth_date_of(id_number: str) -> date:
    """The birth date an 18-character ID (or 20-digit disability card, or 15-digit old number)
    carries. Raises ValueError (a Chinese sentence) when the digits are not a real date."""
    digits = _birth_digits(id_number)
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValueError(
            _("身份证号中的出生日期“{text}”不是真实的日期。").format(text=digits)
        ) from None


def gender_of(id_number: str) -> Gender:
    """'M' when the sequence digit (17th of 18, 15th of an old 15-digit number) is odd."""
    n = len(id_number)
    index = 14 if n == 15 else 16 if n in (18, 20) else -1
    if index < 0 or not ("0" <= id_number[index] <= "9"):
        raise ValueError(_("无法从这个号码读出性别：身份证号应为18位。"))
    return "M" if (ord(id_number[index]) - 48) % 2 else "F"


def age_on(id_or_birth: str | date, day: date) -> int:
    """Full years of age on ``day`` (the birthday itself counts). Someone born on 29 February
    turns a year older on 1 March in common years."""
    born = birth_date_of(id_or_birth) if isinstance(id_or_birth, str) else id_or_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_GENDER_INPUTS: dict[str, Gender] = {
    "M": "M",
    "F": "F",
    "男": "M",
    "女": "F",
    "男性": "M",
    "女性": "F",
    "MALE": "M",
    "FEMALE": "F",
}


def _gender_label(gender: Gender) -> str:
    return _("男") if gender == "M" else _("女")


def compare_with_entered(
    id_number: str, gender: str | None, birth_date: date | None
) -> list[Problem]:
    """Disagreements between what the ID says and the gender / birth date typed in elsewhere.

    Gender may be 'M'/'F' or 男/女; None (or anything unrecognised, or an ID whose own digits
    are broken — validate_id reports that) skips the comparison."""
    problems: list[Problem] = []
    entered_gender = _GENDER_INPUTS.get(gender.strip().upper()) if gender else None
    if entered_gender is not None:
        try:
            from_id = gender_of(id_number)
        except ValueError:
            from_id = None
        if from_id is not None and from_id != entered_gender:
            problems.append(
                Problem(
                    "id.gender_mismatch",
                    _(
                        "身份证号显示性别为{from_id}，但填写的是{entered}。请核对性别或身份证号。"
                    ).format(from_id=_gender_label(from_id), entered=_gender_label(entered_gender)),
                )
            )
    if birth_date is not None:
        try:
            born = birth_date_of(id_number)
        except ValueError:
            return problems
        entered_day = birth_date.date() if isinstance(birth_date, datetime) else birth_date
        if born != entered_day:
            problems.append(
                Problem(
                    "id.birth_mismatch",
                    _(
                        "身份证号显示出生日期为{from_id}，但填写的是{entered}。"
                        "请核对出生日期或身份证号。"
                    ).format(from_id=born.isoformat(), entered=entered_day.isoformat()),
                )
            )
    return problems


def disability_of(card_number: str) -> tuple[str, int]:
    """(category label, grade 1–4) from a 20-digit 残疾人证号, e.g. ('肢体残疾', 2)."""
    tail = card_number[18:] if len(card_number) == 20 else ""
    if not tail or tail[0] not in DISABILITY_CATEGORIES or tail[1] not in "1234":
        raise ValueError(_("这不是有效的20位残疾人证号，无法读出残疾类别和等级。"))
    return _(DISABILITY_CATEGORIES[tail[0]]), int(tail[1])


def mask_id(id_number: str) -> str:
    """For public notices: first 4 and last 4 characters, stars between
    ('5101**********123X'; a 20-digit card keeps 4 + 4 as well). Short or broken numbers are
    hidden whole so a mask never shows more than 8 characters."""
    return mask_middle(compact_text(id_number).upper(), 4, 4)
