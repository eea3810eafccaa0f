"""Enrolling laptops (certificates naming their villages) and withdrawing them (revocation)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import false, select

from county.data import County, CountyError
from county.store import schema
from desktop.core.i18n import _
from desktop.sync import keys as keyring

VILLAGE_CODE = re.compile(r"\d{12}")


def resolve_villages(county: County, names: list[str]) -> list[str]:
    """Village codes for what the user typed: 12-digit codes, or names the county holds."""
    codes: list[str] = []
    p = schema.row_place.c
    with county.store.read() as conn:
        for raw in names:
            item = raw.strip()
            if not item:
                continue
            if VILLAGE_CODE.fullmatch(item):
                codes.append(item)
                continue
            found = conn.execute(
                select(p.code).where(
                    p.tbl == "region", p.name == item, p.level == "village", p.voided == false()
                )
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
    """Check a laptop's request and issue its certificate (kept in the county store)."""
    checked = keyring.verify_request(request)
    if checked["device_id"] in county.revoked():
        raise CountyError(_("这台设备已被吊销，不能再次登记；请用新的数据库重新申请。"))
    codes = resolve_villages(county, villages)
    cert = keyring.issue_certificate(checked, codes, county.signing, county.age_recipient)
    county.save_certificate(cert)
    return cert


def revoke(county: County, device_id: str, reason: str = "") -> dict[str, Any]:
    """Withdraw a device: its bundles are refused from now on."""
    return county.revoke(device_id, reason)
