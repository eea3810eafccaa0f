"""Valid identifiers for demo people: 18-digit ID numbers, mobile numbers and bank accounts.

Every number passes the same checks a real one must (GB 11643 check character, mobile prefixes,
Luhn), so the demo exercises the validators rather than tripping them, and ID numbers never repeat:
the same person in two households is a data problem the checks look for, not noise.
"""

from __future__ import annotations

import random
from datetime import date

from desktop.core.demo import names
from desktop.core.rules.idnumber import check_digit
from desktop.core.rules.validators import luhn_ok


class IdNumbers:
    """Issues unique ID numbers under one county's area code."""

    def __init__(self, area_code: str) -> None:
        self.area_code = area_code[:6]
        self._issued: set[str] = set()

    def issue(self, rng: random.Random, born: date, gender: str) -> str:
        """The three sequence digits are random; the last of them is odd for men, even for women."""
        birth = born.strftime("%Y%m%d")
        for _attempt in range(2000):
            sequence = rng.randrange(0, 100) * 10 + rng.choice(
                (1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8)
            )
            first17 = f"{self.area_code}{birth}{sequence:03d}"
            if first17 not in self._issued:
                self._issued.add(first17)
                return first17 + check_digit(first17)
        raise RuntimeError(f"no free ID sequence left for {birth}")  # 500 people born one day


def mobile(rng: random.Random) -> str:
    return rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def bank_account(rng: random.Random) -> tuple[str, str]:
    """(bank name, 19-digit account whose last digit makes the Luhn check pass)."""
    bank, bin_prefix = rng.choice(names.BANKS)
    body = bin_prefix + "".join(str(rng.randrange(10)) for _ in range(12))
    for digit in "0123456789":
        if luhn_ok(body + digit):
            return bank, body + digit
    raise AssertionError("a Luhn digit always exists")
