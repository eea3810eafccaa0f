"""The passphrase rule: what it refuses, in which words, and what it lets through."""

from __future__ import annotations

import pytest

from desktop.core import i18n
from desktop.ui.lock.strength import character_kinds, passphrase_problem


@pytest.mark.parametrize(
    ("passphrase", "again", "expected"),
    [
        ("", None, "请设置密码"),
        ("abc1", None, "至少要 8 个字符（现在是 4 个）"),
        (" abcdef12", None, "开头和结尾"),
        ("12345678", None, "太常见"),
        ("aaaaaaaa", None, "太常见"),
        ("abababab", None, "太常见"),
        ("abcdefgh", None, "至少两种"),
        ("新寨村扶贫工作", None, "太短"),
        ("新寨村扶贫工作队队员们", None, "至少两种"),
        ("新寨村2024入户", "新寨村2024入戶", "不一样"),
    ],
)
def test_refusals_say_what_to_change(passphrase: str, again: str | None, expected: str) -> None:
    problem = passphrase_problem(passphrase, again)
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "passphrase",
    [
        "新寨村2024入户",
        "correct-horse",
        "abcdefgh1",
        "a long passphrase only letters",
        "红岩镇走访记录本子第一册",
    ],
)
def test_good_passphrases_pass(passphrase: str) -> None:
    assert passphrase_problem(passphrase, passphrase) is None


def test_kinds_count_chinese_as_its_own() -> None:
    assert character_kinds("新寨村2024") == 2
    assert character_kinds("abc 123 !") == 3


def test_the_rule_speaks_english_too() -> None:
    i18n.set_language("en")
    try:
        assert passphrase_problem("abc1") == (
            "Passphrase too short: it needs at least 8 characters (it has 4)."
        )
    finally:
        i18n.set_language("zh_CN")
