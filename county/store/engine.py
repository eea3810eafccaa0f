"""Opening the county store: one SQLAlchemy engine for SQLite or PostgreSQL, migrated by Alembic.

SQLite (the embedded default, ``county.db`` in the data folder) runs in WAL mode with
``synchronous=FULL``; its write transactions start with ``BEGIN IMMEDIATE`` so two writers never
deadlock on a lock upgrade, and reads use a second engine whose transactions start deferred.
PostgreSQL (``postgresql+psycopg://…``) uses READ COMMITTED; the code that writes relies on row
locks and unique constraints, never on check-then-insert (see :mod:`county.store.accept`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from county.store import schema
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_MIGRATION_LOCK = 0x0D00_C0_7E  # advisory lock key: one process migrates at a time


class StoreError(ServiceError):
    """The county's database cannot be opened or used; the message is a sentence for the user."""


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{Path(path).resolve()}"


def _sqlite_engines(url: str) -> tuple[Engine, Engine]:
    def make(immediate: bool) -> Engine:
        engine = create_engine(
            url,
            connect_args={"isolation_level": None, "timeout": 60, "check_same_thread": False},
            poolclass=NullPool if immediate else None,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA busy_timeout = 60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    return make(True), make(False)


class Store:
    """The county's database: ``begin()`` for a write transaction, ``read()`` for reading."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                self.writer, self.reader = _sqlite_engines(url)
            elif url.startswith("postgresql"):
                self.writer = create_engine(
                    url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True
                )
                self.reader = self.writer
            else:
                raise ArgumentError(url)
        except (ArgumentError, ImportError):
            raise StoreError(
                _(
                    "数据库地址“{url}”无效：请用 postgresql+psycopg://用户@主机/库名，"
                    "或不加 --db 使用数据文件夹里的 SQLite。"
                ).format(url=redacted(url))
            ) from None

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.writer.dialect.name == "postgresql"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: commits when the block ends, rolls back on any error."""
        with self.writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.reader.connect() as conn:
            yield conn

    def close(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    # ------------------------------------------------------------------ schema
    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic), one process at a time."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.writer.begin() as conn:
                if self.is_postgresql:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
                elif "household" in inspect(conn).get_table_names():
                    raise StoreError(
                        _(
                            "{url} 是旧版县级数据库（笔记本格式），新版服务器不能直接使用；"
                            "请新建县级数据文件夹后重新导入名册和数据包。"
                        ).format(url=redacted(self.url))
                    )
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise StoreError(
                _("连不上县级数据库 {url}：{error}").format(
                    url=redacted(self.url), error=str(exc.orig).strip().splitlines()[0][:160]
                )
            ) from None

    def get_meta(self, conn: Connection, key: str) -> str | None:
        found = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).first()
        return None if found is None else str(found[0])

    def put_meta(self, conn: Connection, key: str, value: str) -> None:
        from county.store.sql import insert

        stmt = insert(conn, schema.meta).values(key=key, value=value)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
        )


def open_store(url: str, migrate: bool = True) -> Store:
    store = Store(url)
    try:
        if migrate:
            store.migrate()
        else:
            with store.read() as conn:
                conn.execute(select(schema.counter.c.value).limit(1)).first()
    except SQLAlchemyError as exc:
        store.close()
        raise StoreError(
            _("县级数据库 {url} 无法使用：{error}").format(
                url=redacted(url), error=str(exc).splitlines()[0][:160]
            )
        ) from None
    except StoreError:
        store.close()
        raise
    return store


def redacted(url: str) -> str:
    """A URL as it may appear in a message or log: never the password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
