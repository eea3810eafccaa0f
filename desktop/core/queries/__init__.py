"""Read-side queries for the GUI and the command line: plain functions over a ``Database``.

Nothing here writes synced data (that is ``desktop.core.services``) and nothing imports Qt, so the
same reads serve the windows, the CLI and tests.
"""

from desktop.core.queries.detail import HouseholdDetail, household_detail
from desktop.core.queries.history import HistoryEntry, history
from desktop.core.queries.households import (
    HouseholdFilters,
    HouseholdRow,
    Scope,
    count_households,
    household_keys,
    list_households,
    rows_for_keys,
)
from desktop.core.queries.regions import RegionNode, list_helpers, region_tree, villages
from desktop.core.queries.status import pending_change_count

__all__ = [
    "HistoryEntry",
    "HouseholdDetail",
    "HouseholdFilters",
    "HouseholdRow",
    "RegionNode",
    "Scope",
    "count_households",
    "history",
    "household_detail",
    "household_keys",
    "list_helpers",
    "list_households",
    "pending_change_count",
    "region_tree",
    "rows_for_keys",
    "villages",
]
