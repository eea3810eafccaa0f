"""ID numbers: GB 11643 checksum, every normalisation path a roster throws at us, masks."""

from __future__ import annotations

import ast
import re
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.core import i18n
from desktop.core.rules.idnumber import (
    DISABILITY_CATEGORIES,
    PROVINCE_CODES,
    age_on,
    birth_date_of,
    check_digit,
    compare_with_entered,
    disability_of,
    gender_of,
    mask_id,
    normalise_id_text,
    upgrade_15_to_18,
    validate_id,
)

TODAY = date(2026, 11, 28)
FAMOUS = "11010519491231002X"  # the sample printed in GB 11643 itself: Beijing, 1949-12-31, female


def make_id(area: str, born: date, seq: str) -> str:
    first17 = f"{area}{born:%Y%m%d}{seq}"
    return first17 + check_digit(first17)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# --- check digit and validate_id -------------------------------------------------------------


def test_check_digit_matches_the_standard_samples():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("13050319670401001") == "6"


def test_check_digit_by_hand_formula():
    first17 = "51010219900307123"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    expected = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]
    assert check_digit(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100A", ""])
def test_check_digit_refuses_anything_but_17_digits(bad):
    with pytest.raises(ValueError, match="17位"):
        check_digit(bad)


def test_famous_sample_is_valid():
    assert validate_id(FAMOUS, today=TODAY) == []
    assert birth_date_of(FAMOUS) == date(1949, 12, 31)
    assert gender_of(FAMOUS) == "F"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002", "id.length"),
        ("11010519491231002X1", "id.length"),
        ("", "id.length"),
        ("1101051949123100X2", "id.characters"),  # X only allowed last
        ("11010519491231002x", "id.characters"),  # validate_id wants normalised text
        ("1101O519491231002X", "id.characters"),  # letter O for zero
        ("１１010519491231002X", "id.characters"),  # full-width digits are not normalised here
        ("11010519491231002Y", "id.characters"),
        ("11010519491231002X2A", "id.characters"),
        ("110105194912310021", "id.checksum"),
    ],
)
def test_each_failure_kind(value, code):
    assert code in codes(validate_id(value, today=TODAY))


def test_area_code_must_be_a_province():
    bad_area = make_id("991234", date(1980, 5, 6), "123")
    assert codes(validate_id(bad_area, today=TODAY)) == ["id.area"]
    for code in (
        "11",
        "15",
        "21",
        "23",
        "31",
        "37",
        "41",
        "46",
        "50",
        "54",
        "61",
        "65",
        "71",
        "81",
        "82",
        "83",
    ):
        assert validate_id(make_id(code + "0101", date(1980, 5, 6), "123"), today=TODAY) == []
    for code in (
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "55",
        "60",
        "66",
        "70",
        "84",
        "91",
    ):
        assert code not in PROVINCE_CODES
        assert codes(validate_id(make_id(code + "0101", date(1980, 5, 6), "123"), today=TODAY)) == [
            "id.area"
        ]


def test_feb_29_only_in_leap_years():
    assert validate_id(make_id("520102", date(2000, 2, 29), "011"), today=TODAY) == []
    assert validate_id(make_id("520102", date(1996, 2, 29), "011"), today=TODAY) == []
    first17 = "520102" + "19990229" + "011"  # 1999 is not a leap year
    problems = validate_id(first17 + check_digit(first17), today=TODAY)
    assert codes(problems) == ["id.birth_invalid"]
    assert "19990229" in problems[0].message
    first17 = "520102" + "19000229" + "011"  # 1900 is not a leap year either
    assert "id.birth_invalid" in codes(validate_id(first17 + check_digit(first17), today=TODAY))


@pytest.mark.parametrize("digits", ["19801301", "19800001", "19800132", "19800431", "00000000"])
def test_impossible_birth_dates(digits):
    first17 = "520102" + digits + "011"
    assert "id.birth_invalid" in codes(validate_id(first17 + check_digit(first17), today=TODAY))


def test_birth_date_in_the_future_or_before_1900():
    tomorrow = make_id("520102", date(2026, 11, 29), "011")
    assert codes(validate_id(tomorrow, today=TODAY)) == ["id.birth_future"]
    assert validate_id(make_id("520102", TODAY, "011"), today=TODAY) == []
    assert codes(validate_id(make_id("520102", date(1899, 12, 31), "011"), today=TODAY)) == [
        "id.birth_too_early"
    ]
    assert validate_id(make_id("520102", date(1900, 1, 1), "011"), today=TODAY) == []


def test_today_defaults_to_the_real_date():
    far_future = make_id("520102", date(2999, 1, 1), "011")
    assert codes(validate_id(far_future)) == ["id.birth_future"]


