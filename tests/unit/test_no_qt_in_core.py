"""Core packages must run where Qt is absent: the county server, scripts, tests without a screen."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE_PACKAGES = ("desktop.core", "desktop.sync", "desktop.ledger", "county")
QT_IMPORT = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt[56]|shiboken6)\b", re.MULTILINE)


def core_modules() -> list[str]:
    names = []
    for package in CORE_PACKAGES:
        path = ROOT.joinpath(*package.split("."))
        names.append(package)
        for info in pkgutil.walk_packages([str(path)], prefix=f"{package}."):
            if ".migrations" not in info.name:
                names.append(info.name)
    return names


def test_no_core_source_file_imports_qt() -> None:
    offenders = []
    for package in CORE_PACKAGES:
        for source in ROOT.joinpath(*package.split(".")).rglob("*.py"):
            if QT_IMPORT.search(source.read_text(encoding="utf-8")):
                offenders.append(str(source.relative_to(ROOT)))
    assert offenders == []


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = core_modules()
    assert len(modules) > 10
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
