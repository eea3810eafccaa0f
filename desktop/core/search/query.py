"""Household search: what a cadre types in the search box, turned into index lookups.

A query is classified once (Chinese name, pinyin, digits, household number) into tiers of
lookups — exact, then suffix (last digits of an ID or phone), then prefix, then substring — and
each tier is read heads-of-household first. Every lookup is an index range read with a LIMIT, so
a query that matches thousands ("zs", "张") costs no more than one that matches ten.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.core.search.keys import MATCHED_ON, Field, grams, normalise

if TYPE_CHECKING:
    from desktop.core.database import Database

DEFAULT_LIMIT = 50
MAX_QUERY_LENGTH = 64  # longer than any name, ID number, phone or 户编号: cannot match
TEXT_MATCH_CAP = 50  # substring matches read beyond the limit, to put heads first among them
PREFIX_END = "\U0010ffff"  # sorts after every character a key can continue with

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_DIGITS = re.compile(r"[0-9]+x?")
_PINYIN = re.compile(r"[a-z']+")
_ALNUM = re.compile(r"[0-9a-z]+")
_SEPARATORS = re.compile(r"[-_./]")
NAMES_TABLE = "search_fts"
DIGITS_TABLE = "search_digits"
UNSETTLED = ""  # matched_on of a substring hit in one of several columns, settled in _hits


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One household found, with the member whose details matched (its head when the match was
    on the household itself: 户编号 or the household's phone)."""

    household_id: str
    household_number: str
    head_name: str
    village_code: str
    village_name: str | None
    member_id: str | None
    member_name: str | None
    matched_on: str  # name | pinyin | initials | id_number | phone | number
    match: str  # exact | suffix | prefix | substring
    matched_value: str
    is_head: bool
    active: bool

    def to_json(self) -> dict[str, Any]:
        """Stable keys for ``doorstep search --json``."""
        return {
            "household_id": self.household_id,
            "household_number": self.household_number,
            "head_name": self.head_name,
            "village_code": self.village_code,
            "village_name": self.village_name,
            "member_id": self.member_id,
            "member_name": self.member_name,
            "matched_on": self.matched_on,
            "match": self.match,
            "matched_value": self.matched_value,
            "is_head": self.is_head,
            "active": self.active,
        }


# ----------------------------------------------------------------------------- planning
@dataclass(frozen=True, slots=True)
class KeyLookup:
    """Keys of ``fields`` equal to ``key`` (exact) or starting with it (prefix)."""

    fields: tuple[int, ...]
    key: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class TextLookup:
    """FTS5 substring match of ``text`` in ``columns`` of ``table``: names and 户编号 in the
    trigram table (three or more characters), ID numbers and phones in the table of 4-grams
    (four or more characters)."""

    table: str
    columns: tuple[str, ...]
    text: str

    def expression(self) -> str:
        phrase = (grams(self.text) if self.table == DIGITS_TABLE else self.text) or ""
        return "{" + " ".join(self.columns) + '} : "' + phrase.replace('"', '""') + '"'


Lookup = KeyLookup | TextLookup
Tier = tuple[str, list[Lookup]]


def plan(query: str) -> list[Tier]:
    """The tiers of lookups for a query, best kind of match first; [] when nothing can match."""
    text = normalise(query)
    if not text or len(text) > MAX_QUERY_LENGTH:
        return []
    if _CJK.search(text):
        return _name_plan(text)
    compact = _SEPARATORS.sub("", text)
    if compact and _DIGITS.fullmatch(compact):
        return _digits_plan(compact)
    if _PINYIN.fullmatch(text.replace("ü", "v")):
        letters = text.replace("'", "").replace("ü", "v")  # pypinyin writes 吕 as "lv"
        if letters:
            return _pinyin_plan(letters)
    if compact and _ALNUM.fullmatch(compact):
        return _number_plan(compact)
    return _name_plan(text)


def _name_plan(text: str) -> list[Tier]:
    if len(text) <= 2:  # trigrams cannot find it: two-character pieces of names can
        substring: Lookup = KeyLookup((Field.NAME_PART,), text, prefix=True)
    else:
        substring = TextLookup(NAMES_TABLE, ("name",), text)
    return [
        ("exact", [KeyLookup((Field.NAME,), text, prefix=False)]),
        ("prefix", [KeyLookup((Field.NAME,), text, prefix=True)]),
        ("substring", [substring]),
    ]


def _pinyin_plan(letters: str) -> list[Tier]:
    fields = (Field.PINYIN, Field.INITIALS)
    return [
        ("exact", [KeyLookup(fields, letters, prefix=False)]),
        ("prefix", [KeyLookup(fields, letters, prefix=True)]),
    ]


