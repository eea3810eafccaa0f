"""The first run: a wizard that sets a new laptop up (enroll or demo, passphrase, data)."""

from __future__ import annotations

from pathlib import Path

from desktop.core.preferences import load_preferences
from desktop.ui.first_run.setup_state import needs_first_run, setup_file

__all__ = ["needs_first_run", "startup_path"]


def startup_path(default: Path) -> Path:
    """The database the app opens without --db: the demo chosen in the wizard, if it was
    finished, else the laptop's own database."""
    remembered = load_preferences().get("database")
    if isinstance(remembered, str) and remembered:
        path = Path(remembered)
        if path.is_file() and not setup_file(path).exists() and not default.exists():
            return path
    return default
