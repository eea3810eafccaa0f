"""The township relay station's own state folder: its key, its county certificate, the device list.

A township office relays USB sticks between laptops and the county. It must never read a bundle,
so it holds no age identity, only an Ed25519 signing key that proves to the county server who is
asking (see :mod:`county.server.stations`). Its certificate, signed by the county, names its role
and the villages it serves, and pins the county's signing key. The device list (the
county-signed certificates of the laptops in those villages, and the county-signed revocation
list) is cached here so the station can check bundle signatures while offline; every cached
document is checked against the county key again whenever it is read, so a tampered cache is
refused rather than believed.

Layout of the state folder::

    station.keys.json      the station id and signing key (0600)
    station.json           the county's certificate for this station
    directory.json         the device list from the county (certificates + revocations)
    queue/                 laptop bundles waiting to be forwarded (with their .minisig)
    down/<device>/         the newest down-bundle fetched for each laptop (with the county's .minisig)
    refused/               bundles the county refused, each with a .reason.txt
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from desktop.core.durable import write_atomically
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync import minisign

STATION_REQUEST_TYPE = "doorstep-station-request"
STATION_CERTIFICATE_TYPE = "doorstep-station-certificate"
KEYS_FILE = "station.keys.json"
CERTIFICATE_FILE = "station.json"
DIRECTORY_FILE = "directory.json"


class StationError(ServiceError):
    """The relay station cannot work (not enrolled, damaged state); a sentence for the user."""


def default_state_dir() -> Path:
    """Where the township relay keeps its state unless told otherwise."""
    folder = os.environ.get("DOORSTEP_RELAY_DIR")
    return Path(folder) if folder else Path(user_data_dir("Doorstep", appauthor=False)) / "relay"


@dataclass(frozen=True)
class Directory:
    """The devices this station may relay for, as the county signed them."""

    certificates: dict[str, dict[str, Any]]
    revoked: set[str]


@dataclass
class Station:
    root: Path

    # ------------------------------------------------------------------ paths
    @property
    def queue(self) -> Path:
        return self.root / "queue"

    @property
    def refused(self) -> Path:
        return self.root / "refused"

    def down(self, device_id: str) -> Path:
        return self.root / "down" / device_id

    # ------------------------------------------------------------------ keys
    def keys(self, create: bool = False) -> tuple[str, minisign.SigningKey]:
        path = self.root / KEYS_FILE
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return str(data["station_id"]), minisign.SigningKey.from_dict(data["signing"])
            except (ValueError, KeyError, TypeError, minisign.MinisignError):
                raise StationError(
                    _("中转站的密钥文件 {path} 已损坏，请重新登记本站。").format(path=path)
                ) from None
        if not create:
            raise StationError(_("本站还没有在县里登记，请先登记乡镇中转站。"))
        self.root.mkdir(parents=True, exist_ok=True)
        station_id, signing = str(uuid.uuid4()), minisign.generate_keypair()
        content = {"station_id": station_id, "signing": signing.to_dict()}
        keyring.write_private(path, json.dumps(content, indent=2) + "\n")
        return station_id, signing

    def request(self, name: str) -> dict[str, Any]:
        """A self-signed enrollment request: the station's id, name and public key."""
        if not name.strip():
            raise StationError(_("请填写中转站的名称（例如乡镇名）。"))
        station_id, signing = self.keys(create=True)
        document = {
            "type": STATION_REQUEST_TYPE,
            "version": keyring.DOCUMENT_VERSION,
            "station_id": station_id,
            "name": name.strip(),
            "signing_key": str(signing.public_key),
            "created_at": keyring.now_iso(),
        }
        return keyring.sign_document(document, signing)

    # ------------------------------------------------------------------ certificate
    def accept(self, document: Any, server: str) -> dict[str, Any]:
        """Install the county's certificate for this station (and remember the server)."""
        station_id, signing = self.keys()
        if not isinstance(document, dict):
            raise StationError(_("县服务器返回的中转站证书格式不对。"))
        county_key = str(document.get("county_signing_key", ""))
        try:
            cert = keyring.verify_document(document, county_key, STATION_CERTIFICATE_TYPE)
        except keyring.EnrollmentError as exc:
            raise StationError(str(exc)) from None
        if cert.get("station_id") != station_id or cert.get("signing_key") != str(
            signing.public_key
        ):
            raise StationError(_("这份证书不是发给本站的，没有安装。"))
        previous = self.certificate()
        if previous is not None and previous["county_signing_key"] != county_key:
            raise StationError(_("这份证书来自另一个县的密钥，本站已登记在别的县。"))
        self._write(CERTIFICATE_FILE, {**cert, "server": server})
        return cert

    def certificate(self) -> dict[str, Any] | None:
        path = self.root / CERTIFICATE_FILE
        if not path.is_file():
            return None
        document = keyring.read_json_file(path)
        server = document.pop("server", None)
        try:
            cert = keyring.verify_document(
                document, str(document.get("county_signing_key", "")), STATION_CERTIFICATE_TYPE
            )
        except keyring.EnrollmentError as exc:
            raise StationError(
                _("本站的证书文件已损坏（{reason}），请重新登记本站。").format(reason=exc)
            ) from None
        return {**cert, "server": server}

    def require_certificate(self) -> dict[str, Any]:
        cert = self.certificate()
        if cert is None:
            raise StationError(_("本站还没有在县里登记，请先登记乡镇中转站。"))
        return cert

    # ------------------------------------------------------------------ device list
    def save_directory(self, document: Any, county_key: str) -> Directory:
        """Check the county's device list, then keep it for offline runs."""
        directory = check_directory(document, county_key)
        self._write(DIRECTORY_FILE, document)
        return directory

    def directory(self, county_key: str) -> Directory | None:
        path = self.root / DIRECTORY_FILE
        if not path.is_file():
            return None
        try:
            return check_directory(keyring.read_json_file(path), county_key)
        except (keyring.EnrollmentError, StationError):
            return None  # a damaged cache is no cache: the next online run replaces it

    def _write(self, name: str, document: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.root / name, json.dumps(document, ensure_ascii=False, indent=1))


def check_directory(document: Any, county_key: str) -> Directory:
    """Every certificate and the revocation list must carry the county's signature."""
    if not isinstance(document, dict) or document.get("county_signing_key") != county_key:
        raise StationError(_("设备名单不是本县签发的，没有采用。"))
    certificates: dict[str, dict[str, Any]] = {}
    for cert in document.get("certificates", []):
        checked = keyring.verify_document(cert, county_key, keyring.CERTIFICATE_TYPE)
        certificates[str(checked["device_id"])] = checked
    revoked = keyring.revoked_devices(document.get("revocations", {}), county_key)
    return Directory(certificates, revoked)


__all__ = ["Directory", "Station", "StationError", "check_directory", "default_state_dir"]
