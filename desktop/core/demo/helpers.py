"""帮扶责任人 for the demo county: cadres from province down to village, a handful per village.

Each helper looks after about five households in one village (the usual rule for county-level
cadres), so visit and assignment lists in the demo are the size a real helper sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from desktop.core.demo import identity, names
from desktop.core.demo.context import Context
from desktop.core.demo.places import Village

HOUSEHOLDS_PER_HELPER = 5
LEVELS = {"village": 25.0, "township": 30.0, "county": 35.0, "city": 7.0, "province": 3.0}


@dataclass
class HelperPlan:
    id: str
    name: str
    unit: str
    level: str
    phone: str

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "level": self.level,
            "phone": self.phone,
        }


def village_helpers(ctx: Context, village: Village) -> list[HelperPlan]:
    rng = ctx.rng
    count = max(2, math.ceil(village.households / HOUSEHOLDS_PER_HELPER))
    helpers = []
    for _ in range(count):
        level = ctx.pick(LEVELS)
        if level == "village":
            unit = village.name + "村民委员会"
        elif level == "township":
            unit = village.township_name + rng.choice(names.TOWNSHIP_UNIT_SUFFIXES)
        elif level == "county":
            unit = rng.choice(names.COUNTY_UNITS)
        elif level == "city":
            unit = rng.choice(names.CITY_UNITS)
        else:
            unit = rng.choice(names.PROVINCE_UNITS)
        gender = "M" if rng.random() < 0.62 else "F"
        born = rng.randint(1968, 1998)
        name = names.surname(rng) + names.given_name(rng, gender, born)
        helpers.append(HelperPlan(ctx.uuid(), name, unit, level, identity.mobile(rng)))
    return helpers
