"""The 建档立卡 roster (.xlsx, sheets 户 and 成员): read and check it, import it, export it.

``read_roster(path)`` checks a file without a database; ``import_roster(db, path, commit)`` makes
the plan (and with ``commit`` applies it in one transaction); ``export_roster(db, path)`` writes
the same template back. ``register_roster_commands`` (cli_command.py) adds ``doorstep import`` and
``doorstep export``. Names are imported on first use, so the command line starts without loading
openpyxl and the database layer.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ImportReport": "desktop.core.roster.report",
    "RosterProblem": "desktop.core.roster.report",
    "RosterReport": "desktop.core.roster.report",
    "RosterExportError": "desktop.core.roster.exporter",
    "export_roster": "desktop.core.roster.exporter",
    "import_roster": "desktop.core.roster.importer",
    "read_roster": "desktop.core.roster.reader",
    "RosterFileError": "desktop.core.roster.xlsx",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(import_module(_EXPORTS[name]), name)
