"""The search index: derived tables kept current by triggers, created and checked at open time.

The index is a cache of what member and household rows say, never a source of truth, so it lives in
``search_*`` tables that migrations ignore and can always be dropped and rebuilt. Triggers on
``member`` and ``household`` (calling the Python functions registered in ``keys``) refresh the
affected entries inside the same transaction as the write, so no writer can forget to.

- ``search_doc``: one row per member and per household, with what ranking and filtering need
  (head of household? still current? which village?).
- ``search_key``: exact/prefix keys (name, two-character name pieces, pinyin, initials, ID number
  and phone forwards and reversed, 户编号) in one WITHOUT ROWID B-tree ordered (field, head, key),
  so every lookup — even "zs", which matches thousands — is an index range read that stops at
  the limit.
- ``search_fts``: FTS5 with the trigram tokenizer, for substrings of names and 户编号 of three or
  more characters.
- ``search_digits``: FTS5 over the four-digit n-grams of ID numbers and phones, written as words.
  Digit trigrams are too few (1,000) to be selective — each one occurs in a tenth of all IDs —
  while 4-grams are ten times rarer; a fragment's consecutive 4-grams as a phrase is exactly
  "contains this fragment".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.core.database import Database

# Bump when the tables, triggers or keys change: the index is then dropped and rebuilt at open.
SCHEMA_VERSION = "3"

HEAD_RELATION = "head"  # relation code of 户主 in resources/rules/codes.toml

TABLES = [
    "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # own_active: the row's own state (member not voided and not left; household not voided);
    # active: that and, for a member, its household's. relation_head: the member's relation is
    # 户主; head_member: a household's head_member_id. With these the triggers of one table
    # never need to read the other table (see TRIGGERS).
    """CREATE TABLE IF NOT EXISTS search_doc (
        doc INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        row_id TEXT NOT NULL UNIQUE,
        household_id TEXT NOT NULL,
        village TEXT NOT NULL,
        head INTEGER NOT NULL,
        active INTEGER NOT NULL,
        own_active INTEGER NOT NULL,
        relation_head INTEGER NOT NULL,
        head_member TEXT)""",
    "CREATE INDEX IF NOT EXISTS search_doc_household ON search_doc (household_id)",
    "CREATE INDEX IF NOT EXISTS search_doc_village ON search_doc (village)",
    """CREATE TABLE IF NOT EXISTS search_key (
        field INTEGER NOT NULL,
        head INTEGER NOT NULL,
        key TEXT NOT NULL,
        doc INTEGER NOT NULL,
        active INTEGER NOT NULL,
        PRIMARY KEY (field, head, key, doc)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS search_key_doc ON search_key (doc)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(name, number, tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_digits USING fts5(id_number, phone)",
]
FTS_TABLES = ("search_fts", "search_digits")
DROPPED_TABLES = ("search_key", *FTS_TABLES, "search_doc")
OUR_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'search\\_%' ESCAPE '\\'"
)
OUR_TRIGGERS = (
    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search\\_%' ESCAPE '\\'"
)


def _forget(condition: str) -> list[str]:
    """Remove the index entries of the docs matching ``condition`` (on search_doc columns)."""
    docs = f"SELECT doc FROM search_doc WHERE {condition}"
    return [
        f"DELETE FROM search_key WHERE doc IN ({docs})",
        f"DELETE FROM search_fts WHERE rowid IN ({docs})",
        f"DELETE FROM search_digits WHERE rowid IN ({docs})",
        f"DELETE FROM search_doc WHERE {condition}",
    ]


_MEMBER_OWN_ACTIVE = (
    "CASE WHEN m.voided = 0 AND coalesce(m.left_reason, '') = '' AND m.left_date IS NULL "
    "THEN 1 ELSE 0 END"
)


