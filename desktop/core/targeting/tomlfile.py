"""Reading a county-edited TOML file so every refusal can name the file, the line and the reason.

tomllib gives values but not positions, so the text is scanned once for table headers (``[a.b]``,
``[[steps]]``, nested ``[[indicators.options]]``) and ``key =`` lines, giving each value a path
like ``("steps", 2, "label")``. A problem found later while checking values points at that line,
or at the closest enclosing line (an inline table's key falls back to the line that holds it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.core.i18n import _
from desktop.core.rules.rulefile import RuleFileError, read_toml_file

Where = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in dotted.split(".")]


class Locator:
    """Line numbers of the headers and keys of one TOML text."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines: dict[Where, int] = {}
        counters: dict[Where, int] = {}
        current: Where = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                current = self._header_path(header.group(1), _parts(header.group(2)), counters)
                self.lines.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key and not line.lstrip().startswith("#"):
                self.lines.setdefault((*current, *_parts(key.group(1))), number)

    def _header_path(self, bracket: str, names: list[str], counters: dict[Where, int]) -> Where:
        """Resolve ``[[a.b]]`` against the latest element of every array it passes through."""
        path: list[str | int] = []
        for depth, name in enumerate(names):
            path.append(name)
            last = depth == len(names) - 1
            key = tuple(path)
            if last and bracket == "[[":
                counters[key] = counters.get(key, -1) + 1
                for stale in [k for k in counters if len(k) > len(key) and k[: len(key)] == key]:
                    del counters[stale]  # a new parent element restarts its children's count
                path.append(counters[key])
            elif key in counters:
                path.append(counters[key])
        return tuple(path)

    def line(self, where: Sequence[str | int]) -> int | None:
        """The line of ``where`` or of the closest enclosing header or key."""
        path = tuple(where)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def fail(self, where: Sequence[str | int], reason: str) -> RuleFileError:
        return RuleFileError(self.path, self.line(where), reason)


def read_toml(path: Path | str) -> tuple[dict[str, Any], Locator]:
    """The parsed document and its locator; unreadable or malformed files raise RuleFileError."""
    path = Path(path)
    document, text = read_toml_file(path)
    return document, Locator(path, text)


class Checker:
    """Typed access to a parsed document that refuses wrong values with their line."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator

    def fail(self, where: Sequence[str | int], reason: str) -> RuleFileError:
        return self.locator.fail(where, reason)

    def table(self, value: Any, where: Where, required: bool = True) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if value is None:
            raise self.fail(where[:-1], _("缺少“{name}”。").format(name=_name(where)))
        if not isinstance(value, dict):
            raise self.fail(where, _("“{name}”应是一节（表）。").format(name=_name(where)))
        return value

    def only_known(self, table: dict[str, Any], where: Where, known: Sequence[str]) -> None:
        for key in table:
            if key not in known:
                raise self.fail(
                    (*where, key),
                    _("“{key}”不是可用的项。可用的项：{known}。").format(
                        key=key, known="、".join(known)
                    ),
                )

    def text(
        self, table: dict[str, Any], where: Where, key: str, default: str | None = None
    ) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.fail(where, _("缺少“{key}”。").format(key=key))
        if not isinstance(value, str) or not value.strip():
            raise self.fail((*where, key), _("“{key}”应为非空的文字。").format(key=key))
        return value.strip()

    def flag(self, table: dict[str, Any], where: Where, key: str, default: bool = False) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(
                (*where, key),
                _("“{key}”应为 true 或 false，现在是“{value}”。").format(key=key, value=value),
            )
        return value

    def number(
        self,
        table: dict[str, Any],
        where: Where,
        key: str,
        default: float | None = None,
        integer: bool = False,
        minimum: float = 0,
    ) -> float:
        value = table.get(key, default)
        if value is None:
            raise self.fail(where, _("缺少“{key}”。").format(key=key))
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            expected = _("整数") if integer else _("数字")
            raise self.fail(
                (*where, key),
                _("“{key}”应为{expected}，现在是“{value}”。").format(
                    key=key, expected=expected, value=value
                ),
            )
        if value < minimum:
            raise self.fail(
                (*where, key), _("“{key}”不能小于{minimum:g}。").format(key=key, minimum=minimum)
            )
        return value

    def array(self, value: Any, where: Where) -> list[dict[str, Any]]:
        if value is None:
            raise self.fail(where[:-1], _("缺少“[[{name}]]”。").format(name=_name(where)))
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(
                where, _("“{name}”应写成若干个 [[{name}]] 表。").format(name=_name(where))
            )
        if not value:
            raise self.fail(where, _("“[[{name}]]”至少要有一项。").format(name=_name(where)))
        return value

    def strings(self, table: dict[str, Any], where: Where, key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail((*where, key), _("“{key}”应为文字的列表。").format(key=key))
        return list(value)


def _name(where: Where) -> str:
    return ".".join(str(p) for p in where if isinstance(p, str)) or "?"