def test_several_problems_are_all_reported():
    first17 = "99" + "0101" + "19801332" + "011"
    wrong_check = "0" if check_digit(first17) != "0" else "1"
    assert set(codes(validate_id(first17 + wrong_check, today=TODAY))) == {
        "id.area",
        "id.birth_invalid",
        "id.checksum",
    }


def test_problems_are_errors_with_chinese_sentences():
    for problem in validate_id("110105194912310021", today=TODAY) + validate_id("1", today=TODAY):
        assert problem.severity == "error"
        assert problem.is_error
        assert re.search(r"[\u4e00-\u9fff]", problem.message)
        assert problem.message.endswith("。")


# --- disability card numbers -----------------------------------------------------------------


def test_disability_card_embeds_a_valid_id():
    card = FAMOUS + "42"
    assert validate_id(card, today=TODAY) == []
    assert disability_of(card) == ("肢体残疾", 2)
    assert birth_date_of(card) == date(1949, 12, 31)
    assert gender_of(card) == "F"
    assert set(DISABILITY_CATEGORIES) == set("1234567")


def test_disability_card_with_bad_embedded_id_or_code():
    assert codes(validate_id("110105194912310021" + "42", today=TODAY)) == ["id.checksum"]
    assert codes(validate_id(FAMOUS + "82", today=TODAY)) == ["id.disability_code"]
    assert codes(validate_id(FAMOUS + "05", today=TODAY)) == ["id.disability_code"]
    assert codes(validate_id(FAMOUS + "15", today=TODAY)) == ["id.disability_code"]
    with pytest.raises(ValueError, match="残疾人证号"):
        disability_of(FAMOUS + "82")
    with pytest.raises(ValueError, match="残疾人证号"):
        disability_of(FAMOUS)


def test_normalise_disability_card():
    result = normalise_id_text("11010519491231002x 11", today=TODAY)
    assert result.value == FAMOUS + "11"
    assert result.kind == "disability20"
    assert result.ok
    bad = normalise_id_text("110105194912310021" + "11", today=TODAY)
    assert bad.kind == "disability20"
    assert codes(bad.problems) == ["id.checksum"]
    assert not bad.ok


# --- normalise_id_text: every path -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        FAMOUS,
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\t19491231\t002X",
        "110105\u00a019491231\u00a0002X",
        "110105\u300019491231\u3000002X",
        "110105-19491231-002X",
        "110105－19491231－002X",
        "110105—19491231—002X",
        "\ufeff11010519491231002X\u200b",
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "'11010519491231002X",
    ],
)
def test_normalise_text_variants(raw):
    result = normalise_id_text(raw, today=TODAY)
    assert result.value == FAMOUS
    assert result.kind == "id18"
    assert result.problems == []
    assert result.ok
    assert result.original == raw


def test_normalise_reports_what_it_fixed():
    assert normalise_id_text(FAMOUS, today=TODAY).changed == []
    assert normalise_id_text(f"  {FAMOUS}  ", today=TODAY).changed == []
    assert normalise_id_text("11010519491231002x", today=TODAY).changed == ["已把小写x改为大写X。"]
    assert normalise_id_text("110105 19491231 002X", today=TODAY).changed == [
        "已去掉号码中的空格或横线。"
    ]
    full = normalise_id_text("１１０１０５１９４９１２３１００２Ｘ", today=TODAY)
    assert full.changed == ["已把全角字符改为半角。"]


def test_ints_are_exact():
    valid = make_id("510104", date(1990, 1, 1), "123")
    assert valid[-1] != "X"
    result = normalise_id_text(int(valid), today=TODAY)
    assert result.value == valid
    assert result.ok
    assert result.changed == []


def test_large_float_from_excel_is_unrecoverable():
    valid = make_id("510104", date(1990, 1, 1), "123")
    as_excel_float = float(valid)  # what Excel keeps: 15 significant digits at best
    result = normalise_id_text(as_excel_float, today=TODAY)
    assert result.value is None
    assert result.kind is None
    assert codes(result.problems) == ["id.excel_number"]
    assert "已被 Excel 转成数字，末几位已丢失" in result.problems[0].message
    assert result.original == repr(as_excel_float)
    assert not result.ok


@pytest.mark.parametrize(
    "text",
    [
        "5.10102199001011234E+17",
        "5.10102199001011E+17",
        "5.10102199001011e17",
        "510102199001011234.0",
    ],
)
def test_scientific_notation_text_is_unrecoverable(text):
    result = normalise_id_text(text, today=TODAY)
    assert result.value is None
    assert codes(result.problems) == ["id.excel_number"]