def _digits_plan(digits: str) -> list[Tier]:
    """户编号 at any length; ID numbers and phones from four digits on, where the last digits
    ("后四位", "后六位") come before prefixes: the first six digits of every ID in a county are
    the same few region codes, so an ID prefix says little."""
    long_enough = len(digits) >= 4
    exact = (Field.NUMBER, Field.ID_NUMBER, Field.PHONE) if long_enough else (Field.NUMBER,)
    tiers: list[Tier] = [("exact", [KeyLookup(exact, digits, prefix=False)])]
    if long_enough:
        tail = KeyLookup((Field.ID_NUMBER_REV, Field.PHONE_REV), digits[::-1], prefix=True)
        tiers.append(("suffix", [tail]))
    tiers.append(("prefix", [KeyLookup(exact, digits, prefix=True)]))
    substrings: list[Lookup] = []
    if len(digits) >= 3:
        substrings.append(TextLookup(NAMES_TABLE, ("number",), digits))
    if long_enough:
        substrings.append(TextLookup(DIGITS_TABLE, ("id_number", "phone"), digits))
    if substrings:
        tiers.append(("substring", substrings))
    return tiers


def _number_plan(code: str) -> list[Tier]:
    tiers: list[Tier] = [
        ("exact", [KeyLookup((Field.NUMBER,), code, prefix=False)]),
        ("prefix", [KeyLookup((Field.NUMBER,), code, prefix=True)]),
    ]
    if len(code) >= 3:
        tiers.append(("substring", [TextLookup(NAMES_TABLE, ("number",), code)]))
    return tiers


# ----------------------------------------------------------------------------- running
@dataclass(slots=True)
class _Found:
    kind: str  # 'm' member, 'h' household
    row_id: str
    household_id: str
    matched_on: str
    match: str
    key: str
    head: bool
    active: bool


def search(
    db: Database,
    query: str,
    limit: int = DEFAULT_LIMIT,
    village_code: str | None = None,
    include_inactive: bool = False,
) -> list[SearchHit]:
    """Households matching ``query``, best first, at most ``limit``, one hit per household.

    Voided households and members, and members who left, are left out unless
    ``include_inactive``; ``village_code`` keeps only that village's households."""
    tiers = plan(query)
    if not tiers or limit < 1:
        return []
    with db.read() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None  # sqlite3's or SQLCipher's connection (an encrypted database)
        cursor: sqlite3.Cursor = raw.cursor()  # type: ignore[assignment]
        found = _collect(cursor, tiers, limit, village_code, include_inactive)
        return _hits(cursor, found)


def _collect(
    cursor: sqlite3.Cursor,
    tiers: list[Tier],
    limit: int,
    village_code: str | None,
    include_inactive: bool,
) -> list[_Found]:
    """Walk the tiers best first, heads before other members within a tier, keeping the first
    (best) match of each household, until ``limit`` households are found."""
    by_household: dict[str, _Found] = {}
    for match, lookups in tiers:
        for head in (1, 0):
            for lookup in lookups:
                if isinstance(lookup, TextLookup):
                    continue
                for found in _keyed(cursor, lookup, match, head, village_code, include_inactive):
                    by_household.setdefault(found.household_id, found)
                    if len(by_household) >= limit:
                        return list(by_household.values())
        for lookup in lookups:
            if isinstance(lookup, TextLookup):
                cap = TEXT_MATCH_CAP + limit - len(by_household)
                texts = _texts(cursor, lookup, match, cap, village_code, include_inactive)
                for found in sorted(texts, key=lambda f: not f.head):
                    by_household.setdefault(found.household_id, found)
                    if len(by_household) >= limit:
                        return list(by_household.values())
    return list(by_household.values())


def _keyed(
    cursor: sqlite3.Cursor,
    lookup: KeyLookup,
    match: str,
    head: int,
    village_code: str | None,
    include_inactive: bool,
) -> Iterator[_Found]:
    """Rows of one key lookup for heads (1) or other members (0), read lazily: the caller stops
    reading when the limit is reached, and SQLite stops walking the index with it."""
    sql, params = _key_sql(lookup, head, village_code, include_inactive)
    for field, key, kind, row_id, household_id, active in cursor.execute(sql, params):
        yield _Found(
            kind, row_id, household_id, MATCHED_ON[field], match, key, bool(head), bool(active)
        )


