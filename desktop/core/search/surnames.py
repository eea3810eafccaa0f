"""Surnames that are read differently from the same character in ordinary words (多音字姓氏).

pypinyin gives 曾 as "ceng" and 单 as "dan"; as surnames they are "zeng" and "shan". Only
characters whose surname reading differs from pypinyin's default are listed; the index keeps both
readings, so either spelling finds the person.
"""

from __future__ import annotations

SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "覃": "qin",
    "召": "shao",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "员": "yun",
    "句": "gou",
    "洗": "xian",
    "黑": "he",
    "秘": "bi",
    "繁": "po",
    "隗": "wei",
    "折": "she",
    "祭": "zhai",
    "阚": "kan",
    "重": "chong",
    "藏": "zang",
    "都": "du",
    "卜": "bu",
    "薄": "bo",
    "长": "chang",
    "能": "nai",
}

COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "尉迟": ("yu", "chi"),
    "长孙": ("zhang", "sun"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
}