def _index_members(condition: str) -> list[str]:
    """Index the members matching ``condition`` (on member ``m``); they must not be indexed yet.
    What the household says (village, head, voided) comes from the household's own doc."""
    return [
        "INSERT INTO search_doc (kind, row_id, household_id, village, head, active, own_active, "
        "relation_head) SELECT 'm', m.id, m.household_id, coalesce(hd.village, ''), "
        f"CASE WHEN hd.head_member = m.id OR m.relation = '{HEAD_RELATION}' THEN 1 ELSE 0 END, "
        f"CASE WHEN {_MEMBER_OWN_ACTIVE} = 1 AND coalesce(hd.own_active, 1) = 1 THEN 1 ELSE 0 END, "
        f"{_MEMBER_OWN_ACTIVE}, CASE WHEN m.relation = '{HEAD_RELATION}' THEN 1 ELSE 0 END "
        "FROM member m LEFT JOIN search_doc hd ON hd.row_id = m.household_id "
        f"WHERE {condition}",
        "INSERT OR IGNORE INTO search_key (field, head, key, doc, active) "
        "SELECT json_extract(j.value, '$[0]'), d.head, json_extract(j.value, '$[1]'), d.doc, "
        "d.active FROM member m JOIN search_doc d ON d.row_id = m.id, "
        f"json_each(search_member_keys(m.name, m.id_number, m.phone)) AS j WHERE {condition}",
        "INSERT INTO search_fts (rowid, name) SELECT d.doc, search_norm(m.name) "
        f"FROM member m JOIN search_doc d ON d.row_id = m.id WHERE {condition}",
        "INSERT INTO search_digits (rowid, id_number, phone) "
        "SELECT d.doc, search_grams(search_norm(m.id_number)), search_grams(search_phone(m.phone)) "
        f"FROM member m JOIN search_doc d ON d.row_id = m.id WHERE {condition}",
    ]


def _index_households(condition: str) -> list[str]:
    """Index the households matching ``condition`` (on household ``h``)."""
    return [
        "INSERT INTO search_doc (kind, row_id, household_id, village, head, active, own_active, "
        "relation_head, head_member) SELECT 'h', h.id, h.id, coalesce(h.village_code, ''), 1, "
        "CASE WHEN h.voided = 0 THEN 1 ELSE 0 END, CASE WHEN h.voided = 0 THEN 1 ELSE 0 END, "
        f"0, h.head_member_id FROM household h WHERE {condition}",
        "INSERT OR IGNORE INTO search_key (field, head, key, doc, active) "
        "SELECT json_extract(j.value, '$[0]'), d.head, json_extract(j.value, '$[1]'), d.doc, "
        "d.active FROM household h JOIN search_doc d ON d.row_id = h.id, "
        f"json_each(search_household_keys(h.number, h.phone)) AS j WHERE {condition}",
        "INSERT INTO search_fts (rowid, number) SELECT d.doc, search_norm(h.number) "
        f"FROM household h JOIN search_doc d ON d.row_id = h.id WHERE {condition}",
        "INSERT INTO search_digits (rowid, phone) SELECT d.doc, search_grams(search_phone(h.phone)) "
        f"FROM household h JOIN search_doc d ON d.row_id = h.id WHERE {condition}",
    ]


def _restamp_members() -> list[str]:
    """After a household (NEW) changed: its members' village, head and active flags, from the
    flags already in their docs — the member rows themselves are not read."""
    docs = "SELECT doc FROM search_doc WHERE household_id = NEW.id AND kind = 'm'"
    return [
        "UPDATE search_doc SET village = coalesce(NEW.village_code, ''), "
        "head = CASE WHEN row_id = NEW.head_member_id OR relation_head = 1 THEN 1 ELSE 0 END, "
        "active = CASE WHEN own_active = 1 AND NEW.voided = 0 THEN 1 ELSE 0 END "
        "WHERE household_id = NEW.id AND kind = 'm'",
        "UPDATE search_key SET "
        "head = (SELECT d.head FROM search_doc d WHERE d.doc = search_key.doc), "
        "active = (SELECT d.active FROM search_doc d WHERE d.doc = search_key.doc) "
        f"WHERE doc IN ({docs})",
    ]


def _trigger(name: str, event: str, body: list[str]) -> str:
    statements = "; ".join(body)
    return f"CREATE TRIGGER IF NOT EXISTS {name} {event} BEGIN {statements}; END"


