"""What the search index stores for a member or a household, computed in Python.

The index is kept by SQLite triggers (see ``schema``), so every writer — the GUI, imports, sync
merges — keeps it current without knowing it exists. The triggers cannot compute pinyin or
reversed digits themselves; they call the SQL functions registered here on every connection.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from functools import lru_cache

from desktop.core.db import add_connection_hook
from desktop.core.search.surnames import COMPOUND_SURNAMES, SURNAME_READINGS


class Field:
    """Key families in ``search_key.field``; the numbers are stored, so never renumber them."""

    NAME = 1  # the whole name (exact and prefix: "张" finds everyone surnamed 张)
    NAME_PART = 2  # two characters from every later position (1–2 character substrings)
    PINYIN = 3  # full pinyin without spaces, "zhangsan"
    INITIALS = 4  # first letters, "zs"
    ID_NUMBER = 5
    ID_NUMBER_REV = 6  # reversed, so "last 4 / last 6" is a prefix range on an index
    PHONE = 7
    PHONE_REV = 8
    NUMBER = 9  # 户编号


MATCHED_ON = {
    Field.NAME: "name",
    Field.NAME_PART: "name",
    Field.PINYIN: "pinyin",
    Field.INITIALS: "initials",
    Field.ID_NUMBER: "id_number",
    Field.ID_NUMBER_REV: "id_number",
    Field.PHONE: "phone",
    Field.PHONE_REV: "phone",
    Field.NUMBER: "number",
}

_SPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D+")
_LETTERS = re.compile(r"[a-z]+")
_HANZI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def normalise(text: object) -> str:
    """The form both the index and a query are reduced to: NFKC (full-width digits and letters
    become ASCII), no whitespace, case folded ("x" in an ID number matches "X")."""
    if not isinstance(text, str):
        return "" if text is None else normalise(str(text))
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def phone_digits(text: object) -> str:
    """A phone as its digits only: "0851-12345678" and "138 0013 8000" are typed many ways."""
    return _NON_DIGIT.sub("", normalise(text))


@lru_cache(maxsize=65536)
def syllable_variants(name: str) -> tuple[tuple[str, ...], ...]:
    """Pinyin syllables of a name, one tuple per plausible reading, most likely first.

    The surname and the given name are read separately (a name is not a phrase: reading across
    the boundary finds words that are not there), the given name with pypinyin's phrase context
    (张长江: chang jiang). A surname often has its own reading (曾 zēng not céng, 单 shàn not dān):
    that reading comes first and the everyday one is kept too, so a cadre finds the person
    whichever way they type it."""
    name = normalise(name)
    if not name:
        return ()
    if not _HANZI.match(name):  # not a Chinese name: no surname to read specially
        return (_syllables(name),) if _syllables(name) else ()
    surname = next((c for c in COMPOUND_SURNAMES if name.startswith(c)), name[0])
    given = _syllables(name[len(surname) :])
    readings = [COMPOUND_SURNAMES.get(surname) or _syllables(surname)]
    special = SURNAME_READINGS.get(surname)
    if special and (special,) != readings[0]:
        readings.insert(0, (special,))
    variants = tuple(reading + given for reading in readings)
    return tuple(v for v in variants if v)


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    """pypinyin's everyday reading, letters only. Characters with one reading are looked up one
    by one (cached: there are only a few thousand); text with a 多音字 is read as a whole so that
    pypinyin's phrase context can choose."""
    if not text:
        return ()
    readings = [_char_reading(ch) for ch in text]
    if all(reading is not None for reading in readings):
        return tuple(r for r in readings if r)
    from pypinyin import lazy_pinyin

    return tuple(s for s in (_ascii_letters(s) for s in lazy_pinyin(text)) if s)


@lru_cache(maxsize=16384)
def _char_reading(ch: str) -> str | None:
    """The one reading of a character, "" for a character without pinyin, None for a 多音字."""
    if not _HANZI.match(ch):  # Latin letters and digits: read with their neighbours
        return None
    from pypinyin import Style, pinyin  # imported on first use: its dictionaries are large

    found = pinyin(ch, style=Style.NORMAL, heteronym=True)[0]
    letters = {_ascii_letters(s) for s in found} - {""}
    if len(letters) > 1:
        return None
    return letters.pop() if letters else ""


