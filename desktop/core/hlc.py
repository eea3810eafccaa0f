"""Hybrid logical clock: wall-clock milliseconds + a counter + the device id.

Stamps are fixed-width strings, so comparing two stamps as strings orders them by time, then counter,
then device — exactly the (hlc, device_id) order last-writer-wins needs. The clock never runs
backwards even if the laptop's clock does, and it moves past every stamp it has seen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MS_WIDTH = 13
COUNTER_WIDTH = 5
MAX_COUNTER = 10**COUNTER_WIDTH - 1
FAR_FUTURE_MS = 24 * 3600 * 1000  # a stamp more than a day ahead of us is flagged


@dataclass(frozen=True)
class Stamp:
    ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.ms:0{MS_WIDTH}d}.{self.counter:0{COUNTER_WIDTH}d}.{self.device}"


def format_stamp(ms: int, counter: int, device: str) -> str:
    return f"{ms:0{MS_WIDTH}d}.{counter:0{COUNTER_WIDTH}d}.{device}"


def parse_stamp(text: str) -> Stamp:
    try:
        ms, counter, device = text.split(".", 2)
        return Stamp(int(ms), int(counter), device)
    except ValueError as exc:
        raise ValueError(f"not a clock stamp: {text!r}") from exc


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """The clock of one device. Callers persist ``ms``/``counter`` with each transaction."""

    def __init__(self, device: str, ms: int = 0, counter: int = 0) -> None:
        self.device = device
        self.ms = ms
        self.counter = counter

    def now(self, physical_ms: int | None = None) -> str:
        """A stamp later than every stamp this clock has issued or observed."""
        physical = wall_ms() if physical_ms is None else physical_ms
        if physical > self.ms:
            self.ms, self.counter = physical, 0
        else:
            self.counter += 1
            if self.counter > MAX_COUNTER:
                self.ms, self.counter = self.ms + 1, 0
        return format_stamp(self.ms, self.counter, self.device)

    def observe(self, remote: str, physical_ms: int | None = None) -> bool:
        """Move past a stamp received from elsewhere; True when it lies far in our future."""
        stamp = parse_stamp(remote)
        physical = wall_ms() if physical_ms is None else physical_ms
        if stamp.ms > self.ms or (stamp.ms == self.ms and stamp.counter > self.counter):
            self.ms, self.counter = stamp.ms, stamp.counter
        return stamp.ms - physical > FAR_FUTURE_MS
