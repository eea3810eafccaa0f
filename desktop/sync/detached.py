"""A detached signature over the encrypted bundle file: ``<device>-<seq>.dsb.minisig``.

The signature inside a bundle (over its manifest) can only be checked by whoever can decrypt it:
the county. The township relay carries bundles it must not read, yet it has to refuse a stick
full of forged or damaged files before forwarding them. So the laptop also signs the encrypted
file as it lies on the stick, in minisign's format beside it, which the relay checks against the
device's enrolled key (and anyone can check with the stock ``minisign -V -m FILE -p KEY.pub``).

The trusted comment names the file and the device, so a signature cannot be moved to another
bundle by renaming files. Bundles made before this existed have no detached signature; the county
never needs it (it checks the signature inside), so they stay importable there.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from desktop.core.durable import fsync_dir
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import minisign
from desktop.sync.bundle import SUFFIX

SIGNATURE_SUFFIX = ".minisig"
UP_NAME = re.compile(r"([0-9a-fA-F-]{1,64})-(\d{6,})" + re.escape(SUFFIX))
MAX_SIGNATURE_BYTES = 16 << 10


class DetachedSignatureError(ServiceError):
    """A bundle file whose detached signature is missing, malformed or not its sender's."""


@dataclass(frozen=True)
class SignedFile:
    """What a good detached signature vouches for."""

    name: str
    device_id: str
    key_id: str


def signature_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.name + SIGNATURE_SUFFIX)


def trusted_comment(name: str, device_id: str) -> str:
    return f"doorstep bundle file:{name} device:{device_id}"


def sign_file(bundle: Path, signing: minisign.SigningKey, device_id: str) -> Path:
    """Write ``bundle.minisig`` atomically (temp, fsync, rename); returns its path."""
    text = signing.sign_file(bundle, trusted_comment=trusted_comment(bundle.name, device_id))
    target = signature_path(bundle)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "x", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def device_of(name: str) -> str | None:
    """The sending device named by an up-bundle's file name, or None for any other name."""
    found = UP_NAME.fullmatch(name)
    return found.group(1) if found else None


def verify_file(bundle: Path, public_key: str, device_id: str) -> SignedFile:
    """Check ``bundle`` against its ``.minisig`` and the device's enrolled key; raises
    :class:`DetachedSignatureError` with a sentence for the user."""
    name = bundle.name
    sig = signature_path(bundle)
    if not sig.is_file():
        raise DetachedSignatureError(
            _(
                "数据包 {name} 没有签名文件（{sig}），无法确认发送方；"
                "请在笔记本上用新版入户通再同步一次 U 盘。"
            ).format(name=name, sig=sig.name)
        )
    if sig.stat().st_size > MAX_SIGNATURE_BYTES:
        raise DetachedSignatureError(_("数据包 {name} 的签名文件格式错误。").format(name=name))
    try:
        checked = minisign.verify(bundle, sig.read_bytes(), public_key)
    except minisign.MinisignError as exc:
        raise DetachedSignatureError(
            _("数据包 {name} 的签名不对：{reason}").format(name=name, reason=exc)
        ) from None
    if checked.trusted_comment != trusted_comment(name, device_id):
        raise DetachedSignatureError(
            _("数据包 {name} 的签名属于另一个文件（文件被改名或调换过）。").format(name=name)
        )
    return SignedFile(name, device_id, checked.key_id)


__all__ = [
    "DetachedSignatureError",
    "SignedFile",
    "device_of",
    "sign_file",
    "signature_path",
    "verify_file",
]
