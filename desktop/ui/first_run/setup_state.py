"""Where a first run stands, kept beside the database so a crash or a cancel can resume.

The wizard writes ``<database>.setup.json`` *before* it creates the database and removes it
only when the laptop is ready, so the file's presence is the one question the app asks at start
("is this laptop set up?"). Its ``stage`` says what is already consistent on disk:

- ``start``: choices made, the database may be half-made: it is removed and made again;
- ``requested``: database and keys exist and the enrollment request is on the stick;
  the wizard resumes at "install the certificate" (after the passphrase);
- ``enrolled``: the certificate is installed; the wizard resumes at "get the villages' data";
- ``demo``: the demo county was being generated: a half-built one is removed and rebuilt.

The file holds no secret (no passphrase, no key): only choices and paths. Written atomically.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.durable import write_atomically
from desktop.core.photos import store_dir

SETUP_SUFFIX = ".setup.json"
STAGES = ("start", "requested", "enrolled", "demo")
MODES = ("stick", "online", "demo")


@dataclass
class SetupState:
    database: str
    mode: str = "stick"
    stage: str = "start"
    cadre: str = ""
    stick: str = ""
    server: str = ""
    request_file: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return Path(self.database)


def setup_file(database: Path) -> Path:
    return database.with_name(database.name + SETUP_SUFFIX)


def load_setup(database: Path) -> SetupState | None:
    """The unfinished setup of ``database``, or None (finished, never started, or unreadable:
    an unreadable file cannot say a database is consistent, so it counts as a fresh start)."""
    try:
        data = json.loads(setup_file(database).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stage") not in STAGES:
        return None
    known = {k: v for k, v in data.items() if k in SetupState.__dataclass_fields__}
    known["database"] = str(database)
    try:
        state = SetupState(**known)
    except TypeError:
        return None
    return state if state.mode in MODES else None


def save_setup(state: SetupState) -> None:
    target = setup_file(state.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, json.dumps(asdict(state), ensure_ascii=False, indent=2))


def finish_setup(database: Path) -> None:
    setup_file(database).unlink(missing_ok=True)


def needs_first_run(database: Path) -> bool:
    """True when there is no database yet, or its setup never finished."""
    return not database.exists() or setup_file(database).exists()


def remove_database(database: Path) -> None:
    """Remove a half-made database and everything kept beside it (keys, WAL, photos, outbox),
    so the next attempt starts from nothing. Only ever called before setup reached a stage
    that is consistent on disk; the setup file itself is kept."""
    keep = setup_file(database).name
    if database.parent.is_dir():
        for sibling in database.parent.iterdir():
            name = sibling.name
            if name == keep or name == keep + ".part" or not name.startswith(database.name):
                continue
            if sibling.is_dir():
                shutil.rmtree(sibling, ignore_errors=True)
            else:
                sibling.unlink(missing_ok=True)
    shutil.rmtree(store_dir(database), ignore_errors=True)
