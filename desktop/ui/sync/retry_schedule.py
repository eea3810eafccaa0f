"""When to try the county server next: a steady interval while it answers, exponential backoff
with jitter while it does not.

Two hundred laptops in one county come back online at the same moment (the township's link
returns, the server restarts); without jitter they would all retry in lock-step. Each failure
doubles the wait up to a cap and the wait is drawn from its upper half ("equal jitter"), so a
retry is never sooner than half the nominal delay and the herd spreads out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PERIOD_S = 300.0  # every five minutes while all is well
FIRST_RETRY_S = 20.0
MAX_RETRY_S = 900.0
SETTLE_S = 20.0  # after the last save, before syncing it


@dataclass
class RetrySchedule:
    period: float = PERIOD_S
    first_retry: float = FIRST_RETRY_S
    cap: float = MAX_RETRY_S
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def nominal(self) -> float:
        """The un-jittered wait after the current run of failures."""
        return min(self.cap, self.first_retry * 2 ** max(self.failures - 1, 0))

    def after_success(self) -> float:
        self.failures = 0
        return self.period

    def after_failure(self) -> float:
        self.failures += 1
        base = self.nominal()
        return base / 2 + self.rng.uniform(0, base / 2)

    def after_pause(self) -> float:
        """Cancelled by the cadre, or not possible yet (no address, not enrolled): no backoff,
        just the ordinary period."""
        return self.period
