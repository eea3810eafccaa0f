"""This laptop's keys, the county's enrollment certificate and signed JSON documents.

Each laptop holds an Ed25519 signing key (minisign format, signs its bundles) and an X25519 age
identity (opens the county's down-bundles). They live in ``<database>.keys.json`` beside the
database, mode 0600, and NOT in the database: the database is copied around (migration backups,
support copies, the demo), and a copy of the data must not carry the power to sign as this
laptop. Losing the key file means re-enrolling, never losing data. The certificate is public and
lives in the ``setting`` table. Beside an encrypted database the key file is sealed with the
database's data key (desktop.core.crypto.files): a lost laptop must not sign as this device, nor
open the county's bundles waiting in its inbox. A clear file found there is sealed on first use.

Enrollment certificates, requests and revocation lists are small JSON documents signed in
minisign format over their canonical JSON (sorted keys, no spaces, UTF-8) without the
``signature`` member.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from desktop.core.crypto.files import FileCipher, is_sealed_head
from desktop.core.database import Database
from desktop.core.durable import write_atomically
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import agecrypt, minisign

KEYS_SUFFIX = ".keys.json"
CERTIFICATE_KEY = "sync:certificate"
REQUEST_TYPE = "doorstep-enrollment-request"
CERTIFICATE_TYPE = "doorstep-certificate"
REVOCATIONS_TYPE = "doorstep-revocations"
DOCUMENT_VERSION = 1


class EnrollmentError(ServiceError):
    """Keys, certificates and signed documents that cannot be used; a sentence for the user."""


@dataclass(frozen=True)
class DeviceKeys:
    device_id: str
    signing: minisign.SigningKey
    age_identity: str

    @property
    def signing_public(self) -> str:
        return str(self.signing.public_key)

    @property
    def age_recipient(self) -> str:
        return agecrypt.recipient_of(self.age_identity)


def keys_path(db: Database) -> Path:
    return db.path.with_name(db.path.name + KEYS_SUFFIX)


def write_private(path: Path, content: str | bytes) -> None:
    """Write a secret atomically, readable by its owner only."""
    write_atomically(path, content, private=True)


def device_keys(db: Database, create: bool = True) -> DeviceKeys:
    """This laptop's keys, made on first use."""
    path = keys_path(db)
    device_id = db.device_id
    if path.exists():
        try:
            data = json.loads(_read_keys(db, path))
            keys = DeviceKeys(
                str(data["device_id"]),
                minisign.SigningKey.from_dict(data["signing"]),
                str(agecrypt.parse_identity(data["age_identity"])),
            )
        except (
            ValueError,
            KeyError,
            TypeError,
            OSError,  # a sealed file that does not open with this database's key
            minisign.MinisignError,
            agecrypt.AgeError,
        ):
            raise EnrollmentError(
                _("密钥文件 {path} 已损坏，请从备份恢复或重新登记本机。").format(path=path)
            ) from None
        if keys.device_id != device_id:
            raise EnrollmentError(
                _("密钥文件 {path} 属于另一台设备，不能用于这个数据库。").format(path=path)
            )
        return keys
    if not create:
        raise EnrollmentError(_("本机还没有密钥，请先运行“doorstep enroll request”。"))
    identity, _recipient = agecrypt.generate_identity()
    keys = DeviceKeys(device_id, minisign.generate_keypair(), identity)
    content = {
        "device_id": device_id,
        "signing": keys.signing.to_dict(),
        "age_identity": keys.age_identity,
    }
    _write_keys(db, path, json.dumps(content, indent=2) + "\n")
    return keys


def _read_keys(db: Database, path: Path) -> str:
    """The key file's JSON text, opening it with the data key when it is sealed."""
    raw = path.read_bytes()
    if is_sealed_head(raw):
        if db.data_key is None:
            raise ValueError("sealed key file beside a plain database")
        return FileCipher(db.data_key).open_bytes(raw, path.name).decode("utf-8")
    text = raw.decode("utf-8")
    if db.data_key is not None:
        _write_keys(db, path, text)  # a clear file beside an encrypted database: seal it now
    return text


def _write_keys(db: Database, path: Path, text: str) -> None:
    if db.data_key is None:
        write_private(path, text)
    else:
        write_private(path, FileCipher(db.data_key).seal_bytes(text.encode("utf-8")))


