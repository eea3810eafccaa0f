"""The demo county's map: townships, villages and groups with 12-digit 统计用区划代码.

Codes follow the national pattern — county 522799, townships 100–199 (镇) and 200–299 (乡), villages
2xx (村委会) — so anything that parses or sorts region codes treats the demo like a real county.
The number of villages grows with the number of households, so a village holds a plausible
100–300 registered households at the sizes people benchmark with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop.core.demo import names
from desktop.core.demo.context import Context


@dataclass
class Village:
    code: str
    name: str
    township_code: str
    township_name: str
    groups: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    households: int = 0


@dataclass
class County:
    code: str
    name: str
    townships: list[tuple[str, str]]
    villages: list[Village]

    def region_rows(self) -> list[dict[str, Any]]:
        """Province, city, county, townships, villages and groups, parents first."""
        rows = [
            {"code": names.PROVINCE[0], "name": names.PROVINCE[1], "level": "province"},
            {
                "code": names.CITY[0],
                "name": names.CITY[1],
                "level": "city",
                "parent_code": names.PROVINCE[0],
            },
            {"code": self.code, "name": self.name, "level": "county", "parent_code": names.CITY[0]},
        ]
        for code, name in self.townships:
            rows.append({"code": code, "name": name, "level": "township", "parent_code": self.code})
        for village in self.villages:
            rows.append(
                {
                    "code": village.code,
                    "name": village.name,
                    "level": "village",
                    "parent_code": village.township_code,
                }
            )
            for code, name in village.groups:
                rows.append(
                    {"code": code, "name": name, "level": "group", "parent_code": village.code}
                )
        return rows


def build_county(ctx: Context, households: int) -> County:
    rng = ctx.rng
    target = max(15, min(120, round(households / 160)))
    township_count = max(3, min(8, round(target / 10)))
    stems = rng.sample(names.TOWNSHIP_STEMS, township_count)
    village_names = rng.sample(names.VILLAGE_PREFIXES, len(names.VILLAGE_PREFIXES))
    prefix = ctx.county_code[:6]
    townships: list[tuple[str, str]] = []
    villages: list[Village] = []
    town_no, xiang_no = 100, 200
    for stem in stems:
        is_town = rng.random() < 0.65
        if is_town:
            town_no += 1
            code, name = f"{prefix}{town_no:03d}000", stem + "镇"
        else:
            xiang_no += 1
            code, name = f"{prefix}{xiang_no:03d}000", stem + "乡"
        townships.append((code, name))
        per_town = max(5, min(15, round(target / township_count) + rng.randint(-2, 2)))
        for number in range(1, per_town + 1):
            stem_name = village_names[len(villages) % len(village_names)]
            cycle = len(villages) // len(village_names)
            village_name = stem_name + ("村" if cycle == 0 else f"{cycle + 1}村")
            village_code = code[:9] + f"{200 + number:03d}"
            village = Village(village_code, village_name, code, name)
            for group in range(1, rng.randint(4, 12) + 1):
                village.groups.append((f"{village_code}{group:02d}", names.GROUP_NAMES[group - 1]))
            villages.append(village)
    _spread(ctx, households, villages)
    return County(ctx.county_code, names.COUNTY_NAME, townships, villages)


def _spread(ctx: Context, households: int, villages: list[Village]) -> None:
    """Households per village: uneven (some villages are poorer) but every village gets some
    once there are enough households to go round."""
    weights = [ctx.rng.uniform(0.5, 1.5) for _ in villages]
    total = sum(weights)
    exact = [households * w / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(villages)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: households - sum(counts)]:
        counts[i] += 1
    for village, count in zip(villages, counts, strict=True):
        village.households = count
