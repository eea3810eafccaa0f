"""The generator's shared state: one seeded random stream, the reference day and the ID registry.

Everything the demo produces — names, ages, amounts and the UUIDs of every row — is drawn from
``rng``, so a seed always yields the same county. Only clock stamps (created_hlc, the change log)
differ between runs, because they record when the data was written, not what it says.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from desktop.core.demo.identity import IdNumbers
from desktop.core.rules.rulefile import Rules

_CLEAR_VERSION_BITS = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4_BITS = (0x4000 << 64) | (0x8000 << 48)


@dataclass
class Context:
    rng: random.Random
    today: date
    ids: IdNumbers
    county_code: str
    rules: Rules

    def uuid(self) -> str:
        """A version-4 UUID from the seeded stream (same text as uuid.UUID(int=n, version=4))."""
        n = self.rng.getrandbits(128) & _CLEAR_VERSION_BITS | _VERSION_4_BITS
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weighted: Mapping[str, float]) -> str:
        """A key drawn with probability proportional to its weight (zero weights never)."""
        left = self.rng.random() * sum(weighted.values())
        chosen = ""
        for key, weight in weighted.items():
            if weight > 0:
                chosen = key
                left -= weight
                if left < 0:
                    break
        return chosen

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
