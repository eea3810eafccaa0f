"""Enrolling laptops (certificates naming their villages) and withdrawing them (revocation)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from county.data import County, CountyError
from desktop.core.i18n import _
from desktop.sync import keys as keyring

VILLAGE_CODE = re.compile(r"\d{12}")


def resolve_villages(county: County, names: list[str]) -> list[str]:
    """Village codes for what the user typed: 12-digit codes, or names known to county.db."""
    codes: list[str] = []
    with county.db.read() as conn:
        for raw in names:
            item = raw.strip()
            if not item:
                continue
            if VILLAGE_CODE.fullmatch(item):
                codes.append(item)
                continue
            found = conn.execute(
                text(
                    "SELECT code FROM region WHERE name = :n AND level = 'village' AND voided = 0"
                ),
                {"n": item},
            ).all()
            if not found:
                raise CountyError(
                    _("找不到名为“{name}”的村，请改用 12 位区划代码。").format(name=item)
                )
            if len(found) > 1:
                raise CountyError(_("有多个村叫“{name}”，请改用 12 位区划代码。").format(name=item))
            codes.append(str(found[0][0]))
    if not codes:
        raise CountyError(_("请至少指定一个村（--villages）。"))
    return sorted(set(codes))


def enroll(county: County, request: Any, villages: list[str]) -> dict[str, Any]:
    """Check a laptop's request and issue its certificate (kept in devices/ as well)."""
    checked = keyring.verify_request(request)
    if checked["device_id"] in county.revoked():
        raise CountyError(_("这台设备已被吊销，不能再次登记；请用新的数据库重新申请。"))
    codes = resolve_villages(county, villages)
    cert = keyring.issue_certificate(checked, codes, county.signing, county.age_recipient)
    county.save_certificate(cert)
    return cert


def revoke(county: County, device_id: str, reason: str = "") -> dict[str, Any]:
    """Withdraw a device: its bundles are refused from now on."""
    if county.certificate(device_id) is None:
        raise CountyError(_("没有登记过编号为 {id} 的设备。").format(id=device_id))
    revoked = county.revocations()
    if any(r["device_id"] == device_id for r in revoked):
        raise CountyError(_("设备 {id} 已经被吊销了。").format(id=device_id))
    entry = {"device_id": device_id, "revoked_at": keyring.now_iso(), "reason": reason}
    county.save_revocations([*revoked, entry])
    return entry
