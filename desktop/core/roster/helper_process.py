"""A second process for a large roster import, so both cores of a cadre's laptop work on it.

Reading a roster is pure Python (XML parsing and cell checks) and so is computing the pinyin
search keys of every member's name; both would run on one core one after the other. With a
helper process the member sheet is parsed while this process parses the household sheet, and
the helper then computes the members' name keys while this process plans and writes. The
helper only reads the file and returns plain data: nothing it does touches the database.

Small rosters (a village's few hundred rows) are read in-process: starting a process costs more
than it saves. If a process cannot be started at all (a locked-down machine) the import simply
runs serially.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PARALLEL_BYTES = 1_000_000  # an .xlsx this large holds a few thousand households


@contextmanager
def helper_process(path: Path, wanted: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """One helper process for reading ``path``, or None when it is small or none can start."""
    executor: ProcessPoolExecutor | None = None
    if wanted:
        try:
            if Path(path).stat().st_size >= PARALLEL_BYTES:
                # "spawn" on every platform: forking a process that runs Qt or SQLite threads
                # can deadlock the child, and spawn behaves the same on Windows and Linux.
                executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        except (OSError, ValueError, RuntimeError) as exc:
            log.info("roster import runs in one process: %s", exc)
            executor = None
    try:
        yield executor
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def name_keys_for(names: list[str]) -> dict[str, tuple[tuple[int, str], ...]]:
    """In the helper: the search keys of each distinct name (pinyin is the costly part)."""
    from desktop.core.search.keys import name_keys

    return {name: name_keys(name) for name in names}


def collect(future: Future[object] | None) -> object | None:
    """The helper's result, or None if it failed (the caller then does the work itself)."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception as exc:  # a broken helper must never fail the import: do it here instead
        log.warning("roster helper process failed, continuing without it: %r", exc)
        return None
