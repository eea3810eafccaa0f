"""Turning field values that arrived in a bundle back into Python values, fast and strictly.

A bundle of 100,000 changes carries a couple of million field values; pydantic's general
validation costs microseconds each, which alone would blow the import budget. The synced tables
only use a handful of types, so each (table, field) gets a small converter built once from the
model's annotation. Anything it does not recognise falls back to the core codec. A value of the
wrong type or too long means a damaged or forged bundle: :class:`BadValue` says which field.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from annotated_types import MaxLen

from desktop.core.codec import decode_field
from desktop.core.models import SYNCED

Converter = Callable[[Any], Any]


class BadValue(ValueError):
    """A field value that does not fit its column."""

    def __init__(self, table: str, field: str) -> None:
        super().__init__(f"{table}.{field}")
        self.table = table
        self.field = field


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the non-None type, whether None is allowed)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
        return annotation, True
    return annotation, False


@cache
def converter(table: str, field: str) -> Converter:
    info = SYNCED[table].model_fields[field]
    kind, optional = _base_type(info.annotation)
    limit = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)

    def check(value: Any) -> Any:
        if value is None:
            if optional:
                return None
            raise BadValue(table, field)
        if kind is str:
            if type(value) is not str or (limit is not None and len(value) > limit):
                raise BadValue(table, field)
            return value
        if kind is bool:
            if type(value) is not bool:
                raise BadValue(table, field)
            return value
        if kind is int:
            if type(value) is not int:
                raise BadValue(table, field)
            return value
        if kind is float:
            if type(value) not in (int, float):
                raise BadValue(table, field)
            return float(value)
        try:
            if kind is date and type(value) is str:
                return date.fromisoformat(value)
            if kind is datetime and type(value) is str:
                return datetime.fromisoformat(value)
            return decode_field(table, field, json.dumps(value))
        except (ValueError, TypeError) as exc:
            raise BadValue(table, field) from exc

    return check


def field_value(table: str, field: str, raw: str | None) -> Any:
    """The Python value of one change-log ``value`` (JSON text)."""
    if field not in SYNCED[table].model_fields or field in ("id", "created_hlc"):
        raise BadValue(table, field)
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError as exc:
        raise BadValue(table, field) from exc
    return converter(table, field)(data)


@cache
def _row_shape(table: str) -> tuple[dict[str, Converter], dict[str, Any], frozenset[str]]:
    """Per table: converters by field, defaults of optional fields, required fields."""
    fields = {
        name: info
        for name, info in SYNCED[table].model_fields.items()
        if name not in ("id", "created_hlc")
    }
    defaults = {
        name: info.get_default(call_default_factory=True)
        for name, info in fields.items()
        if not info.is_required()
    }
    required = frozenset(name for name, info in fields.items() if info.is_required())
    return {name: converter(table, name) for name in fields}, defaults, required


def row_values(table: str, raw: str | None) -> dict[str, Any]:
    """The Python values of an insert entry's whole-row JSON (id and stamp excluded)."""
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError as exc:
        raise BadValue(table, "*") from exc
    if not isinstance(data, dict):
        raise BadValue(table, "*")
    converters, defaults, required = _row_shape(table)
    out: dict[str, Any] = {}
    for name, value in data.items():
        check = converters.get(name)
        if check is None:
            raise BadValue(table, name)
        out[name] = check(value)
    if len(out) != len(converters):
        for name in required:
            if name not in out:
                raise BadValue(table, name)
        for name, value in defaults.items():
            out.setdefault(name, value)
    return out
