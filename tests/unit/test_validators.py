"""Phone, bank account, number range, dates and yes/no as real roster cells hold them."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.core import i18n
from desktop.core.rules.problems import Checked, Problem, has_errors
from desktop.core.rules.validators import (
    compact_text,
    excel_serial_to_date,
    luhn_ok,
    mask_bank_account,
    mask_phone,
    parse_date,
    parse_yes_no,
    validate_bank_account,
    validate_number_range,
    validate_phone,
)


def codes(checked: Checked) -> list[str]:
    return [p.code for p in checked.problems]


def with_luhn(body: str) -> str:
    """Append the Luhn digit that makes body valid."""
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError("unreachable")


# --- shared cleaning -------------------------------------------------------------------------


def test_compact_text():
    assert compact_text("１３８ ００１３－８０００") == "13800138000"
    assert compact_text("a\u00a0b\u3000c\u200bd—e–f\tg") == "abcdefg"
    assert compact_text("'0851") == "0851"


# --- phone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("＋８６　１３８００１３８０００", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１９９１２３４５６７８", "19912345678"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        ("1.3800138E+10", "13800138000"),
        ("0851-12345678", "0851-12345678"),
        ("085112345678", "0851-12345678"),
        ("0851 8123456", "0851-8123456"),
        ("(0851)12345678", "0851-12345678"),
        ("（0851）12345678", "0851-12345678"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("020 8888 8888", "020-88888888"),
    ],
)
def test_phone_normalisation(raw, expected):
    checked = validate_phone(raw)
    assert checked.value == expected
    assert checked.problems == []
    assert checked.ok


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12800138000", "phone.format"),  # 12x is not a mobile prefix
        ("1380013800", "phone.mobile_length"),
        ("138001380001", "phone.mobile_length"),
        ("62345678", "phone.no_area_code"),
        ("12345678", "phone.mobile_length"),
        ("8123456", "phone.no_area_code"),
        ("0851-0123456", "phone.format"),  # local numbers never start with 0
        ("无", "phone.format"),
        ("138OO138000", "phone.format"),
        ("13800138000/13900139000", "phone.multiple"),
        ("13800138000、0851-12345678", "phone.multiple"),
        ("13800138000 或 13900139000", "phone.multiple"),
        (1.5, "phone.format"),
        (True, "phone.format"),
        (None, "phone.empty"),
        ("  ", "phone.empty"),
    ],
)
def test_phone_problems(raw, code):
    checked = validate_phone(raw)
    assert codes(checked) == [code]
    assert not checked.ok


def test_optional_phone_may_be_blank():
    assert validate_phone(None, required=False) == Checked(None, [])
    assert validate_phone("", required=False).ok


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("0851-12345678") == "0851-****5678"
    assert mask_phone("010-6234567") == "010-***4567"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""


@given(st.text(alphabet="0123456789-+ ", max_size=20))
def test_mask_phone_never_leaks_more_than_eight_digits(text):
    masked = mask_phone(text)
    assert sum(ch.isdigit() for ch in masked) <= 8
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 8:
        assert sum(ch.isdigit() for ch in masked) <= digits - 3


# --- bank account ------------------------------------------------------------------------


def test_luhn():
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    "raw",
    [
        "6222 0212 3456 7890 128",
        "6222-0212-3456-7890-128",
        "６２２２０２１２３４５６７８９０１２８",
        6222021234567890128,
    ],
)
def test_bank_account_normalisation(raw):
    account = with_luhn("622202123456789012")
    assert account == "6222021234567890128"
    checked = validate_bank_account(raw)
    assert checked.value == account
    assert checked.problems == []


def test_bank_account_luhn_failure_is_only_a_warning():
    passbook = "6230520460001234561"
    assert not luhn_ok(passbook)
    checked = validate_bank_account(passbook)
    assert checked.value == passbook
    assert codes(checked) == ["bank.luhn"]
    assert checked.problems[0].severity == "warning"
    assert checked.ok  # warnings do not block a save
    assert not has_errors(checked.problems)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("622202123456789", "bank.length"),  # 15
        ("62220212345678901234", "bank.length"),  # 20
        ("6222O21234567890128", "bank.characters"),
        ("农商银行", "bank.characters"),
        (6.22202123456789e18, "bank.excel_number"),
        ("6.22202123456789E+18", "bank.excel_number"),
        (1.5, "bank.characters"),
        (None, "bank.empty"),
        ("", "bank.empty"),
    ],
)
def test_bank_account_problems(raw, code):
    checked = validate_bank_account(raw)
    assert codes(checked) == [code]
    assert checked.problems[0].severity == "error"
    assert not checked.ok


def test_bank_lengths_16_to_19_are_accepted():
    for n in (16, 17, 18, 19):
        account = with_luhn("6" * (n - 1))
        assert validate_bank_account(account).problems == []
    assert validate_bank_account(None, required=False) == Checked(None, [])


def test_mask_bank_account():
    assert mask_bank_account("6222021234567890128") == "6222***********0128"
    assert mask_bank_account("6222 0212 3456 7890 128") == "6222***********0128"
    assert mask_bank_account("1234567") == "*******"


@given(st.text(alphabet="0123456789", max_size=30))
def test_mask_bank_account_never_leaks_more_than_eight(text):
    masked = mask_bank_account(text)
    assert len(masked) == len(text)
    assert sum(ch != "*" for ch in masked) <= 8


# --- number range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5, 5),
        (5.5, 5.5),
        ("12", 12),
        ("１２", 12),
        ("1,234.5", 1234.5),
        (" 0 ", 0),
        (Decimal("2.5"), 2.5),
    ],
)
def test_number_range_accepts(raw, expected):
    checked = validate_number_range(raw, 0, 2000, "住房面积")
    assert checked.value == expected
    assert checked.problems == []


def test_number_range_keeps_int_for_whole_text():
    assert isinstance(validate_number_range("12", 0, 12, "务工时间").value, int)


def test_number_range_bounds_are_inclusive_and_messages_name_the_field():
    assert validate_number_range(12, 0, 12, "务工时间").ok
    assert validate_number_range(0, 0, 12, "务工时间").ok
    over = validate_number_range(13, 0, 12, "务工时间")
    assert codes(over) == ["number.range"]
    assert over.value == 13  # kept, so the person sees what was read
    assert over.problems[0].message == "务工时间应在0到12之间，现在是13。请核对。"
    under = validate_number_range(-1.5, 0, None, "住房面积")
    assert under.problems[0].message == "住房面积不能小于0，现在是-1.5。请核对。"
    above = validate_number_range(100001, None, 100000, "人均纯收入")
    assert above.problems[0].message == "人均纯收入不能大于100000，现在是100001。请核对。"
    assert validate_number_range(10**9, None, None, "金额").ok


@pytest.mark.parametrize("raw", ["3亩", "abc", "nan", "inf", float("nan"), True, [1], "1.2.3"])
def test_number_range_refuses_non_numbers(raw):
    checked = validate_number_range(raw, 0, 100, "耕地面积")
    assert codes(checked) == ["number.format"]
    assert checked.value is None
    assert "耕地面积" in checked.problems[0].message


def test_number_range_blank():
    assert codes(validate_number_range(None, 0, 1, "务工时间")) == ["number.empty"]
    assert validate_number_range("", 0, 1, "务工时间", required=False) == Checked(None, [])


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        date(2024, 3, 5),
        datetime(2024, 3, 5, 14, 30),
        "2024-03-05",
        "2024-3-5",
        "2024/3/5",
        "2024/03/05",
        "2024.3.5",
        "2024年3月5日",
        "2024年3月5号",
        "2024年03月05",
        "2024 年 3 月 5 日",
        "２０２４年３月５日",
        "20240305",
        " 2024-03-05 ",
        "2024-03-05 00:00:00",
        "2024-03-05T08:15",
        20240305,
        45356,  # Excel serial for 2024-03-05
        45356.75,  # with a time of day
    ],
)
def test_parse_date_accepts(raw):
    assert parse_date(raw) == date(2024, 3, 5)


def test_excel_serial_edges():
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(60) is None  # Excel's fictional 1900-02-29
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(0) is None
    assert excel_serial_to_date(2958465) == date(9999, 12, 31)
    assert excel_serial_to_date(2958466) is None


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",
        "2023年2月29日",
        "20230229",
        20230229,
        "1900-02-29",
        "2024-13-01",
        "2024-04-31",
        "2024-00-10",
    ],
)
def test_parse_date_impossible_dates(raw):
    problem = parse_date(raw, "建房时间")
    assert isinstance(problem, Problem)
    assert problem.code == "date.invalid"
    assert problem.message.startswith("建房时间")


def test_leap_day_in_a_leap_year_is_fine():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    assert parse_date("2000/2/29") == date(2000, 2, 29)


@pytest.mark.parametrize(
    "raw",
    [
        "3/5/2024",
        "24-3-5",
        "2024年3月",
        "2024",
        "去年",
        "2024-03-05x",
        60,
        0,
        -5,
        float("inf"),
        True,
        object(),
    ],
)
def test_parse_date_unrecognised(raw):
    problem = parse_date(raw)
    assert isinstance(problem, Problem)
    assert problem.code == "date.format"
    assert problem.message.startswith("日期")


def test_parse_date_blank():
    problem = parse_date("  ", "脱贫时间")
    assert isinstance(problem, Problem)
    assert problem.code == "date.empty"
    assert "脱贫时间" in problem.message
    assert isinstance(parse_date(None), Problem)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_date_formats_round_trip(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(f"{day.year}/{day.month}/{day.day}") == day
    assert parse_date(day.strftime("%Y%m%d")) == day
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(float(serial)) == day


# --- yes / no ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["是", " 是 ", "Y", "y", "yes", "YES", "True", "true", "1", "√", "✓", "有", True, 1, 1.0]
)
def test_yes(raw):
    assert parse_yes_no(raw) is True


@pytest.mark.parametrize(
    "raw", ["否", "N", "n", "no", "False", "0", "×", "无", "没有", False, 0, 0.0]
)
def test_no(raw):
    assert parse_yes_no(raw) is False


@pytest.mark.parametrize("raw", ["也许", "2", 2, "X", "是的吧", date(2024, 1, 1)])
def test_yes_no_refuses_the_rest(raw):
    problem = parse_yes_no(raw, "卫生厕所")
    assert isinstance(problem, Problem)
    assert problem.code == "yes_no.format"
    assert problem.message.startswith("卫生厕所")


def test_yes_no_blank():
    problem = parse_yes_no(None)
    assert isinstance(problem, Problem) and problem.code == "yes_no.empty"
    assert isinstance(parse_yes_no(""), Problem)


# --- English ---------------------------------------------------------------------------


def test_messages_in_english():
    previous = i18n.current_language()
    i18n.set_language("en")
    try:
        problems = [
            *validate_phone("12345678").problems,
            *validate_bank_account("6230520460001234561").problems,
            *validate_number_range(13, 0, 12, "Months worked").problems,
            parse_date("2023-02-29"),
            parse_date("someday"),
            parse_yes_no("maybe"),
        ]
        for problem in problems:
            assert isinstance(problem, Problem)
            # 是/否 stays: it is what the roster cells contain, whatever the UI language
            assert not re.search(r"[\u4e00-\u9fff]", problem.message.replace("是/否", "")), problem
        assert (
            problems[2].message
            == "Months worked must be between 0 and 12; it is 13. Please check it."
        )
        assert problems[3].message.startswith("Date ")
    finally:
        i18n.set_language(previous)