# Columns whose change can alter what the index holds; other updates leave it alone.
MEMBER_COLUMNS = "name, id_number, phone, relation, voided, left_reason, left_date, household_id"
HOUSEHOLD_COLUMNS = "number, phone, village_code, head_member_id, voided"

# A trigger reads only its own table and the search_ tables. A trigger on household that read
# member would break every migration that rebuilds member (Alembic's batch mode: copy, drop,
# rename): since SQLite 3.26, ALTER TABLE RENAME refuses while any trigger names a missing table.
TRIGGERS = {
    "search_member_insert": _trigger(
        "search_member_insert", "AFTER INSERT ON member", _index_members("m.id = NEW.id")
    ),
    "search_member_update": _trigger(
        "search_member_update",
        f"AFTER UPDATE OF {MEMBER_COLUMNS} ON member",
        _forget("row_id = OLD.id") + _index_members("m.id = NEW.id"),
    ),
    "search_member_delete": _trigger(
        "search_member_delete", "AFTER DELETE ON member", _forget("row_id = OLD.id")
    ),
    "search_household_insert": _trigger(
        "search_household_insert",
        "AFTER INSERT ON household",
        _index_households("h.id = NEW.id") + _restamp_members(),
    ),
    "search_household_update": _trigger(
        "search_household_update",
        f"AFTER UPDATE OF {HOUSEHOLD_COLUMNS} ON household",
        _forget("row_id = OLD.id") + _index_households("h.id = NEW.id") + _restamp_members(),
    ),
    "search_household_delete": _trigger(
        "search_household_delete", "AFTER DELETE ON household", _forget("household_id = OLD.id")
    ),
}


def ensure_index(db: Database) -> bool:
    """Create the index if missing and rebuild it when it cannot be trusted; True if rebuilt.

    Rebuilt when the index format changed (SCHEMA_VERSION), when a trigger was missing (a
    migration that recreates ``member`` drops its triggers) or when the counts disagree. The
    check only reads, so opening a database another process is busy writing does not wait."""
    with db.read() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if _trustworthy(raw.cursor()):
            return False
    with db.write_connection() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        if _trustworthy(cursor):  # another process repaired it while we waited
            return False
        _rebuild(cursor)
        return True


def _trustworthy(cursor: Any) -> bool:
    tables = {name for (name,) in cursor.execute(OUR_TABLES)}
    if not {"search_meta", *DROPPED_TABLES} <= tables:
        return False
    row = cursor.execute("SELECT value FROM search_meta WHERE key = 'version'").fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        return False
    if set(TRIGGERS) - {name for (name,) in cursor.execute(OUR_TRIGGERS)}:
        return False
    rows, docs = cursor.execute(
        "SELECT (SELECT count(*) FROM member) + (SELECT count(*) FROM household), "
        "(SELECT count(*) FROM search_doc)"
    ).fetchone()
    return bool(rows == docs)


def optimize_index(db: Database) -> None:
    """Merge the FTS5 segments that many small trigger writes leave behind; worth calling after a
    bulk import (substring lookups get about twice as fast on a freshly merged index)."""
    with db.write_connection() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        for table in FTS_TABLES:
            cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


def rebuild_index(db: Database) -> None:
    """Drop and rebuild the whole index from the member and household rows."""
    with db.write_connection() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        _rebuild(raw.cursor())


def _rebuild(cursor: Any) -> None:
    cursor.execute(TABLES[0])
    _drop(cursor)
    for statement in TABLES:
        cursor.execute(statement)
    for statement in TRIGGERS.values():
        cursor.execute(statement)
    _fill(cursor)


def _drop(cursor: Any) -> None:
    for (name,) in cursor.execute(OUR_TRIGGERS).fetchall():
        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    for table in DROPPED_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _fill(cursor: Any) -> None:
    """Index every household and member into the freshly created (empty) tables."""
    for statement in _index_households("1") + _index_members("1"):
        cursor.execute(statement)
    for table in FTS_TABLES:
        cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    cursor.execute(
        "INSERT INTO search_meta (key, value) VALUES ('version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (SCHEMA_VERSION,),
    )