def _texts(
    cursor: sqlite3.Cursor,
    lookup: TextLookup,
    match: str,
    cap: int,
    village_code: str | None,
    include_inactive: bool,
) -> list[_Found]:
    """Substring matches, at most ``cap`` of them (heads are put first by the caller). FTS5 can
    only walk its matches in row order, so a fragment found in thousands of rows ("1990") is
    capped instead of read to the end."""
    sql, params = _text_sql(lookup, cap, village_code, include_inactive)
    # Which column held the text is settled later, for the hits kept (FTS5 says that a row
    # matched, not where, and reading its stored text for every candidate costs more).
    found = []
    for kind, row_id, household_id, head, active in cursor.execute(sql, params):
        if lookup.table == NAMES_TABLE:
            matched_on = lookup.columns[0]
        else:  # a household has only a phone there; a member an ID number and a phone
            matched_on = "phone" if kind == "h" else UNSETTLED
        found.append(
            _Found(
                kind, row_id, household_id, matched_on, match, lookup.text, bool(head), bool(active)
            )
        )
    return found


def _key_sql(
    lookup: KeyLookup, head: int, village_code: str | None, include_inactive: bool
) -> tuple[str, list[Any]]:
    marks = ", ".join("?" * len(lookup.fields))
    sql = (
        "SELECT k.field, k.key, d.kind, d.row_id, d.household_id, k.active "
        "FROM search_key k CROSS JOIN search_doc d ON d.doc = k.doc "
        f"WHERE k.field IN ({marks}) AND k.head = ? "
    )
    params: list[Any] = [*lookup.fields, head]
    if lookup.prefix:
        sql += "AND k.key >= ? AND k.key < ? "
        params += [lookup.key, lookup.key + PREFIX_END]
    else:
        sql += "AND k.key = ? "
        params.append(lookup.key)
    if not include_inactive:
        sql += "AND k.active = 1 "
    if village_code is not None:
        sql += "AND d.village = ? "
        params.append(village_code)
    return sql, params


def _text_sql(
    lookup: TextLookup, cap: int, village_code: str | None, include_inactive: bool
) -> tuple[str, list[Any]]:
    sql = (
        "SELECT d.kind, d.row_id, d.household_id, d.head, d.active "
        f"FROM {lookup.table} f CROSS JOIN search_doc d ON d.doc = f.rowid "
        f"WHERE {lookup.table} MATCH ? "
    )
    params: list[Any] = [lookup.expression()]
    if not include_inactive:
        sql += "AND d.active = 1 "
    if village_code is not None:
        sql += "AND d.village = ? "
        params.append(village_code)
    sql += "LIMIT ?"
    params.append(cap)
    return sql, params


def _hits(cursor: sqlite3.Cursor, found: list[_Found]) -> list[SearchHit]:
    if not found:
        return []
    households = _rows(
        cursor,
        "SELECT h.id, h.number, h.head_name, h.village_code, h.head_member_id, h.phone, r.name "
        "FROM household h LEFT JOIN region r ON r.code = h.village_code AND r.voided = 0 "
        "WHERE h.id IN ({marks})",
        [f.household_id for f in found],
    )
    member_ids = [
        f.row_id if f.kind == "m" else households.get(f.household_id, (None,) * 5)[4] for f in found
    ]
    members = _rows(
        cursor,
        "SELECT id, name, id_number, phone FROM member WHERE id IN ({marks})",
        [m for m in member_ids if m],
    )
    hits = []
    for item, member_id in zip(found, member_ids, strict=True):
        household = households.get(item.household_id)
        if household is None:  # only a hard delete between the two reads could do this
            continue
        member = members.get(member_id or "")
        if item.matched_on == UNSETTLED:
            item.matched_on = _settle(item, member)
        hits.append(
            SearchHit(
                household_id=item.household_id,
                household_number=household[1],
                head_name=household[2],
                village_code=household[3],
                village_name=household[6],
                member_id=member_id,
                member_name=member[1] if member else (household[2] or None),
                matched_on=item.matched_on,
                match=item.match,
                matched_value=_matched_value(item, household, member),
                is_head=item.head,
                active=item.active,
            )
        )
    return hits


def _rows(cursor: sqlite3.Cursor, sql: str, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    marks = ", ".join("?" * len(unique))
    return {row[0]: row for row in cursor.execute(sql.format(marks=marks), unique)}


def _settle(item: _Found, member: tuple[Any, ...] | None) -> str:
    """Whether a member's ID number or phone held the digits (FTS5 says that a row matched,
    not in which column)."""
    if member is not None and item.key in normalise(member[2]):
        return "id_number"
    return "phone"


def _matched_value(item: _Found, household: tuple[Any, ...], member: tuple[Any, ...] | None) -> str:
    """The stored value that matched, as the cadre typed it in (pinyin: the spelling matched)."""
    if item.matched_on in ("pinyin", "initials"):
        return item.key
    if item.matched_on == "number":
        return str(household[1])
    if item.kind == "h":
        return str(household[5] or "")
    column = {"name": 1, "id_number": 2, "phone": 3}[item.matched_on]
    return str(member[column] or "") if member else ""
