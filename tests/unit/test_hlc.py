"""The hybrid logical clock: monotonic, ordered like (time, counter, device), and robust to clock skew."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from desktop.core.hlc import FAR_FUTURE_MS, HybridClock, format_stamp, parse_stamp

DEVICE_A = "00000000-0000-0000-0000-00000000000a"
DEVICE_B = "00000000-0000-0000-0000-00000000000b"


def test_stamps_increase_even_when_the_wall_clock_stands_still_or_runs_back() -> None:
    clock = HybridClock(DEVICE_A)
    stamps = [clock.now(1000), clock.now(1000), clock.now(999), clock.now(500), clock.now(1001)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert parse_stamp(stamps[3]).ms == 1000 and parse_stamp(stamps[3]).counter == 3


def test_observing_a_remote_stamp_moves_past_it() -> None:
    clock = HybridClock(DEVICE_A)
    remote = format_stamp(5000, 7, DEVICE_B)
    assert clock.observe(remote, physical_ms=1000) is False
    assert clock.now(1000) > remote


def test_far_future_stamps_are_accepted_but_flagged() -> None:
    clock = HybridClock(DEVICE_A)
    future = format_stamp(1000 + FAR_FUTURE_MS + 1, 0, DEVICE_B)
    assert clock.observe(future, physical_ms=1000) is True
    assert clock.now(1000) > future


def test_same_instant_orders_by_device() -> None:
    a = HybridClock(DEVICE_A).now(42)
    b = HybridClock(DEVICE_B).now(42)
    assert a < b


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**12), st.integers(0, 99)), max_size=60))
def test_string_order_equals_tuple_order(events: list[tuple[bool, int, int]]) -> None:
    clock = HybridClock(DEVICE_A)
    issued = []
    for observe, ms, counter in events:
        if observe:
            clock.observe(format_stamp(ms, counter, DEVICE_B), physical_ms=0)
        else:
            issued.append(clock.now(ms))
    assert issued == sorted(issued)
    parsed = [parse_stamp(s) for s in issued]
    assert [(p.ms, p.counter, p.device) for p in parsed] == sorted(
        (p.ms, p.counter, p.device) for p in parsed
    )