def test_zero_padded_number_is_reported_as_excel_damage():
    # Excel padded the last three digits with zeros; as an int or text it fails the checksum.
    first15 = "510104199001011"
    padded = first15 + "000"
    assert check_digit(padded[:17]) != "0"
    for raw in (int(padded), padded):
        result = normalise_id_text(raw, today=TODAY)
        assert result.value == padded  # kept so the person sees what was read
        assert codes(result.problems) == ["id.excel_number"]


def test_fifteen_digit_number_as_float_is_exact():
    result = normalise_id_text(130503670401001.0, today=TODAY)
    assert result.value == "130503196704010016"
    assert result.ok
    assert result.changed == ["已把 Excel 数字格式的号码还原为文本。", "15位身份证号已升级为18位。"]
    text = normalise_id_text("1.30503670401001E+14", today=TODAY)
    assert text.value == "130503196704010016"
    assert text.ok


def test_fifteen_to_eighteen_upgrade_known_pair():
    assert upgrade_15_to_18("130503670401001") == "130503196704010016"
    result = normalise_id_text("130503670401001", today=TODAY)
    assert result.value == "130503196704010016"
    assert result.kind == "id18"
    assert result.changed == ["15位身份证号已升级为18位。"]
    assert result.ok
    assert normalise_id_text(130503670401001, today=TODAY).value == "130503196704010016"
    assert birth_date_of("130503670401001") == date(1967, 4, 1)
    assert gender_of("130503670401001") == "M"
    with pytest.raises(ValueError, match="15位"):
        upgrade_15_to_18("13050367040100X")


def test_fifteen_digit_number_with_impossible_date_still_reported():
    result = normalise_id_text("130503670231001", today=TODAY)
    assert result.value is not None and result.value.startswith("13050319670231")
    assert codes(result.problems) == ["id.birth_invalid"]


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_blank_is_reported(raw):
    result = normalise_id_text(raw, today=TODAY)
    assert result.value is None
    assert codes(result.problems) == ["id.empty"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (True, "id.characters"),
        (1.5, "id.characters"),
        (float("nan"), "id.characters"),
        (date(1990, 1, 1), "id.characters"),
        ("张三", "id.length"),
        ("11010519491231002X3", "id.length"),
        ("1101051949123100", "id.length"),
        ("11010519491231OO2X", "id.characters"),
    ],
)
def test_unusable_input(raw, code):
    result = normalise_id_text(raw, today=TODAY)
    assert code in codes(result.problems)
    assert not result.ok


def test_decimal_is_treated_like_a_number():
    valid = make_id("510104", date(1990, 1, 1), "123")
    assert normalise_id_text(Decimal(valid), today=TODAY).value == valid


def test_normalise_keeps_problem_value_for_checksum():
    result = normalise_id_text("110105194912310021", today=TODAY)
    assert result.value == "110105194912310021"
    assert result.kind == "id18"
    assert codes(result.problems) == ["id.checksum"]


# --- derived facts -------------------------------------------------------------------------


def test_gender_from_seventeenth_digit():
    assert gender_of(make_id("520102", date(1980, 1, 1), "011")) == "M"
    assert gender_of(make_id("520102", date(1980, 1, 1), "010")) == "F"
    assert gender_of(make_id("520102", date(1980, 1, 1), "999")) == "M"
    with pytest.raises(ValueError, match="性别"):
        gender_of("123")


def test_birth_date_of_refuses_broken_numbers():
    with pytest.raises(ValueError, match="出生日期"):
        birth_date_of("520102199902290111")
    with pytest.raises(ValueError, match="出生日期"):
        birth_date_of("abc")


def test_age_on():
    born_leap = make_id("520102", date(2000, 2, 29), "011")
    assert age_on(born_leap, date(2018, 2, 28)) == 17
    assert age_on(born_leap, date(2018, 3, 1)) == 18
    assert age_on(born_leap, date(2020, 2, 29)) == 20
    assert age_on(FAMOUS, date(2026, 12, 30)) == 76
    assert age_on(FAMOUS, date(2026, 12, 31)) == 77
    assert age_on(date(2010, 6, 1), date(2026, 5, 31)) == 15
    assert age_on(date(2010, 6, 1), date(2026, 6, 1)) == 16


def test_compare_with_entered_values():
    assert compare_with_entered(FAMOUS, "女", date(1949, 12, 31)) == []
    assert compare_with_entered(FAMOUS, "F", datetime(1949, 12, 31, 8, 0)) == []
    assert compare_with_entered(FAMOUS, None, None) == []
    gender = compare_with_entered(FAMOUS, "男", None)
    assert codes(gender) == ["id.gender_mismatch"]
    assert "女" in gender[0].message and "男" in gender[0].message
    both = compare_with_entered(FAMOUS, "M", date(1949, 1, 31))
    assert codes(both) == ["id.gender_mismatch", "id.birth_mismatch"]
    assert "1949-12-31" in both[1].message and "1949-01-31" in both[1].message
    # unreadable ids are validate_id's business, not a mismatch
    assert compare_with_entered("520102199902290111", None, date(1999, 2, 28)) == []
    assert compare_with_entered("junk", "男", date(1999, 2, 28)) == []
    assert compare_with_entered(FAMOUS, "未知", None) == []


