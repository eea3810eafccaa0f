"""Test helpers: enrollment codes and the administrator's token, as the county office makes them."""

from __future__ import annotations

from pathlib import Path

from county.admin_token import admin_token
from county.data import County
from county.enroll_codes import ROLE_DEVICE, issue_code


def issue(
    county: County | Path,
    villages: list[str] | str,
    role: str = ROLE_DEVICE,
    uses: int = 1,
    cadre: str = "",
    days: int = 7,
) -> str:
    """A fresh code for these villages (the county's own function, as `enroll-code` calls it)."""
    wanted = [villages] if isinstance(villages, str) else list(villages)
    if isinstance(county, County):
        return issue_code(county, wanted, role, cadre, days, uses).code
    with County.open(county) as opened:
        return issue_code(opened, wanted, role, cadre, days, uses).code


def admin(county: County | Path) -> dict[str, str]:
    """The header an API client of the county administrator sends."""
    root = county.root if isinstance(county, County) else Path(county)
    return {"Authorization": f"Bearer {admin_token(root)}"}
