"""Finding what to print: a household by 户编号 or UUID, a village by its 12-digit code or name.

A cadre types what is on the paper in front of them; when that names nothing, or several villages
share a name, we say so plainly instead of printing the wrong book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from desktop.core.i18n import _
from desktop.core.models import Household, Region
from desktop.ledger.errors import LedgerError

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VILLAGE_CODE = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Place:
    """A village with the names of the levels above it, for headers and notices."""

    code: str
    name: str
    township: str
    county: str

    @property
    def full_name(self) -> str:
        return "".join(part for part in (self.county, self.township, self.name) if part)


def find_household(session: Session, text: str) -> Household:
    """The household whose number or id is ``text`` (voided households are still printable)."""
    key = (text or "").strip()
    if not key:
        raise LedgerError(_("请提供户编号或户的 UUID。"))
    query = select(Household).where(Household.number == key)
    if _UUID.match(key):
        query = select(Household).where((Household.id == key.lower()) | (Household.number == key))
    found = session.exec(query).first()
    if found is None:
        raise LedgerError(_("找不到户编号或 UUID 为“{key}”的户。").format(key=key))
    return found


def find_village(session: Session, text: str) -> Place:
    """The village whose 12-digit code or name is ``text``."""
    key = (text or "").strip()
    if not key:
        raise LedgerError(_("请提供村的12位区划代码或村名。"))
    if _VILLAGE_CODE.match(key):
        region = session.exec(select(Region).where(Region.code == key)).first()
        if region is None:
            if _has_households(session, key):
                return Place(code=key, name=key, township="", county="")
            raise LedgerError(_("找不到区划代码为 {code} 的村。").format(code=key))
        if region.level != "village":
            raise LedgerError(
                _("区划代码 {code}（{name}）不是一个村。").format(code=key, name=region.name)
            )
        return place_of(session, key)
    matches = session.exec(
        select(Region).where(
            Region.level == "village", Region.name == key, col(Region.voided).is_(False)
        )
    ).all()
    if not matches:
        raise LedgerError(_("找不到名为“{name}”的村。").format(name=key))
    if len(matches) > 1:
        choices = "、".join(f"{place_of(session, r.code).full_name}（{r.code}）" for r in matches)
        raise LedgerError(
            _("有多个村叫“{name}”：{choices}。请改用12位区划代码。").format(
                name=key, choices=choices
            )
        )
    return place_of(session, matches[0].code)


def place_of(session: Session, village_code: str) -> Place:
    """Names of a village, its township and county (blank where the region table lacks them)."""
    names: dict[str, str] = {}
    code: str | None = village_code
    for _depth in range(6):
        if not code:
            break
        region = session.exec(select(Region).where(Region.code == code)).first()
        if region is None:
            break
        names.setdefault(region.level, region.name)
        code = region.parent_code
    return Place(
        code=village_code,
        name=names.get("village", village_code),
        township=names.get("township", ""),
        county=names.get("county", ""),
    )


def group_names(session: Session, village_code: str) -> dict[str, str]:
    """村民小组 names by code, for notices that list households by group."""
    rows = session.exec(select(Region).where(Region.parent_code == village_code)).all()
    return {r.code: r.name for r in rows}


def village_household_ids(session: Session, village_code: str) -> list[tuple[str, str]]:
    """(id, number) of every household of a village that is not voided, in number order."""
    rows = session.exec(
        select(Household.id, Household.number)
        .where(Household.village_code == village_code, col(Household.voided).is_(False))
        .order_by(Household.number)
    ).all()
    return [(str(r[0]), str(r[1])) for r in rows]


def _has_households(session: Session, village_code: str) -> bool:
    return (
        session.exec(select(Household.id).where(Household.village_code == village_code)).first()
        is not None
    )
