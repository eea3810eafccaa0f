"""The minimum a passphrase must meet before it may protect a laptop's data.

A lost laptop's data are only as safe as the passphrase that wraps its key, so a short or
obvious one is refused with a sentence that says exactly what to add. Chinese characters count
as a kind of their own: a cadre may well choose a line of a poem with a number in it.
"""

from __future__ import annotations

from desktop.core.i18n import _

MIN_LENGTH = 8
LONG_ENOUGH = 12  # from this length on, one kind of character is enough
COMMON = {
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "password",
    "password1",
    "qwertyui",
    "qwerty123",
    "abc12345",
    "abcd1234",
    "11111111",
    "88888888",
    "66666666",
    "woaini1314",
    "doorstep",
}


def character_kinds(passphrase: str) -> int:
    """How many of: latin letters, digits, Chinese characters, anything else."""
    kinds = set()
    for char in passphrase:
        if char.isascii() and char.isalpha():
            kinds.add("letter")
        elif char.isdigit():
            kinds.add("digit")
        elif "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf":
            kinds.add("han")
        elif not char.isspace():
            kinds.add("other")
    return len(kinds)


def passphrase_problem(passphrase: str, again: str | None = None) -> str | None:
    """None when the passphrase may be used; otherwise the sentence to show beside it."""
    if not passphrase:
        return _("请设置密码。")
    if passphrase != passphrase.strip():
        return _("密码的开头和结尾不能是空格。")
    if len(passphrase) < MIN_LENGTH:
        return _("密码太短：至少要 {n} 个字符（现在是 {m} 个）。").format(
            n=MIN_LENGTH, m=len(passphrase)
        )
    if passphrase.lower() in COMMON or len(set(passphrase)) <= 2:
        return _("这个密码太常见，很容易被猜到，请换一个。")
    if len(passphrase) < LONG_ENOUGH and character_kinds(passphrase) < 2:
        return _(
            "密码要包含字母、数字、汉字或符号中的至少两种（或者长到 {n} 个字符以上）。"
        ).format(n=LONG_ENOUGH)
    if again is not None and again != passphrase:
        return _("两次输入的密码不一样，请重新输入。")
    return None
