"""Enrollment codes the county hands out: each one says which villages it enrolls for.

A cadre (or a township office) types a short code such as ``K7QM-3XRT-9HCA`` into the laptop;
the villages, the role (a laptop or a township relay), the expiry and the number of uses were
fixed by the county when it issued the code (``doorstep-county enroll-code``), so the person
enrolling chooses nothing. Only a SHA-256 of the code is stored: the codes are random enough
(about 59 bits) that a hash without salt gives nothing away, and a copy of the database cannot
be used to enroll.

Redeeming is one ``UPDATE … SET uses_left = uses_left - 1 WHERE uses_left > 0 AND not expired
RETURNING …`` inside the transaction that records the certificate: two laptops presenting a
one-use code at the same moment cannot both get through (the database orders them), and a
refused enrollment gives its use back by rolling back.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from county.data import County, CountyError
from county.enrollment import resolve_villages
from county.store import schema
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring

ROLE_DEVICE = "device"
ROLE_STATION = "township-relay"
ROLES = (ROLE_DEVICE, ROLE_STATION)
# no 0/O, 1/I/L: nothing a cadre could read two ways off a sheet of paper
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP_SIZE = 3, 4
MAX_DAYS, MAX_USES = 365, 1000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CodeRefused(ServiceError):
    """The code is wrong, expired, used up, for the other role, or does not cover the villages
    asked for; the message says which, as a sentence for the person at the laptop."""


@dataclass(frozen=True)
class IssuedCode:
    code: str
    role: str
    villages: list[str]
    cadre: str
    expires_at: str
    uses: int

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Grant:
    """What a redeemed code allows."""

    role: str
    villages: list[str]
    cadre: str


# --------------------------------------------------------------------------------- codes
def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _i in range(GROUPS * GROUP_SIZE))
    return "-".join(chars[i : i + GROUP_SIZE] for i in range(0, len(chars), GROUP_SIZE))


def normalized(code: str) -> str:
    """What a person typed, the way it was issued: case, spaces and dashes do not matter."""
    return "".join(c for c in str(code).upper() if c.isascii() and c.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalized(code).encode("ascii")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def local_time(stamp: str) -> str:
    """An expiry as the county office reads it (its own clock's zone)."""
    moment = datetime.strptime(stamp, TIME_FORMAT).replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def issue_code(
    county: County,
    villages: list[str],
    role: str = ROLE_DEVICE,
    cadre: str = "",
    days: int = 7,
    uses: int = 1,
) -> IssuedCode:
    """A new code for these villages (codes or names the county holds); stored hashed."""
    if role not in ROLES:
        raise CountyError(_("登记口令的用途只能是 device 或 township-relay。"))
    if not 1 <= days <= MAX_DAYS:
        raise CountyError(_("有效天数应在 1 到 {max} 之间。").format(max=MAX_DAYS))
    if not 1 <= uses <= MAX_USES:
        raise CountyError(_("可用次数应在 1 到 {max} 之间。").format(max=MAX_USES))
    codes = resolve_villages(county, villages)
    now = utc_now()
    expires = (now + timedelta(days=days)).strftime(TIME_FORMAT)
    for _attempt in range(5):  # a collision of two random codes is all but impossible
        code = new_code()
        try:
            with county.store.begin() as conn:
                conn.execute(
                    schema.enroll_code.insert().values(
                        code_hash=code_hash(code),
                        role=role,
                        villages=json.dumps(codes),
                        cadre=cadre.strip(),
                        created_at=now.strftime(TIME_FORMAT),
                        expires_at=expires,
                        uses_left=uses,
                    )
                )
        except IntegrityError:
            continue
        return IssuedCode(code, role, codes, cadre.strip(), expires, uses)
    raise CountyError(_("没能生成登记口令，请再试一次。"))


def redeem(conn: Connection, code: str, role: str) -> Grant:
    """Use the code once, in the caller's transaction (a rollback gives the use back)."""
    k = schema.enroll_code.c
    digest = code_hash(code)
    now = utc_now().strftime(TIME_FORMAT)
    row = conn.execute(
        update(schema.enroll_code)
        .where(k.code_hash == digest, k.role == role, k.uses_left > 0, k.expires_at > now)
        .values(uses_left=k.uses_left - 1)
        .returning(k.villages, k.cadre)
    ).first()
    if row is not None:
        return Grant(role, [str(v) for v in json.loads(row[0])], str(row[1] or ""))
    found = conn.execute(
        select(k.role, k.expires_at, k.uses_left).where(k.code_hash == digest)
    ).first()
    if found is None or not normalized(code):
        raise CodeRefused(_("登记口令不对，请核对后重新输入，或向县里重新领取。"))
    if found[0] != role:
        if found[0] == ROLE_STATION:
            raise CodeRefused(_("这个登记口令是给乡镇中转站用的，不能用来登记笔记本电脑。"))
        raise CodeRefused(_("这个登记口令是给笔记本电脑用的，不能用来登记乡镇中转站。"))
    if str(found[1]) <= now:
        raise CodeRefused(
            _("这个登记口令已于 {at} 过期，请向县里重新领取。").format(at=local_time(found[1]))
        )
    raise CodeRefused(_("这个登记口令已经用完了，请向县里重新领取。"))


def asked_villages(county: County, villages: list[str] | None) -> list[str] | None:
    """Villages a request names (resolved before the code's transaction), or None."""
    named = [v for v in villages or [] if str(v).strip()]
    return resolve_villages(county, named) if named else None


def granted_villages(grant: Grant, wanted: list[str] | None) -> list[str]:
    """The villages to certify: the code's, or those asked for if every one is within it."""
    if not wanted:
        return sorted(grant.villages)
    outside = [v for v in wanted if v not in grant.villages]
    if outside:
        raise CodeRefused(
            _("这个登记口令只能登记 {allowed}；申请中的 {outside} 不在其中，请向县里核实。").format(
                allowed="、".join(sorted(grant.villages)), outside="、".join(outside)
            )
        )
    return wanted


# --------------------------------------------------------------------------------- laptops
def enroll_device(
    county: County, request: Any, code: str, villages: list[str] | None = None
) -> dict[str, Any]:
    """A laptop's online enrollment: its request checked, the code used once, its certificate
    (the code's villages and cadre) recorded — all in one transaction."""
    checked = keyring.verify_request(request)
    if checked["device_id"] in county.revoked():
        raise CountyError(_("这台设备已被吊销，不能再次登记；请用新的数据库重新申请。"))
    wanted = asked_villages(county, villages)
    with county.store.begin() as conn:
        grant = redeem(conn, code, ROLE_DEVICE)
        codes = granted_villages(grant, wanted)
        cert = keyring.issue_certificate(checked, codes, county.signing, county.age_recipient)
        if grant.cadre and grant.cadre != cert["cadre"]:
            # the county named the cadre when it issued the code: its word goes on the certificate
            unsigned = {k: v for k, v in cert.items() if k != "signature"}
            cert = keyring.sign_document({**unsigned, "cadre": grant.cadre}, county.signing)
        county.save_certificate(cert, conn)
    return cert


__all__ = [
    "ROLE_DEVICE",
    "ROLE_STATION",
    "CodeRefused",
    "asked_villages",
    "Grant",
    "IssuedCode",
    "enroll_device",
    "granted_villages",
    "issue_code",
    "redeem",
]