# --------------------------------------------------------------------------------- documents
def canonical(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign_document(document: dict[str, Any], key: minisign.SigningKey) -> dict[str, Any]:
    signed = dict(document)
    signed["signature"] = key.sign(canonical(document), trusted_comment=document.get("type", ""))
    return signed


def verify_document(document: Any, public_key: str, kind: str) -> dict[str, Any]:
    """Check a signed document's type, version and signature; returns it."""
    if not isinstance(document, dict) or document.get("type") != kind:
        raise EnrollmentError(_("文件不是入户通的{kind}。").format(kind=_kind_label(kind)))
    if document.get("version") != DOCUMENT_VERSION:
        raise EnrollmentError(
            _("{kind}的版本不受支持，请升级入户通。").format(kind=_kind_label(kind))
        )
    try:
        minisign.verify(canonical(document), str(document.get("signature", "")), public_key)
    except minisign.MinisignError as exc:
        raise EnrollmentError(
            _("{kind}的签名无效：{reason}").format(kind=_kind_label(kind), reason=exc)
        ) from None
    return document


def _kind_label(kind: str) -> str:
    return {
        REQUEST_TYPE: _("登记申请"),
        CERTIFICATE_TYPE: _("登记证书"),
        REVOCATIONS_TYPE: _("吊销名单"),
    }.get(kind, kind)


def read_json_file(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EnrollmentError(_("找不到文件 {path}。").format(path=path)) from None
    except (ValueError, UnicodeDecodeError, IsADirectoryError):
        raise EnrollmentError(_("文件 {path} 不是有效的 JSON 文件。").format(path=path)) from None


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --------------------------------------------------------------------------------- enrollment
def enrollment_request(db: Database, cadre: str) -> dict[str, Any]:
    """This laptop's public keys and cadre, self-signed to prove it holds the secret key."""
    cadre = cadre.strip()
    if not cadre:
        raise EnrollmentError(_("请填写使用这台电脑的干部姓名。"))
    db.set_cadre(cadre)
    keys = device_keys(db)
    request = {
        "type": REQUEST_TYPE,
        "version": DOCUMENT_VERSION,
        "device_id": keys.device_id,
        "cadre": cadre,
        "signing_key": keys.signing_public,
        "age_recipient": keys.age_recipient,
        "created_at": now_iso(),
    }
    return sign_document(request, keys.signing)


def verify_request(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise EnrollmentError(_("文件不是入户通的{kind}。").format(kind=_kind_label(REQUEST_TYPE)))
    request = verify_document(document, str(document.get("signing_key", "")), REQUEST_TYPE)
    try:
        agecrypt.parse_recipient(str(request.get("age_recipient", "")))
    except agecrypt.AgeError as exc:
        raise EnrollmentError(str(exc)) from None
    if not str(request.get("device_id", "")) or not str(request.get("cadre", "")).strip():
        raise EnrollmentError(_("登记申请缺少设备编号或干部姓名。"))
    return request


def issue_certificate(
    request: dict[str, Any],
    villages: list[str],
    county_key: minisign.SigningKey,
    county_recipient: str,
) -> dict[str, Any]:
    """The county's word that this device (its keys, its cadre) may edit these villages."""
    verify_request(request)
    certificate = {
        "type": CERTIFICATE_TYPE,
        "version": DOCUMENT_VERSION,
        "device_id": request["device_id"],
        "cadre": request["cadre"],
        "signing_key": request["signing_key"],
        "age_recipient": request["age_recipient"],
        "villages": sorted(set(villages)),
        "county_signing_key": str(county_key.public_key),
        "county_recipient": county_recipient,
        "issued_at": now_iso(),
    }
    return sign_document(certificate, county_key)


def accept_certificate(db: Database, document: Any) -> dict[str, Any]:
    """Install the county's certificate after checking it names this laptop and its keys."""
    if not isinstance(document, dict):
        raise EnrollmentError(
            _("文件不是入户通的{kind}。").format(kind=_kind_label(CERTIFICATE_TYPE))
        )
    previous = certificate(db)
    county_key = str(document.get("county_signing_key", ""))
    if previous is not None and previous["county_signing_key"] != county_key:
        raise EnrollmentError(_("这份证书来自另一个县的密钥，本机已登记在别的县。"))
    cert = verify_document(document, county_key, CERTIFICATE_TYPE)
    keys = device_keys(db, create=False)
    if cert.get("device_id") != keys.device_id:
        raise EnrollmentError(_("这份证书是发给另一台电脑的，不能在本机使用。"))
    if cert.get("signing_key") != keys.signing_public or (
        cert.get("age_recipient") != keys.age_recipient
    ):
        raise EnrollmentError(_("证书中的公钥与本机密钥不符，请重新申请登记。"))
    try:
        agecrypt.parse_recipient(str(cert.get("county_recipient", "")))
    except agecrypt.AgeError as exc:
        raise EnrollmentError(str(exc)) from None
    with db.write_connection() as conn:
        conn.execute(
            text(
                "INSERT INTO setting (key, value) VALUES (:k, :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"k": CERTIFICATE_KEY, "v": json.dumps(cert, ensure_ascii=False)},
        )
        conn.execute(text("UPDATE device_state SET cadre = :c WHERE id = 1"), {"c": cert["cadre"]})
    return cert


def certificate(db: Database) -> dict[str, Any] | None:
    with db.read() as conn:
        raw = conn.execute(
            text("SELECT value FROM setting WHERE key = :k"), {"k": CERTIFICATE_KEY}
        ).scalar()
    return json.loads(raw) if raw else None


def require_certificate(db: Database) -> dict[str, Any]:
    cert = certificate(db)
    if cert is None:
        raise EnrollmentError(_("本机还没有登记到县里，请先安装县里签发的登记证书。"))
    return cert


# --------------------------------------------------------------------------------- revocation
def revocation_list(
    revoked: list[dict[str, Any]], county_key: minisign.SigningKey
) -> dict[str, Any]:
    document = {
        "type": REVOCATIONS_TYPE,
        "version": DOCUMENT_VERSION,
        "revoked": sorted(revoked, key=lambda r: str(r.get("device_id"))),
        "issued_at": now_iso(),
    }
    return sign_document(document, county_key)


def revoked_devices(document: dict[str, Any], county_public: str) -> set[str]:
    checked = verify_document(document, county_public, REVOCATIONS_TYPE)
    return {str(r["device_id"]) for r in checked.get("revoked", [])}
