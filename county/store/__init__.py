"""The county store: the county's database on SQLite or PostgreSQL (see :mod:`.schema`)."""

from county.store.engine import Store, StoreError, open_store, sqlite_url

__all__ = ["Store", "StoreError", "open_store", "sqlite_url"]
