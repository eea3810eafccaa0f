"""Turning the 县 / 乡镇 / 行政村 / 村民小组 cells of a roster into region codes.

A cell holds a name ('新寨村'), a name with its 12-digit 统计用区划代码 ('新寨村(520102001001)') or
just the code. Names are looked up under the parent already resolved, so two villages called 新寨村
in different townships stay apart. A place the database does not know yet is created, with the
code from the cell or, when there is none, a synthetic code derived from the names alone: the same
roster gives the same codes on every laptop, and synthetic codes start with 99, which no real
province code does, so they never collide with real ones. Groups get the village code plus their
number ('三组' → …03), as the region model documents.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.roster.cells import Issue

LEVELS = ("county", "township", "village", "group")
LEVEL_LABELS = {"county": "县", "township": "乡镇", "village": "行政村", "group": "村民小组"}
SYNTHETIC_PREFIX = "99"
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_GROUP_NUMBER = re.compile(
    r"^第?([0-9]+|[零〇一二两三四五六七八九十]+)(村民小组|村民组|小组|组|社)?$"
)


def _level_label(level: str) -> str:
    return _(LEVEL_LABELS[level])


@dataclass
class Resolution:
    codes: dict[str, str | None]  # county_code, township_code, village_code, group_code
    issues: list[tuple[str, Issue]] = field(default_factory=list)  # (level, issue)

    @property
    def failed(self) -> bool:
        return any(issue.severity == "error" for _level, issue in self.issues)


class RegionResolver:
    """Resolves region cells against the known regions, planning new ones as needed."""

    def __init__(self, known: Iterable[Mapping[str, Any]]) -> None:
        self.by_code: dict[str, dict[str, Any]] = {}
        self.by_name: dict[tuple[str, str | None, str], list[str]] = {}
        self.created: list[dict[str, Any]] = []
        for row in known:
            self._remember(dict(row))

    def _remember(self, row: dict[str, Any]) -> None:
        self.by_code[row["code"]] = row
        key = (row["level"], row.get("parent_code"), row["name"])
        self.by_name.setdefault(key, []).append(row["code"])

    def forget_since(self, count: int) -> None:
        """Drop regions planned after the first ``count`` (their household was skipped)."""
        for row in self.created[count:]:
            del self.by_code[row["code"]]
            key = (row["level"], row.get("parent_code"), row["name"])
            self.by_name[key].remove(row["code"])
            if not self.by_name[key]:
                del self.by_name[key]
        del self.created[count:]

    def _create(self, code: str, name: str, level: str, parent: str | None) -> dict[str, Any]:
        row = {"code": code, "name": name, "level": level, "parent_code": parent}
        self._remember(row)
        self.created.append(row)
        return row

    def resolve(self, cells: Mapping[str, tuple[str | None, str | None] | None]) -> Resolution:
        result = Resolution({f"{level}_code": None for level in LEVELS})
        parent: str | None = None
        for level in LEVELS:
            cell = cells.get(level)
            if cell is None:
                if level in ("township", "village"):
                    result.issues.append(
                        (
                            level,
                            Issue(
                                "error",
                                "region.empty",
                                _("{level}为空。每户都要填写乡镇和行政村。").format(
                                    level=_level_label(level)
                                ),
                            ),
                        )
                    )
                    return result
                continue
            name, code = cell
            row, issue = self._one(level, name, code, parent)
            if issue is not None:
                result.issues.append((level, issue))
            if row is None:
                return result
            result.codes[f"{level}_code"] = row["code"]
            parent = row["code"]
        if result.codes["county_code"] is None:
            township = self.by_code.get(result.codes["township_code"] or "")
            result.codes["county_code"] = (township or {}).get("parent_code") or ""
        return result

    def _one(
        self, level: str, name: str | None, code: str | None, parent: str | None
    ) -> tuple[dict[str, Any] | None, Issue | None]:
        if code is not None:
            found = self.by_code.get(code)
            if found is not None:
                if found["level"] != level:
                    return None, Issue(
                        "error",
                        "region.level",
                        _("代码 {code} 是{found}“{name}”的代码，不是{level}。").format(
                            code=code,
                            found=_level_label(found["level"]),
                            name=found["name"],
                            level=_level_label(level),
                        ),
                    )
                if name and name != found["name"]:
                    return found, Issue(
                        "warning",
                        "region.name_differs",
                        _(
                            "代码 {code} 在数据库中的名称是“{known}”，与名册不一致，以代码为准。"
                        ).format(code=code, known=found["name"]),
                    )
                return found, None
            if not name:
                return None, Issue(
                    "error",
                    "region.unknown_code",
                    _(
                        "区划代码 {code} 不在区划表中。请同时填写名称，例如“新寨村({code})”。"
                    ).format(code=code),
                )
            row = self._create(code, name, level, parent)
            return row, Issue(
                "note",
                "region.created",
                _("将新建{level}“{name}”，代码 {code}。").format(
                    level=_level_label(level), name=name, code=code
                ),
            )
        assert name is not None
        matches = self.by_name.get((level, parent, name), [])
        if not matches and parent is None:
            matches = [
                code
                for (lvl, _parent, nm), found in self.by_name.items()
                if lvl == level and nm == name
                for code in found
            ]
        if len(matches) == 1:
            return self.by_code[matches[0]], None
        if len(matches) > 1:
            return None, Issue(
                "error",
                "region.ambiguous",
                _("有{n}个{level}叫“{name}”。请在名称后加上代码，例如“{name}(12位代码)”。").format(
                    n=len(matches), level=_level_label(level), name=name
                ),
            )
        new_code = self._synthetic_code(level, name, parent)
        row = self._create(new_code, name, level, parent)
        return row, Issue(
            "note",
            "region.created",
            _(
                "区划表中没有这个{level}，将新建“{name}”，代码 {code}（由名称生成；拿到正式代码后可在程序中改正）。"
            ).format(level=_level_label(level), name=name, code=new_code),
        )

    def _synthetic_code(self, level: str, name: str, parent: str | None) -> str:
        """Deterministic from the names (and parent code); probes past codes already taken."""
        if level == "group" and parent:
            number = group_number(name)
            start = number if number is not None and 1 <= number <= 99 else None
            candidates = [start] if start is not None else []
            digest = int(hashlib.sha256(f"{parent}|{name}".encode()).hexdigest(), 16)
            candidates += [50 + (digest + i) % 50 for i in range(50)]
            for candidate in candidates:
                code = f"{parent}{candidate:02d}"
                if code not in self.by_code:
                    return code
        digest = int(hashlib.sha256(f"{level}|{parent or ''}|{name}".encode()).hexdigest(), 16)
        number = digest % 10**10
        while True:
            code = f"{SYNTHETIC_PREFIX}{number:010d}"
            if code not in self.by_code:
                return code
            number = (number + 1) % 10**10


def group_number(name: str) -> int | None:
    """'3组', '三组', '第十二村民小组', '二十一组' → 3, 3, 12, 21; None when there is no number."""
    match = _GROUP_NUMBER.match(codes.normalize(name))
    if match is None:
        return None
    text = match.group(1)
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        value = (_CHINESE_DIGITS.get(tens, -100) if tens else 1) * 10
        value += _CHINESE_DIGITS.get(ones, -100) if ones else 0
        return value if value > 0 else None
    if len(text) == 1:
        return _CHINESE_DIGITS.get(text)
    return None