# --- masks ---------------------------------------------------------------------------------


def test_mask_id_matches_the_notice_format():
    assert mask_id(FAMOUS) == "1101**********002X"
    assert mask_id("510102199001011234") == "5101**********1234"
    assert mask_id(FAMOUS + "42") == "1101************2X42"
    assert mask_id("11010519491231002x") == "1101**********002X"
    assert mask_id("110105 19491231 002X") == "1101**********002X"
    assert mask_id("") == ""


@given(st.text(alphabet="0123456789X", max_size=25))
def test_mask_never_shows_more_than_eight_characters(text):
    masked = mask_id(text)
    assert len(masked) == len(text)
    assert sum(ch != "*" for ch in masked) <= 8
    if len(text) < 15:
        assert set(masked) <= {"*"}


# --- property: valid ids stay valid, one wrong digit is caught --------------------------------

areas = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
valid_ids = st.builds(
    make_id,
    areas,
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(valid_ids)
def test_generated_ids_are_valid(id_number):
    assert validate_id(id_number, today=TODAY) == []
    assert normalise_id_text(id_number, today=TODAY).ok
    assert birth_date_of(id_number).strftime("%Y%m%d") == id_number[6:14]
    assert gender_of(id_number) == ("M" if int(id_number[16]) % 2 else "F")
    assert compare_with_entered(id_number, gender_of(id_number), birth_date_of(id_number)) == []
    spaced = " ".join([id_number[:6], id_number[6:14], id_number[14:]]).lower()
    assert normalise_id_text(spaced, today=TODAY).value == id_number


@settings(max_examples=300, deadline=None)
@given(valid_ids, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_one_wrong_character_is_always_caught(id_number, position, shift):
    chars = "0123456789X" if position == 17 else "0123456789"
    old = id_number[position]
    new = chars[(chars.index(old) + shift) % len(chars)]
    if new == old:
        new = chars[(chars.index(old) + 1) % len(chars)]
    mutated = id_number[:position] + new + id_number[position + 1 :]
    found = codes(validate_id(mutated, today=TODAY))
    # Every weight is non-zero mod 11 (a prime), so any single changed digit moves the sum.
    assert "id.checksum" in found
    assert set(found) <= {
        "id.checksum",
        "id.birth_invalid",
        "id.birth_future",
        "id.birth_too_early",
        "id.area",
    }


# --- speed and translations ----------------------------------------------------------------


def test_validate_id_is_fast_enough_for_bulk_checks():
    ids = [
        make_id("520102", date(1950 + i % 60, 1 + i % 12, 1 + i % 28), f"{i % 1000:03d}")
        for i in range(40_000)
    ]
    start = time.perf_counter()
    for id_number in ids:
        validate_id(id_number, today=TODAY)
    per_call = (time.perf_counter() - start) / len(ids)
    assert per_call < 25e-6, f"{per_call * 1e6:.1f} µs per id"


def _message_ids(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_every_message_has_an_english_translation():
    root = Path(__file__).resolve().parents[2] / "desktop" / "core" / "rules"
    catalog = i18n.parse_po(i18n.po_path("en").read_text(encoding="utf-8"))
    wanted = set(_message_ids(root / "idnumber.py")) | set(_message_ids(root / "validators.py"))
    wanted |= set(DISABILITY_CATEGORIES.values())
    assert len(wanted) > 40
    missing = sorted(m for m in wanted if m not in catalog)
    assert missing == []
    for message in wanted:
        placeholders = set(re.findall(r"\{\w+\}", message))
        assert set(re.findall(r"\{\w+\}", catalog[message])) == placeholders, message


def test_problems_come_out_in_english_when_asked():
    previous = i18n.current_language()
    i18n.set_language("en")
    try:
        problems = (
            validate_id("110105194912310021", today=TODAY)
            + normalise_id_text(5.1e17).problems
            + compare_with_entered(FAMOUS, "男", date(1950, 1, 1))
        )
        assert codes(problems) == [
            "id.checksum",
            "id.excel_number",
            "id.gender_mismatch",
            "id.birth_mismatch",
        ]
        for problem in problems:
            assert not re.search(r"[\u4e00-\u9fff]", problem.message), problem.message
        assert "Female" in problems[2].message
        assert disability_of(FAMOUS + "42") == ("Physical disability", 2)
    finally:
        i18n.set_language(previous)
