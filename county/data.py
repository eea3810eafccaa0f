"""The county's data folder and database: its keys, its store and the devices it has enrolled.

``doorstep-county init --data DIR`` lays out the folder; every other county command and the
server open it::

    county.json          what this folder is, and the county's public keys
    county-age.key       age identity (AGE-SECRET-KEY-1…), 0600: opens the laptops' bundles
    county-age.pub       its recipient (age1…), handed to laptops in their certificates
    county.key           minisign secret key, 0600: signs certificates and down-bundles
    county.pub           minisign public key (RW…), what laptops and auditors check against
    county.db            the county store on SQLite (the default; ``--db URL`` names PostgreSQL)
    county-photos/       photo files by SHA-256
    county-replica.db    the county office's own Doorstep database (roster imports, resolving
                         conflicts): rebuilt from the store whenever it is missing
    held/<id>/           laptop bundles that arrived before their predecessor

The store (:mod:`county.store`) holds the change log, the merged cells, conflicts and the
devices with their certificates, revocations, chains and cursors.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, update

from county.store import schema
from county.store.engine import Store, StoreError, open_store, redacted, sqlite_url
from county.store.sql import insert
from desktop.core.i18n import _
from desktop.core.models import new_id
from desktop.core.services.errors import ServiceError
from desktop.sync import agecrypt, minisign
from desktop.sync import keys as keyring

DB_ENV = "DOORSTEP_COUNTY_DB"


class CountyError(ServiceError):
    """A county folder or command that cannot go on; the message is a sentence for the user."""


def database_url(root: Path, url: str | None = None) -> str:
    """``--db`` if given; else $DOORSTEP_COUNTY_DB (how ``serve`` hands ``--db`` to its worker
    processes); else the database the folder was made with (county.json); else the SQLite file
    in the data folder."""
    if url or os.environ.get(DB_ENV):
        return str(url or os.environ.get(DB_ENV))
    info = Path(root) / "county.json"
    if info.is_file():
        recorded = json.loads(info.read_text("utf-8")).get("database")
        if recorded:
            return str(recorded)
    return sqlite_url(Path(root) / "county.db")


def record_database(root: Path, url: str) -> None:
    """Remember which database belongs to this folder (the SQLite default is not recorded, so a
    copied folder keeps its own file). A password is never written: give it again with --db or
    through PGPASSWORD / .pgpass."""
    path = Path(root) / "county.json"
    info = json.loads(path.read_text("utf-8"))
    if url == sqlite_url(Path(root) / "county.db"):
        info.pop("database", None)
    else:
        info["database"] = redacted(url)
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class County:
    root: Path
    store: Store
    age_identity: str
    signing: minisign.SigningKey
    device_id: str  # the county's own identity: signs down-bundles, authors county changes

    # ----------------------------------------------------------------- layout
    @property
    def age_recipient(self) -> str:
        return agecrypt.recipient_of(self.age_identity)

    @property
    def signing_public(self) -> str:
        return str(self.signing.public_key)

    @property
    def photos_anchor(self) -> Path:
        """Photos live beside this name (``county-photos/``), whichever database is in use."""
        return self.root / "county.db"

    @property
    def name(self) -> str:
        info = json.loads((self.root / "county.json").read_text("utf-8"))
        return str(info.get("name", ""))

    @property
    def revocations_path(self) -> Path:
        """The county-signed list of withdrawn devices, published for relays and auditors (the
        store is the authority; this copy is rewritten on every revocation)."""
        return self.root / "revocations.json"

    def held_dir(self, device_id: str) -> Path:
        return self.root / "held" / _safe(device_id)

    @property
    def work_dir(self) -> Path:
        return self.root / "tmp"

    # ----------------------------------------------------------------- opening
    @classmethod
    def init(cls, root: Path, name: str = "", url: str | None = None) -> County:
        root = Path(root)
        if (root / "county.json").exists():
            raise CountyError(_("文件夹 {path} 里已经有县级数据，不会覆盖。").format(path=root))
        root.mkdir(parents=True, exist_ok=True)
        identity, recipient = agecrypt.generate_identity()
        signing = minisign.generate_keypair()
        url = database_url(root, url)
        store = open_store(url)
        try:
            with store.begin() as conn:
                owner = store.get_meta(conn, "signing_key")
                if owner is not None:
                    raise CountyError(
                        _("这个数据库已经属于另一个县级数据文件夹，不会覆盖；请换一个空数据库。")
                    )
                store.put_meta(conn, "signing_key", str(signing.public_key))
                store.put_meta(conn, "device_id", new_id())
        finally:
            store.close()
        keyring.write_private(
            root / "county-age.key",
            f"# created: {keyring.now_iso()}\n# public key: {recipient}\n{identity}\n",
        )
        (root / "county-age.pub").write_text(recipient + "\n")
        signing.save(root / "county.key")
        (root / "county.pub").write_text(signing.public_key.pub_file_text())
        info = {
            "type": "doorstep-county",
            "version": 2,
            "name": name,
            "created_at": keyring.now_iso(),
            "age_recipient": recipient,
            "signing_key": str(signing.public_key),
        }
        (root / "county.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        record_database(root, url)
        county = cls.open(root, url)
        county.publish_revocations()
        return county

    @classmethod
    def open(cls, root: Path, url: str | None = None, migrate: bool = True) -> County:
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
        store = open_store(database_url(root, url), migrate=migrate)
        try:
            with store.read() as conn:
                owner = store.get_meta(conn, "signing_key")
                device = store.get_meta(conn, "device_id")
        except BaseException:
            store.close()
            raise
        if owner != str(signing.public_key) or device is None:
            store.close()
            raise CountyError(
                _("数据库不属于县级数据文件夹 {path}（密钥不一致），请检查 --db。").format(
                    path=root
                )
            )
        return cls(root, store, identity, signing, device)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> County:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- devices
    def certificate(self, device_id: str) -> dict[str, Any] | None:
        """The device's certificate, checked against our key; None if never enrolled."""
        with self.store.read() as conn:
            raw = conn.execute(
                select(schema.device.c.certificate).where(schema.device.c.device_id == device_id)
            ).scalar()
        if raw is None:
            return None
        return keyring.verify_document(
            json.loads(raw), self.signing_public, keyring.CERTIFICATE_TYPE
        )

    def devices(self) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            raws = conn.execute(
                select(schema.device.c.certificate).order_by(schema.device.c.device_id)
            ).scalars()
            documents = [json.loads(raw) for raw in raws]
        return [
            keyring.verify_document(d, self.signing_public, keyring.CERTIFICATE_TYPE)
            for d in documents
        ]

    def save_certificate(self, cert: dict[str, Any], conn: Connection | None = None) -> None:
        """Record a certificate; enrolling the same laptop again keeps its chain and cursor.
        With ``conn``, inside the caller's transaction (an enrollment code used in the same)."""
        _safe(cert["device_id"])
        if conn is None:
            with self.store.begin() as own:
                self.save_certificate(cert, own)
            return
        stmt = insert(conn, schema.device).values(
            device_id=cert["device_id"],
            certificate=json.dumps(cert, ensure_ascii=False),
            cadre=str(cert.get("cadre", "")),
            enrolled_at=keyring.now_iso(),
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["device_id"],
                set_={"certificate": stmt.excluded.certificate, "cadre": stmt.excluded.cadre},
            )
        )

    def revocations(self) -> list[dict[str, Any]]:
        d = schema.device.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(d.device_id, d.revoked_at, d.revoke_reason)
                .where(d.revoked_at.is_not(None))
                .order_by(d.revoked_at, d.device_id)
            ).all()
        return [{"device_id": r[0], "revoked_at": r[1], "reason": r[2] or ""} for r in rows]

    def revocation_document(self) -> dict[str, Any]:
        """The county-signed list of withdrawn devices, for relays and auditors."""
        return keyring.revocation_list(self.revocations(), self.signing)

    def revoked(self) -> set[str]:
        return {str(r["device_id"]) for r in self.revocations()}

    def revoke(self, device_id: str, reason: str = "") -> dict[str, Any]:
        """Withdraw a device: its bundles are refused from now on (one UPDATE, no race)."""
        at = keyring.now_iso()
        d = schema.device.c
        with self.store.begin() as conn:
            done = conn.execute(
                update(schema.device)
                .where(d.device_id == device_id, d.revoked_at.is_(None))
                .values(revoked_at=at, revoke_reason=reason)
            ).rowcount
            if not done:
                known = conn.execute(
                    select(func.count()).where(d.device_id == device_id)
                ).scalar_one()
                if not known:
                    raise CountyError(_("没有登记过编号为 {id} 的设备。").format(id=device_id))
                raise CountyError(_("设备 {id} 已经被吊销了。").format(id=device_id))
        self.publish_revocations()
        return {"device_id": device_id, "revoked_at": at, "reason": reason}

    def publish_revocations(self) -> None:
        document = self.revocation_document()
        tmp = self.revocations_path.with_suffix(".part")
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.revocations_path)

    def device_state(self, device_id: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            row = (
                conn.execute(select(schema.device).where(schema.device.c.device_id == device_id))
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    # ----------------------------------------------------------------- the county's own edits
    @contextlib.contextmanager
    def authoring(self) -> Iterator[Any]:
        """The county office's own Doorstep database, brought up to date with the store; what
        is written in it (through the ordinary unit of work) joins the store as county changes
        when the block ends. One author at a time (a lock file)."""
        from county.replica import replica_session

        with replica_session(self) as db:
            yield db

    def change_count(self) -> int:
        with self.store.read() as conn:
            return int(
                conn.execute(select(func.count()).select_from(schema.change_log)).scalar_one()
            )


def _safe(device_id: str) -> str:
    """Device ids are UUIDs; anything else must not become a path."""
    if not device_id or any(c not in "0123456789abcdefABCDEF-" for c in device_id):
        raise CountyError(_("设备编号“{id}”无效。").format(id=device_id[:60]))
    return device_id


__all__ = ["County", "CountyError", "StoreError", "database_url"]
