"""The generator's shared state: one seeded random stream, the reference day and the ID registry.

Everything the demo produces — names, ages, amounts and the UUIDs of every row — is drawn from
``rng``, so a seed always yields the same county. Only clock stamps (created_hlc, the change log)
differ between runs, because they record when the data was written, not what it says.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from desktop.core.demo.identity import IdNumbers
from desktop.core.rules.rulefile import Rules


@dataclass
class Context:
    rng: random.Random
    today: date
    ids: IdNumbers
    county_code: str
    rules: Rules

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weighted: Mapping[str, float]) -> str:
        keys = list(weighted)
        return self.rng.choices(keys, [weighted[k] for k in keys])[0]

    def day_within(self, start: date, end: date) -> date:
        """A random day in [start, end] (end clamped to today: nothing is recorded in the future)."""
        end = min(end, self.today)
        if end <= start:
            return end
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def birth_date(self, age: int) -> date:
        """A birthday that makes the person exactly ``age`` on the reference day."""
        latest = _years_before(self.today, age)
        earliest = _years_before(self.today, age + 1) + timedelta(days=1)
        return self.day_within(earliest, latest)

    def age_of(self, born: date) -> int:
        t = self.today
        return t.year - born.year - ((t.month, t.day) < (born.month, born.day))

    @property
    def school_year(self) -> int:
        """The calendar year the current school year began (terms start 1 September)."""
        return self.today.year if self.today.month >= 9 else self.today.year - 1

    def school_age(self, born: date) -> int:
        """Age on 31 August of the school year's start: 6 means first grade of primary school."""
        return self.school_year - born.year - ((born.month, born.day) > (8, 31))

    def line(self, year: int) -> float:
        """The county's poverty line for the year (resources/rules/county.toml)."""
        return self.rules.poverty_line(year)

    def band(self, year: int) -> float:
        """The upper limit of the monitoring band for the year."""
        return self.rules.monitoring_band(year)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
