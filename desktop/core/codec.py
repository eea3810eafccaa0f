"""How field values travel in the change log and bundles: JSON, with dates as ISO strings."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from desktop.core.models import SYNCED


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def _default(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_row(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=_default)


@cache
def _adapter(table: str, field: str) -> TypeAdapter[Any]:
    model = SYNCED[table]
    annotation: Any = model.model_fields[field].annotation
    return TypeAdapter(annotation)


def decode_field(table: str, field: str, raw: str | None) -> Any:
    """The Python value of a field as stored in a change-log entry."""
    if raw is None:
        return None
    value = json.loads(raw)
    if value is None:
        return None
    return _adapter(table, field).validate_python(value)


def decode_row(table: str, raw: str) -> dict[str, Any]:
    data = json.loads(raw)
    model = SYNCED[table]
    return {
        name: (_adapter(table, name).validate_python(v) if v is not None else None)
        for name, v in data.items()
        if name in model.model_fields
    }
