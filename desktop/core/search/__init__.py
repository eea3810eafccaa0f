"""Household search (names, pinyin, initials, ID number and phone fragments, 户编号).

Importing this package registers the SQL functions the index triggers call, so it must be imported
before any connection is opened (``desktop.core.database`` does so at the top).
"""

from desktop.core.search import keys as _keys  # noqa: F401  (registers the SQL functions)
from desktop.core.search.query import DEFAULT_LIMIT, SearchHit, plan, search
from desktop.core.search.schema import ensure_index, optimize_index, rebuild_index

__all__ = [
    "DEFAULT_LIMIT",
    "SearchHit",
    "ensure_index",
    "optimize_index",
    "plan",
    "rebuild_index",
    "search",
]
