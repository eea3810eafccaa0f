"""Visits and assistance commitments: the records a cadre adds at the door."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.core.services.uow import UnitOfWork


def record_visit(uow: UnitOfWork, household_id: str, values: Mapping[str, Any]) -> str:
    return uow.insert("visit", {**values, "household_id": household_id})


def add_commitment(uow: UnitOfWork, household_id: str, values: Mapping[str, Any]) -> str:
    return uow.insert("commitment", {**values, "household_id": household_id})


def deliver_commitment(
    uow: UnitOfWork, commitment_id: str, delivered: date, confirmed: bool
) -> None:
    current = uow.get("commitment", commitment_id)
    if current["status"] == "cancelled":
        raise ServiceError(_("已取消的措施不能标记为已兑现。"))
    uow.update(
        "commitment",
        commitment_id,
        {"status": "delivered", "delivered_date": delivered, "confirmed": confirmed},
    )


def attach_photo(
    uow: UnitOfWork, household_id: str, owner_table: str, owner_id: str, values: Mapping[str, Any]
) -> str:
    """Record a photo already placed in the photo store under its sha256."""
    return uow.insert(
        "photo",
        {**values, "household_id": household_id, "owner_table": owner_table, "owner_id": owner_id},
    )
