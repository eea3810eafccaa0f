"""What a backup file says about itself, readable without any key.

A cadre looking at a stick (or the restore list) must see which laptop a backup came from, when,
how big and of which schema, before anything is decrypted; the hashes let a copy be checked end
to end. Nothing personal is in it: no names, no cadre, only counts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from desktop.core.backup.errors import BackupError
from desktop.core.i18n import _

FORMAT = "doorstep-backup"
VERSION = 1
MANIFEST_NAME = "manifest.json"
PAYLOAD_NAME = "database.bin"
KEY_FILE_NAME = "keys.json"

#: sealed: a plain database, sealed with the laptop's backup key (see sealing.py).
#: sqlcipher: an encrypted database copied encrypted with its data key, plus its key file, so the
#: cadre's passphrase opens it.
SCHEMES = ("sealed", "sqlcipher")
KINDS = ("daily", "manual")


@dataclass(frozen=True)
class Manifest:
    device_id: str
    schema_revision: str | None
    created_at: str  # ISO 8601 with the laptop's UTC offset
    kind: str
    scheme: str
    key_id: str
    database_name: str
    database_size: int  # bytes of the database file as restored
    database_sha256: str
    payload_size: int  # bytes of the stored (encrypted) entry
    payload_sha256: str
    households: int
    app_version: str

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "version": VERSION, **asdict(self)}
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BackupError(_("备份文件的说明部分已损坏。")) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(_("这不是入户通的备份文件。"))
        if data.get("version") != VERSION:
            raise BackupError(_("这个备份文件的格式较新，请先升级入户通再恢复。"))
        try:
            manifest = cls(**{name: data[name] for name in cls.__dataclass_fields__})
            manifest.created  # noqa: B018 - a date that does not parse is a damaged manifest
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(_("备份文件的说明部分已损坏。")) from exc
        if manifest.scheme not in SCHEMES or manifest.kind not in KINDS:
            raise BackupError(_("这个备份文件的格式较新，请先升级入户通再恢复。"))
        return manifest
