"""Per-user preferences that outlive one database: the interface language, for now.

Kept as a small JSON file in the platform's config folder (``DOORSTEP_CONFIG_DIR`` overrides it),
written atomically so a power cut leaves either the old file or the new one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from desktop.core.durable import write_atomically
from desktop.core.i18n import SUPPORTED_LANGUAGES


def preferences_path() -> Path:
    folder = os.environ.get("DOORSTEP_CONFIG_DIR") or user_config_dir("Doorstep", appauthor=False)
    return Path(folder) / "preferences.json"


def load_preferences() -> dict[str, Any]:
    """The saved preferences; an unreadable file counts as none (it is rewritten on next save)."""
    try:
        data = json.loads(preferences_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_preference(key: str, value: Any) -> None:
    path = preferences_path()
    data = load_preferences()
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=2))


def saved_language() -> str | None:
    language = load_preferences().get("language")
    return language if language in SUPPORTED_LANGUAGES else None