def pinyin_variants(name: str) -> list[str]:
    """Full pinyin without spaces: 张三 -> "zhangsan"."""
    return list(dict.fromkeys("".join(v) for v in syllable_variants(name)))


def initials_variants(name: str) -> list[str]:
    """First letters of each syllable: 张三 -> "zs"."""
    return list(dict.fromkeys("".join(s[0] for s in v) for v in syllable_variants(name)))


def _ascii_letters(syllable: str) -> str:
    return "".join(_LETTERS.findall(syllable.lower()))


def name_parts(name: str) -> list[str]:
    """Two characters (or the last one) from every position after the first: with these in an
    index, any one- or two-character piece of a name is a prefix lookup (trigram FTS cannot
    find pieces shorter than three characters)."""
    return [name[i : i + 2] for i in range(1, len(name))]


_SEEDED: dict[str, tuple[tuple[int, str], ...]] = {}


def seed_name_keys(found: dict[str, tuple[tuple[int, str], ...]]) -> None:
    """Keys another process computed for these names (a large import's helper, which works out
    the pinyin while this process writes rows); used until :func:`clear_seeded_name_keys`."""
    _SEEDED.update(found)


def clear_seeded_name_keys() -> None:
    _SEEDED.clear()


def name_keys(name: str) -> tuple[tuple[int, str], ...]:
    """Name, name parts, pinyin and initials keys of one name."""
    seeded = _SEEDED.get(name)
    return seeded if seeded is not None else _name_keys(name)


@lru_cache(maxsize=65536)
def _name_keys(name: str) -> tuple[tuple[int, str], ...]:
    name = normalise(name)
    if not name:
        return ()
    keys: list[tuple[int, str]] = [(Field.NAME, name)]
    keys += [(Field.NAME_PART, part) for part in name_parts(name)]
    keys += [(Field.PINYIN, p) for p in pinyin_variants(name)]
    keys += [(Field.INITIALS, i) for i in initials_variants(name)]
    return tuple(keys)


def member_keys(name: object, id_number: object, phone: object) -> str:
    """JSON list of [field, key] pairs for one member (SQL function ``search_member_keys``)."""
    keys = list(name_keys(name if isinstance(name, str) else normalise(name)))
    number = normalise(id_number)
    if number:
        keys += [(Field.ID_NUMBER, number), (Field.ID_NUMBER_REV, number[::-1])]
    digits = phone_digits(phone)
    if digits:
        keys += [(Field.PHONE, digits), (Field.PHONE_REV, digits[::-1])]
    return json.dumps(list(dict.fromkeys(keys)), ensure_ascii=False, separators=(",", ":"))


def household_keys(number: object, phone: object) -> str:
    """JSON list of [field, key] pairs for a household (SQL function ``search_household_keys``)."""
    keys: list[tuple[int, str]] = []
    code = normalise(number)
    if code:
        keys.append((Field.NUMBER, code))
    digits = phone_digits(phone)
    if digits:
        keys += [(Field.PHONE, digits), (Field.PHONE_REV, digits[::-1])]
    return json.dumps(keys, ensure_ascii=False, separators=(",", ":"))


GRAM = 4  # the shortest ID or phone fragment searched for anywhere in the number


def grams(text: object) -> str | None:
    """Every four-character window of a number, as words for FTS5 ("52012319..." ->
    "5201 2012 0123 ..."): consecutive windows of a fragment then form a phrase."""
    if not isinstance(text, str) or not text:
        return None
    if len(text) < GRAM:
        return text
    return " ".join(text[i : i + GRAM] for i in range(len(text) - GRAM + 1))


def register_functions(connection: sqlite3.Connection) -> None:
    """Connection hook: the SQL functions the search triggers call."""
    connection.create_function("search_member_keys", 3, member_keys, deterministic=True)
    connection.create_function("search_household_keys", 2, household_keys, deterministic=True)
    connection.create_function("search_norm", 1, normalise, deterministic=True)
    connection.create_function("search_phone", 1, phone_digits, deterministic=True)
    connection.create_function("search_grams", 1, grams, deterministic=True)


add_connection_hook(register_functions)
