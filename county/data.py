"""The county's data folder: its keys, its database and the devices it has enrolled.

``doorstep-county init --data DIR`` lays it out; every other county command (and, later, the
server) opens it::

    county.json          what this folder is, and the county's public keys
    county-age.key       age identity (AGE-SECRET-KEY-1…), 0600: opens the laptops' bundles
    county-age.pub       its recipient (age1…), handed to laptops in their certificates
    county.key           minisign secret key, 0600: signs certificates and down-bundles
    county.pub           minisign public key (RW…), what laptops and auditors check against
    county.db            the county's Doorstep database: the merged state, same schema as a laptop
    county-photos/       photo files by SHA-256
    devices/<id>.json    the certificate issued to each enrolled laptop
    revocations.json     the county-signed list of withdrawn devices
    held/<id>/           laptop bundles that arrived before their predecessor
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.database import Database, open_database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import agecrypt, minisign
from desktop.sync import keys as keyring


class CountyError(ServiceError):
    """A county folder or command that cannot go on; the message is a sentence for the user."""


@dataclass
class County:
    root: Path
    db: Database
    age_identity: str
    signing: minisign.SigningKey

    # ----------------------------------------------------------------- layout
    @property
    def age_recipient(self) -> str:
        return agecrypt.recipient_of(self.age_identity)

    @property
    def signing_public(self) -> str:
        return str(self.signing.public_key)

    @property
    def devices_dir(self) -> Path:
        return self.root / "devices"

    @property
    def revocations_path(self) -> Path:
        return self.root / "revocations.json"

    def held_dir(self, device_id: str) -> Path:
        return self.root / "held" / device_id

    @property
    def work_dir(self) -> Path:
        return self.root / "tmp"

    # ----------------------------------------------------------------- opening
    @classmethod
    def init(cls, root: Path, name: str = "") -> County:
        root = Path(root)
        if (root / "county.json").exists():
            raise CountyError(_("文件夹 {path} 里已经有县级数据，不会覆盖。").format(path=root))
        root.mkdir(parents=True, exist_ok=True)
        (root / "devices").mkdir(exist_ok=True)
        identity, recipient = agecrypt.generate_identity()
        signing = minisign.generate_keypair()
        keyring.write_private(
            root / "county-age.key",
            f"# created: {keyring.now_iso()}\n# public key: {recipient}\n{identity}\n",
        )
        (root / "county-age.pub").write_text(recipient + "\n")
        signing.save(root / "county.key")
        (root / "county.pub").write_text(signing.public_key.pub_file_text())
        info = {
            "type": "doorstep-county",
            "version": 1,
            "name": name,
            "created_at": keyring.now_iso(),
            "age_recipient": recipient,
            "signing_key": str(signing.public_key),
        }
        (root / "county.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        county = cls.open(root)
        county.save_revocations([])
        return county

    @classmethod
    def open(cls, root: Path) -> County:
        root = Path(root)
        if not (root / "county.json").is_file():
            raise CountyError(
                _("{path} 不是县级数据文件夹，请先运行“doorstep-county init”。").format(path=root)
            )
        try:
            identity = str(
                agecrypt.parse_identities((root / "county-age.key").read_text(encoding="utf-8"))[0]
            )
            signing = minisign.SigningKey.load(root / "county.key")
        except (OSError, agecrypt.AgeError, minisign.MinisignError):
            raise CountyError(
                _("县级密钥文件缺失或已损坏（{path}），请从备份恢复。").format(path=root)
            ) from None
        db = open_database(root / "county.db")
        return cls(root, db, identity, signing)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> County:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- devices
    def certificate(self, device_id: str) -> dict[str, Any] | None:
        path = self.devices_dir / f"{_safe(device_id)}.json"
        if not path.is_file():
            return None
        cert = keyring.read_json_file(path)
        return keyring.verify_document(cert, self.signing_public, keyring.CERTIFICATE_TYPE)

    def devices(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.devices_dir.glob("*.json")):
            cert = self.certificate(path.stem)
            if cert is not None:
                found.append(cert)
        return found

    def save_certificate(self, cert: dict[str, Any]) -> Path:
        path = self.devices_dir / f"{_safe(cert['device_id'])}.json"
        path.write_text(json.dumps(cert, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    def revocations(self) -> list[dict[str, Any]]:
        document = keyring.read_json_file(self.revocations_path)
        keyring.verify_document(document, self.signing_public, keyring.REVOCATIONS_TYPE)
        return list(document.get("revoked", []))

    def revoked(self) -> set[str]:
        return {str(r["device_id"]) for r in self.revocations()}

    def save_revocations(self, revoked: list[dict[str, Any]]) -> None:
        document = keyring.revocation_list(revoked, self.signing)
        tmp = self.revocations_path.with_suffix(".part")
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.revocations_path)


def _safe(device_id: str) -> str:
    """Device ids are UUIDs; anything else must not become a path."""
    if not device_id or any(c not in "0123456789abcdefABCDEF-" for c in device_id):
        raise CountyError(_("设备编号“{id}”无效。").format(id=device_id[:60]))
    return device_id
